import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { writeDayPackage } from '../export/index.js';
import {
  LINE_COLUMNS,
  PAYMENT_COLUMNS,
  type Provenance,
  RECEIPT_COLUMNS,
  STOCK_POSTING_COLUMNS,
  TIME_RECORD_COLUMNS,
  lineValues,
  paymentValues,
  receiptValues,
  stockPostingValues,
  timeRecordValues,
} from '../central/central-rows.js';
import type { CentralStore, SqlValue } from '../central/central-store.js';
import { loadOrCreateHeadOfficeKey } from '../headoffice/head-office-keys.js';
import { type PackageImportResult, importPackage } from '../headoffice/import-package.js';
import { openCentralStore } from '../central/open-central-store.js';
import { copyRow } from '../central/postgres-bulk-merge.js';
import type { BusinessDay } from '../host/business-day.js';
import type { StockPosting, TimeRecord } from '../host/records.js';
import { createDemoJournalFile } from '../journal/demo-journal.js';
import { openJournalDatabase } from '../journal/open-journal.js';
import { SqliteJournalPort } from '../journal/sqlite-journal-port.js';
import { SqliteTimeRecordingPort } from '../journal/sqlite-time-recording-port.js';
import type { EntryName } from '../package/layout.js';
import { type PackageLocation, listPackages, readEntryRecordBatches } from '../package/reader.js';
import type { PaymentRow, ReceiptLineRow, ReceiptRow } from '../package/rows.js';

/**
 * `npm run bench`, head-office section: importing the large day (100,000
 * receipts) into the central journal, on SQLite and (when a server is given)
 * PostgreSQL, beside a baseline measured in the same run on the same rows:
 * the package's rows read and put into the same tables by a plain bulk
 * insert in one transaction, without verification, schema checks, hashing
 * or deduplication. Then the same package again, everything already there.
 */
const DAY = '20260601' as BusinessDay;
const CUSTOMER = '90002';
const REGISTER = '1';
const LARGE_DAY_RECEIPTS = 100_000;
const PG_ENV = ['DAYSTICK_BENCH_PG', 'DAYSTICK_TEST_PG'];
/** Issue 15's targets for the large day's first import (set for PostgreSQL; SQLite is held to the same rate). */
const TARGET_RECEIPTS_PER_S = 20_000;
const TARGET_COPY_RATIO = 1.5;

export interface ImportBenchSection {
  title: string;
  run(work: string): Promise<void>;
}

interface Timed<T> {
  ms: number;
  value: T;
}

async function timed<T>(work: () => Promise<T>): Promise<Timed<T>> {
  globalThis.gc?.();
  const started = process.hrtime.bigint();
  const value = await work();
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, value };
}

const fmt = (n: number, digits = 1) => n.toFixed(digits);

export async function writeLargeDay(work: string): Promise<{ location: PackageLocation; records: number; receipts: number }> {
  const journalPath = join(work, 'register.sqlite');
  await createDemoJournalFile(journalPath, {
    start: DAY,
    days: 1,
    receiptsPerDay: LARGE_DAY_RECEIPTS,
    seed: 'import-bench',
    badRecords: 0,
    closedDays: 1,
  });
  const db = openJournalDatabase(journalPath, { readonly: true });
  await mkdir(join(work, 'stick'));
  try {
    const journal = new SqliteJournalPort(db);
    const timeRecording = new SqliteTimeRecordingPort(db);
    await writeDayPackage({
      stickPath: join(work, 'stick'),
      identity: { customerNumber: CUSTOMER, registerId: REGISTER },
      businessDay: DAY,
      closingNumber: 1,
      kind: 'day-close',
      includeTimeRecords: true,
      journal,
      timeRecording,
      keyDir: join(work, 'register-keys'),
      now: () => Date.now(),
      signal: new AbortController().signal,
    });
    const summary = await journal.summary(DAY);
    const records = summary.receipts + summary.receiptLines + summary.payments + summary.stockPostings + (await timeRecording.count(DAY));
    const [location] = await listPackages(join(work, 'stick'));
    if (!location) throw new Error('the bench package was not written');
    return { location, records, receipts: summary.receipts };
  } finally {
    db.close();
  }
}

type Plan = { entry: EntryName; table: Parameters<CentralStore['insertMany']>[0]; columns: readonly string[]; values: (r: Record<string, unknown>) => SqlValue[] };

/**
 * The package's rows as they are, mapped onto the journal's columns by
 * central-rows.ts's own mappers (so a column added there is in the baseline
 * too): what both baselines put into the tables, no content hash.
 */
