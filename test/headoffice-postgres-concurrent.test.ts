import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { writeDayPackage } from '../src/export/index.js';
import type { BusinessDay } from '../src/host/business-day.js';
import type { JournalPort, TimeRecordingPort } from '../src/host/ports.js';
import { settleHeadOfficeCustomerNumber } from '../src/central/central-settings.js';
import { importPackage } from '../src/headoffice/import-package.js';
import { openCentralStore } from '../src/central/open-central-store.js';
import { readAcknowledgements } from '../src/package/acknowledgement.js';
import { type PackageLocation, listPackages } from '../src/package/reader.js';
import { createTestDatabase, describeWithPostgres, type TestDatabase } from './support/postgres.js';
import { DAYSTICK_BIN } from './support/shell-session.js';
import { createSyntheticJournal } from './support/synthetic-journal.js';

// Three head-office importers (real child processes) against one PostgreSQL, over overlapping sticks, at the same time.

const CUSTOMER = '40777';
const HEAD_OFFICE = '99999';
const D1 = '20260401' as BusinessDay;
const D2 = '20260402' as BusinessDay;
const SIZE = { receipts: 700, stockPostings: 200, timeRecords: 10 };

/**
 * Columns that say when a row was written differ between any two runs and are left out of the comparison;
 * so is packages.outcome_json: an importer that found a package unknown, waited for the register's lock and then
 * read it in full rewrites it with its own (already-imported) outcome, by the fast path's rule in import-package.ts.
 */
const WHEN_COLUMNS = new Set(['imported_at', 'detected_at', 'pinned_at', 'set_at', 'applied_at', 'outcome_json']);

const ORDER: Record<string, string> = {
  registers: 'customer_number, register_id',
  packages: 'package_id',
  receipts: 'customer_number, register_id, receipt_id',
  receipt_lines: 'customer_number, register_id, receipt_id, line_no',
  payments: 'customer_number, register_id, receipt_id, payment_no',
  stock_postings: 'customer_number, register_id, posting_id',
  time_records: 'customer_number, register_id, record_id',
  quarantined_records: 'customer_number, register_id, content_sha256',
  conflicts: 'source, record_type, record_id',
};

async function tables(url: string): Promise<Record<string, unknown[]>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const out: Record<string, unknown[]> = {};
    for (const [table, by] of Object.entries(ORDER)) {
      const rows = (await client.query(`SELECT * FROM ${table} ORDER BY ${by}`)).rows as Record<string, unknown>[];
      out[table] = rows.map((row) => Object.fromEntries(Object.entries(row).filter(([k]) => !WHEN_COLUMNS.has(k))));
    }
    return out;
  } finally {
    await client.end();
  }
}

