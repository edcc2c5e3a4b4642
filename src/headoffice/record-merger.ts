import type { StockPosting, TimeRecord } from '../host/records.js';
import type { CentralTable } from '../central/central-schema.js';
import type { CentralQueries, SqlValue } from '../central/central-store.js';
import { type BulkKind, type BulkRows, BulkWriter } from '../central/postgres-bulk-merge.js';
import {
  LINE_COLUMNS,
  PAYMENT_COLUMNS,
  type Provenance,
  RECEIPT_COLUMNS,
  type ReceiptBundle,
  STOCK_POSTING_COLUMNS,
  TIME_RECORD_COLUMNS,
  lineValues,
  paymentValues,
  receiptContentHash,
  receiptValues,
  stockPostingContentHash,
  stockPostingValues,
  timeRecordContentHash,
  timeRecordValues,
} from '../central/central-rows.js';

export type RecordType = 'receipt' | 'stock-posting' | 'time-record';

export interface ConflictReport {
  recordType: RecordType;
  recordId: string;
  businessDay: string;
  existingSha256: string;
  incomingSha256: string;
}

export interface MergeTally {
  inserted: number;
  alreadyPresent: number;
  conflicts: number;
  /** The first conflicts in full, for the report; all of them are in the `conflicts` table. */
  conflictSamples: ConflictReport[];
}

/** How one kind of record is keyed, hashed and inserted. */
interface RecordKind<T> {
  recordType: RecordType;
  table: CentralTable;
  idColumn: string;
  idOf(record: T): string;
  dayOf(record: T): string;
  hashOf(record: T): string;
  insert(tx: CentralQueries, items: { record: T; hash: string }[], p: Provenance): Promise<void>;
  /** The same rows as `insert` writes, for PostgreSQL's COPY. */
  bulk: BulkKind;
  bulkRows(record: T, hash: string, p: Provenance): BulkRows;
  /** Run once at the end of a merge that inserted something, with the business days its records carry. */
  afterInsert?(tx: CentralQueries, days: readonly string[], p: Provenance): Promise<void>;
}

/** Days per statement: IN lists stay short for both back ends, however many days a reconcile brings. */
const DAYS_PER_RECOUNT = 500;

/**
 * receipt_number_days for these days of the register, counted again from the
 * receipts (an index-only range scan): the console's receipt-number gaps read
 * one row per day instead of every receipt. Counted afresh rather than added
 * to, so it stays right whichever writer put receipts in before.
 */
export async function recountReceiptNumberDays(tx: CentralQueries, customerNumber: string, registerId: string, days: readonly string[]): Promise<void> {
  for (let i = 0; i < days.length; i += DAYS_PER_RECOUNT) {
    const chunk = days.slice(i, i + DAYS_PER_RECOUNT);
    await tx.run(
      `INSERT INTO receipt_number_days (customer_number, register_id, business_day, first_no, last_no, numbers)
       SELECT customer_number, register_id, business_day, MIN(receipt_no), MAX(receipt_no), COUNT(DISTINCT receipt_no)
         FROM receipts WHERE customer_number = ? AND register_id = ? AND business_day IN (${chunk.map(() => '?').join(', ')})
        GROUP BY customer_number, register_id, business_day
       ON CONFLICT (customer_number, register_id, business_day)
       DO UPDATE SET first_no = excluded.first_no, last_no = excluded.last_no, numbers = excluded.numbers`,
      [customerNumber, registerId, ...chunk],
    );
  }
}

export const RECEIPTS: RecordKind<ReceiptBundle> = {
  recordType: 'receipt',
  table: 'receipts',
  idColumn: 'receipt_id',
  idOf: (b) => b.receipt.receiptId,
  dayOf: (b) => b.receipt.businessDay,
  hashOf: receiptContentHash,
  async insert(tx, items, p) {
    await tx.insertMany('receipts', RECEIPT_COLUMNS, items.map((i) => receiptValues(i.record, i.hash, p)), 'fail');
    await tx.insertMany('receipt_lines', LINE_COLUMNS, items.flatMap((i) => i.record.lines.map((l) => lineValues(l, p))), 'fail');
    await tx.insertMany('payments', PAYMENT_COLUMNS, items.flatMap((i) => i.record.payments.map((x) => paymentValues(x, p))), 'fail');
  },
  bulk: {
    recordType: 'receipt',
    table: 'receipts',
    idColumn: 'receipt_id',
    columns: RECEIPT_COLUMNS,
    children: [
      { table: 'receipt_lines', columns: LINE_COLUMNS },
      { table: 'payments', columns: PAYMENT_COLUMNS },
    ],
  },
  bulkRows: (b, hash, p) => ({
    values: receiptValues(b, hash, p),
    children: [b.lines.map((l) => lineValues(l, p)), b.payments.map((x) => paymentValues(x, p))],
  }),
  afterInsert: (tx, days, p) => recountReceiptNumberDays(tx, p.customerNumber, p.registerId, days),
};

export const STOCK_POSTINGS: RecordKind<StockPosting> = {
  recordType: 'stock-posting',
  table: 'stock_postings',
  idColumn: 'posting_id',
  idOf: (s) => s.postingId,
  dayOf: (s) => s.businessDay,
  hashOf: stockPostingContentHash,
  async insert(tx, items, p) {
    await tx.insertMany('stock_postings', STOCK_POSTING_COLUMNS, items.map((i) => stockPostingValues(i.record, i.hash, p)), 'fail');
  },
  bulk: { recordType: 'stock-posting', table: 'stock_postings', idColumn: 'posting_id', columns: STOCK_POSTING_COLUMNS, children: [] },
  bulkRows: (s, hash, p) => ({ values: stockPostingValues(s, hash, p), children: [] }),
};

