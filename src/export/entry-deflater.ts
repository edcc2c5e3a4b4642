import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { ExportError } from './export-contract.js';

/** What the worker reports for a finished entry: the facts the manifest and the zip's headers need. */
export interface DeflatedEntry {
  name: string;
  /** Compressed bytes (raw deflate), ready to be the entry's data in the zip. */
  spoolPath: string;
  /** Uncompressed size, SHA-256 and CRC-32 of the NDJSON bytes. */
  bytes: number;
  sha256: string;
  crc32: number;
  compressedBytes: number;
  /** Lets the zip writer prove the spool did not change between deflating and packing. */
  compressedSha256: string;
}

/** Batches handed to the worker and not yet compressed; 8 x 256 KiB keeps memory flat and the worker busy. */
const MAX_IN_FLIGHT = 8;

type WorkerReply =
  | { op: 'taken'; id: number }
  | ({ op: 'done'; id: number } & Omit<DeflatedEntry, 'name' | 'spoolPath'>)
  | { op: 'failed'; id: number; message: string; code?: string };

/**
 * The main thread's side of entry-deflate-worker.js: one worker per package,
 * any number of entries open at once. The main thread only fills batches and
 * transfers them (no copy); hashing, CRC and deflate run on the worker
 * while the journal keeps streaming.
 */
/** How long a closing worker may take to finish the batch in hand before it is terminated. */
const CLOSE_GRACE_MS = 5_000;

export class EntryDeflater {
  private readonly worker: Worker;
  private readonly open = new Map<number, DeflatingEntry>();
  private nextId = 0;
  private failure: ExportError | null = null;
  private closing: Promise<void> | null = null;

  constructor(private readonly level: number) {
    this.worker = new Worker(new URL('./entry-deflate-worker.js', import.meta.url));
    this.worker.on('message', (m: WorkerReply) => this.onReply(m));
    this.worker.on('error', (err) => this.failAll(spoolError(err.message, (err as NodeJS.ErrnoException).code)));
    this.worker.on('exit', (code) => this.failAll(spoolError(`the deflate worker stopped (exit code ${code})`)));
  }

  /** Starts an entry whose compressed bytes go to `spoolPath`. */
  entry(name: string, spoolPath: string): DeflatingEntry {
    if (this.failure) throw this.failure;
    const id = this.nextId++;
    const entry = new DeflatingEntry(name, spoolPath, id, this.worker);
    this.open.set(id, entry);
    this.worker.postMessage({ op: 'open', id, path: spoolPath, level: this.level });
    return entry;
  }

  /** Stops the worker; entries still open fail. Safe to call more than once. */
  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    this.failAll(new ExportError('aborted', 'writing the day package was cancelled'));
    if (this.closing) return this.closing;
    // Already gone (it failed, or its exit was seen): nothing to wait for.
    if (this.worker.threadId === -1) return;
    // The worker ends itself after the message it is working on (entry-deflate-worker.js says why not
    // terminate()); terminate only if it has not gone within the grace time, e.g. a stuck write.
    this.closing = (async () => {
      const exited = once(this.worker, 'exit', { signal: AbortSignal.timeout(CLOSE_GRACE_MS) }).then(
        () => true,
        () => false,
      );
      this.worker.postMessage({ op: 'close' });
      if (!(await exited)) await this.worker.terminate();
    })();
    return this.closing;
  }

  private onReply(m: WorkerReply): void {
    const entry = this.open.get(m.id);
    if (!entry) return;
    if (m.op === 'taken') entry.taken();
    else if (m.op === 'done') {
      this.open.delete(m.id);
      entry.finished(m);
    } else {
      this.open.delete(m.id);
      entry.failed(spoolError(m.message, m.code));
    }
  }

  private failAll(err: ExportError): void {
    if (!this.failure) this.failure = err;
    for (const entry of this.open.values()) entry.failed(err);
    this.open.clear();
  }
}

function spoolError(message: string, code?: string): ExportError {
  return new ExportError('write-error', `local spool file failed: ${message}`, code);
}

/** One entry on its way through the worker. */
export class DeflatingEntry {
  private inFlight = 0;
  private ended = false;
  private error: ExportError | null = null;
  private wake: (() => void) | null = null;
  private resolveDone!: (entry: DeflatedEntry) => void;
  private rejectDone!: (err: ExportError) => void;
  private readonly done: Promise<DeflatedEntry>;

  constructor(
    readonly name: string,
    readonly spoolPath: string,
    private readonly id: number,
    private readonly worker: Worker,
  ) {
    this.done = new Promise((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    // Nobody may be waiting when the worker fails; the rejection is still delivered by end().
    this.done.catch(() => undefined);
  }

  /**
   * Hands the first `length` bytes of `buffer` to the worker. The buffer is
   * transferred, not copied: the caller gives it up and must not touch it
   * (or any view on it) again. Resolves at once unless too many batches are
   * waiting for the worker, then when there is room again.
   */
  async write(buffer: ArrayBuffer, length: number, signal: AbortSignal): Promise<void> {
    if (this.error) throw this.error;
    if (this.ended) throw new Error(`entry ${this.name} was written after its end`);
    signal.throwIfAborted();
    this.inFlight++;
    this.worker.postMessage({ op: 'data', id: this.id, buffer, length }, [buffer]);
    while (this.inFlight > MAX_IN_FLIGHT && !this.error) {
      signal.throwIfAborted();
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => reject(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        this.wake = () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
      });
    }
    if (this.error) throw this.error;
  }

  /** Ends the entry and resolves once its compressed bytes are complete in the spool file. */
  end(): Promise<DeflatedEntry> {
    if (!this.ended && !this.error) {
      this.ended = true;
      this.worker.postMessage({ op: 'end', id: this.id });
    }
    return this.done;
  }

  /** @internal called by EntryDeflater */
  taken(): void {
    this.inFlight--;
    this.wakeWriter();
  }

  /** @internal */
  finished(result: Omit<DeflatedEntry, 'name' | 'spoolPath'>): void {
    this.resolveDone({
      name: this.name,
      spoolPath: this.spoolPath,
      bytes: result.bytes,
      sha256: result.sha256,
      crc32: result.crc32,
      compressedBytes: result.compressedBytes,
      compressedSha256: result.compressedSha256,
    });
  }

  /** @internal */
  failed(err: ExportError): void {
    if (this.error) return;
    this.error = err;
    this.rejectDone(err);
    this.wakeWriter();
  }

  private wakeWriter(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}
