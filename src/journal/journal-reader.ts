import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';

/** A batch as journal-read-worker.js posts it: the records' JSON one after another, the exactly read ones beside it. */
export interface RowBatch {
  /** UTF-8. */
  json: Buffer;
  /** Where each record's JSON ends in `json`. */
  ends: Int32Array;
  /** [index in the array, raw rows...]: rows with text as bytes, integers as bigints, storage classes last. */
  exact: [number, ...unknown[]][];
}

type Reply =
  | { op: 'rows'; id: number; bytes: ArrayBuffer; ends: Int32Array; exact: RowBatch['exact'] }
  | { op: 'end'; id: number }
  | { op: 'failed'; id: number; message: string; code: string | null };

/** A worker with no stream open stops after this long (the next stream of a close opens at once), so an idle register holds no second connection. */
const IDLE_MS = 250;

/**
 * The main thread's side of journal-read-worker.js: one worker (and one
 * read-only connection of its own) per journal file, started with the first
 * stream, any number of streams at once. The worker reads a few batches
 * ahead; each batch taken lets it read one more, so memory stays flat for
 * any day size.
 */
export class JournalReader {
  private worker: Worker | null = null;
  private readonly streams = new Map<number, BatchStream>();
  private nextId = 0;
  private idle: NodeJS.Timeout | null = null;

  constructor(private readonly path: string) {}

  open(stream: 'receipts' | 'stock-postings', day: string): BatchStream {
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    const worker = this.started();
    const id = this.nextId++;
    const batches = new BatchStream(
      (op, bytes) => worker.postMessage({ op, id, bytes }, bytes ? [bytes] : []),
      () => {
        this.streams.delete(id);
        if (this.streams.size === 0) this.stopWhenIdle();
      },
    );
    this.streams.set(id, batches);
    worker.postMessage({ op: 'open', id, stream, day });
    return batches;
  }

  /** Stops the worker; open streams fail. Safe to call more than once. */
  async close(): Promise<void> {
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    const worker = this.worker;
    this.worker = null;
    if (!worker) return;
    worker.removeAllListeners();
    this.failAll(new Error('the journal reader was closed'));
    await worker.terminate();
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./journal-read-worker.js', import.meta.url), {
      workerData: { path: this.path },
    });
    // The worker does not keep the process alive; a shell that ends stops it with the process.
    worker.unref();
    worker.on('message', (m: Reply) => this.streams.get(m.id)?.receive(m));
    worker.on('error', (err) => this.failAll(err));
    worker.on('exit', (code) => {
      if (this.worker === worker) this.worker = null;
      this.failAll(new Error(`the journal reading thread stopped (exit code ${code})`));
    });
    this.worker = worker;
    return worker;
  }

  private stopWhenIdle(): void {
    if (this.idle || !this.worker) return;
    this.idle = setTimeout(() => {
      this.idle = null;
      if (this.streams.size === 0) void this.close();
    }, IDLE_MS);
    this.idle.unref();
  }

  private failAll(err: Error): void {
    const code = (err as { code?: unknown }).code;
    for (const s of [...this.streams.values()]) {
      s.receive({ op: 'failed', id: -1, message: err.message, code: typeof code === 'string' ? code : null });
    }
  }
}

/** One stream's batches as they arrive: taken in order, each taken batch asks the worker for one more. */
export class BatchStream {
  private readonly queue: (RowBatch | null | Error)[] = [];
  private waiting: ((item: RowBatch | null | Error) => void) | null = null;
  private finished = false;
  /** The batch handed out last: the caller asks for the next one only once it is done with it. */
  private current: RowBatch | null = null;

  constructor(
    private readonly send: (op: 'more' | 'close', bytes?: ArrayBuffer) => void,
    private readonly onDone: () => void,
  ) {}

  receive(m: Reply): void {
    if (this.finished) return;
    let item: RowBatch | null | Error;
    if (m.op === 'rows') item = { json: Buffer.from(m.bytes), ends: m.ends, exact: m.exact };
    else if (m.op === 'end') item = null;
    else item = m.code ? new Database.SqliteError(m.message, m.code) : new Error(m.message);
    if (item === null || item instanceof Error) this.settle();
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve(item);
    } else {
      this.queue.push(item);
    }
  }

  /** The next batch, or null at the end; the journal's error as the worker met it. The last batch is done with. */
  async next(signal?: AbortSignal): Promise<RowBatch | null> {
    const done = this.current;
    this.current = null;
    if (done && !this.finished) this.send('more', done.json.buffer as ArrayBuffer);
    let item = this.queue.shift();
    if (item === undefined) {
      if (this.finished) return null;
      item = await new Promise<RowBatch | null | Error>((resolve, reject) => {
        const onAbort = () => {
          this.waiting = null;
          reject(signal?.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        this.waiting = (value) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(value);
        };
      });
    }
    if (item instanceof Error) throw item;
    this.current = item;
    return item;
  }

  /** Stops the stream; the worker releases its statements. */
  close(): void {
    if (!this.finished) this.send('close');
    this.settle();
  }

  private settle(): void {
    if (this.finished) return;
    this.finished = true;
    this.onDone();
  }
}