export const TIME_RECORDS: RecordKind<TimeRecord> = {
  recordType: 'time-record',
  table: 'time_records',
  idColumn: 'record_id',
  idOf: (t) => t.recordId,
  dayOf: (t) => t.businessDay,
  hashOf: timeRecordContentHash,
  async insert(tx, items, p) {
    await tx.insertMany('time_records', TIME_RECORD_COLUMNS, items.map((i) => timeRecordValues(i.record, i.hash, p)), 'fail');
  },
  bulk: { recordType: 'time-record', table: 'time_records', idColumn: 'record_id', columns: TIME_RECORD_COLUMNS, children: [] },
  bulkRows: (t, hash, p) => ({ values: timeRecordValues(t, hash, p), children: [] }),
};

const BATCH = 500;
/** Records per COPY into the staging tables: large enough to stream, small enough to keep memory flat. */
const BULK_BATCH = 5000;
const CONFLICT_SAMPLES = 20;

/**
 * Puts records into the central journal exactly once, inside the caller's
 * transaction: an id not yet present is inserted, an id present with the
 * same content hash is counted as already imported, and an id present with
 * different content is a conflict, recorded in `conflicts` and left out, so
 * the stored record is never overwritten. Works in batches so the journal
 * sees one lookup and a few inserts per batch, not per record. Both back ends
 * decide here, row by row alike; PostgreSQL only writes the new rows with COPY
 * (larger batches, each COPY running while the next batch is read).
 */
export class RecordMerger<T> {
  private pending: T[] = [];
  /** Ids this run already decided, so a record repeated within one package is judged against its first copy. */
  private readonly decided = new Map<string, string>();
  readonly tally: MergeTally = { inserted: 0, alreadyPresent: 0, conflicts: 0, conflictSamples: [] };
  private readonly bulk: BulkWriter | null;
  private readonly days = new Set<string>();

  constructor(
    private readonly tx: CentralQueries,
    private readonly kind: RecordKind<T>,
    private readonly provenance: Provenance,
  ) {
    this.bulk = tx.bulk ? new BulkWriter(tx.bulk, kind.bulk, provenance) : null;
  }

  /** A promise only when the batch is full and goes to the journal: a large day adds without an await per record. */
  add(record: T): Promise<void> | null {
    this.pending.push(record);
    if (this.kind.afterInsert) this.days.add(this.kind.dayOf(record));
    return this.pending.length >= (this.bulk ? BULK_BATCH : BATCH) ? this.flush() : null;
  }

  async finish(): Promise<MergeTally> {
    await this.flush();
    await this.bulk?.finish();
    if (this.kind.afterInsert && this.tally.inserted > 0) await this.kind.afterInsert(this.tx, [...this.days].sort(), this.provenance);
    return this.tally;
  }

  private async storedHashes(ids: string[]): Promise<Map<string, string>> {
    if (this.bulk) return this.bulk.storedHashes(ids);
    const stored = new Map<string, string>();
    if (ids.length === 0) return stored;
    const { kind, provenance: p } = this;
    const marks = ids.map(() => '?').join(', ');
    const rows = await this.tx.all<{ id: string; sha: string }>(
      `SELECT ${kind.idColumn} AS id, content_sha256 AS sha FROM ${kind.table}
       WHERE customer_number = ? AND register_id = ? AND ${kind.idColumn} IN (${marks})`,
      [p.customerNumber, p.registerId, ...ids],
    );
    for (const row of rows) stored.set(row.id, row.sha);
    return stored;
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    const { kind, provenance: p } = this;
    const hashed = batch.map((record) => ({ record, id: kind.idOf(record), hash: kind.hashOf(record) }));
    const stored = await this.storedHashes([...new Set(hashed.filter((h) => !this.decided.has(h.id)).map((h) => h.id))]);
    const toInsert: { record: T; hash: string }[] = [];
    const conflicts: SqlValue[][] = [];
    for (const h of hashed) {
      const existing = this.decided.get(h.id) ?? stored.get(h.id);
      if (existing === undefined) {
        toInsert.push({ record: h.record, hash: h.hash });
        this.decided.set(h.id, h.hash);
        this.tally.inserted++;
      } else if (existing === h.hash) {
        this.decided.set(h.id, existing);
        this.tally.alreadyPresent++;
      } else {
        this.decided.set(h.id, existing);
        this.tally.conflicts++;
        const day = kind.dayOf(h.record);
        if (this.tally.conflictSamples.length < CONFLICT_SAMPLES) {
          this.tally.conflictSamples.push({
            recordType: kind.recordType,
            recordId: h.id,
            businessDay: day,
            existingSha256: existing,
            incomingSha256: h.hash,
          });
        }
        conflicts.push([
          p.customerNumber,
          p.registerId,
          kind.recordType,
          h.id,
          day,
          existing,
          h.hash,
          JSON.stringify(h.record),
          p.source,
          p.importedAt,
        ]);
      }
    }
    if (this.bulk) await this.bulk.insert(toInsert.map((i) => kind.bulkRows(i.record, i.hash, p)));
    else if (toInsert.length > 0) await kind.insert(this.tx, toInsert, p);
    if (conflicts.length > 0) {
      const insert = () => this.tx.insertMany(
        'conflicts',
        [
          'customer_number',
          'register_id',
          'record_type',
          'record_id',
          'business_day',
          'existing_sha256',
          'incoming_sha256',
          'incoming_json',
          'source',
          'detected_at',
        ],
        conflicts,
        'ignore',
      );
      await (this.bulk ? this.bulk.behindCopies(insert) : insert());
    }
  }
}
