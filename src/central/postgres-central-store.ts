import { setTimeout as sleep } from 'node:timers/promises';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { type CentralQueries, CentralStoreError, type SqlValue } from './central-store.js';
import { applyMigrations } from './migrate.js';
import type { BulkSession } from './postgres-bulk-merge.js';
import { QueuedCentralStore, insertSql } from './queued-central-store.js';

const INT8_OID = 20;
/** PostgreSQL caps a statement at 65535 bind parameters; stay well below it. */
const MAX_PARAMS_PER_STATEMENT = 30_000;

/** BIGINT arrives as text from pg; amounts are safe integers by the package format, anything else is a loud error. */
function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new RangeError(`central journal value ${text} exceeds the exact integer range`);
  return value;
}

const typeParsers = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? parseInt8 : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** `?` placeholders to PostgreSQL's `$n`; the import's SQL never has a `?` inside a literal. */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

export function redactedConnectionString(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://(unparseable connection string)';
  }
}

/** Why a transaction is worth running again, or null when the error is the answer. */
export type RetryCause = 'connection-lost' | 'serialisation' | 'deadlock' | 'concurrent-insert';

const CONNECTION_CODES = new Set(['57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006']);
const NETWORK_ERRNOS = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);

/** Duck-typed, not `instanceof`: socket errors can come from another realm (a test runner's VM context). */
function isConnectionError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; errors?: unknown; cause?: unknown; message?: unknown };
  if (typeof e.code === 'string' && (CONNECTION_CODES.has(e.code) || NETWORK_ERRNOS.has(e.code))) return true;
  if (Array.isArray(e.errors) && e.errors.some(isConnectionError)) return true;
  if (e.cause !== undefined && e.cause !== err && isConnectionError(e.cause)) return true;
  if (typeof e.message !== 'string') return false;
  // A COPY stream passes the socket's failure on by its message only (`write ECONNRESET`).
  return /Connection terminated|not queryable|connection error|timeout expired|\bE(CONNRESET|PIPE|CONNREFUSED|TIMEDOUT)\b/i.test(e.message);
}

export function retryCause(err: unknown): RetryCause | null {
  const code = (err as { code?: unknown } | null)?.code;
  // PostgreSQL's own advice: these transactions failed only because of another one and succeed when run again.
  if (code === '40001') return 'serialisation';
  if (code === '40P01') return 'deadlock';
  // Another importer inserted the same key first; running again re-reads and finds it already there (same hash) or a conflict.
  if (code === '23505') return 'concurrent-insert';
  return isConnectionError(err) ? 'connection-lost' : null;
}

export interface RetryNotice {
  /** The transaction's lock name, e.g. `register:40123-2`: which register's package is retried. */
  lockKey: string;
  cause: RetryCause;
  message: string;
  attempt: number;
  maxAttempts: number;
  delayMs: number;
}

export interface PostgresStoreOptions {
  /** Told before every retry, so the person at the import sees why it pauses. */
  onRetry?: (notice: RetryNotice) => void;
  maxAttempts?: number;
  /** Merge with the batched lookups and INSERTs of the SQLite path instead of COPY (comparisons, the bench). */
  rowByRow?: boolean;
}

const DEFAULT_MAX_ATTEMPTS = 8;
const MAX_DELAY_MS = 10_000;

