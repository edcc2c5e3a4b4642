import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { type CentralQueries, CentralStoreError, type SqlValue } from './central-store.js';
import { applyMigrations } from './migrate.js';
import { QueuedCentralStore, insertSql } from './queued-central-store.js';

type Request =
  | { op: 'all' | 'run'; sql: string; params: readonly SqlValue[] }
  | { op: 'insertMany'; sql: string; rows: readonly SqlValue[][] }
  | { op: 'exec' | 'pragma'; sql: string }
  | { op: 'rollback' | 'close' };

type Reply =
  | { op: 'opened' }
  | { op: 'open-failed'; message: string }
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; message: string; code: string | null; name: string };

/** How long a closing thread may take to finish its statement before it is terminated. */
const CLOSE_GRACE_MS = 10_000;

/**
 * The main thread's side of sqlite-central-worker.js: the connection lives
 * on a thread of its own and every statement is a message there and back.
 * Requests are answered in order. The thread keeps the process alive only
 * while a request is outstanding, as a synchronous connection did, so a
 * store left unclosed does not hold a finished program open.
 */
class WorkerConnection {
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private gone: Error | null = null;
  /** Closing keeps the thread referenced until it has exited: the program's exit code is set only after close resolves. */
  private closing = false;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (m: Reply) => {
      if (!('id' in m)) return;
      const waiting = this.pending.get(m.id);
      if (!waiting) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0 && !this.closing) worker.unref();
      if (m.ok) waiting.resolve(m.value);
      else waiting.reject(m.code ? Object.assign(new Database.SqliteError(m.message, m.code), { name: m.name }) : Object.assign(new Error(m.message), { name: m.name }));
    });
    worker.on('error', (err) => this.failAll(err));
    worker.on('exit', (code) => this.failAll(new Error(`the central journal's thread stopped (exit code ${code})`)));
  }

  static async start(path: string): Promise<WorkerConnection> {
    const worker = new Worker(new URL('./sqlite-central-worker.js', import.meta.url), { workerData: { path } });
    const first = (await Promise.race([once(worker, 'message'), once(worker, 'error').then(([err]) => Promise.reject(err))])) as [Reply];
    const reply = first[0];
    if ('op' in reply && reply.op === 'open-failed') {
      await once(worker, 'exit');
      throw new Error(reply.message);
    }
    worker.unref();
    return new WorkerConnection(worker);
  }

  request<T>(m: Request): Promise<T> {
    if (this.gone) return Promise.reject(this.gone);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, ...m });
    });
  }

  async close(): Promise<void> {
    if (this.gone) return;
    const exited = once(this.worker, 'exit', { signal: AbortSignal.timeout(CLOSE_GRACE_MS) }).then(
      () => true,
      () => false,
    );
    this.closing = true;
    this.worker.ref();
    try {
      await this.request({ op: 'close' });
    } finally {
      this.gone = new TypeError('The database connection is not open');
      if (!(await exited)) await this.worker.terminate();
    }
  }

  private failAll(err: Error): void {
    this.gone ??= err;
    for (const waiting of this.pending.values()) waiting.reject(err);
    this.pending.clear();
  }
}

/**
 * The default central journal: one SQLite file, created on first run. WAL
 * with synchronous=FULL so a committed package is on disk before its
 * acknowledgement goes back to the stick. WAL also lets the console read on
 * its own connection while an import writes.
 */
export class SqliteCentralStore extends QueuedCentralStore {
  readonly dialect = 'sqlite' as const;
  protected readonly queries: CentralQueries;

  private constructor(
    private readonly db: WorkerConnection,
    readonly description: string,
  ) {
    super();
    this.queries = {
      all: <T>(sql: string, params: readonly SqlValue[] = []) => db.request<T[]>({ op: 'all', sql, params }),
      run: (sql: string, params: readonly SqlValue[] = []) => db.request<number>({ op: 'run', sql, params }),
      insertMany: async (table, columns, rows, onConflict) => {
        if (rows.length === 0) return 0;
        const sql = insertSql(table, columns, [`(${columns.map(() => '?').join(', ')})`], onConflict);
        return db.request<number>({ op: 'insertMany', sql, rows });
      },
    };
  }

  static async open(path: string): Promise<SqliteCentralStore> {
    if (!existsSync(dirname(path))) {
      throw new CentralStoreError('cannot-open', `folder ${dirname(path)} for the central journal does not exist`);
    }
    let db: WorkerConnection;
    try {
      db = await WorkerConnection.start(path);
    } catch (err) {
      throw new CentralStoreError('cannot-open', `cannot open central journal ${path}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const store = new SqliteCentralStore(db, path);
    try {
      // Checked before any pragma: a mistyped --central naming another database must be left exactly as it was.
      const tables = (await db.request<{ name: string }[]>({ op: 'all', sql: "SELECT name FROM sqlite_master WHERE type = 'table'", params: [] })).map((t) => t.name);
      if (tables.length > 0 && !tables.includes('schema_version')) {
        throw new CentralStoreError(
          'not-a-central-journal',
          `${path} is an SQLite database but not a daystick central journal (no schema_version table)`,
        );
      }
      await db.request({ op: 'pragma', sql: 'journal_mode = WAL' });
      await db.request({ op: 'pragma', sql: 'synchronous = FULL' });
      await db.request({ op: 'pragma', sql: 'busy_timeout = 10000' });
      await store.transaction('migrate', (tx) => applyMigrations(tx, 'sqlite'));
    } catch (err) {
      await db.close().catch(() => undefined);
      if (err instanceof CentralStoreError) throw err;
      throw new CentralStoreError('cannot-open', `cannot use ${path} as the central journal: ${(err as Error).message}`, {
        cause: err,
      });
    }
    return store;
  }

  transaction<T>(_lockKey: string, work: (tx: CentralQueries) => Promise<T>): Promise<T> {
    // BEGIN IMMEDIATE takes SQLite's single write lock at once: that is the per-register lock and more.
    return this.queue.run(async () => {
      await this.db.request({ op: 'exec', sql: 'BEGIN IMMEDIATE' });
      try {
        const result = await work(this.queries);
        await this.db.request({ op: 'exec', sql: 'COMMIT' });
        return result;
      } catch (err) {
        await this.db.request({ op: 'rollback' }).catch(() => undefined);
        throw err;
      }
    });
  }

  async close(): Promise<void> {
    await this.queue.run(() => this.db.close());
  }
}
