import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { addDays } from '../console/console-queries.js';
import type { SeenRefusal } from '../console/console-queries.js';
import { RECOUNT_ALL_RECEIPT_NUMBER_DAYS } from '../central/central-schema.js';
import { LINE_COLUMNS, PAYMENT_COLUMNS, RECEIPT_COLUMNS } from '../central/central-rows.js';
import type { SqlValue } from '../central/central-store.js';
import { isPostgresUrl, openCentralStore } from '../central/open-central-store.js';
import { copyField, writeLines } from '../central/postgres-bulk-merge.js';

/**
 * A chain's central journal at scale for the console bench: registers ×
 * days written straight into the central schema (one transaction; COPY on
 * PostgreSQL), not through the import, so a year of 200 registers takes
 * seconds. Deterministic by seed. Every grid status occurs: most days
 * imported, some re-sent, a few partially conflicting, with quarantined
 * records, missing (with the Z and receipt numbers they took along),
 * refused (kept, as in the console, outside the journal), not yet due, and
 * registers that start late or stopped sending.
 */
export interface CentralJournalSpec {
  registers: number;
  days: number;
  /** The last business day generated; `today` is the day after. */
  lastDay: string;
  /** Receipts per register and day, ±30 %; each with two lines and one payment. */
  receiptsPerDay: number;
  seed?: number;
}

export interface GeneratedCentralJournal {
  today: string;
  firstDay: string;
  /** Refusals as the console's watcher would have seen them: a refused package is never stored. */
  refusals: SeenRefusal[];
  rows: Record<'packages' | 'receipts' | 'receipt_lines' | 'payments' | 'quarantined_records' | 'conflicts', number>;
  /** A busy day with a conflict and quarantine, for the day view. */
  sampleDay: { register: string; day: string };
  statuses: Record<string, number>;
}

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PACKAGE_COLUMNS = ['package_id', 'customer_number', 'register_id', 'business_day', 'kind', 'closing_number', 'created_at', 'manifest_sha256', 'status', 'outcome_json', 'imported_at'];
const QUARANTINE_COLUMNS = ['customer_number', 'register_id', 'business_day', 'source_entry', 'reason', 'record_json', 'content_sha256', 'source', 'imported_at'];
const CONFLICT_COLUMNS = ['customer_number', 'register_id', 'record_type', 'record_id', 'business_day', 'existing_sha256', 'incoming_sha256', 'incoming_json', 'source', 'detected_at'];
const RECEIPT_BASE_COLUMNS = RECEIPT_COLUMNS.slice(0, 16);

type Table = 'packages' | 'receipts' | 'receipt_lines' | 'payments' | 'quarantined_records' | 'conflicts';
const COLUMNS: Record<Table, readonly string[]> = {
  packages: PACKAGE_COLUMNS,
  receipts: RECEIPT_BASE_COLUMNS,
  receipt_lines: LINE_COLUMNS,
  payments: PAYMENT_COLUMNS,
  quarantined_records: QUARANTINE_COLUMNS,
  conflicts: CONFLICT_COLUMNS,
};

/** `row` builds the values only when called: a pass that copies one table skips the others' work. */
type Sink = (table: Table, row: () => SqlValue[]) => void | Promise<void>;

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const iso = (day: string, time: string) => `${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6, 8)}T${time}`;

const ZERO_COUNTS = {
  receiptsNew: 0,
  receiptsAlreadyPresent: 0,
  receiptConflicts: 0,
  stockPostingsNew: 0,
  stockPostingsAlreadyPresent: 0,
  stockPostingConflicts: 0,
  stockPostingsSkipped: 0,
  timeRecordsNew: 0,
  timeRecordsAlreadyPresent: 0,
  timeRecordConflicts: 0,
  quarantinedKept: 0,
};