function baselinePlans(): Plan[] {
  const p: Provenance = { customerNumber: CUSTOMER, registerId: REGISTER, source: 'baseline', importedAt: new Date().toISOString() };
  return [
    {
      entry: 'receipts.ndjson',
      table: 'receipts',
      columns: RECEIPT_COLUMNS,
      values: (r) => receiptValues({ receipt: r as unknown as ReceiptRow, lines: [], payments: [] }, '', p),
    },
    { entry: 'receipt-lines.ndjson', table: 'receipt_lines', columns: LINE_COLUMNS, values: (l) => lineValues(l as unknown as ReceiptLineRow, p) },
    { entry: 'payments.ndjson', table: 'payments', columns: PAYMENT_COLUMNS, values: (x) => paymentValues(x as unknown as PaymentRow, p) },
    {
      entry: 'stock-postings.ndjson',
      table: 'stock_postings',
      columns: STOCK_POSTING_COLUMNS,
      values: (s) => stockPostingValues(s as unknown as StockPosting, '', p),
    },
    { entry: 'time-records.ndjson', table: 'time_records', columns: TIME_RECORD_COLUMNS, values: (t) => timeRecordValues(t as unknown as TimeRecord, '', p) },
  ];
}

/** The baseline: every row of the package read and inserted as it is, in one transaction, nothing checked. */
async function plainBulkInsert(store: CentralStore, dataPath: string): Promise<number> {
  return store.transaction('baseline', async (tx) => {
    let rows = 0;
    for (const plan of baselinePlans()) {
      let batch: SqlValue[][] = [];
      for await (const rowsRead of readEntryRecordBatches(dataPath, plan.entry)) {
        for (const row of rowsRead) batch.push(plan.values(row as Record<string, unknown>));
        if (batch.length >= 2000) {
          rows += await tx.insertMany(plan.table, plan.columns, batch, 'fail');
          batch = [];
        }
      }
      rows += await tx.insertMany(plan.table, plan.columns, batch, 'fail');
    }
    return rows;
  });
}

/**
 * PostgreSQL's floor: the same rows as the plain bulk insert, through plain
 * COPY in one transaction, nothing checked or merged. Streamed as it is read,
 * in chunks of about a mebibyte with backpressure, so the server takes rows
 * while the next ones are unzipped and parsed: the best a COPY of these rows
 * can do, not a strawman that holds every row first.
 */
async function plainCopy(central: string, dataPath: string): Promise<number> {
  await withStore(central, async () => undefined); // the schema, as the import would find it
  const client = new pg.Client({ connectionString: central });
  await client.connect();
  try {
    await client.query('BEGIN');
    let rows = 0;
    for (const plan of baselinePlans()) {
      const stream = client.query(copyFrom(`COPY ${plan.table} (${plan.columns.join(', ')}) FROM STDIN`));
      const done = new Promise<void>((resolve, reject) => {
        stream.on('finish', () => resolve());
        stream.on('error', reject);
      });
      let chunk = '';
      // Read in batches, as the import reads them: the floor gets every advantage the import has.
      for await (const rowsRead of readEntryRecordBatches(dataPath, plan.entry)) {
        for (const row of rowsRead) chunk += `${copyRow(plan.values(row as Record<string, unknown>))}\n`;
        rows += rowsRead.length;
        if (chunk.length >= 1 << 20) {
          if (!stream.write(chunk)) await once(stream, 'drain');
          chunk = '';
        }
      }
      if (chunk.length > 0) stream.write(chunk);
      stream.end();
      await done;
    }
    await client.query('COMMIT');
    return rows;
  } finally {
    await client.end();
  }
}

