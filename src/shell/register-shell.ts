import { addDays, type BusinessDay, businessDayOf } from '../host/business-day.js';
import type { DayCloseResult, PluginInstance } from '../host/plugin-api.js';
import type { ClockPort, DisplayPort, JournalPort, LoggerPort, RemovableMediaPort } from '../host/ports.js';
import { type ClosingRefusal, ClosingError, type RegisterClosings } from '../journal/register-closings.js';
import { type DateProblem, parseKeyLine } from './key-parser.js';
import type { LineInput } from './line-input.js';
import { type DisplayActivity, WAITS_FOR_CASHIER } from './terminal-display.js';
import { type ShellMessageId, shellMessage } from './shell-messages.js';

const DATE_PROBLEM_MESSAGE: Readonly<Record<DateProblem, ShellMessageId>> = {
  'wrong-length': 'SHELL_DATE_WRONG_LENGTH',
  'not-digits': 'SHELL_DATE_NOT_DIGITS',
  'impossible-date': 'SHELL_DATE_IMPOSSIBLE',
  'unqueue-needs-day': 'SHELL_UNQUEUE_NEEDS_DAY',
};

const CLOSING_REFUSAL_MESSAGE: Readonly<Record<ClosingRefusal, ShellMessageId>> = {
  'not-begun': 'SHELL_CLOSE_NOT_BEGUN',
  'already-closed': 'SHELL_CLOSE_ALREADY_CLOSED',
  'before-last': 'SHELL_CLOSE_BEFORE_LAST',
};

export interface RegisterShellDeps {
  plugin: PluginInstance;
  display: DisplayPort;
  /** Subscribes to every prompt and progress update the display shows; returns the unsubscribe function. */
  watchDisplay: (watcher: (event: DisplayActivity) => void) => () => void;
  input: LineInput;
  closings: RegisterClosings;
  journal: JournalPort;
  /** A cheaper count of a day's receipts than the journal's whole summary, for the Z line. */
  countReceipts?: (day: BusinessDay) => number;
  media: RemovableMediaPort;
  clock: ClockPort;
  logger: LoggerPort;
  language: 'en' | 'de';
  stickRoots: string[];
  waitStickSeconds: number | null;
  /** Called before waiting for the next command (a terminal shows its input prompt). */
  onIdle?: () => void;
}

/**
 * The register's keypad loop: reads one command at a time, runs it to the
 * end (a day close included, with its questions), and counts the commands
 * that did not succeed, which decides the exit code in scripted mode.
 */
export class RegisterShell {
  private pendingDigits: string | null = null;
  private commands = 0;
  private failed = 0;
  private runningClose: AbortController | null = null;
  private quitRequested = false;

  constructor(private readonly deps: RegisterShellDeps) {}

  say(id: ShellMessageId, params: Readonly<Record<string, string | number>> = {}): void {
    this.deps.display.show(shellMessage(id, this.deps.language, params));
  }

  today(): BusinessDay {
    return businessDayOf(this.deps.clock.now());
  }

  /** The first line on screen: which register, and the day the next close closes (or that today is closed). */
  greet(who: { register: string; customer: string; journal: string }): void {
    const today = this.today();
    const closed = this.closedToday(today);
    if (closed) {
      this.say('SHELL_READY_CLOSED', { ...who, day: today, next: addDays(today, 1) });
      return;
    }
    const openDay = this.deps.closings.openDay(today);
    this.say('SHELL_READY', { ...who, openDay: openDay ?? '-' });
    if (openDay === null) this.sayNoOpenDay();
  }

  /** Runs until `quit` or end of input; resolves true when every command succeeded. */
  async run(): Promise<boolean> {
    while (!this.quitRequested) {
      this.deps.onIdle?.();
      const line = await this.deps.input.next();
      if (line === null) break;
      await this.handleLine(line);
    }
    this.say('SHELL_BYE', { failed: this.failed, commands: this.commands });
    return this.failed === 0;
  }

  /** Ctrl+C: cancels a running day close (the plugin then postpones); false when none was running. */
  interrupt(): boolean {
    if (!this.runningClose) return false;
    this.say('SHELL_CANCELLED');
    this.runningClose.abort(new Error('cancelled by the cashier'));
    return true;
  }