async function generate(spec: CentralJournalSpec, sink: Sink): Promise<GeneratedCentralJournal> {
  const random = prng(spec.seed ?? 20260601);
  const firstDay = addDays(spec.lastDay, -(spec.days - 1));
  const today = addDays(spec.lastDay, 1);
  const rows = { packages: 0, receipts: 0, receipt_lines: 0, payments: 0, quarantined_records: 0, conflicts: 0 };
  const statuses: Record<string, number> = {};
  const refusals: SeenRefusal[] = [];
  let sampleDay: GeneratedCentralJournal['sampleDay'] | null = null;
  // Awaited only when the sink is asynchronous: SQLite's millions of rows would otherwise each cost a microtask.
  const put = (table: Table, row: () => SqlValue[]): void | Promise<void> => {
    rows[table]++;
    return sink(table, row);
  };
  for (let reg = 0; reg < spec.registers; reg++) {
    const c = String(40001 + Math.floor(reg / 5));
    const r = String((reg % 5) + 1);
    // Some registers came later (days before their first package are no gap), a few stopped sending a week ago.
    const start = reg % 23 === 3 ? Math.floor(spec.days / 3) : 0;
    const stop = reg % 31 === 5 ? spec.days - 7 : spec.days;
    const numbersPerDay = reg % 17 === 7;
    let z = 0;
    let receiptNo = 0;
    for (let d = start; d < stop; d++) {
      const day = addDays(firstDay, d);
      z++;
      const roll = random();
      const count = Math.max(1, Math.round(spec.receiptsPerDay * (0.7 + 0.6 * random())));
      if (numbersPerDay) receiptNo = 0;
      if (roll < 0.004) {
        // Missing: the Z closing happened and its receipts were numbered, the package never arrived.
        receiptNo += count;
        statuses.missing = (statuses.missing ?? 0) + 1;
        continue;
      }
      if (roll < 0.006) {
        receiptNo += count;
        refusals.push({ customerNumber: c, registerId: r, businessDay: day, reason: 'bad-signature: the package signature does not match the register key' });
        statuses.refused = (statuses.refused ?? 0) + 1;
        continue;
      }
      const conflicting = roll < 0.009;
      const quarantined = roll >= 0.009 && roll < 0.014;
      const resent = roll >= 0.014 && roll < 0.024;
      const skipped = roll >= 0.024 && roll < 0.026;
      const importedAt = iso(addDays(day, 1), `0${7 + (reg % 3)}:${String(10 + (d % 50)).padStart(2, '0')}:00.000Z`);
      const source = `${c}-${r}-${day}-z${z}`;
      let gross = 0;
      const quarantinedNo = quarantined ? receiptNo + 1 + Math.floor(count / 2) : -1;
      const skippedNo = skipped ? receiptNo + 1 + Math.floor(count / 3) : -1;
      let firstReceipt = '';
      for (let k = 0; k < count; k++) {
        receiptNo++;
        if (receiptNo === quarantinedNo || receiptNo === skippedNo) continue;
        const id = `${c}-${r}-${day}-${receiptNo}`;
        if (firstReceipt === '') firstReceipt = id;
        const a = 100 + Math.floor(random() * 2000);
        const b = 50 + Math.floor(random() * 900);
        const opened = iso(day, `${String(8 + Math.floor((k * 12) / count)).padStart(2, '0')}:${String(k % 60).padStart(2, '0')}:00.000+01:00`);
        gross += a + b;
        {
        const w = put('receipts', () => [c, r, id, receiptNo, day, opened, opened, `C${1 + (k % 4)}`, 'sale', 'EUR', a + b, 2, 1, sha(id), source, importedAt]);
        if (w) await w;
      }
        {
        const w = put('receipt_lines', () => [c, r, id, 1, 'A100', 'Coffee', 1000, a, a, 'STD', 1900, 0]);
        if (w) await w;
      }
        {
        const w = put('receipt_lines', () => [c, r, id, 2, 'A200', 'Bread', 1000, b, b, 'RED', 700, 0]);
        if (w) await w;
      }
        {
        const w = put('payments', () => [c, r, id, 1, k % 3 === 0 ? 'CARD' : 'CASH', k % 3 === 0 ? 'Debit card' : 'Cash', a + b]);
        if (w) await w;
      }
      }
      if (quarantined) {
        const record = JSON.stringify({ receiptNo: quarantinedNo, receiptId: `${c}-${r}-${day}-${quarantinedNo}`, grossMinor: 12.5 });
        {
        const w = put('quarantined_records', () => [c, r, day, 'receipts', 'grossMinor: expected an integer, got 12.5', record, sha(record), source, importedAt]);
        if (w) await w;
      }
      }
      if (conflicting) {
        const incoming = JSON.stringify({ receiptId: firstReceipt, grossMinor: gross + 1 });
        {
        const w = put('conflicts', () => [c, r, 'receipt', firstReceipt, day, sha(firstReceipt), sha(incoming), incoming, source, importedAt]);
        if (w) await w;
      }
        sampleDay ??= { register: `${c}-${r}`, day };
      }
      const status = conflicting ? 'partially-conflicting' : 'imported';
      const counts = { ...ZERO_COUNTS, receiptsNew: count - (quarantined || skipped ? 1 : 0) - (conflicting ? 1 : 0), receiptConflicts: conflicting ? 1 : 0, quarantinedKept: quarantined ? 1 : 0 };
      const created = iso(day, '21:05:00.000+01:00');
      {
        const w = put('packages', () => [source, c, r, day, 'day-close', z, created, sha(`m${source}`), status, JSON.stringify({ status, counts }), importedAt]);
        if (w) await w;
      }
      if (resent) {
        // The store sent the day again (YYYYMMDD + REPORTS): a package of its own that found everything there.
        const again = `${source}-resend`;
        const counts2 = { ...ZERO_COUNTS, receiptsAlreadyPresent: counts.receiptsNew };
        const at = iso(addDays(day, 2), '09:00:00.000Z');
        {
        const w = put('packages', () => [again, c, r, day, 're-send', z, iso(addDays(day, 1), '20:00:00.000+01:00'), sha(`m${again}`), 'already-imported', JSON.stringify({ status: 'already-imported', counts: counts2 }), at]);
        if (w) await w;
      }
      }
      const cell = conflicting ? 'conflicting' : quarantined ? 'quarantine' : resent ? 'resent' : 'imported';
      statuses[cell] = (statuses[cell] ?? 0) + 1;
    }
  }
  return { today, firstDay, refusals, rows, sampleDay: sampleDay ?? { register: '40001-1', day: spec.lastDay }, statuses };
}