async function withStore<T>(central: string, use: (store: CentralStore) => Promise<T>): Promise<T> {
  const store = await openCentralStore(central);
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

function describeImport(label: string, t: Timed<PackageImportResult>, receipts: number, records: number, baselineMs: number, copyMs: number | null): string {
  const c = t.value.counts;
  const what = c ? `${c.receiptsNew} new, ${c.receiptsAlreadyPresent} already there` : `status ${t.value.status}`;
  return (
    `  ${label.padEnd(52)} ${fmt(t.ms, 0).padStart(7)} ms  ${fmt(receipts / (t.ms / 1000), 0).padStart(7)} receipts/s  ` +
    `${fmt(records / (t.ms / 1000) / 1000, 0).padStart(5)}k rec/s  = ${fmt(t.ms / baselineMs, 2)}x baseline` +
    `${copyMs === null ? '' : `, ${fmt(t.ms / copyMs, 2)}x plain COPY`}  (${what})`
  );
}

async function benchBackend(
  label: string,
  centralFor: (name: string) => Promise<{ central: string; drop(): Promise<void> }>,
  pkg: { location: PackageLocation; records: number; receipts: number },
  work: string,
  withCopy = false,
): Promise<void> {
  const key = await loadOrCreateHeadOfficeKey(join(work, 'ho-keys'));
  const options = { withoutStockPostings: false, headOfficeCustomerNumber: null, headOfficeKey: key };
  const base = await centralFor('baseline');
  const copyTarget = withCopy ? await centralFor('copy') : null;
  const importTarget = await centralFor('import');
  const baselineLine = (what: string, ms: number) =>
    console.log(
      `  ${`${label}: ${what}`.padEnd(52)} ${fmt(ms, 0).padStart(7)} ms  ` +
        `${fmt(pkg.receipts / (ms / 1000), 0).padStart(7)} receipts/s  ${fmt(pkg.records / (ms / 1000) / 1000, 0).padStart(5)}k rec/s`,
    );
  try {
    const baseline = await withStore(base.central, (store) => timed(() => plainBulkInsert(store, pkg.location.dataPath!)));
    if (baseline.value !== pkg.records) throw new Error(`baseline inserted ${baseline.value} rows, the day has ${pkg.records}`);
    baselineLine('baseline plain bulk insert', baseline.ms);
    let copyMs: number | null = null;
    if (copyTarget) {
      const copied = await timed(() => plainCopy(copyTarget.central, pkg.location.dataPath!));
      if (copied.value !== pkg.records) throw new Error(`plain COPY stored ${copied.value} rows, the day has ${pkg.records}`);
      baselineLine('plain COPY of the same rows', copied.ms);
      copyMs = copied.ms;
    }
    await withStore(importTarget.central, async (store) => {
      let verifiedAt = 0;
      let startedAt = 0;
      const phases = {
        ...options,
        onPhase: (phase: string) => {
          const now = Number(process.hrtime.bigint()) / 1e6;
          if (phase === 'verifying') startedAt = now;
          if (phase === 'importing') verifiedAt = now;
        },
      };
      const first = await timed(() => importPackage(store, pkg.location, phases));
      if (first.value.status !== 'imported') throw new Error(`bench import ended ${first.value.status}: ${JSON.stringify(first.value.refusals)}`);
      console.log(describeImport(`${label}: import (verify + dedupe + insert + ack)`, first, pkg.receipts, pkg.records, baseline.ms, copyMs));
      const rate = pkg.receipts / (first.ms / 1000);
      const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
      console.log(
        `    targets: ${fmt(rate, 0)} receipts/s [target ≥ ${TARGET_RECEIPTS_PER_S} receipts/s: ${met(rate >= TARGET_RECEIPTS_PER_S)}]` +
          (copyMs === null ? '' : `; ${fmt(first.ms / copyMs, 2)}x plain COPY in this run [target ≤ ${fmt(TARGET_COPY_RATIO, 2)}x: ${met(first.ms / copyMs <= TARGET_COPY_RATIO)}]`),
      );
      console.log(`    of which verifying the package (the verifier's full read): ${fmt(verifiedAt - startedAt, 0)} ms`);
      const again = await timed(() => importPackage(store, pkg.location, options));
      if (again.value.status !== 'already-imported') throw new Error(`bench re-import ended ${again.value.status}`);
      console.log(describeImport(`${label}: re-import, everything already there`, again, pkg.receipts, pkg.records, baseline.ms, copyMs));
    });
  } finally {
    await base.drop();
    await copyTarget?.drop();
    await importTarget.drop();
  }
}

async function postgresServer(): Promise<string | null> {
  for (const name of PG_ENV) {
    const url = process.env[name];
    if (url) return url;
  }
  return null;
}

export const importBenchSection: ImportBenchSection = {
  title: `Head-office import: large synthetic day (${LARGE_DAY_RECEIPTS} receipts) into the central journal vs. a plain bulk insert`,
  async run(work) {
    const pkg = await writeLargeDay(work);
    console.log(`  package: ${pkg.receipts} receipts, ${pkg.records} records (receipts, lines, payments, stock postings, time records)`);
    // A fresh copy per import target, so every acknowledgement is written the first time, as at head office.
    const copies = async (name: string) => {
      const dir = join(work, `copy-${name}`);
      await cp(join(work, 'stick'), dir, { recursive: true });
      const [location] = await listPackages(dir);
      return { ...pkg, location: location! };
    };
    await benchBackend(
      'SQLite',
      async (name) => ({ central: join(work, `central-${name}.sqlite`), drop: async () => undefined }),
      await copies('sqlite'),
      work,
    );
    const server = await postgresServer();
    if (server === null) {
      console.log(`  PostgreSQL: SKIPPED, no server given (set ${PG_ENV.join(' or ')} to a connection string)`);
      return;
    }
    await benchBackend(
      'PostgreSQL',
      async (name) => {
        const database = `daystick_bench_${name}_${randomBytes(4).toString('hex')}`;
        const admin = new pg.Client({ connectionString: server });
        await admin.connect();
        await admin.query(`CREATE DATABASE ${database}`).finally(() => admin.end());
        const url = new URL(server);
        url.pathname = `/${database}`;
        return {
          central: url.toString(),
          drop: async () => {
            const client = new pg.Client({ connectionString: server });
            await client.connect();
            await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).finally(() => client.end());
          },
        };
      },
      await copies('postgres'),
      work,
      true,
    );
  },
};

/** Run on its own: `node --expose-gc dist/bench/import-bench.js`. */
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const work = await mkdtemp(join(tmpdir(), 'daystick-import-bench-'));
  try {
    console.log(`== ${importBenchSection.title}`);
    await importBenchSection.run(work);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
