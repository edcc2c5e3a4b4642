import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDayPackage } from '../src/export/index.js';
import type { BusinessDay } from '../src/host/business-day.js';
import type { JournalPort, TimeRecordingPort } from '../src/host/ports.js';
import { settleHeadOfficeCustomerNumber } from '../src/central/central-settings.js';
import type { CentralStore } from '../src/central/central-store.js';
import { importPackage } from '../src/headoffice/import-package.js';
import { PostgresCentralStore } from '../src/central/postgres-central-store.js';
import { SqliteCentralStore } from '../src/central/sqlite-central-store.js';
import { listPackages } from '../src/package/reader.js';
import { createTestDatabase, describeWithPostgres, type TestDatabase } from './support/postgres.js';
import { createSyntheticJournal } from './support/synthetic-journal.js';

// The COPY-and-merge path of PostgreSQL against the SQLite path: the same packages give the same tables, row for row.

const CUSTOMER = '40555';
const HEAD_OFFICE = '99999';
const D1 = '20260501' as BusinessDay;
const D2 = '20260502' as BusinessDay;

/** When a row was written differs between any two runs; everything else must be equal. */
const WHEN_COLUMNS = new Set(['imported_at', 'detected_at', 'pinned_at', 'set_at', 'applied_at']);
const TABLES = ['registers', 'packages', 'receipts', 'receipt_lines', 'payments', 'stock_postings', 'time_records', 'quarantined_records', 'conflicts'];

async function tables(store: CentralStore): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const table of TABLES) {
    const rows = await store.all<Record<string, unknown>>(`SELECT * FROM ${table}`);
    // Sorted here, not by ORDER BY: the two databases collate text differently.
    out[table] = rows
      .map((row) => JSON.stringify(Object.entries(row).filter(([k]) => !WHEN_COLUMNS.has(k)).sort(([a], [b]) => (a < b ? -1 : 1))))
      .sort();
  }
  return out;
}

describeWithPostgres('PostgreSQL bulk merge (COPY) equals the SQLite path', () => {
  let work: string;
  const databases: TestDatabase[] = [];
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'daystick-pg-bulk-'));
  });
  afterAll(async () => {
    for (const d of databases) await d.drop();
    await rm(work, { recursive: true, force: true });
  });

  async function writeDay(stick: string, journal: JournalPort, timeRecording: TimeRecordingPort, day: BusinessDay, kind: 'day-close' | 're-send', at: number) {
    await mkdir(stick, { recursive: true });
    await writeDayPackage({
      stickPath: stick,
      identity: { customerNumber: CUSTOMER, registerId: '1' },
      businessDay: day,
      closingNumber: kind === 'day-close' ? 8 : null,
      kind,
      includeTimeRecords: true,
      journal,
      timeRecording,
      keyDir: join(work, 'register-keys'),
      now: () => at,
      signal: new AbortController().signal,
    });
  }

  test('new, already imported, conflicting, quarantined and stock records: same tables, statuses, counts and conflict reports', async () => {
    // Imported in this order onto three sticks: the days, then a re-send with other content (conflicts, some new ids),
    // then the same days again (already imported), which exercises every branch of the merge.
    const s = createSyntheticJournal({ days: { [D1]: { receipts: 1200, badRecords: 4, timeRecords: 15 }, [D2]: { receipts: 300, stockPostings: 120 } }, seed: 5 });
    const other = createSyntheticJournal({ days: { [D1]: { receipts: 1300, badRecords: 1, stockPostings: 700, timeRecords: 18 } }, seed: 66 });
    const first = join(work, 'first');
    await writeDay(first, s.journal, s.timeRecording, D1, 'day-close', Date.UTC(2026, 4, 1, 21));
    await writeDay(first, s.journal, s.timeRecording, D2, 'day-close', Date.UTC(2026, 4, 2, 21));
    const second = join(work, 'second');
    await writeDay(second, other.journal, other.timeRecording, D1, 're-send', Date.UTC(2026, 4, 3, 9));
    const third = join(work, 'third');
    await writeDay(third, s.journal, s.timeRecording, D2, 're-send', Date.UTC(2026, 4, 3, 10));
    const packages = [...(await listPackages(first)), ...(await listPackages(second)), ...(await listPackages(third)), ...(await listPackages(first))];

    const results: Record<string, unknown[]> = {};
    const contents: Record<string, Record<string, string[]>> = {};
    const stores: Record<string, () => Promise<CentralStore>> = {
      sqlite: () => SqliteCentralStore.open(join(work, 'central.sqlite')),
      postgresCopy: async () => {
        const db = await createTestDatabase();
        databases.push(db);
        return PostgresCentralStore.open(db.url);
      },
      postgresRowByRow: async () => {
        const db = await createTestDatabase();
        databases.push(db);
        return PostgresCentralStore.open(db.url, { rowByRow: true });
      },
    };
    for (const [name, open] of Object.entries(stores)) {
      const store = await open();
      try {
        await settleHeadOfficeCustomerNumber(store, HEAD_OFFICE);
        results[name] = [];
        for (const p of packages) {
          const r = await importPackage(store, p, { withoutStockPostings: false, headOfficeCustomerNumber: HEAD_OFFICE, headOfficeKey: null });
          results[name]!.push({ status: r.status, counts: r.counts, conflicts: r.conflicts, unbalanced: r.unbalanced, refusals: r.refusals });
        }
        contents[name] = await tables(store);
      } finally {
        await store.close();
      }
    }
    expect((results.sqlite as { status: string }[]).map((r) => r.status)).toEqual([
      'imported',
      'imported',
      'partially-conflicting',
      'already-imported',
      'already-imported',
      'already-imported',
    ]);
    expect(contents.sqlite!.conflicts!.length).toBeGreaterThan(1000);
    expect(contents.sqlite!.quarantined_records!.length).toBeGreaterThan(0);
    expect(results.postgresCopy).toEqual(results.sqlite);
    expect(results.postgresRowByRow).toEqual(results.sqlite);
    for (const table of TABLES) {
      expect({ table, rows: contents.postgresCopy![table] }).toEqual({ table, rows: contents.sqlite![table] });
      expect({ table, rows: contents.postgresRowByRow![table] }).toEqual({ table, rows: contents.sqlite![table] });
    }
  }, 300_000);
});
