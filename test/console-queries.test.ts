import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findGaps, loadGrid } from '../src/console/console-queries.js';
import type { CentralStore, SqlValue } from '../src/central/central-store.js';
import { openCentralStore } from '../src/central/open-central-store.js';
import { createTestDatabase, describeWithPostgres, type TestDatabase } from './support/postgres.js';

// The console's gap queries on both real back ends, over rows as the import stores them.

const RECEIPT_COLUMNS = ['customer_number', 'register_id', 'receipt_id', 'receipt_no', 'business_day', 'opened_at', 'closed_at', 'cashier_id', 'kind', 'currency', 'gross_minor', 'line_count', 'payment_count', 'content_sha256', 'source', 'imported_at'];
const PACKAGE_COLUMNS = ['package_id', 'customer_number', 'register_id', 'business_day', 'kind', 'closing_number', 'created_at', 'manifest_sha256', 'status', 'outcome_json', 'imported_at'];
const AT = '2026-02-20T10:00:00.000Z';

async function fill(store: CentralStore): Promise<void> {
  const pkg = (id: string, day: string, z: number | null, status = 'imported'): SqlValue[] => [id, '7', '1', day, 'day-close', z, AT, 'x', status, '{}', AT];
  await store.insertMany('packages', PACKAGE_COLUMNS, [pkg('a', '20260210', 1), pkg('b', '20260211', 2), pkg('c', '20260212', 3, 'already-imported'), pkg('d', '20260215', 6)], 'fail');
  // Numbered across days: 1-3, 4-5, then 8 (6 and 7 missing); 20260215 starts again at 1, which is a register numbering per day.
  const rec = (no: number, day: string): SqlValue[] => ['7', '1', `R${day}-${no}`, no, day, AT, AT, 'C1', 'sale', 'EUR', 100, 0, 0, 'h', 'a', AT];
  await store.insertMany(
    'receipts',
    RECEIPT_COLUMNS,
    [rec(1, '20260210'), rec(2, '20260210'), rec(3, '20260210'), rec(4, '20260211'), rec(5, '20260211'), rec(8, '20260212'), rec(1, '20260215'), rec(2, '20260215')],
    'fail',
  );
}

function suite(open: () => Promise<{ store: CentralStore; done: () => Promise<void> }>): void {
  let store: CentralStore;
  let done: () => Promise<void>;
  beforeAll(async () => {
    ({ store, done } = await open());
    await fill(store);
  });
  afterAll(async () => {
    await store.close();
    await done();
  });

  test('days, Z numbers and receipt numbers that are missing, each where it is', async () => {
    const gaps = await findGaps(store, []);
    expect(gaps).toEqual([
      { customerNumber: '7', registerId: '1', kind: 'day', day: '20260213', fromDay: '20260213' },
      { customerNumber: '7', registerId: '1', kind: 'day', day: '20260214', fromDay: '20260214' },
      { customerNumber: '7', registerId: '1', kind: 'z', first: 4, last: 5, before: 3, day: '20260212', fromDay: '20260213' },
      { customerNumber: '7', registerId: '1', kind: 'receipts', first: 6, last: 7, prevDay: '20260211', day: '20260212', fromDay: '20260211' },
    ]);
    expect(await findGaps(store, ['8-1'])).toEqual([]);
  });

  test('the grid: a re-send that found everything there, missing days, not yet due from today', async () => {
    const grid = await loadGrid(store, { from: '20260209', to: '20260216', today: '20260216', registers: [], refusals: [{ customerNumber: '7', registerId: '1', businessDay: '20260213', reason: 'bad-signature: x' }] });
    expect(grid.rows.map((r) => r.cells.map((c) => c.status))).toEqual([['none', 'imported', 'imported', 'resent', 'refused', 'missing', 'imported', 'not-due']]);
  });
}

describe('console queries on SQLite', () =>
  suite(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'daystick-console-q-'));
    return { store: await openCentralStore(join(dir, 'c.sqlite')), done: () => rm(dir, { recursive: true, force: true }) };
  }));

describeWithPostgres('console queries on PostgreSQL', () =>
  suite(async () => {
    const db: TestDatabase = await createTestDatabase();
    return { store: await openCentralStore(db.url), done: () => db.drop() };
  }));
