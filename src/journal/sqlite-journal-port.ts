import type Database from 'better-sqlite3';
import type { BusinessDay } from '../host/business-day.js';
import type { BookedDay, DaySummary, JournalPort } from '../host/ports.js';
import { EXACT_ROWID, ExactRows } from './exact-rows.js';
import { type OpenedRows, PeekableRows, streamRows } from './stream-rows.js';

interface ReceiptRow {
  receipt_id: unknown;
  receipt_no: unknown;
  business_day: unknown;
  opened_at: unknown;
  closed_at: unknown;
  cashier_id: unknown;
  kind: unknown;
  currency: unknown;
  gross_minor: unknown;
}

interface LineRow {
  receipt_id: unknown;
  line_no: unknown;
  article_id: unknown;
  description: unknown;
  quantity_milli: unknown;
  unit_price_minor: unknown;
  gross_minor: unknown;
  vat_rate_id: unknown;
  vat_rate_basis_points: unknown;
  voided: unknown;
}

interface PaymentRow {
  receipt_id: unknown;
  payment_no: unknown;
  payment_type_id: unknown;
  payment_type_name: unknown;
  amount_minor: unknown;
}

interface StockPostingRow {
  posting_id: unknown;
  business_day: unknown;
  posted_at: unknown;
  article_id: unknown;
  quantity_milli: unknown;
  reason: unknown;
  receipt_id: unknown;
}

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
const RECEIPTS_SQL = `SELECT rowid AS ${EXACT_ROWID}, * FROM F_RECEIPT WHERE business_day IS ? ORDER BY receipt_no, receipt_id`;
const LINES_SQL = `SELECT l.rowid AS ${EXACT_ROWID}, l.* FROM F_RECEIPT r JOIN F_RECEIPT_LINE l ON l.receipt_id = r.receipt_id
  WHERE r.business_day IS ? ORDER BY r.receipt_no, r.receipt_id, l.line_no`;
const PAYMENTS_SQL = `SELECT p.rowid AS ${EXACT_ROWID}, p.* FROM F_RECEIPT r JOIN F_PAYMENT p ON p.receipt_id = r.receipt_id
  WHERE r.business_day IS ? ORDER BY r.receipt_no, r.receipt_id, p.payment_no`;
const STOCK_POSTINGS_SQL = `SELECT rowid AS ${EXACT_ROWID}, * FROM F_STOCK_POSTING WHERE business_day IS ? ORDER BY posting_id`;
// Walks the two by-day indexes only; NULL and malformed values come out as groups of their own.
const BOOKED_DAYS_SQL = `SELECT day, SUM(r) AS receipts, SUM(s) AS stockPostings FROM (
  SELECT business_day AS day, COUNT(*) AS r, 0 AS s FROM F_RECEIPT GROUP BY business_day
  UNION ALL SELECT business_day, 0, COUNT(*) FROM F_STOCK_POSTING GROUP BY business_day)
  GROUP BY day ORDER BY day`;

/** The register's `F_` tables as the host contract's journal port, one business day at a time. */
export class SqliteJournalPort implements JournalPort {
  private readonly statements;
  private readonly exact;

  constructor(private readonly db: Database.Database) {
    this.exact = {
      receipts: new ExactRows(db, 'F_RECEIPT'),
      lines: new ExactRows(db, 'F_RECEIPT_LINE'),
      payments: new ExactRows(db, 'F_PAYMENT'),
      stockPostings: new ExactRows(db, 'F_STOCK_POSTING'),
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
    };
  }

  async bookedDays(): Promise<BookedDay[]> {
    return (this.statements.bookedDays.all() as { day: unknown; receipts: number; stockPostings: number }[]).map(
      (row) => ({ ...row, day: row.day === null ? null : String(row.day) }),
    );
  }

  async firstBusinessDay(): Promise<BusinessDay | null> {
    const row = this.statements.firstDay.get() as { day: string | null };
    return row.day ?? null;
  }

  async summary(day: BusinessDay): Promise<DaySummary> {
    return this.statements.summary.get({ day }) as DaySummary;
  }

  receipts(day: BusinessDay, signal?: AbortSignal): AsyncIterable<unknown> {
    return streamRows(() => this.openReceipts(day), signal);
  }

  private openReceipts(day: BusinessDay): OpenedRows<unknown> {
    // Prepared per stream: a statement runs one iteration at a time, and the
    // plugin may read the same day twice at once (write, then verify).
    const receipts = this.db.prepare(RECEIPTS_SQL).iterate(day) as Iterator<ReceiptRow>;
    const lines = new PeekableRows(this.db.prepare(LINES_SQL).iterate(day) as Iterator<LineRow>);
    const payments = new PeekableRows(this.db.prepare(PAYMENTS_SQL).iterate(day) as Iterator<PaymentRow>);
    const produce = (): unknown => {
      const step = receipts.next();
      if (step.done) return undefined;
      const r = this.exact.receipts.of(step.value);
      const receiptLines: unknown[] = [];
      while (lines.peek()?.receipt_id === step.value.receipt_id) {
        const l = this.exact.lines.of(lines.take()!);
        receiptLines.push({
          lineNo: l.line_no,
          articleId: l.article_id,
          description: l.description,
          quantityMilli: l.quantity_milli,
          unitPriceMinor: l.unit_price_minor,
          grossMinor: l.gross_minor,
          vatRateId: l.vat_rate_id,
          vatRateBasisPoints: l.vat_rate_basis_points,
          voided: sqliteBoolean(l.voided),
        });
      }
      const receiptPayments: unknown[] = [];
      while (payments.peek()?.receipt_id === step.value.receipt_id) {
        const p = this.exact.payments.of(payments.take()!);
        receiptPayments.push({
          paymentNo: p.payment_no,
          paymentTypeId: p.payment_type_id,
          paymentTypeName: p.payment_type_name,
          amountMinor: p.amount_minor,
        });
      }
      return {
        receiptId: r.receipt_id,
        receiptNo: r.receipt_no,
        businessDay: r.business_day,
        openedAt: r.opened_at,
        closedAt: r.closed_at,
        cashierId: r.cashier_id,
        kind: r.kind,
        currency: r.currency,
        grossMinor: r.gross_minor,
        lines: receiptLines,
        payments: receiptPayments,
      };
    };
    return { iterators: [receipts, lines.iterator, payments.iterator], produce };
  }

  stockPostings(day: BusinessDay, signal?: AbortSignal): AsyncIterable<unknown> {
    return streamRows(() => this.openStockPostings(day), signal);
  }

  private openStockPostings(day: BusinessDay): OpenedRows<unknown> {
    const rows = this.db.prepare(STOCK_POSTINGS_SQL).iterate(day) as Iterator<StockPostingRow>;
    const produce = (): unknown => {
      const step = rows.next();
      if (step.done) return undefined;
      const s = this.exact.stockPostings.of(step.value);
      return {
        postingId: s.posting_id,
        businessDay: s.business_day,
        postedAt: s.posted_at,
        articleId: s.article_id,
        quantityMilli: s.quantity_milli,
        reason: s.reason,
        receiptId: s.receipt_id,
      };
    };
    return { iterators: [rows], produce };
  }
}
