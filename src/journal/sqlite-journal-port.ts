import type Database from 'better-sqlite3';
import type { BusinessDay } from '../host/business-day.js';
import type { BookedDay, DaySummary, JournalPort } from '../host/ports.js';
import { ExactRows, exactRowOf } from './exact-rows.js';
import { JournalReader } from './journal-reader.js';
import { TSE_COLUMNS } from './journal-schema.js';
import { batchedRows, type OpenedRows, PeekableRows, streamRows } from './stream-rows.js';

/**
 * SQLite keeps booleans as 0/1; anything else is passed on unchanged so the
 * plugin's schema, not this adapter, decides that the row is bad.
 */
function sqliteBoolean(value: unknown): unknown {
  if (value === 0) return false;
  if (value === 1) return true;
  return value;
}

// Receipts, their lines and their payments come from three statements walking
// the same order; merging them keeps a day of any size in constant memory.
// `IS` rather than `=`: it uses the same index and also finds the rows whose
// business_day is NULL, which the plugin reads to quarantine them.
// Columns are named, not `*`: rows come back as arrays (`.raw()`), read by
// position, which spares better-sqlite3 building an object keyed by column
// name for every row only for it to be copied into the record.
// `r.rowid` after the receipt's key makes each receipt of the outer loop
// distinct to the planner, so it walks each receipt's lines (payments) in
// their primary key's order instead of sorting them in a temporary B-tree;
// it changes no order, the index already ends in the rowid.
// Each row ends in its own rowid, so ExactRows can read a suspect row again exactly.
const RECEIPTS_SQL = `SELECT receipt_id, receipt_no, business_day, opened_at, closed_at, cashier_id, kind, currency,
  gross_minor, ${TSE_COLUMNS.join(', ')}, rowid FROM F_RECEIPT WHERE business_day IS ? ORDER BY receipt_no, receipt_id, rowid`;
const LINES_SQL = `SELECT l.receipt_id, l.line_no, l.article_id, l.description, l.quantity_milli, l.unit_price_minor,
  l.gross_minor, l.vat_rate_id, l.vat_rate_basis_points, l.voided, l.rowid
  FROM F_RECEIPT r JOIN F_RECEIPT_LINE l ON l.receipt_id = r.receipt_id
  WHERE r.business_day IS ? ORDER BY r.receipt_no, r.receipt_id, r.rowid, l.line_no`;
const PAYMENTS_SQL = `SELECT p.receipt_id, p.payment_no, p.payment_type_id, p.payment_type_name, p.amount_minor, p.rowid
  FROM F_RECEIPT r JOIN F_PAYMENT p ON p.receipt_id = r.receipt_id
  WHERE r.business_day IS ? ORDER BY r.receipt_no, r.receipt_id, r.rowid, p.payment_no`;
const STOCK_POSTINGS_SQL = `SELECT posting_id, business_day, posted_at, article_id, quantity_milli, reason, receipt_id, rowid
  FROM F_STOCK_POSTING WHERE business_day IS ? ORDER BY posting_id`;

// Walks the two by-day indexes only; NULL and malformed values come out as groups of their own.
const BOOKED_DAYS_SQL = `SELECT day, SUM(r) AS receipts, SUM(s) AS stockPostings FROM (
  SELECT business_day AS day, COUNT(*) AS r, 0 AS s FROM F_RECEIPT GROUP BY business_day
  UNION ALL SELECT business_day, 0, COUNT(*) FROM F_STOCK_POSTING GROUP BY business_day)
  GROUP BY day ORDER BY day`;

type Row = unknown[];

// The columns of the day queries above, in their order (the rowid follows them).
const RECEIPT_COLUMNS = [
  'receipt_id',
  'receipt_no',
  'business_day',
  'opened_at',
  'closed_at',
  'cashier_id',
  'kind',
  'currency',
  'gross_minor',
  ...TSE_COLUMNS,
];
/** Where the TSE columns start in a receipt row, and the host contract's name of each (records.ts). */
const TSE_AT = RECEIPT_COLUMNS.indexOf(TSE_COLUMNS[0]);
const TSE_KEYS = [
  'serialNumber',
  'transactionNumber',
  'signatureCounter',
  'startedAt',
  'finishedAt',
  'processType',
  'signature',
  'signatureAlgorithm',
  'timeFormat',
  'error',
] as const;

