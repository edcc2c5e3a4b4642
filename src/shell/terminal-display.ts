import cliProgress from 'cli-progress';
import type { DisplayPort, LoggerPort, ProgressUpdate, ShownPrompt } from '../host/ports.js';
import { isCancelLine } from './key-parser.js';
import type { LineInput } from './line-input.js';
import { shellMessage } from './shell-messages.js';

/**
 * Plugin prompts after which the close waits for the cashier (no usable stick, or a choice between
 * sticks): each says how to cancel at this register, and `--wait-stick` counts while they stand.
 */
export const WAITS_FOR_CASHIER: ReadonlySet<string> = new Set(['INSERT_STICK', 'STICK_REMINDER', 'CHOOSE_STICK']);

/** The cashier cancelled a question (typed cancel) or input ended before an answer came. */
export class QuestionCancelledError extends Error {
  override name = 'QuestionCancelledError';
}

const YES = new Set(['y', 'yes', 'j', 'ja']);
const NO = new Set(['n', 'no', 'nein']);

/** y/n/yes/no/j/ja/nein in any case; null for anything else. */
export function parseYesNo(answer: string): boolean | null {
  const a = answer.trim().toLowerCase();
  if (YES.has(a)) return true;
  if (NO.has(a)) return false;
  return null;
}

export type DisplayActivity = { kind: 'prompt'; prompt: ShownPrompt } | { kind: 'progress'; update: ProgressUpdate };

/** Keeps a bar on one terminal line, whatever a plugin puts in its labels. */
function barLabel(label: string): string {
  return label.length > 64 ? `${label.slice(0, 63)}…` : label;
}

const SEVERITY_MARK = { info: ' ', success: '✔', warning: '!', error: '✖' } as const;

export interface TerminalDisplayOptions {
  out: NodeJS.WritableStream;
  input: LineInput;
  /** Scripted: every prompt as `[ID] text` on its own line, no progress bar. */
  scripted: boolean;
  language: 'en' | 'de';
  logger: LoggerPort;
}

/**
 * The register's screen and keypad as a terminal. Questions take the next
 * typed line, so the same code serves a cashier at a TTY and a script piping
 * commands and answers in.
 */
export class TerminalDisplay implements DisplayPort {
  private bar: cliProgress.SingleBar | null = null;
  private barId: string | null = null;
  /** The activity whose bar just reached 100 %: its repeated final updates draw no second bar. */
  private finishedId: string | null = null;
  private readonly watchers = new Set<(event: DisplayActivity) => void>();

  constructor(private readonly options: TerminalDisplayOptions) {}

  /** Lets the register react to what the plugin shows (e.g. count while a stick is asked for, stop once writing). */
  onActivity(watcher: (event: DisplayActivity) => void): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  show(prompt: ShownPrompt): void {
    for (const watch of this.watchers) watch({ kind: 'prompt', prompt });
    this.stopBar();
    this.finishedId = null;
    const { out, scripted } = this.options;
    const text = WAITS_FOR_CASHIER.has(prompt.id) ? `${prompt.text} ${this.cancelHint()}` : prompt.text;
    out.write(scripted ? `[${prompt.id}] ${text}\n` : `${SEVERITY_MARK[prompt.severity]} ${text}\n`);
  }

  /** Rejects with QuestionCancelledError on a typed cancel or at end of input: no answer is never taken as one. */
  async ask(question: ShownPrompt, signal: AbortSignal): Promise<boolean> {
    const hint = this.options.language === 'de' ? '(j/n)' : '(y/n)';
    this.show({ ...question, text: `${question.text} ${hint} ${this.cancelHint()}` });
    for (;;) {
      const line = await this.options.input.next(signal);
      if (line === null || isCancelLine(line)) {
        this.noAnswer(question, line === null);
        throw new QuestionCancelledError(line === null ? 'no answer before end of input' : 'cancelled by the cashier');
      }
      const answer = parseYesNo(line);
      if (answer !== null) {
        this.options.logger.info('question answered', { id: question.id, answer });
        return answer;
      }
      this.show(shellMessage('SHELL_ANSWER_YES_NO', this.options.language));
    }
  }

  async choose(
    question: ShownPrompt,
    options: readonly { value: string; label: string }[],
    signal: AbortSignal,
  ): Promise<string | null> {
    this.show(question);
    options.forEach((o, i) => {
      this.options.out.write(
        this.options.scripted ? `[${question.id}:${i + 1}] ${o.label}\n` : `    ${i + 1}) ${o.label}\n`,
      );
    });
    for (;;) {
      const line = await this.options.input.next(signal);
      if (line === null || isCancelLine(line)) {
        this.noAnswer(question, line === null);
        return null;
      }
      const typed = line.trim();
      const byNumber = /^\d+$/.test(typed) ? options[Number(typed) - 1] : undefined;
      const chosen = byNumber ?? options.find((o) => o.value === typed);
      if (chosen) return chosen.value;
      this.show(shellMessage('SHELL_CHOOSE_NUMBER', this.options.language));
    }
  }

  progress(update: ProgressUpdate): void {
    for (const watch of this.watchers) watch({ kind: 'progress', update });
    if (this.options.scripted) return;
    // Nothing to count (an empty day) draws no bar, and a finished bar is not drawn again by a repeated last update.
    if (update.total <= 0) return;
    if (update.done >= update.total && this.finishedId === update.id && this.barId !== update.id) return;
    this.finishedId = null;
    if (this.bar === null || this.barId !== update.id) {
      this.stopBar();
      this.bar = new cliProgress.SingleBar(
        {
          format: '  {label} [{bar}] {percentage}%',
          stream: this.options.out,
          hideCursor: false,
          clearOnComplete: false,
        },
        cliProgress.Presets.shades_classic,
      );
      this.barId = update.id;
      this.bar.start(update.total, update.done, { label: barLabel(update.label) });
    }
    this.bar.setTotal(update.total);
    this.bar.update(update.done, { label: barLabel(update.label) });
    if (update.done >= update.total) {
      this.stopBar();
      this.finishedId = update.id;
    }
  }

  private cancelHint(): string {
    return shellMessage('SHELL_CANCEL_HINT', this.options.language).text;
  }

  private noAnswer(question: ShownPrompt, endOfInput: boolean): void {
    if (endOfInput) this.show(shellMessage('SHELL_NO_ANSWER', this.options.language));
    this.options.logger.warn('question cancelled', { id: question.id, endOfInput });
  }

  clear(): void {
    this.stopBar();
  }

  private stopBar(): void {
    if (this.bar === null) return;
    this.bar.stop();
    this.bar = null;
    this.barId = null;
  }
}