async function fillSqlite(path: string, spec: CentralJournalSpec): Promise<GeneratedCentralJournal> {
  await (await openCentralStore(path)).close();
  const db = new Database(path);
  try {
    // Bulk load only: the generated file is thrown away if this run dies, so the commit need not wait for the disk.
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -200000');
    const statements = Object.fromEntries(
      (Object.keys(COLUMNS) as Table[]).map((t) => [t, db.prepare(`INSERT INTO ${t} (${COLUMNS[t].join(', ')}) VALUES (${COLUMNS[t].map(() => '?').join(', ')})`)]),
    ) as Record<Table, Database.Statement>;
    db.exec('BEGIN');
    const result = await generate(spec, (table, row) => {
      statements[table].run(...row());
    });
    // Written around the receipt merge, so its per-day receipt numbers are counted here, as migration 7 does.
    for (const sql of RECOUNT_ALL_RECEIPT_NUMBER_DAYS) db.exec(sql);
    db.exec('COMMIT');
    db.exec('ANALYZE');
    return result;
  } finally {
    db.close();
  }
}

async function fillPostgres(url: string, spec: CentralJournalSpec): Promise<GeneratedCentralJournal> {
  await (await openCentralStore(url)).close();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('BEGIN');
    // pg runs one query at a time per client: one generation pass per table, each streamed into its COPY.
    let result: GeneratedCentralJournal | null = null;
    for (const table of Object.keys(COLUMNS) as Table[]) {
      const stream = client.query(copyFrom(`COPY ${table} (${COLUMNS[table].join(', ')}) FROM STDIN`));
      const done = new Promise<void>((resolve, reject) => {
        stream.on('finish', () => resolve());
        stream.on('error', reject);
      });
      let lines: string[] = [];
      result = await generate(spec, async (t, row) => {
        if (t !== table) return;
        lines.push(`${row().map(copyField).join('\t')}\n`);
        if (lines.length >= 5000) {
          await writeLines(stream, lines);
          lines = [];
        }
      });
      await writeLines(stream, lines);
      stream.end();
      await done;
    }
    for (const sql of RECOUNT_ALL_RECEIPT_NUMBER_DAYS) await client.query(sql);
    await client.query('COMMIT');
    await client.query('VACUUM ANALYZE');
    return result!;
  } finally {
    await client.end();
  }
}

/** Fills a fresh central journal (SQLite file or PostgreSQL connection string) with the chain of `spec`. */
export function fillCentralJournal(central: string, spec: CentralJournalSpec): Promise<GeneratedCentralJournal> {
  return isPostgresUrl(central) ? fillPostgres(central, spec) : fillSqlite(central, spec);
}
