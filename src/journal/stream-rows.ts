import { setImmediate as yieldToEventLoop } from 'node:timers/promises';

/**
 * How many rows a stream hands out before it lets timers and I/O run. A
 * statement's `.iterate()` is synchronous, so without this a large day would
 * hold the event loop and the plugin could not notice a pulled stick.
 */
const ROWS_PER_TURN = 256;

/** Statement iterators opened for one stream and the function that builds its next record from them. */
export interface OpenedRows<T> {
  iterators: Iterator<unknown>[];
  produce: () => T | undefined;
}

/** Told once a stream ends: records handed out, milliseconds spent producing them, whether it ran to the end. */
export type StreamReport = (records: number, readMs: number, complete: boolean) => void;

/**
 * Turns synchronous SQLite iterators into one cancellable async stream.
 * Statements are opened only when the consumer starts reading, and `finally`
 * returns every iterator, so a consumer that stops early (break, abort,
 * throw) releases its statements and the connection is free again.
 *
 * Each record is produced only when the consumer asks for it: read ahead in
 * batches, records live long enough to be promoted out of V8's young
 * generation, which costs more CPU and memory than it saves.
 */
export async function* streamRows<T>(
  open: () => OpenedRows<T>,
  signal?: AbortSignal,
  report?: StreamReport,
): AsyncGenerator<T> {
  signal?.throwIfAborted();
  if (report) {
    yield* timedRows(open, report, signal);
    return;
  }
  const { iterators, produce } = open();
  try {
    let sinceYield = 0;
    for (;;) {
      signal?.throwIfAborted();
      const item = produce();
      if (item === undefined) return;
      yield item;
      if (++sinceYield >= ROWS_PER_TURN) {
        sinceYield = 0;
        await yieldToEventLoop();
      }
    }
  } finally {
    for (const it of iterators) it.return?.();
  }
}

/** streamRows with the clock read around every record it produces (a few percent slower, so only when asked). */
async function* timedRows<T>(open: () => OpenedRows<T>, report: StreamReport, signal?: AbortSignal): AsyncGenerator<T> {
  let records = 0;
  let complete = false;
  let from = performance.now();
  const { iterators, produce } = open();
  let readMs = performance.now() - from;
  try {
    let sinceYield = 0;
    for (;;) {
      signal?.throwIfAborted();
      from = performance.now();
      const item = produce();
      readMs += performance.now() - from;
      if (item === undefined) {
        complete = true;
        return;
      }
      records++;
      yield item;
      if (++sinceYield >= ROWS_PER_TURN) {
        sinceYield = 0;
        await yieldToEventLoop();
      }
    }
  } finally {
    for (const it of iterators) it.return?.();
    report(records, readMs, complete);
  }
}

/** Batches of records as a reading thread delivers them (journal-reader.ts). */
export interface Batches<B> {
  next(signal?: AbortSignal): Promise<B | null>;
  close(): void;
}

/**
 * The records of batches read elsewhere as one cancellable async stream,
 * reported like streamRows: the time counted as reading is the time spent
 * waiting for a batch and turning it into records.
 */
export async function* batchedRows<B, T>(
  open: () => Batches<B>,
  toRecords: (batch: B) => { length: number; at: (index: number) => T },
  signal?: AbortSignal,
  report?: StreamReport,
): AsyncGenerator<T> {
  signal?.throwIfAborted();
  let records = 0;
  let readMs = 0;
  let complete = false;
  const batches = open();
  try {
    let sinceYield = 0;
    for (;;) {
      const from = performance.now();
      const batch = await batches.next(signal);
      if (batch === null) {
        readMs += performance.now() - from;
        complete = true;
        return;
      }
      const list = toRecords(batch);
      readMs += performance.now() - from;
      for (let i = 0; i < list.length; i++) {
        signal?.throwIfAborted();
        // Built only when asked for, as streamRows does: a batch's records built at once would outlive
        // V8's young generation, and the old one grows by tens of MiB before it is collected.
        const started = performance.now();
        const item = list.at(i);
        readMs += performance.now() - started;
        records++;
        yield item;
        if (++sinceYield >= ROWS_PER_TURN) {
          sinceYield = 0;
          await yieldToEventLoop();
        }
      }
    }
  } finally {
    batches.close();
    report?.(records, readMs, complete);
  }
}

/** A one-row lookahead over a statement iterator, for merge-joining ordered streams. */
export class PeekableRows<Row> {
  private head: IteratorResult<Row> | null = null;

  constructor(readonly iterator: Iterator<Row>) {}

  peek(): Row | undefined {
    if (this.head === null) this.head = this.iterator.next();
    return this.head.done ? undefined : this.head.value;
  }

  take(): Row | undefined {
    const row = this.peek();
    this.head = null;
    return row;
  }
}
