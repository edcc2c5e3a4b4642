import type { CentralTable, Dialect } from './central-schema.js';
import type { BulkSession } from './postgres-bulk-merge.js';

export type SqlValue = string | number | null;

/**
 * What the import and reconciliation need from a central journal, with `?`
 * placeholders in both dialects, so one piece of import code serves SQLite
 * and PostgreSQL alike.
 */
export interface CentralQueries {
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** Returns the number of rows changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /** Inserts rows, skipping those whose primary key is already taken when `onConflict` is `ignore`; returns rows inserted. */
  insertMany(
    table: CentralTable,
    columns: readonly string[],
    rows: readonly SqlValue[][],
    onConflict: 'fail' | 'ignore',
  ): Promise<number>;
  /** Present inside a PostgreSQL transaction: records are staged with COPY and merged in one statement per table. */
  readonly bulk?: BulkSession;
}

export interface CentralStore extends CentralQueries {
  readonly dialect: Dialect;
  /** Where the journal lives, for messages (file path, or the connection string without its password). */
  readonly description: string;
  /**
   * Runs `work` in one transaction holding a lock named `lockKey`, so two
   * importers of the same register never interleave; rolls back when `work`
   * throws.
   */
  transaction<T>(lockKey: string, work: (tx: CentralQueries) => Promise<T>): Promise<T>;
  schemaVersion(): Promise<number>;
  close(): Promise<void>;
}

/** `unreachable`: the server did not answer (down, restarting, wrong host or port); worth trying again later, unlike the others. */
export type CentralStoreProblem = 'cannot-open' | 'unreachable' | 'newer-schema' | 'not-a-central-journal';

export class CentralStoreError extends Error {
  override name = 'CentralStoreError';
  constructor(
    readonly problem: CentralStoreProblem,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Serialises async work on one connection: a transaction must never interleave with another. */
export class ConnectionQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const next = this.tail.then(work, work);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