/**
 * The receipt's TSE record, or undefined when every TSE column is NULL (no
 * module). A NULL column is a field the module did not report; whether the
 * rest suffices is the plugin's schema to say.
 */
function tseOf(r: Row): Record<string, unknown> | undefined {
  let tse: Record<string, unknown> | undefined;
  for (let i = 0; i < TSE_KEYS.length; i++) {
    const v = r[TSE_AT + i];
    if (v === null) continue;
    tse ??= {};
    tse[TSE_KEYS[i]!] = v;
  }
  return tse;
}
const LINE_COLUMNS = [
  'receipt_id',
  'line_no',
  'article_id',
  'description',
  'quantity_milli',
  'unit_price_minor',
  'gross_minor',
  'vat_rate_id',
  'vat_rate_basis_points',
  'voided',
];
const PAYMENT_COLUMNS = ['receipt_id', 'payment_no', 'payment_type_id', 'payment_type_name', 'amount_minor'];
const STOCK_POSTING_COLUMNS = [
  'posting_id',
  'business_day',
  'posted_at',
  'article_id',
  'quantity_milli',
  'reason',
  'receipt_id',
];

/** How long one stream spent inside SQLite and building records, for the shell's log of where a close's time goes. */
export interface JournalReadReport {
  stream: 'receipts' | 'stock-postings';
  day: BusinessDay;
  records: number;
  /** Time spent producing records, without the time the consumer spent on them. */
  readMs: number;
  /** False when the consumer stopped early or the read failed. */
  complete: boolean;
}

export interface SqliteJournalPortOptions {
  onRead?: (report: JournalReadReport) => void;
  /**
   * Whether a day's receipts and stock postings are read on a thread of their own (journal-read-worker.js)
   * through a second read-only connection; the default for a journal file. An in-memory database has no
   * file to open again and is always read on this thread.
   */
  readOnWorker?: boolean;
}

/** The register's `F_` tables as the host contract's journal port, one business day at a time. */
export class SqliteJournalPort implements JournalPort {
  private readonly statements;
  /**
   * The last day's counts and the database state they were counted at. A
   * close asks for the same day's summary several times (shell, planning,
   * free-space check, export), and each count walks the whole day.
   */
  private lastSummary: { day: BusinessDay; state: string; summary: DaySummary } | null = null;
  private readonly exact;
  private readonly reader: JournalReader | null;

  constructor(
    private readonly db: Database.Database,
    private readonly options: SqliteJournalPortOptions = {},
  ) {
    this.reader = options.readOnWorker !== false && !db.memory && db.name !== '' ? new JournalReader(db.name) : null;
    this.exact = {
      receipts: new ExactRows(db, 'F_RECEIPT', RECEIPT_COLUMNS),
      lines: new ExactRows(db, 'F_RECEIPT_LINE', LINE_COLUMNS),
      payments: new ExactRows(db, 'F_PAYMENT', PAYMENT_COLUMNS),
      stockPostings: new ExactRows(db, 'F_STOCK_POSTING', STOCK_POSTING_COLUMNS),
    };
    this.statements = {
      firstDay: db.prepare(`SELECT MIN(d) AS day FROM (
        SELECT MIN(business_day) AS d FROM F_RECEIPT
        UNION ALL SELECT MIN(business_day) FROM F_STOCK_POSTING
        UNION ALL SELECT MIN(business_day) FROM F_TIME_RECORD)`),
      summary: db.prepare(`SELECT
        (SELECT COUNT(*) FROM F_RECEIPT WHERE business_day = $day) AS receipts,
        (SELECT COUNT(*) FROM F_RECEIPT r JOIN F_RECEIPT_LINE l ON l.receipt_id = r.receipt_id WHERE r.business_day = $day) AS receiptLines,
        (SELECT COUNT(*) FROM F_RECEIPT r JOIN F_PAYMENT p ON p.receipt_id = r.receipt_id WHERE r.business_day = $day) AS payments,
        (SELECT COUNT(*) FROM F_STOCK_POSTING WHERE business_day = $day) AS stockPostings`),
      bookedDays: db.prepare(BOOKED_DAYS_SQL),
      receiptCount: db.prepare('SELECT COUNT(*) FROM F_RECEIPT WHERE business_day = ?').pluck(),
      closingNumber: db.prepare('SELECT z_number FROM F_CLOSING WHERE business_day = ?').pluck(),
      // The modules the day's receipts name; a serial missing from M_TSE comes back without its key and the plugin leaves the list out.
      tseModules: db.prepare(`SELECT s.serial AS serialNumber, m.public_key AS publicKey
        FROM (SELECT DISTINCT tse_serial_number AS serial FROM F_RECEIPT
              WHERE business_day = ? AND tse_serial_number IS NOT NULL) s
        LEFT JOIN M_TSE m ON m.serial_number = s.serial
        ORDER BY s.serial`),
      // data_version moves with every commit of another connection, total_changes() with every change of this one:
      // together they say whether anything could have changed since the counts were taken.
      state: db.prepare("SELECT (SELECT data_version FROM pragma_data_version) || '/' || total_changes()").pluck(),
    };
  }