  private async handleLine(line: string): Promise<void> {
    const key = parseKeyLine(line, this.pendingDigits);
    this.deps.logger.info('key', { line, kind: key.kind });
    if (key.kind === 'empty') return;
    if (key.kind === 'digits') {
      this.pendingDigits = key.digits;
      this.say('SHELL_DIGITS_PENDING', { digits: key.digits });
      return;
    }
    this.pendingDigits = null;
    this.commands++;
    let ok: boolean;
    try {
      ok = await this.dispatch(key);
    } catch (err) {
      this.deps.logger.error('command failed', { line, error: String(err) });
      // The error's own message is English and technical: it goes to the log above, the screen says where to look.
      this.say('SHELL_COMMAND_ERROR', { input: line.trim() });
      ok = false;
    }
    if (!ok) this.failed++;
  }

  private async dispatch(
    key: Exclude<ReturnType<typeof parseKeyLine>, { kind: 'empty' | 'digits' }>,
  ): Promise<boolean> {
    switch (key.kind) {
      case 'help':
        this.say('SHELL_HELP', { roots: this.deps.stickRoots.join(', ') });
        return true;
      case 'quit':
        this.quitRequested = true;
        return true;
      case 'cancel':
        this.say('SHELL_NOTHING_TO_CANCEL');
        return true;
      case 'unknown':
        this.say('SHELL_UNKNOWN_KEY', { input: key.input });
        return false;
      case 'bad-date':
        this.say(DATE_PROBLEM_MESSAGE[key.problem], { input: key.input });
        return false;
      case 'status':
        return this.status();
      case 'close':
        return this.close(key.day);
      case 'plugin-command':
        return this.pluginCommand(key.key, key.digits);
    }
  }

  private async pluginCommand(key: string, digits: string): Promise<boolean> {
    const result = await this.deps.plugin.onCommand({ key, digits });
    this.deps.logger.info('plugin command', { key, digits, ...result });
    if (!result.handled) {
      if (key === 'REPORTS' && digits === '') {
        this.say('SHELL_REPORTS_OWN');
        return true;
      }
      this.say('SHELL_KEY_NOT_TAKEN', { key });
      return false;
    }
    return result.ok;
  }

  /**
   * Today's closing when it is the last one: nothing can be closed before
   * tomorrow. A last closing after today is a clock set back (SHELL_NO_OPEN_DAY).
   */
  private closedToday(today: BusinessDay) {
    const last = this.deps.closings.last();
    return last && last.businessDay === today ? last : null;
  }

  private async status(): Promise<boolean> {
    const last = this.deps.closings.last();
    const sticks = await this.deps.media.list().catch((err: unknown) => {
      this.deps.logger.warn('listing sticks failed', { error: String(err) });
      return [];
    });
    const sticksText = sticks.length > 0 ? sticks.map((s) => `${s.label} (${s.mountPath})`).join(', ') : '-';
    const today = this.today();
    const closed = this.closedToday(today);
    if (closed) {
      this.say('SHELL_STATUS_CLOSED', {
        day: today,
        zNumber: closed.zNumber,
        next: addDays(today, 1),
        sticks: sticksText,
      });
    } else {
      const openDay = this.deps.closings.openDay(today);
      this.say('SHELL_STATUS', {
        openDay: openDay ?? '-',
        lastClosing: last ? last.businessDay : '-',
        lastZ: last ? ` (Z ${last.zNumber})` : '',
        sticks: sticksText,
      });
      if (openDay === null) this.sayNoOpenDay();
    }
    return this.pluginCommand('DAYSTICK_STATUS', '');
  }

  /** A clock set back to a closed day: say so, rather than offer that day as open. */
  sayNoOpenDay(): void {
    const last = this.deps.closings.last();
    this.say('SHELL_NO_OPEN_DAY', {
      zNumber: last?.zNumber ?? '-',
      lastDay: last?.businessDay ?? '-',
      today: this.today(),
    });
  }

