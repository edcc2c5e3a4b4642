import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { Writable } from 'node:stream';

/** Big enough that hashing and stream writes run once per many records, small enough to stay off the RSS. */
const BATCH_CHARS = 256 * 1024;

/**
 * One NDJSON entry as it is produced: counts records, hashes the exact bytes
 * and batches lines so the per-record cost is a string append. `add` is
 * synchronous and says when the batch wants flushing, because an awaited
 * call per record would cost a microtask each.
 */
export class NdjsonSink {
  records = 0;
  bytes = 0;
  private pending = '';
  private readonly hash = createHash('sha256');
  private digestHex: string | null = null;

  constructor(
    readonly name: string,
    readonly target: Writable,
    private readonly signal: AbortSignal,
  ) {}

  /** Appends one record's JSON; true means: await flush() now. */
  add(json: string): boolean {
    this.pending += json;
    this.pending += '\n';
    this.records++;
    return this.pending.length >= BATCH_CHARS;
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const chunk = Buffer.from(this.pending, 'utf8');
    this.pending = '';
    this.bytes += chunk.length;
    this.hash.update(chunk);
    if (!this.target.write(chunk)) await once(this.target, 'drain', { signal: this.signal });
  }

  /** Flushes, ends the target and waits until it has taken every byte. */
  async end(): Promise<void> {
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
