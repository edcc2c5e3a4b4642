import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CENTRAL_SCHEMA_VERSION, CENTRAL_TABLES } from '../src/headoffice/central-schema.js';
import { CentralStoreError } from '../src/headoffice/central-store.js';
import { openCentralStore } from '../src/headoffice/open-central-store.js';
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
      expect(rows.map((r) => Number(r.version))).toEqual([CENTRAL_SCHEMA_VERSION]);
    } finally {
      await second.close();
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
      const row = ['1', '1', 'R1', 1, '20260101', 'a', 'b', 'c', 'sale', 'EUR', 100, 0, 0, 'h', 'p', 't'];
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
