import { businessDayProblem } from '../host/business-day.js';
import { type Receipt, ReceiptSchema, type StockPosting, TSE_FIELDS, type TimeRecord } from '../host/records.js';
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

/**
 * The date part ('YYYY-MM-DDT') of the last instant the pattern accepted.
 * A day's records share their date, and the pattern's date half (leap years
 * included) is its dearest part: an instant starting with a date the
 * pattern already accepted needs only its time of day checked, which is
 * exactly the pattern's time half, spelt out.
 */
let lastInstantDate = '';

function isInstant(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  if (lastInstantDate !== '' && v.startsWith(lastInstantDate) && timeOfDayOk(v, lastInstantDate.length)) return true;
  if (!INSTANT.test(v)) return false;
  lastInstantDate = v.slice(0, 11);
  return true;
}

/** 0-9 at `i`, else -1. */
function digit(v: string, i: number): number {
  const c = v.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
}

/** `HH:MM` with HH 00-23 and MM 00-59 at `i`. */
function hourMinuteOk(v: string, i: number): boolean {
  const h1 = digit(v, i);
  const h2 = digit(v, i + 1);
  const m1 = digit(v, i + 3);
  return (
    h1 >= 0 &&
    h2 >= 0 &&
    (h1 < 2 || (h1 === 2 && h2 <= 3)) &&
    v.charCodeAt(i + 2) === 58 &&
    m1 >= 0 &&
    m1 <= 5 &&
    digit(v, i + 4) >= 0
  );
}

/** From `i` to the end: `HH:MM:SS`, optional `.` and digits, then `Z` or `+HH:MM` / `-HH:MM`. */
function timeOfDayOk(v: string, i: number): boolean {
  if (!hourMinuteOk(v, i) || v.charCodeAt(i + 5) !== 58) return false;
  const s1 = digit(v, i + 6);
  if (s1 < 0 || s1 > 5 || digit(v, i + 7) < 0) return false;
  let j = i + 8;
  if (v.charCodeAt(j) === 46) {
    j++;
    if (digit(v, j) < 0) return false;
    while (digit(v, j) >= 0) j++;
  }
  const zone = v.charCodeAt(j);
  if (zone === 90) return j + 1 === v.length;
  return (zone === 43 || zone === 45) && j + 6 === v.length && hourMinuteOk(v, j + 1);
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

const TSE_TIME_FORMATS = new Set(['unixTime', 'utcTime', 'generalizedTime']);
const TSE_SIGNATURE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function textOk(v: unknown, min: number, max: number): boolean {
  return typeof v === 'string' && v.length >= min && v.length <= max;
}

/** A complete TSE record (the usual case), or one carrying `error` with whichever sound fields the module gave. */
function tseOk(t: unknown): boolean {
  if (!isPlainObject(t)) return false;
  if (t.error === undefined) return hasExactlyKeys(t, 9) && tseFieldsOk(t, false);
  let known = 0;
  for (const key in t) {
    // A key set to undefined is zod's to judge (it passes an optional field), and so is any unknown key.
    if (t[key] === undefined || !(key === 'error' || (TSE_FIELDS as readonly string[]).includes(key))) return false;
    known++;
  }
  return known > 0 && textOk(t.error, 1, 500) && tseFieldsOk(t, true);
}

/** Each field sound; with `partial`, a field that is missing passes. */
function tseFieldsOk(t: Obj, partial: boolean): boolean {
  const has = (key: string) => !partial || t[key] !== undefined;
  return (
    (!has('serialNumber') || textOk(t.serialNumber, 1, 128)) &&
    (!has('transactionNumber') || (isInt(t.transactionNumber) && (t.transactionNumber as number) > 0)) &&
    (!has('signatureCounter') || (isInt(t.signatureCounter) && (t.signatureCounter as number) >= 0)) &&
    (!has('startedAt') || isInstant(t.startedAt)) &&
    (!has('finishedAt') || isInstant(t.finishedAt)) &&
    (!has('processType') || textOk(t.processType, 1, 30)) &&
    (!has('signature') || (textOk(t.signature, 4, 1024) && TSE_SIGNATURE.test(t.signature as string))) &&
    (!has('signatureAlgorithm') || textOk(t.signatureAlgorithm, 1, 64)) &&
    (!has('timeFormat') || (typeof t.timeFormat === 'string' && TSE_TIME_FORMATS.has(t.timeFormat)))
  );
}

/** Keys beyond `base` a receipt (row) may carry: none, or a sound `tse`. */
function receiptKeysOk(r: Obj, base: number): boolean {
  return 'tse' in r ? hasExactlyKeys(r, base + 1) && tseOk(r.tse) : hasExactlyKeys(r, base);
}

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
  if (!isPlainObject(r) || !receiptKeysOk(r, 11)) return false;
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
    receiptKeysOk(r, 11) &&
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
