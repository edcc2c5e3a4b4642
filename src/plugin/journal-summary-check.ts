import type { BusinessDay } from '../host/business-day.js';
import type { DaySummary, JournalPort, LoggerPort, TimeRecordingPort } from '../host/ports.js';

/** The stable name of the log warning; a vendor's monitoring can match it. */
export const JOURNAL_SUMMARY_MISMATCH = 'JOURNAL_SUMMARY_MISMATCH';
export const TIME_RECORD_COUNT_MISMATCH = 'TIME_RECORD_COUNT_MISMATCH';

/** Days whose last summary is kept; a close reads a handful, a long-running register must not grow without end. */
const KEPT_SUMMARIES = 64;

type Counts = Record<string, number>;

/**
 * The host's journal with a check on its own word: the plugin plans, sizes and
 * records each day by `summary()` (and `count()`), and a later close looks for
 * days left behind by those counts. A summary that disagrees with the rows
 * the same port streams would make that bookkeeping wrong without a sound, so
 * every complete stream of a summarised day is counted and a difference is
 * logged as a named warning with both sides. The rows themselves travel as
 * streamed: the stream, not the summary, is what the package holds.
 */
export function checkedJournal(journal: JournalPort, logger: LoggerPort): JournalPort {
  const summaries = new Recent<DaySummary>();
  const compare = (day: BusinessDay, stream: string, streamed: Counts) => {
    const summary = summaries.get(day);
    if (summary) warnIfDiffering(logger, JOURNAL_SUMMARY_MISMATCH, { day, stream, expected: summary, streamed });
  };
  const checked: JournalPort = {
    firstBusinessDay: () => journal.firstBusinessDay(),
    summary: async (day) => {
      const summary = await journal.summary(day);
      summaries.set(day, { ...summary });
      return summary;
    },
    receipts: (day, signal) =>
      counted(
        journal.receipts(day, signal),
        signal,
        () => ({ receipts: 0, receiptLines: 0, payments: 0 }),
        (record, c) => {
          c.receipts!++;
          const r = record as { lines?: unknown; payments?: unknown } | null;
          if (Array.isArray(r?.lines)) c.receiptLines! += r.lines.length;
          if (Array.isArray(r?.payments)) c.payments! += r.payments.length;
        },
        (c) => compare(day, 'receipts', c),
      ),
    stockPostings: (day, signal) =>
      counted(
        journal.stockPostings(day, signal),
        signal,
        () => ({ stockPostings: 0 }),
        (_record, c) => {
          c.stockPostings!++;
        },
        (c) => compare(day, 'stock-postings', c),
      ),
  };
  if (journal.bookedDays) checked.bookedDays = () => journal.bookedDays!();
  if (journal.closingNumber) checked.closingNumber = (day) => journal.closingNumber!(day);
  if (journal.tseModules) checked.tseModules = (day) => journal.tseModules!(day);
  return checked;
}

/** The same check for the time-recording port: `count()` against the records it streams. */
export function checkedTimeRecording(port: TimeRecordingPort, logger: LoggerPort): TimeRecordingPort {
  const counts = new Recent<number>();
  return {
    count: async (day) => {
      const n = await port.count(day);
      counts.set(day, n);
      return n;
    },
    records: (day, signal) =>
      counted(
        port.records(day, signal),
        signal,
        () => ({ timeRecords: 0 }),
        (_record, c) => {
          c.timeRecords!++;
        },
        (c) => {
          const n = counts.get(day);
          if (n !== undefined) {
            warnIfDiffering(logger, TIME_RECORD_COUNT_MISMATCH, {
              day,
              stream: 'time-records',
              expected: { timeRecords: n },
              streamed: c,
            });
          }
        },
      ),
  };
}

function warnIfDiffering(
  logger: LoggerPort,
  name: string,
  at: { day: BusinessDay; stream: string; expected: object; streamed: Counts },
): void {
  const expected = at.expected as Counts;
  const fields = Object.keys(at.streamed).filter((k) => expected[k] !== at.streamed[k]);
  if (fields.length === 0) return;
  const said = Object.fromEntries(fields.map((k) => [k, expected[k]]));
  const streamed = Object.fromEntries(fields.map((k) => [k, at.streamed[k]]));
  logger.warn(
    `${name}: the journal's counts of business day ${at.day} disagree with the ${at.stream} it streamed ` +
      `(${fields.map((k) => `${k} ${expected[k]} counted, ${at.streamed[k]} streamed`).join('; ')}); ` +
      'the package carries the streamed rows, and finding days left behind relies on the counts',
    { warning: name, day: at.day, stream: at.stream, fields, counted: said, streamed },
  );
}

/**
 * Passes the source through untouched and counts what it yields; `done` runs
 * only for a stream read to its end, not for one the consumer stopped or the
 * signal cut short, whose counts mean nothing.
 */
function counted(
  source: AsyncIterable<unknown>,
  signal: AbortSignal | undefined,
  start: () => Counts,
  tally: (record: unknown, counts: Counts) => void,
  done: (counts: Counts) => void,
): AsyncIterable<unknown> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<unknown> {
      const it = source[Symbol.asyncIterator]();
      const counts = start();
      const iterator: AsyncIterator<unknown> = {
        next: () =>
          it.next().then((step) => {
            if (!step.done) tally(step.value, counts);
            else if (!signal?.aborted) done(counts);
            return step;
          }),
      };
      if (it.return) iterator.return = (value?: unknown) => it.return!(value);
      if (it.throw) iterator.throw = (error?: unknown) => it.throw!(error);
      return iterator;
    },
  };
}

class Recent<T> {
  private readonly byDay = new Map<string, T>();
  get(day: string): T | undefined {
    return this.byDay.get(day);
  }
  set(day: string, value: T): void {
    this.byDay.delete(day);
    this.byDay.set(day, value);
    if (this.byDay.size > KEPT_SUMMARIES) this.byDay.delete(this.byDay.keys().next().value!);
  }
}