/** Exponential from half a second, capped, with jitter so importers that collided do not collide again in step. */
function backoffMs(attempt: number): number {
  const base = Math.min(MAX_DELAY_MS, 500 * 2 ** (attempt - 1));
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

/** Says what went wrong at connect time in words, with the errno kept for the log-minded. */
export function describeConnectError(err: unknown, description: string): CentralStoreError {
  const code = (err as { code?: unknown } | null)?.code;
  const detail = err instanceof AggregateError ? err.errors.map((e: Error) => e.message).join('; ') : (err as Error).message;
  if (isConnectionError(err)) {
    const why =
      code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? 'its host name is not found'
        : code === '57P03'
          ? 'the server is starting up or shutting down'
          : 'nothing answers at that host and port (is the PostgreSQL server running, are host and port right?)';
    return new CentralStoreError('unreachable', `the central journal ${description} cannot be reached: ${why} [${detail}]`, { cause: err });
  }
  return new CentralStoreError('cannot-open', `cannot connect to central journal ${description}: ${detail}`, { cause: err });
}

/**
 * The central journal on a PostgreSQL server, for chains that outgrow one
 * machine; the same schema as the SQLite file. Connection settings come from
 * the connection string and, for whatever it leaves out, from the usual
 * PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE variables (node-pg
 * reads them; `sslmode=require|verify-full` in the string turns on TLS).
 *
 * Every transaction is retried when PostgreSQL says it may be (serialisation
 * failure, deadlock), when another importer won a race on a unique key, and
 * when the connection dropped: the connection is opened afresh and the whole
 * package runs again from its file, so a package is either all in or not at
 * all, and no acknowledgement is written until it is in.
 */
export class PostgresCentralStore extends QueuedCentralStore {
  readonly dialect = 'postgres' as const;
  protected readonly queries: CentralQueries;
  private readonly txQueries: CentralQueries;
  private client: pg.Client;
  private broken = false;
  private readonly maxAttempts: number;

  private constructor(
    private readonly connectionString: string,
    client: pg.Client,
    readonly description: string,
    private readonly options: PostgresStoreOptions,
  ) {
    super();
    this.client = client;
    this.watch(client);
    this.maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    this.queries = {
      all: async <T>(sql: string, params: readonly SqlValue[] = []) =>
        (await this.client.query(numbered(sql), params as SqlValue[])).rows as T[],
      run: async (sql: string, params: readonly SqlValue[] = []) =>
        (await this.client.query(numbered(sql), params as SqlValue[])).rowCount ?? 0,
      insertMany: async (table, columns, rows, onConflict) => {
        const perStatement = Math.max(1, Math.floor(MAX_PARAMS_PER_STATEMENT / columns.length));
        let inserted = 0;
        for (let start = 0; start < rows.length; start += perStatement) {
          const chunk = rows.slice(start, start + perStatement);
          const params: SqlValue[] = [];
          const tuples = chunk.map((row) => {
            const marks = row.map((value) => {
              params.push(value);
              return `$${params.length}`;
            });
            return `(${marks.join(', ')})`;
          });
          inserted += (await this.client.query(insertSql(table, columns, tuples, onConflict), params)).rowCount ?? 0;
        }
        return inserted;
      },
    };
    const bulk: BulkSession = {
      query: async <T>(sql: string, params: SqlValue[] = []) => (await this.client.query(sql, params)).rows as T[],
      copyIn: (table, columns, write) => this.copyIn(table, columns, write),
    };
    this.txQueries = options.rowByRow ? this.queries : { ...this.queries, bulk };
  }

  /** Rows into `table` through `COPY … FROM STDIN`: one round trip for any number of rows. */
  private async copyIn(table: string, columns: readonly string[], write: (out: Writable) => Promise<void>): Promise<void> {
    const stream = this.client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
    const done = Promise.race([once(stream, 'finish'), once(stream, 'error').then(([err]) => Promise.reject(err))]);
    // A server error ends the COPY early: the writer must not wait for a drain that never comes.
    await Promise.race([write(stream), done]);
    stream.end();
    await done;
  }

  private static newClient(connectionString: string): pg.Client {
    // keepAlive: a connection cut without a reset (cable, NAT) surfaces as an error instead of a hang.
    return new pg.Client({ connectionString, types: typeParsers, keepAlive: true });
  }

  private watch(client: pg.Client): void {
    // A dropped server connection must surface as an error of the running import, not crash the process.
    const mark = () => {
      if (client === this.client) this.broken = true;
    };
    client.on('error', mark);
    client.on('end', mark);
  }

  static async open(connectionString: string, options: PostgresStoreOptions = {}): Promise<PostgresCentralStore> {
    const description = redactedConnectionString(connectionString);
    const client = PostgresCentralStore.newClient(connectionString);
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (err) {
      throw describeConnectError(err, description);
    }
    const store = new PostgresCentralStore(connectionString, client, description, options);
    try {
      await store.transaction('daystick-migrate', (tx) => applyMigrations(tx, 'postgres'));
    } catch (err) {
      await store.client.end().catch(() => undefined);
      throw err;
    }
    return store;
  }

  /** A fresh connection in place of one that died; the old one is closed quietly. */
  private async ensureConnected(): Promise<void> {
    if (!this.broken) return;
    const old = this.client;
    old.end().catch(() => undefined);
    const client = PostgresCentralStore.newClient(this.connectionString);
    client.on('error', () => undefined);
    await client.connect();
    this.client = client;
    this.broken = false;
    this.watch(client);
  }

  private async once<T>(work: () => Promise<T>): Promise<T> {
    await this.ensureConnected();
    try {
      return await work();
    } catch (err) {
      if (isConnectionError(err)) this.broken = true;
      throw err;
    }
  }

  /** A statement outside a transaction runs on a live connection: a dead one is replaced first. */
  protected override inTurn<T>(work: () => Promise<T>): Promise<T> {
    return this.queue.run(() => this.once(work));
  }

  transaction<T>(lockKey: string, work: (tx: CentralQueries) => Promise<T>): Promise<T> {
    return this.queue.run(async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.once(() => this.attempt(lockKey, work));
        } catch (err) {
          const cause = retryCause(err);
          if (cause === null) throw err;
          const message = (err as Error).message;
          if (attempt >= this.maxAttempts) {
            const what = cause === 'connection-lost' ? 'the connection to the central journal kept failing' : `PostgreSQL kept refusing it (${cause})`;
            throw new Error(`${what}: ${message} (tried ${attempt} times)`, { cause: err });
          }
          const delayMs = backoffMs(attempt);
          this.options.onRetry?.({ lockKey, cause, message, attempt, maxAttempts: this.maxAttempts, delayMs });
          await sleep(delayMs);
        }
      }
    });
  }

  private async attempt<T>(lockKey: string, work: (tx: CentralQueries) => Promise<T>): Promise<T> {
    await this.client.query('BEGIN');
    try {
      // Two head-office machines importing the same register wait for each other instead of racing on unique keys.
      await this.client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [lockKey]);
      const result = await work(this.txQueries);
      await this.client.query('COMMIT');
      return result;
    } catch (err) {
      if (!isConnectionError(err)) await this.client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.queue.run(() => this.client.end().catch(() => undefined));
  }
}
