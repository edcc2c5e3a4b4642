import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { type CentralQueries, CentralStoreError, type SqlValue } from './central-store.js';
import { applyMigrations } from './migrate.js';
import { QueuedCentralStore, insertSql } from './queued-central-store.js';

/**
 * The default central journal: one SQLite file, created on first run. WAL
 * with synchronous=FULL so a committed package is on disk before its
 * acknowledgement goes back to the stick.
 */
export class SqliteCentralStore extends QueuedCentralStore {
  readonly dialect = 'sqlite' as const;
  private readonly statements = new Map<string, Database.Statement>();
  protected readonly queries: CentralQueries;

  private constructor(
    private readonly db: Database.Database,
    readonly description: string,
  ) {
    super();
    this.queries = {
      all: async <T>(sql: string, params: readonly SqlValue[] = []) => this.prepared(sql).all(...params) as T[],
      run: async (sql: string, params: readonly SqlValue[] = []) => this.prepared(sql).run(...params).changes,
      insertMany: async (table, columns, rows, onConflict) => {
        const statement = this.prepared(insertSql(table, columns, [`(${columns.map(() => '?').join(', ')})`], onConflict));
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

  async close(): Promise<void> {
    await this.queue.run(async () => this.db.close());
  }
}
