import { businessDayProblem } from '../host/business-day.js';
import { type Receipt, ReceiptSchema, type StockPosting, type TimeRecord } from '../host/records.js';
import type { PaymentRow, ReceiptLineRow, ReceiptRow } from './rows.js';

/**
 * Hand-written checks that accept only what the zod schemas of
 * host/records.ts and package/rows.ts accept (the differential tests in
 * test/export-record-checks.test.ts hold them to that), at a fraction of a
 * zod parse. They sit on the hot paths of writing and verifying; when one
 * says no, the caller asks zod, which has the last word and names the reason.
 */
const INSTANT = ReceiptSchema.shape.openedAt._zod.def.pattern as RegExp;

type Obj = Record<string, unknown>;

function isPlainObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

function hasExactlyKeys(o: Obj, count: number): boolean {
  let n = 0;
  for (const _ in o) n++;
  return n === count;
}

function isId(v: unknown): v is string {
  return typeof v === 'string' && v.length >= 1 && v.length <= 64;
}

function isInt(v: unknown): v is number {
  return Number.isSafeInteger(v);
}

function isInstant(v: unknown): v is string {
  return typeof v === 'string' && INSTANT.test(v);
}

/** Nearly every record of a package carries the same day; remembering the last valid one spares a Date per record. */
let lastValidDay = '';
function isDay(v: unknown): v is string {
  if (v === lastValidDay) return true;
  if (typeof v !== 'string' || businessDayProblem(v) !== null) return false;
  lastValidDay = v;
  return true;
}

function lineOk(l: unknown): boolean {
  return isPlainObject(l) && hasExactlyKeys(l, 9) && lineFieldsOk(l);
}

function lineFieldsOk(l: Obj): boolean {
  const bp = l.vatRateBasisPoints;
  return (
    isInt(l.lineNo) &&
    (l.lineNo as number) > 0 &&
    isId(l.articleId) &&
    typeof l.description === 'string' &&
    l.description.length <= 200 &&
    isInt(l.quantityMilli) &&
    isInt(l.unitPriceMinor) &&
    isInt(l.grossMinor) &&
    isId(l.vatRateId) &&
    isInt(bp) &&
    bp >= 0 &&
    bp <= 10000 &&
    typeof l.voided === 'boolean'
  );
}

function paymentOk(p: unknown): boolean {
  return isPlainObject(p) && hasExactlyKeys(p, 4) && paymentFieldsOk(p);
}

function paymentFieldsOk(p: Obj): boolean {
  return (
    isInt(p.paymentNo) &&
    (p.paymentNo as number) > 0 &&
    isId(p.paymentTypeId) &&
    typeof p.paymentTypeName === 'string' &&
    p.paymentTypeName.length <= 100 &&
    isInt(p.amountMinor)
  );
}

const RECEIPT_KINDS = new Set(['sale', 'refund', 'void']);
const POSTING_REASONS = new Set(['sale', 'refund', 'goods-in', 'correction', 'waste']);
const TIME_KINDS = new Set(['clock-in', 'clock-out', 'break-start', 'break-end']);

function receiptHeadOk(r: Obj): boolean {
  return (
    isId(r.receiptId) &&
      isInt(r.receiptNo) &&
      (r.receiptNo as number) > 0 &&
      isDay(r.businessDay) &&
      isInstant(r.openedAt) &&
      isInstant(r.closedAt) &&
      isId(r.cashierId) &&
      typeof r.kind === 'string' &&
      RECEIPT_KINDS.has(r.kind) &&
      typeof r.currency === 'string' &&
      r.currency.length === 3 &&
      isInt(r.grossMinor)
  );
}

export function fastReceiptOk(r: unknown): r is Receipt {
  if (!isPlainObject(r) || !hasExactlyKeys(r, 11)) return false;
  if (!receiptHeadOk(r) || !Array.isArray(r.lines) || !Array.isArray(r.payments)) return false;
  for (const l of r.lines as unknown[]) if (!lineOk(l)) return false;
  for (const p of r.payments as unknown[]) if (!paymentOk(p)) return false;
  return true;
}

export function fastStockPostingOk(s: unknown): s is StockPosting {
  if (!isPlainObject(s) || !hasExactlyKeys(s, 7)) return false;
  return (
    isId(s.postingId) &&
    isDay(s.businessDay) &&
    isInstant(s.postedAt) &&
    isId(s.articleId) &&
    isInt(s.quantityMilli) &&
    typeof s.reason === 'string' &&
    POSTING_REASONS.has(s.reason) &&
    (s.receiptId === null || isId(s.receiptId))
  );
}

export function fastTimeRecordOk(t: unknown): t is TimeRecord {
  if (!isPlainObject(t) || !hasExactlyKeys(t, 5)) return false;
  return (
    isId(t.recordId) &&
    isDay(t.businessDay) &&
    isId(t.employeeId) &&
    typeof t.kind === 'string' &&
    TIME_KINDS.has(t.kind) &&
    isInstant(t.at)
  );
}

/** Rows of a package's entries (package/rows.ts), checked the same way by the verifier. */
export function fastReceiptRowOk(r: unknown): r is ReceiptRow {
  return (
    isPlainObject(r) &&
    hasExactlyKeys(r, 11) &&
    receiptHeadOk(r) &&
    isInt(r.lineCount) &&
    (r.lineCount as number) >= 0 &&
    isInt(r.paymentCount) &&
    (r.paymentCount as number) >= 0
  );
}

export function fastReceiptLineRowOk(l: unknown): l is ReceiptLineRow {
  return isPlainObject(l) && hasExactlyKeys(l, 10) && isId(l.receiptId) && lineFieldsOk(l);
}

export function fastPaymentRowOk(p: unknown): p is PaymentRow {
  return isPlainObject(p) && hasExactlyKeys(p, 5) && isId(p.receiptId) && paymentFieldsOk(p);
}