  async bookedDays(): Promise<BookedDay[]> {
    return (this.statements.bookedDays.all() as { day: unknown; receipts: number; stockPostings: number }[]).map(
      (row) => ({ ...row, day: row.day === null ? null : String(row.day) }),
    );
  }

  /** The day's Z number from F_CLOSING, so a re-send carries it (docs/stick-format.md section 3). */
  async closingNumber(day: BusinessDay): Promise<number | null> {
    return (this.statements.closingNumber.get(day) as number | undefined) ?? null;
  }

  /** The security modules of the day's closing, from M_TSE (docs/stick-format.md 5.1, `tseModules`); null for a day without any. */
  async tseModules(day: BusinessDay): Promise<unknown> {
    const rows = this.statements.tseModules.all(day) as { serialNumber: unknown; publicKey: unknown }[];
    return rows.length === 0 ? null : rows.map((r) => ({ serialNumber: r.serialNumber, publicKey: r.publicKey }));
  }

  async firstBusinessDay(): Promise<BusinessDay | null> {
    const row = this.statements.firstDay.get() as { day: string | null };
    return row.day ?? null;
  }

  async summary(day: BusinessDay): Promise<DaySummary> {
    const state = this.statements.state.get() as string;
    const last = this.lastSummary;
    if (last !== null && last.day === day && last.state === state) return { ...last.summary };
    const summary = this.statements.summary.get({ day }) as DaySummary;
    // Counted inside its own read: a commit in between moves data_version, and the next call counts again.
    if (this.statements.state.get() === state) this.lastSummary = { day, state, summary: { ...summary } };
    return summary;
  }

  /**
   * The day's receipts alone, from the day index: what the register shows with its Z record, in a few
   * milliseconds, where the whole summary also walks every receipt's lines and payments.
   */
  receiptCount(day: BusinessDay): number {
    const last = this.lastSummary;
    if (last !== null && last.day === day && last.state === this.statements.state.get()) return last.summary.receipts;
    return this.statements.receiptCount.get(day) as number;
  }

  /** Stops the reading thread, if one runs; the port still reads, on a new one. */
  close(): Promise<void> {
    return this.reader?.close() ?? Promise.resolve();
  }

  receipts(day: BusinessDay, signal?: AbortSignal): AsyncIterable<unknown> {
    if (this.reader) return this.fromWorker('receipts', day, signal);
    return streamRows(() => this.openReceipts(day), signal, this.reporter('receipts', day));
  }

  private reporter(stream: JournalReadReport['stream'], day: BusinessDay) {
    const onRead = this.options.onRead;
    return (
      onRead &&
      ((records: number, readMs: number, complete: boolean) => onRead({ stream, day, records, readMs, complete }))
    );
  }

