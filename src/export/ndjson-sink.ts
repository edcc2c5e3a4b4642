import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { Writable } from 'node:stream';

/** Big enough that hashing and stream writes run once per many records, small enough to stay off the RSS. */
const BATCH_BYTES = 256 * 1024;

/**
 * One NDJSON entry as it is produced: counts records, hashes the exact bytes
 * and batches lines so the per-record cost is one UTF-8 encode into a
 * buffer. Encoding each line straight into the batch buffer spares the
 * rope of `+=` appends that V8 would have to flatten before encoding it.
 * `add` is synchronous and says when the batch wants flushing, because an
 * awaited call per record would cost a microtask each.
 */
export class NdjsonSink {
  records = 0;
  bytes = 0;
  private batch = Buffer.allocUnsafe(BATCH_BYTES);
  private used = 0;
  /** Batches filled by `add` that are waiting for `flush`; a written buffer is never reused. */
  private readonly full: Buffer[] = [];
  private readonly hash = createHash('sha256');
  private digestHex: string | null = null;

  constructor(
    readonly name: string,
    readonly target: Writable,
    private readonly signal: AbortSignal,
  ) {}

  /** Appends one record's JSON; true means: await flush() now. */
  add(json: string): boolean {
    // A UTF-16 code unit never takes more than 3 UTF-8 bytes, so this bound guarantees write() takes the whole string.
    const room = json.length * 3 + 1;
    if (this.used + room > this.batch.length) {
      if (this.used > 0) this.full.push(this.batch.subarray(0, this.used));
      this.batch = Buffer.allocUnsafe(Math.max(BATCH_BYTES, room));
      this.used = 0;
    }
    this.used += this.batch.write(json, this.used);
    this.batch[this.used++] = 0x0a;
    this.records++;
    return this.full.length > 0;
  }

  /** Writes the filled batches; the one still being filled waits for more lines or for end(). */
  async flush(): Promise<void> {
    while (this.full.length > 0) {
      const chunk = this.full.shift() as Buffer;
      this.bytes += chunk.length;
      this.hash.update(chunk);
      if (!this.target.write(chunk)) await once(this.target, 'drain', { signal: this.signal });
    }
  }

  /** Flushes, ends the target and waits until it has taken every byte. */
  async end(): Promise<void> {
    if (this.used > 0) {
      this.full.push(this.batch.subarray(0, this.used));
      this.used = 0;
    }
    await this.flush();
    this.signal.throwIfAborted();
    const finished = once(this.target, 'finish', { signal: this.signal });
    this.target.end();
    await finished;
  }

  get sha256(): string {
    if (this.digestHex === null) this.digestHex = this.hash.digest('hex');
    return this.digestHex;
  }
}
