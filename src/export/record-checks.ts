import type { z } from 'zod';
import { businessDayProblem } from '../host/business-day.js';
import {
  type Receipt,
  ReceiptSchema,
  type StockPosting,
  StockPostingSchema,
  type TimeRecord,
  TimeRecordSchema,
} from '../host/records.js';

/**
 * Hand-written checks that accept only records the zod schemas in
 * host/records.ts accept (test/export-record-checks.test.ts holds them to
 * that), but cost a fraction of a zod parse on the hot path. When a check
 * says no, zod has the last word and supplies the reason, so a record is
 * never quarantined that zod would pass, and the quarantine reason is zod's.
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
  if (!isPlainObject(l) || !hasExactlyKeys(l, 9)) return false;
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
  if (!isPlainObject(p) || !hasExactlyKeys(p, 4)) return false;
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

export function fastReceiptOk(r: unknown): r is Receipt {
  if (!isPlainObject(r) || !hasExactlyKeys(r, 11)) return false;
  if (
    !(
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
      isInt(r.grossMinor) &&
      Array.isArray(r.lines) &&
      Array.isArray(r.payments)
    )
  ) {
    return false;
  }
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

export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

function viaZod<T>(schema: z.ZodType<T>, record: unknown): Checked<T> {
  const parsed = schema.safeParse(record);
  if (parsed.success) return { ok: true, value: parsed.data };
  const reason = parsed.error.issues
    .slice(0, 10)
    .map((i) => `${i.path.length ? i.path.join('.') : '(record)'}: ${i.message}`)
    .join('; ');
  return { ok: false, reason };
}

/** The record as the package will carry it, or why it goes to quarantine instead. */
export function checkReceipt(record: unknown, day: string): Checked<Receipt> {
  const c: Checked<Receipt> = fastReceiptOk(record) ? { ok: true, value: record } : viaZod(ReceiptSchema, record);
  return c.ok ? sameDay(c, c.value.businessDay, day) : c;
}

export function checkStockPosting(record: unknown, day: string): Checked<StockPosting> {
  const c: Checked<StockPosting> = fastStockPostingOk(record)
    ? { ok: true, value: record }
    : viaZod(StockPostingSchema, record);
  return c.ok ? sameDay(c, c.value.businessDay, day) : c;
}

export function checkTimeRecord(record: unknown, day: string): Checked<TimeRecord> {
  const c: Checked<TimeRecord> = fastTimeRecordOk(record) ? { ok: true, value: record } : viaZod(TimeRecordSchema, record);
  return c.ok ? sameDay(c, c.value.businessDay, day) : c;
}

/** A schema-valid record of another day would be counted twice at head office once that day is sent too. */
function sameDay<T>(c: Checked<T>, recordDay: string, day: string): Checked<T> {
  return recordDay === day ? c : { ok: false, reason: `businessDay: belongs to ${recordDay}, not to ${day}` };
}