function runChild(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [DAYSTICK_BIN, 'import', ...args], { cwd, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describeWithPostgres('several importers, one PostgreSQL central journal', () => {
  let work: string;
  const databases: TestDatabase[] = [];

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'daystick-pg-concurrent-'));
  });
  afterAll(async () => {
    for (const d of databases) await d.drop();
    await rm(work, { recursive: true, force: true });
  });

  async function writeDay(stick: string, registerId: string, journal: JournalPort, timeRecording: TimeRecordingPort, day: BusinessDay, kind: 'day-close' | 're-send') {
    await mkdir(stick, { recursive: true });
    await writeDayPackage({
      stickPath: stick,
      identity: { customerNumber: CUSTOMER, registerId },
      businessDay: day,
      closingNumber: kind === 'day-close' ? 4 : null,
      kind,
      includeTimeRecords: true,
      journal,
      timeRecording,
      keyDir: join(work, `register-keys-${registerId}`),
      now: () => Date.UTC(2026, 3, 2, 21),
      signal: new AbortController().signal,
    });
  }

  test('three importers over the same and different packages: every record once, every conflict once, every stick acknowledged, no error reaching the user', async () => {
    const days = { [D1]: SIZE, [D2]: SIZE };
    // Stick A: registers 1 and 2, and a re-send of register 1's first day with other content (a conflict); stick B is a copy of A.
    const stickA = join(work, 'stick-a');
    for (const registerId of ['1', '2']) {
      const s = createSyntheticJournal({ days, seed: Number(registerId) });
      for (const day of [D1, D2]) await writeDay(stickA, registerId, s.journal, s.timeRecording, day, 'day-close');
    }
    const other = createSyntheticJournal({ days: { [D1]: { ...SIZE, receipts: 720 } }, seed: 77 });
    await writeDay(stickA, '1', other.journal, other.timeRecording, D1, 're-send');
    const stickB = join(work, 'stick-b');
    await cp(stickA, stickB, { recursive: true });
    // Stick C: register 2 again (another copy of its packages) and register 3.
    const stickC = join(work, 'stick-c');
    await cp(join(stickA, 'DAYSTICK', `${CUSTOMER}-2`), join(stickC, 'DAYSTICK', `${CUSTOMER}-2`), { recursive: true });
    const s3 = createSyntheticJournal({ days, seed: 3 });
    for (const day of [D1, D2]) await writeDay(stickC, '3', s3.journal, s3.timeRecording, day, 'day-close');

    const db = await createTestDatabase();
    databases.push(db);
    const keys = join(work, 'headoffice-keys');
    // A fresh database: the three also race on creating the schema and storing head office's number.
    const runs = await Promise.all(
      [stickA, stickB, stickC].map((stick) => runChild([stick, '--central', db.url, '--keys', keys, '--head-office-customer', HEAD_OFFICE], work)),
    );
    for (const run of runs) {
      expect(run.stderr).toBe('');
      expect(run.stdout).not.toMatch(/failed:|ERROR|deadlock detected|could not serialize/);
      expect(run.stdout).toMatch(/ 0 refused, 0 failed$/m);
    }
    // A and B each carry the conflicting re-send (exit 1: a conflict needs a person); C's packages all go in or are already there.
    expect(runs.map((r) => r.code)).toEqual([1, 1, 0]);

    for (const stick of [stickA, stickB, stickC]) {
      for (const p of await listPackages(stick)) {
        const acks = (await readAcknowledgements(p.registerDir)).filter((a) => a.valid && a.packageId === p.packageId);
        expect({ stick, package: p.stem, acks: acks.length }).toEqual({ stick, package: p.stem, acks: 1 });
      }
    }

    // The same packages imported one after another by a single importer, in the order the race happened to take
    // (which of register 1's two versions of the first day came first decides which content is kept).
    const concurrent = await tables(db.url);
    const winner = (concurrent.receipts as { register_id: string; business_day: string; source: string }[]).find(
      (r) => r.register_id === '1' && r.business_day === D1,
    )!.source;
    const all = [...(await listPackages(stickA)), ...(await listPackages(stickC))];
    const order: PackageLocation[] = [];
    const add = (p: PackageLocation | undefined) => {
      if (p && !order.some((o) => o.packageId === p.packageId)) order.push(p);
    };
    add(all.find((p) => p.packageId === winner));
    for (const p of all) add(p);
    const reference = await createTestDatabase();
    databases.push(reference);
    const store = await openCentralStore(reference.url);
    try {
      await settleHeadOfficeCustomerNumber(store, HEAD_OFFICE);
      for (const p of order) {
        const r = await importPackage(store, p, { withoutStockPostings: false, headOfficeCustomerNumber: HEAD_OFFICE, headOfficeKey: null });
        expect(r.refusals).toEqual([]);
      }
    } finally {
      await store.close();
    }
    const sequential = await tables(reference.url);
    expect(Object.fromEntries(Object.entries(concurrent).map(([t, rows]) => [t, rows.length]))).toEqual(
      Object.fromEntries(Object.entries(sequential).map(([t, rows]) => [t, rows.length])),
    );
    expect(concurrent).toEqual(sequential);
    // The test proves something only if there was a conflict to record once, and records from all three registers.
    expect((concurrent.conflicts as unknown[]).length).toBeGreaterThan(100);
    expect(new Set((concurrent.registers as { register_id: string }[]).map((r) => r.register_id))).toEqual(new Set(['1', '2', '3']));
  }, 300_000);
});