  private openReceipts(day: BusinessDay): OpenedRows<unknown> {
    // Prepared per stream: a statement runs one iteration at a time, and the
    // plugin may read the same day twice at once (write, then verify).
    const receipts = this.db.prepare(RECEIPTS_SQL).raw().iterate(day) as Iterator<Row>;
    const lines = new PeekableRows(this.db.prepare(LINES_SQL).raw().iterate(day) as Iterator<Row>);
    const payments = new PeekableRows(this.db.prepare(PAYMENTS_SQL).raw().iterate(day) as Iterator<Row>);
    const produce = (): unknown => {
      const step = receipts.next();
      if (step.done) return undefined;
      const receiptId = step.value[0];
      const receiptLines: unknown[] = [];
      while (lines.peek()?.[0] === receiptId) receiptLines.push(lineRecord(this.exact.lines.of(lines.take()!)));
      const receiptPayments: unknown[] = [];
      while (payments.peek()?.[0] === receiptId) {
        receiptPayments.push(paymentRecord(this.exact.payments.of(payments.take()!)));
      }
      return receiptRecord(this.exact.receipts.of(step.value), receiptLines, receiptPayments);
    };
    return { iterators: [receipts, lines.iterator, payments.iterator], produce };
  }

  private fromWorker(stream: JournalReadReport['stream'], day: BusinessDay, signal?: AbortSignal) {
    const reader = this.reader!;
    return batchedRows(
      () => reader.open(stream, day),
      (batch) => {
        const exact = new Map(batch.exact.map(([at, ...rows]) => [at, rows]));
        return {
          length: batch.ends.length,
          at: (i: number) => {
            const rows = exact.get(i);
            if (rows) return exactRecord(stream, rows);
            return JSON.parse(batch.json.toString('utf8', i === 0 ? 0 : batch.ends[i - 1], batch.ends[i]));
          },
        };
      },
      signal,
      this.reporter(stream, day),
    );
  }

  stockPostings(day: BusinessDay, signal?: AbortSignal): AsyncIterable<unknown> {
    if (this.reader) return this.fromWorker('stock-postings', day, signal);
    return streamRows(() => this.openStockPostings(day), signal, this.reporter('stock-postings', day));
  }

  private openStockPostings(day: BusinessDay): OpenedRows<unknown> {
    const rows = this.db.prepare(STOCK_POSTINGS_SQL).raw().iterate(day) as Iterator<Row>;
    const produce = (): unknown => {
      const step = rows.next();
      return step.done ? undefined : stockPostingRecord(this.exact.stockPostings.of(step.value));
    };
    return { iterators: [rows], produce };
  }
}

function lineRecord(l: Row): unknown {
  return {
    lineNo: l[1],
    articleId: l[2],
    description: l[3],
    quantityMilli: l[4],
    unitPriceMinor: l[5],
    grossMinor: l[6],
    vatRateId: l[7],
    vatRateBasisPoints: l[8],
    voided: sqliteBoolean(l[9]),
  };
}

function paymentRecord(p: Row): unknown {
  return { paymentNo: p[1], paymentTypeId: p[2], paymentTypeName: p[3], amountMinor: p[4] };
}

function receiptRecord(r: Row, lines: unknown[], payments: unknown[]): unknown {
  const receipt: Record<string, unknown> = {
    receiptId: r[0],
    receiptNo: r[1],
    businessDay: r[2],
    openedAt: r[3],
    closedAt: r[4],
    cashierId: r[5],
    kind: r[6],
    currency: r[7],
    grossMinor: r[8],
    lines,
    payments,
  };
  const tse = tseOf(r);
  if (tse !== undefined) receipt.tse = tse;
  return receipt;
}

function stockPostingRecord(s: Row): unknown {
  return {
    postingId: s[0],
    businessDay: s[1],
    postedAt: s[2],
    articleId: s[3],
    quantityMilli: s[4],
    reason: s[5],
    receiptId: s[6],
  };
}

/** A record journal-read-worker.js read exactly, from its raw rows (exactRowOf). */
function exactRecord(stream: JournalReadReport['stream'], rows: unknown[]): unknown {
  if (stream === 'stock-postings') return stockPostingRecord(exactRowOf(rows[0] as unknown[]));
  const [receipt, lines, payments] = rows as [unknown[], unknown[][], unknown[][]];
  return receiptRecord(
    exactRowOf(receipt),
    lines.map((l) => lineRecord(exactRowOf(l))),
    payments.map((p) => paymentRecord(exactRowOf(p))),
  );
}
