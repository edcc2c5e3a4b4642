import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CENTRAL_MIGRATIONS, CENTRAL_SCHEMA_VERSION, CENTRAL_TABLES, RECEIPT_TSE_COLUMNS } from '../src/central/central-schema.js';
import { CentralStoreError } from '../src/central/central-store.js';
import { openCentralStore } from '../src/central/open-central-store.js';
import { createDemoJournalFile } from '../src/journal/demo-journal.js';
import { createTestDatabase, describeWithPostgres, type TestDatabase } from './support/postgres.js';

function schemaSuite(backend: 'sqlite' | 'postgres'): void {
  let work: string;
  let central: string;
  let database: TestDatabase | null = null;

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), `daystick-central-schema-${backend}-`));
    if (backend === 'postgres') {
      database = await createTestDatabase();
      central = database.url;
    } else {
      central = join(work, 'central.sqlite');
    }
  });
  afterEach(async () => {
    await database?.drop();
    database = null;
    await rm(work, { recursive: true, force: true });
  });

  test('the first open creates every table and records the schema version once; reopening migrates nothing twice', async () => {
    const first = await openCentralStore(central);
    try {
      expect(await first.schemaVersion()).toBe(CENTRAL_SCHEMA_VERSION);
      for (const def of CENTRAL_TABLES) {
        await expect(first.all(`SELECT ${def.columns.map((c) => c.name).join(', ')} FROM ${def.name}`)).resolves.toEqual([]);
      }
    } finally {
      await first.close();
    }
    const second = await openCentralStore(central);
    try {
      const rows = await second.all<{ version: number }>('SELECT version FROM schema_version ORDER BY version');
      expect(rows.map((r) => Number(r.version))).toEqual(CENTRAL_MIGRATIONS.map((m) => m.version));
    } finally {
      await second.close();
    }
  });

  test('a journal at schema version 1 is brought up to date on open, its rows kept', async () => {
    const old = await openCentralStore(central);
    try {
      // What a version-1 journal looks like: later versions' tables and column absent, later versions not recorded.
      await old.run('DROP TABLE retired_register_keys');
      await old.run('DROP TABLE central_settings');
      await old.run('DROP TABLE package_tse_modules');
      await old.run('ALTER TABLE quarantined_records DROP COLUMN exact_json');
      for (const c of RECEIPT_TSE_COLUMNS) await old.run(`ALTER TABLE receipts DROP COLUMN ${c.name}`);
      await old.run('DELETE FROM schema_version WHERE version > 1');
      await old.run(
        "INSERT INTO registers (customer_number, register_id, public_key_id, public_key_pem, pinned_at, pinned_by_package) VALUES ('1', '1', 'k', 'pem', 't', 'p')",
      );
      expect(await old.schemaVersion()).toBe(1);
    } finally {
      await old.close();
    }
    const upgraded = await openCentralStore(central);
    try {
      expect(await upgraded.schemaVersion()).toBe(CENTRAL_SCHEMA_VERSION);
      for (const name of ['retired_register_keys', 'central_settings', 'package_tse_modules']) {
        const def = CENTRAL_TABLES.find((t) => t.name === name)!;
        await expect(upgraded.all(`SELECT ${def.columns.map((c) => c.name).join(', ')} FROM ${name}`)).resolves.toEqual([]);
      }
      expect(await upgraded.all('SELECT customer_number, public_key_id FROM registers')).toEqual([{ customer_number: '1', public_key_id: 'k' }]);
      await expect(upgraded.all('SELECT exact_json FROM quarantined_records')).resolves.toEqual([]);
      await expect(upgraded.all(`SELECT ${RECEIPT_TSE_COLUMNS.map((c) => c.name).join(', ')} FROM receipts`)).resolves.toEqual([]);
    } finally {
      await upgraded.close();
    }
  });

  test('a central journal of a newer schema is refused instead of written by an older importer', async () => {
    const store = await openCentralStore(central);
    try {
      await store.run("INSERT INTO schema_version (version, description, applied_at) VALUES (99, 'from the future', '2030-01-01T00:00:00Z')");
    } finally {
      await store.close();
    }
    const refused = openCentralStore(central);
    await expect(refused).rejects.toBeInstanceOf(CentralStoreError);
    await expect(refused).rejects.toThrow('schema version 99');
  });

  test('a duplicate booking key is impossible at the database level, not only in the import code', async () => {
    const store = await openCentralStore(central);
    try {
      const row = ['1', '1', 'R1', 1, '20260101', 'a', 'b', 'c', 'sale', 'EUR', 100, 0, 0, 'h', 'p', 't', ...RECEIPT_TSE_COLUMNS.map(() => null)];
      const columns = CENTRAL_TABLES.find((t) => t.name === 'receipts')!.columns.map((c) => c.name);
      await store.insertMany('receipts', columns, [row], 'fail');
      const duplicate = await store.insertMany('receipts', columns, [row], 'fail').then(
        (inserted) => `inserted ${inserted} row(s)`,
        (err: unknown) => String((err as Error).message),
      );
      expect(duplicate).toMatch(/UNIQUE constraint failed|duplicate key value violates unique constraint/);
      expect(await store.insertMany('receipts', columns, [row], 'ignore')).toBe(0);
    } finally {
      await store.close();
    }
  });
}

describe('central journal schema in SQLite', () => {
  schemaSuite('sqlite');

  test('an SQLite file that is not a central journal (here: a register journal) is refused and left as it was', async () => {
    const work = await mkdtemp(join(tmpdir(), 'daystick-central-not-'));
    try {
      const path = join(work, 'register.sqlite');
      await createDemoJournalFile(path, { start: '20260101', days: 1, receiptsPerDay: 3, seed: 's', badRecords: 0, closedDays: 1 });
      const before = new Database(path, { readonly: true });
      const tablesBefore = before.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
      const modeBefore = before.pragma('journal_mode', { simple: true });
      before.close();
      await expect(openCentralStore(path)).rejects.toThrow('not a daystick central journal');
      const after = new Database(path, { readonly: true });
      expect(after.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all()).toEqual(tablesBefore);
      expect(after.pragma('journal_mode', { simple: true })).toBe(modeBefore);
      after.close();
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});
describeWithPostgres('central journal schema in PostgreSQL', () => schemaSuite('postgres'));
