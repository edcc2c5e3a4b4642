import { type BusinessDay, businessDayOf } from '../host/business-day.js';
import type { DayCloseResult, PluginInstance } from '../host/plugin-api.js';
import type { ClockPort, DisplayPort, JournalPort, LoggerPort, RemovableMediaPort } from '../host/ports.js';
import { ClosingError, type RegisterClosings } from '../journal/register-closings.js';
import { parseKeyLine } from './key-parser.js';
import type { LineInput } from './line-input.js';
import type { DisplayActivity } from './terminal-display.js';
import { type ShellMessageId, shellMessage } from './shell-messages.js';

export interface RegisterShellDeps {
  plugin: PluginInstance;
  display: DisplayPort;
  /** Subscribes to every prompt and progress update the display shows; returns the unsubscribe function. */
  watchDisplay: (watcher: (event: DisplayActivity) => void) => () => void;
  input: LineInput;
  closings: RegisterClosings;
  journal: JournalPort;
  media: RemovableMediaPort;
  clock: ClockPort;
  logger: LoggerPort;
  language: 'en' | 'de';
  stickRoots: string[];
  waitStickSeconds: number | null;
  /** Called before waiting for the next command (a terminal shows its input prompt). */
  onIdle?: () => void;
}

/** Plugin prompts that mean it is waiting for a (usable) stick. */
const STICK_WANTED = new Set(['INSERT_STICK', 'STICK_REMINDER']);
/** Plugin prompts that mean it turned down the stick that is present, so a present stick no longer counts. */
const STICK_REFUSED = new Set([
  'STICK_READ_ONLY',
  'STICK_FULL',
  'STICK_FILE_LIMIT',
  'STICK_FOREIGN_REGISTER',
  'STICK_BLOCKED_NAME',
  'WRITE_FAILED',
]);

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
      this.say('SHELL_COMMAND_ERROR', { input: line.trim(), reason: (err as Error).message });
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
      case 'unknown':
        this.say('SHELL_UNKNOWN_KEY', { input: key.input });
        return false;
      case 'bad-date':
        this.say('SHELL_BAD_DATE', { problem: key.problem });
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

  private async status(): Promise<boolean> {
    const last = this.deps.closings.last();
    const sticks = await this.deps.media.list().catch((err: unknown) => {
      this.deps.logger.warn('listing sticks failed', { error: String(err) });
      return [];
    });
    const openDay = this.deps.closings.openDay(this.today());
    this.say('SHELL_STATUS', {
      openDay: openDay ?? '-',
      lastClosing: last ? `${last.businessDay} (Z ${last.zNumber})` : '-',
      sticks: sticks.length > 0 ? sticks.map((s) => `${s.label} (${s.mountPath})`).join(', ') : '-',
    });
    if (openDay === null) this.sayNoOpenDay();
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
    if (day === null) {
      this.sayNoOpenDay();
      return false;
    }
    let zNumber: number;
    try {
      zNumber = this.deps.closings.record(day, today, new Date(this.deps.clock.now()).toISOString()).zNumber;
    } catch (err) {
      if (!(err instanceof ClosingError)) throw err;
      this.say('SHELL_CLOSE_REFUSED', { reason: err.message });
      return false;
    }
    const { receipts } = await this.deps.journal.summary(day);
    this.say('SHELL_CLOSING', { day, zNumber, receipts });

    const controller = new AbortController();
    this.runningClose = controller;
    const stopWatch = this.watchForMissingStick(controller);
    let result: DayCloseResult;
    try {
      result = await this.deps.plugin.onDayClose({ businessDay: day, closingNumber: zNumber }, controller.signal);
    } finally {
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
   * `--wait-stick`: once the close has waited that long for a stick, aborts
   * it through the signal the plugin was given, as a cashier pressing cancel
   * would. Counting starts when no stick is present, or when the plugin asks
   * for one after refusing the stick that is there (full, write-protected),
   * and stops when a stick is inserted or the plugin starts writing.
   */
  private watchForMissingStick(controller: AbortController): () => void {
    const seconds = this.deps.waitStickSeconds;
    if (seconds === null) return () => undefined;
    const { media, clock } = this.deps;
    let timer: unknown = null;
    let stopped = false;
    // Bumped on every insertion, so a stick list that was read before a stick arrived cannot arm the timer.
    let insertions = 0;
    let refused = false;
    const disarm = () => {
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
    };
    const arm = () => {
      if (timer !== null || stopped) return;
      timer = clock.setTimeout(() => {
        timer = null;
        this.say('SHELL_NO_STICK', { seconds });
        controller.abort(new Error(`no USB stick within ${seconds} s`));
      }, seconds * 1000);
    };
    const armIfNone = () => {
      const seen = insertions;
      return media.list().then(
        (sticks) => {
          if (sticks.length === 0 && seen === insertions) arm();
        },
        (err: unknown) => {
          this.deps.logger.warn('listing sticks failed; counting as none', { error: String(err) });
          arm();
        },
      );
    };
    const onInserted = () => {
      insertions++;
      refused = false;
      disarm();
    };
    const subs = [media.onInserted(onInserted), media.onRemoved(() => void armIfNone())];
    const stopWatching = this.deps.watchDisplay((event) => {
      if (event.kind === 'progress') disarm();
      else if (STICK_REFUSED.has(event.prompt.id)) refused = true;
      else if (STICK_WANTED.has(event.prompt.id)) {
        if (refused) arm();
        else void armIfNone();
      }
    });
    void armIfNone();
    return () => {
      stopped = true;
      disarm();
      for (const s of subs) s.dispose();
      stopWatching();
    };
  }
}
