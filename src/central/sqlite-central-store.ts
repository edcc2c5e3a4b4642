import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { CentralTable } from './central-schema.js';
import {
  type CentralQueries,
  type CentralStore,
  CentralStoreError,
  ConnectionQueue,
  type SqlValue,
} from './central-store.js';
import { applyMigrations } from './migrate.js';

/**
 * The default central journal: one SQLite file, created on first run. WAL
 * with synchronous=FULL so a committed package is on disk before its
 * acknowledgement goes back to the stick.
 */
export class SqliteCentralStore implements CentralStore {
  readonly dialect = 'sqlite' as const;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly queue = new ConnectionQueue();
  private readonly queries: CentralQueries;

  private constructor(
    private readonly db: Database.Database,
    readonly description: string,
  ) {
    this.queries = {
      all: async <T>(sql: string, params: readonly SqlValue[] = []) => this.prepared(sql).all(...params) as T[],
      run: async (sql: string, params: readonly SqlValue[] = []) => this.prepared(sql).run(...params).changes,
      insertMany: async (table, columns, rows, onConflict) => {
        const marks = columns.map(() => '?').join(', ');
        const suffix = onConflict === 'ignore' ? ' ON CONFLICT DO NOTHING' : '';
        const statement = this.prepared(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${marks})${suffix}`);
        let inserted = 0;
        for (const row of rows) inserted += statement.run(...row).changes;
        return inserted;
      },
    };
  }

  static async open(path: string): Promise<SqliteCentralStore> {
    if (!existsSync(dirname(path))) {
      throw new CentralStoreError('cannot-open', `folder ${dirname(path)} for the central journal does not exist`);
    }
    let db: Database.Database;
    try {
      db = new Database(path);
    } catch (err) {
      throw new CentralStoreError('cannot-open', `cannot open central journal ${path}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const store = new SqliteCentralStore(db, path);
    try {
      // Checked before any pragma: a mistyped --central naming another database must be left exactly as it was.
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
      if (tables.length > 0 && !tables.includes('schema_version')) {
        throw new CentralStoreError(
          'not-a-central-journal',
          `${path} is an SQLite database but not a daystick central journal (no schema_version table)`,
        );
      }
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('busy_timeout = 10000');
      await store.transaction('migrate', (tx) => applyMigrations(tx, 'sqlite'));
    } catch (err) {
      db.close();
      if (err instanceof CentralStoreError) throw err;
      throw new CentralStoreError('cannot-open', `cannot use ${path} as the central journal: ${(err as Error).message}`, {
        cause: err,
      });
    }
    return store;
  }

  private prepared(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.queue.run(() => this.queries.all<T>(sql, params));
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<number> {
    return this.queue.run(() => this.queries.run(sql, params));
  }

  insertMany(table: CentralTable, columns: readonly string[], rows: readonly SqlValue[][], onConflict: 'fail' | 'ignore') {
    return this.queue.run(() => this.queries.insertMany(table, columns, rows, onConflict));
  }

  transaction<T>(_lockKey: string, work: (tx: CentralQueries) => Promise<T>): Promise<T> {
    // BEGIN IMMEDIATE takes SQLite's single write lock at once: that is the per-register lock and more.
    return this.queue.run(async () => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await work(this.queries);
        this.db.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    });
  }

  async schemaVersion(): Promise<number> {
    const rows = await this.all<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_version');
    return rows[0]?.v ?? 0;
  }

  async close(): Promise<void> {
    await this.queue.run(async () => this.db.close());
  }
}
