import pg from 'pg';
import type { CentralTable } from './central-schema.js';
import {
  type CentralQueries,
  type CentralStore,
  CentralStoreError,
  ConnectionQueue,
  type SqlValue,
} from './central-store.js';
import { applyMigrations } from './migrate.js';

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

/** The central journal on a PostgreSQL server, for chains that outgrow one machine; the same schema as the SQLite file. */
export class PostgresCentralStore implements CentralStore {
  readonly dialect = 'postgres' as const;
  private readonly queue = new ConnectionQueue();
  private readonly queries: CentralQueries;

  private constructor(
    private readonly client: pg.Client,
    readonly description: string,
  ) {
    this.queries = {
      all: async <T>(sql: string, params: readonly SqlValue[] = []) =>
        (await this.client.query(numbered(sql), params as SqlValue[])).rows as T[],
      run: async (sql: string, params: readonly SqlValue[] = []) =>
        (await this.client.query(numbered(sql), params as SqlValue[])).rowCount ?? 0,
      insertMany: async (table, columns, rows, onConflict) => {
        const perStatement = Math.max(1, Math.floor(MAX_PARAMS_PER_STATEMENT / columns.length));
        const suffix = onConflict === 'ignore' ? ' ON CONFLICT DO NOTHING' : '';
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
          const sql = `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}${suffix}`;
          inserted += (await this.client.query(sql, params)).rowCount ?? 0;
        }
        return inserted;
      },
    };
  }

  static async open(connectionString: string): Promise<PostgresCentralStore> {
    const description = redactedConnectionString(connectionString);
    const client = new pg.Client({ connectionString, types: typeParsers });
    // A dropped server connection must surface as an error of the running import, not crash the process.
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (err) {
      throw new CentralStoreError('cannot-open', `cannot connect to central journal ${description}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const store = new PostgresCentralStore(client, description);
    try {
      await store.transaction('daystick-migrate', (tx) => applyMigrations(tx, 'postgres'));
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    return store;
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

  transaction<T>(lockKey: string, work: (tx: CentralQueries) => Promise<T>): Promise<T> {
    return this.queue.run(async () => {
      await this.client.query('BEGIN');
      try {
        // Two head-office machines importing the same register wait for each other instead of racing on unique keys.
        await this.client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [lockKey]);
        const result = await work(this.queries);
        await this.client.query('COMMIT');
        return result;
      } catch (err) {
        await this.client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  async schemaVersion(): Promise<number> {
    const rows = await this.all<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_version');
    return rows[0]?.v ?? 0;
  }

  async close(): Promise<void> {
    await this.queue.run(() => this.client.end());
  }
}