  private async close(requested: string | null): Promise<boolean> {
    const today = this.today();
    const day = requested ?? this.deps.closings.openDay(today);
    // Today closed as it should be says when the next close can be done; any other "no open day" is the clock.
    const closed = day === null || day === today ? this.closedToday(today) : null;
    if (closed) {
      this.say('SHELL_CLOSE_NOT_YET', { day: today, zNumber: closed.zNumber, next: addDays(today, 1) });
      return false;
    }
    if (day === null) {
      this.sayNoOpenDay();
      return false;
    }
    let zNumber: number;
    const keyAt = performance.now();
    try {
      zNumber = this.deps.closings.record(day, today, new Date(this.deps.clock.now()).toISOString()).zNumber;
    } catch (err) {
      if (!(err instanceof ClosingError)) throw err;
      this.say(CLOSING_REFUSAL_MESSAGE[err.refusal], err.params);
      return false;
    }
    const recordMs = performance.now() - keyAt;
    const receipts = this.deps.countReceipts?.(day) ?? (await this.deps.journal.summary(day)).receipts;
    // Where a close's time goes (npm run bench): the Z record and the count shown with it.
    this.deps.logger.info('closing recorded', {
      day,
      zNumber,
      recordMs: Math.round(recordMs),
      countMs: Math.round(performance.now() - keyAt - recordMs),
    });
    this.say('SHELL_CLOSING', { day, zNumber, receipts });

    const controller = new AbortController();
    this.runningClose = controller;
    const stopWatch = this.watchForMissingStick(controller);
    const stopDivert = this.deps.input.divert((typed) => this.lineDuringClose(typed));
    const stopDrain = this.drainWhileWaiting(controller);
    let result: DayCloseResult;
    try {
      result = await this.deps.plugin.onDayClose({ businessDay: day, closingNumber: zNumber }, controller.signal);
    } finally {
      stopDrain();
      stopDivert();
      stopWatch();
      this.runningClose = null;
    }
    this.deps.logger.info('day close finished', { day, zNumber, ...result });
    this.say('SHELL_CLOSE_RESULT', {
      day,
      outcome: result.outcome,
      sent: result.sentDays.join(', ') || '-',
      pending: result.pendingDays.join(', ') || '-',
    });
    // Postponed or backup-incomplete is a normal register outcome, but a script must learn the data is not all on the stick.
    return result.outcome === 'sent' || result.outcome === 'disabled';
  }

  /**
   * A line typed while a close runs and no question is open: `cancel` is
   * taken, anything else is refused on screen, so nothing typed now runs
   * unseen after the close.
   */
  private lineDuringClose(line: string): void {
    const key = parseKeyLine(line, null);
    this.deps.logger.info('key during a day close', { line, kind: key.kind });
    if (key.kind === 'empty') return;
    if (key.kind === 'cancel') {
      this.interrupt();
      return;
    }
    this.commands++;
    this.failed++;
    this.say('SHELL_BUSY', { input: line.trim() });
  }

  /**
   * Scripted input is read ahead: lines already read when the close starts
   * waiting for the cashier (no usable stick) are what the cashier typed
   * during the wait, so they go through `lineDuringClose` too, up to a cancel;
   * lines after a cancel are the script's next commands.
   */
  private drainWhileWaiting(controller: AbortController): () => void {
    let stopped = false;
    const drain = () => {
      while (!stopped && !controller.signal.aborted) {
        const line = this.deps.input.takeQueued();
        if (line === undefined) return;
        this.lineDuringClose(line);
      }
    };
    const stopWatching = this.deps.watchDisplay((event) => {
      // After the prompt's own line is on screen, not before it.
      if (event.kind === 'prompt' && event.prompt.id === 'INSERT_STICK') setImmediate(drain);
    });
    return () => {
      stopped = true;
      stopWatching();
    };
  }

  /**
   * `--wait-stick`: once the close has waited that long for the cashier, it
   * is aborted through the signal the plugin was given, as a cashier
   * pressing cancel would. Counting starts when the plugin asks for a stick
   * (none present, or the present one refused as full or write-protected) or
   * asks which of two sticks to use, and stops when the plugin names the
   * stick it uses or writing starts; a refusal after that counts afresh.
   */
  private watchForMissingStick(controller: AbortController): () => void {
    const seconds = this.deps.waitStickSeconds;
    if (seconds === null) return () => undefined;
    const { clock } = this.deps;
    let timer: unknown = null;
    let stopped = false;
    // What the cashier was last asked for, so the time-out names it truly.
    let choosing = false;
    const disarm = () => {
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
    };
    const arm = () => {
      if (timer !== null || stopped) return;
      timer = clock.setTimeout(() => {
        timer = null;
        this.say(choosing ? 'SHELL_NO_CHOICE' : 'SHELL_NO_STICK', { seconds });
        controller.abort(new Error(`no USB stick within ${seconds} s`));
      }, seconds * 1000);
    };
    const stopWatching = this.deps.watchDisplay((event) => {
      if (event.kind === 'progress' || event.prompt.id === 'STICK_USED') disarm();
      else if (WAITS_FOR_CASHIER.has(event.prompt.id)) {
        choosing = event.prompt.id === 'CHOOSE_STICK';
        arm();
      }
    });
    return () => {
      stopped = true;
      disarm();
      stopWatching();
    };
  }
}
