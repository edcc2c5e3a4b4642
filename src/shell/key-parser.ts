import { businessDayProblem } from '../host/business-day.js';

/** What one typed line asks the register to do. */
export type ShellKey =
  | { kind: 'empty' }
  | { kind: 'close'; day: string | null }
  | { kind: 'digits'; digits: string }
  | { kind: 'plugin-command'; key: string; digits: string }
  | { kind: 'status' }
  | { kind: 'help' }
  | { kind: 'quit' }
  | { kind: 'cancel' }
  | { kind: 'bad-date'; input: string; problem: DateProblem }
  | { kind: 'unknown'; input: string };

/** Why a typed date was refused; the shell says it in the cashier's language. */
export type DateProblem = 'wrong-length' | 'not-digits' | 'impossible-date' | 'unqueue-needs-day';

function dateProblem(input: string): DateProblem | null {
  return businessDayProblem(input);
}

/**
 * Reads a line the way a register keypad works: digits first, then a
 * function key (`20120123 reports`), or the digits on one line and the key on
 * the next. `pendingDigits` are the digits of such a previous line. The
 * REPORTS date is passed to the plugin as typed: judging it is the plugin's job.
 */
export function parseKeyLine(line: string, pendingDigits: string | null): ShellKey {
  const words = line.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return { kind: 'empty' };
  const lower = words.map((w) => w.toLowerCase());
  const [first, second] = lower;

  if (words.length === 1 && /^\d+$/.test(words[0]!)) return { kind: 'digits', digits: words[0]! };

  if (words.length === 2 && second === 'reports') return { kind: 'plugin-command', key: 'REPORTS', digits: words[0]! };
  if (words.length === 2 && second === 'unqueue') return unqueue(words[0]!);

  switch (first) {
    case 'close': {
      if (words.length === 1) return { kind: 'close', day: null };
      if (words.length > 2) break;
      const problem = dateProblem(words[1]!);
      return problem ? { kind: 'bad-date', input: words[1]!, problem } : { kind: 'close', day: words[1]! };
    }
    case 'reports':
      if (words.length === 1) return { kind: 'plugin-command', key: 'REPORTS', digits: pendingDigits ?? '' };
      if (words.length === 2) return { kind: 'plugin-command', key: 'REPORTS', digits: words[1]! };
      break;
    case 'queue':
      if (words.length === 1) return { kind: 'plugin-command', key: 'DAYSTICK_QUEUE', digits: '' };
      break;
    case 'unqueue':
      if (words.length === 1) {
        return pendingDigits === null
          ? { kind: 'bad-date', input: '', problem: 'unqueue-needs-day' }
          : unqueue(pendingDigits);
      }
      if (words.length === 2) return unqueue(words[1]!);
      break;
    case 'status':
      if (words.length === 1) return { kind: 'status' };
      break;
    case 'help':
    case '?':
      return { kind: 'help' };
    case 'cancel':
    case 'abbrechen':
      if (words.length === 1) return { kind: 'cancel' };
      break;
    case 'quit':
    case 'exit':
      if (words.length === 1) return { kind: 'quit' };
      break;
  }
  return { kind: 'unknown', input: line.trim() };
}

function unqueue(day: string): ShellKey {
  const problem = dateProblem(day);
  return problem
    ? { kind: 'bad-date', input: day, problem }
    : { kind: 'plugin-command', key: 'DAYSTICK_UNQUEUE', digits: day };
}

/** The typed cancel key (`cancel`, German `abbrechen`): stops a running close or answers no question. */
export function isCancelLine(line: string): boolean {
  return parseKeyLine(line, null).kind === 'cancel';
}
