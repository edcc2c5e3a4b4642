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

/**
 * Turns synchronous SQLite iterators into one cancellable async stream.
 * Statements are opened only when the consumer starts reading, and `finally`
 * returns every iterator, so a consumer that stops early (break, abort,
 * throw) releases its statements and the connection is free again.
 */
export async function* streamRows<T>(open: () => OpenedRows<T>, signal?: AbortSignal): AsyncGenerator<T> {
  signal?.throwIfAborted();
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
