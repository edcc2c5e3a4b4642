import type { CentralTable, Dialect } from './central-schema.js';
import { type CentralQueries, type CentralStore, ConnectionQueue, type SqlValue } from './central-store.js';
import { currentSchemaVersion } from './migrate.js';

/** `INSERT … VALUES` for tuples already written in the dialect's placeholders; `ignore` skips rows whose key is taken. */
export function insertSql(
  table: CentralTable,
  columns: readonly string[],
  tuples: readonly string[],
  onConflict: 'fail' | 'ignore',
): string {
  const suffix = onConflict === 'ignore' ? ' ON CONFLICT DO NOTHING' : '';
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}${suffix}`;
}

/**
 * What the SQLite and the PostgreSQL store do alike: one connection whose
 * work runs strictly in turn, single statements outside a transaction, and
 * reading the schema version. A store supplies how a statement reaches its
 * connection (`queries`) and may widen `inTurn` (PostgreSQL reconnects a
 * dropped connection first), so the two can never drift apart here.
 */
export abstract class QueuedCentralStore implements CentralStore {
  abstract readonly dialect: Dialect;
  abstract readonly description: string;
  protected readonly queue = new ConnectionQueue();
  protected abstract readonly queries: CentralQueries;

  protected inTurn<T>(work: () => Promise<T>): Promise<T> {
    return this.queue.run(work);
  }

  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.inTurn(() => this.queries.all<T>(sql, params));
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<number> {
    return this.inTurn(() => this.queries.run(sql, params));
  }

  insertMany(table: CentralTable, columns: readonly string[], rows: readonly SqlValue[][], onConflict: 'fail' | 'ignore') {
    return this.inTurn(() => this.queries.insertMany(table, columns, rows, onConflict));
  }

  schemaVersion(): Promise<number> {
    return this.inTurn(() => currentSchemaVersion(this.queries));
  }

  abstract transaction<T>(lockKey: string, work: (tx: CentralQueries) => Promise<T>): Promise<T>;
  abstract close(): Promise<void>;
}
