import type { DeflatedEntry, DeflatingEntry } from './entry-deflater.js';
import { type RowBuffer, rowBuffer } from './row-bytes.js';

/** Big enough that a batch crosses to the worker once per many records, small enough to stay off the RSS. */
const BATCH_BYTES = 256 * 1024;

/**
 * One NDJSON entry as it is produced: counts records and collects rows in
 * batch buffers. Rows are written into the batch in place (reserve, write
 * with row-bytes.ts, commit) or, for quarantined records, encoded from a
 * JSON string (`add`). Full batches are transferred to the deflate worker,
 * which hashes and compresses them off this thread. `add` and `commit` are
 * synchronous and say when a batch wants flushing, because an awaited call
 * per record would cost a microtask each.
 */
export class NdjsonSink {
  records = 0;
  bytes = 0;
  private batch: RowBuffer = rowBuffer(Buffer.allocUnsafe(BATCH_BYTES));
  private used = 0;
  /** Batches filled by add() or commit() that wait for flush(); a handed-over buffer belongs to the worker. */
  private readonly full: Buffer[] = [];

  constructor(
    readonly target: DeflatingEntry,
    private readonly signal: AbortSignal,
  ) {}

  get name(): string {
    return this.target.name;
  }

  /** Appends one record's JSON; true means: await flush() now. */
  add(json: string): boolean {
    // A UTF-16 code unit never takes more than 3 UTF-8 bytes, so this bound guarantees write() takes the whole string.
    const batch = this.reserve(json.length * 3 + 1);
    return this.commit(this.used + batch.bytes.write(json, this.used));
  }

  /**
   * Room for one row of at most `maxBytes` bytes (its newline included):
   * the caller writes the row into the returned buffer from `position`,
   * then calls commit() with where it ended.
   */
  reserve(maxBytes: number): RowBuffer {
    if (this.used + maxBytes > this.batch.bytes.length) {
      if (this.used > 0) this.full.push(this.batch.bytes.subarray(0, this.used));
      this.batch = rowBuffer(Buffer.allocUnsafe(Math.max(BATCH_BYTES, maxBytes)));
      this.used = 0;
    }
    return this.batch;
  }

  get position(): number {
    return this.used;
  }

  /** Ends the row written up to `end` with its newline; true means: await flush() now. */
  commit(end: number): boolean {
    this.batch.bytes[end] = 0x0a;
    this.used = end + 1;
    this.records++;
    return this.full.length > 0;
  }

  /** Hands the filled batches over; the one still being filled waits for more lines or for end(). */
  async flush(): Promise<void> {
    while (this.full.length > 0) {
      const chunk = this.full.shift() as Buffer;
      this.bytes += chunk.length;
      // A batch owns its ArrayBuffer (Node pools only buffers under 4 KiB), so it can be transferred whole.
      const owned =
        chunk.byteOffset === 0 && chunk.buffer.byteLength >= BATCH_BYTES
          ? (chunk.buffer as ArrayBuffer)
          : (chunk.buffer.slice(chunk.byteOffset, chunk.byteOffset + chunk.length) as ArrayBuffer);
      await this.target.write(owned, chunk.length, this.signal);
    }
  }

  /** Flushes and resolves with the entry once the worker has every byte compressed in its spool file. */
  async end(): Promise<DeflatedEntry> {
    if (this.used > 0) {
      this.full.push(this.batch.bytes.subarray(0, this.used));
      this.used = 0;
    }
    await this.flush();
    this.signal.throwIfAborted();
    const entry = await this.target.end();
    if (entry.bytes !== this.bytes) {
      throw new Error(`entry ${this.name}: the worker took ${entry.bytes} bytes, the writer gave ${this.bytes}`);
    }
    return entry;
  }
}
