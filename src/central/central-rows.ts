import { hash } from 'node:crypto';
import { type StockPosting, TSE_FIELDS, type TimeRecord, type Tse } from '../host/records.js';
import type { PaymentRow, ReceiptLineRow, ReceiptRow } from '../package/rows.js';
import type { SqlValue } from './central-store.js';

/** A receipt with its lines and payments: the unit that is deduplicated, compared and inserted as one. */
export interface ReceiptBundle {
  receipt: ReceiptRow;
  lines: ReceiptLineRow[];
  payments: PaymentRow[];
}

/**
 * Content hashes over the fields in a fixed order (never over an object's
 * key order), so a package row and the same record read from a register
 * database hash alike and "same id, same content" is decided exactly.
 */
function sha256OfValues(values: readonly unknown[]): string {
  // One-shot: a Hash object per record cost more than hashing its few hundred bytes.
  return hash('sha256', JSON.stringify(values), 'hex');
}

const TSE_ORDER = [...TSE_FIELDS, 'error'] as const;

/** The tse fields in a fixed order, null for a field the module did not report. */
function tseValues(tse: Tse | undefined): SqlValue[] {
  return TSE_ORDER.map((f) => (tse === undefined ? null : (tse[f] ?? null)));
}

export function receiptContentHash(b: ReceiptBundle): string {
  const r = b.receipt;
  const values: unknown[] = [
    r.receiptId,
    r.receiptNo,
    r.businessDay,
    r.openedAt,
    r.closedAt,
    r.cashierId,
    r.kind,
    r.currency,
    r.grossMinor,
    b.lines.map((l) => [
      l.lineNo,
      l.articleId,
      l.description,
      l.quantityMilli,
      l.unitPriceMinor,
      l.grossMinor,
      l.vatRateId,
      l.vatRateBasisPoints,
      l.voided,
    ]),
    b.payments.map((p) => [p.paymentNo, p.paymentTypeId, p.paymentTypeName, p.amountMinor]),
  ];
  // Only a receipt with a module record hashes it, so receipts stored before migration 5 keep their hash;
  // a differing signature (or counter) is then a conflict like any other changed field.
  if (r.tse !== undefined) values.push(['tse', tseValues(r.tse)]);
  return sha256OfValues(values);
}

export function stockPostingContentHash(s: StockPosting): string {
  return sha256OfValues([s.postingId, s.businessDay, s.postedAt, s.articleId, s.quantityMilli, s.reason, s.receiptId]);
}

export function timeRecordContentHash(t: TimeRecord): string {
  return sha256OfValues([t.recordId, t.businessDay, t.employeeId, t.kind, t.at]);
}

export const RECEIPT_COLUMNS = [
  'customer_number',
  'register_id',
  'receipt_id',
  'receipt_no',
  'business_day',
  'opened_at',
  'closed_at',
  'cashier_id',
  'kind',
  'currency',
  'gross_minor',
  'line_count',
  'payment_count',
  'content_sha256',
  'source',
  'imported_at',
  'tse_serial_number',
  'tse_transaction_number',
  'tse_signature_counter',
  'tse_started_at',
  'tse_finished_at',
  'tse_process_type',
  'tse_signature',
  'tse_signature_algorithm',
  'tse_time_format',
  'tse_error',
] as const;

export const LINE_COLUMNS = [
  'customer_number',
  'register_id',
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
] as const;

export const PAYMENT_COLUMNS = [
  'customer_number',
  'register_id',
  'receipt_id',
  'payment_no',
  'payment_type_id',
  'payment_type_name',
  'amount_minor',
] as const;

export const STOCK_POSTING_COLUMNS = [
  'customer_number',
  'register_id',
  'posting_id',
  'business_day',
  'posted_at',
  'article_id',
  'quantity_milli',
  'reason',
  'receipt_id',
  'content_sha256',
  'source',
  'imported_at',
] as const;

export const TIME_RECORD_COLUMNS = [
  'customer_number',
  'register_id',
  'record_id',
  'business_day',
  'employee_id',
  'kind',
  'at',
  'content_sha256',
  'source',
  'imported_at',
] as const;

export interface Provenance {
  customerNumber: string;
  registerId: string;
  /** Package id, or `reconcile:<run id>`. */
  source: string;
  importedAt: string;
}

export function receiptValues(b: ReceiptBundle, hash: string, p: Provenance): SqlValue[] {
  const r = b.receipt;
  return [
    p.customerNumber,
    p.registerId,
    r.receiptId,
    r.receiptNo,
    r.businessDay,
    r.openedAt,
    r.closedAt,
    r.cashierId,
    r.kind,
    r.currency,
    r.grossMinor,
    r.lineCount,
    r.paymentCount,
    hash,
    p.source,
    p.importedAt,
    ...tseValues(r.tse),
  ];
}

export function lineValues(l: ReceiptLineRow, p: Provenance): SqlValue[] {
  return [
    p.customerNumber,
    p.registerId,
    l.receiptId,
    l.lineNo,
    l.articleId,
    l.description,
    l.quantityMilli,
    l.unitPriceMinor,
    l.grossMinor,
    l.vatRateId,
    l.vatRateBasisPoints,
    l.voided ? 1 : 0,
  ];
}

export function paymentValues(x: PaymentRow, p: Provenance): SqlValue[] {
  return [p.customerNumber, p.registerId, x.receiptId, x.paymentNo, x.paymentTypeId, x.paymentTypeName, x.amountMinor];
}

export function stockPostingValues(s: StockPosting, hash: string, p: Provenance): SqlValue[] {
  return [
    p.customerNumber,
    p.registerId,
    s.postingId,
    s.businessDay,
    s.postedAt,
    s.articleId,
    s.quantityMilli,
    s.reason,
    s.receiptId,
    hash,
    p.source,
    p.importedAt,
  ];
}

export function timeRecordValues(t: TimeRecord, hash: string, p: Provenance): SqlValue[] {
  return [p.customerNumber, p.registerId, t.recordId, t.businessDay, t.employeeId, t.kind, t.at, hash, p.source, p.importedAt];
}
