import { type Payment, type Receipt, type ReceiptLine, type StockPosting, TSE_FIELDS, type TimeRecord, type Tse } from '../host/records.js';

/**
 * The canonical NDJSON line of each package row (field order of
 * docs/stick-format.md), written as UTF-8 straight into the batch buffer,
 * field by field. A template string would first be built as a rope of
 * twenty-odd pieces, then flattened, then encoded; writing the bytes
 * directly skips both intermediate strings. The output is byte for byte the
 * UTF-8 of JSON.stringify of the row object with its fields in spec order
 * (test/export-row-bytes.test.ts holds every row to that).
 *
 * Only for records that passed their checks: every number is a safe
 * integer, every boolean a boolean, a stock posting's `receiptId` a string
 * or null. A string of printable ASCII without `"` or `\` is copied as it
 * is, which is what JSON.stringify prints for it; any other string goes
 * through JSON.stringify itself.
 */

/** Bytes a row may take at most, for `strings` UTF-16 code units of text; see rowBound(). */
const MAX_BYTES_PER_CODE_UNIT = 6; // `\uXXXX`; a non-escaped code unit takes at most 3 UTF-8 bytes
const MAX_BYTES_PER_NUMBER = 17; // sign and 16 digits of a safe integer
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Where a row is written: the batch's bytes and a DataView on the same memory. */
export interface RowBuffer {
  bytes: Buffer;
  view: DataView;
}

export function rowBuffer(bytes: Buffer): RowBuffer {
  return { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
}

/**
 * Fixed ASCII text of a row (field names and punctuation), kept as
 * little-endian 32-bit words plus a tail: four bytes per store instead of
 * one, which halves the time spent copying a row's fixed text.
 */
interface Literal {
  words: Uint32Array;
  tail: Uint8Array;
  length: number;
}

function ascii(text: string): Literal {
  const bytes = Uint8Array.from(text, (c) => c.charCodeAt(0));
  const words = new Uint32Array(bytes.length >> 2);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < words.length; i++) words[i] = view.getUint32(i * 4, true);
  return { words, tail: bytes.subarray(words.length * 4), length: bytes.length };
}

/** An upper bound of a row's bytes (newline included): fixed text, numbers and text fields. */
function rowBound(fixedBytes: number, numbers: number, textUnits: number): number {
  return fixedBytes + numbers * MAX_BYTES_PER_NUMBER + textUnits * MAX_BYTES_PER_CODE_UNIT + 1;
}

function put(out: RowBuffer, pos: number, text: Literal): number {
  const { words, tail } = text;
  let q = pos;
  for (let i = 0; i < words.length; i++, q += 4) out.view.setUint32(q, words[i]!, true);
  for (let i = 0; i < tail.length; i++) out.bytes[q + i] = tail[i]!;
  return pos + text.length;
}

/** JSON.stringify(text) as UTF-8 at `pos`; returns the position after it. */
export function putJsonString(out: RowBuffer, pos: number, text: string): number {
  out.bytes[pos] = QUOTE;
  let q = pos + 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === QUOTE || c === BACKSLASH) return pos + out.bytes.write(JSON.stringify(text), pos);
    out.bytes[q++] = c;
  }
  out.bytes[q] = QUOTE;
  return q + 1;
}

/** The decimal text of a safe integer as JSON.stringify prints it (-0 as 0); returns the position after it. */
export function putSafeInteger(out: RowBuffer, pos: number, n: number): number {
  let p = pos;
  let rest = n;
  if (rest < 0) {
    out.bytes[p++] = 0x2d;
    rest = -rest;
  }
  let digits = 1;
  for (let t = rest; t >= 10; t = (t - (t % 10)) / 10) digits++;
  const end = p + digits;
  for (let i = end - 1; i >= p; i--) {
    const d = rest % 10;
    out.bytes[i] = 0x30 + d;
    rest = (rest - d) / 10;
  }
  return end;
}

/**
 * A receipt's id as JSON bytes, encoded once and copied into each of its
 * lines and payments. Reused from receipt to receipt.
 */
export class ReceiptIdJson {
  private encoded = rowBuffer(Buffer.allocUnsafe(64 * MAX_BYTES_PER_CODE_UNIT + 2));
  length = 0;

  set(receiptId: string): void {
    const needed = receiptId.length * MAX_BYTES_PER_CODE_UNIT + 2;
    if (needed > this.encoded.bytes.length) this.encoded = rowBuffer(Buffer.allocUnsafe(needed));
    this.length = putJsonString(this.encoded, 0, receiptId);
  }

  put(out: RowBuffer, pos: number): number {
    const { length } = this;
    const bytes = this.encoded.bytes;
    for (let i = 0; i < length; i++) out.bytes[pos + i] = bytes[i]!;
    return pos + length;
  }
}

const TRUE = ascii('true');
const FALSE = ascii('false');

const LINE = [
  '{"receiptId":',
  ',"lineNo":',
  ',"articleId":',
  ',"description":',
  ',"quantityMilli":',
  ',"unitPriceMinor":',
  ',"grossMinor":',
  ',"vatRateId":',
  ',"vatRateBasisPoints":',
  ',"voided":',
  '}',
].map(ascii);
const LINE_FIXED = LINE.reduce((n, b) => n + b.length, 0) + 6 + FALSE.length;

export function receiptLineRowBound(receiptId: ReceiptIdJson, l: ReceiptLine): number {
  const text = l.articleId.length + l.description.length + l.vatRateId.length;
  return rowBound(LINE_FIXED + receiptId.length, 5, text);
}

/** The line's row at `pos`, without its newline; returns the position after it. */
export function putReceiptLineRow(out: RowBuffer, pos: number, receiptId: ReceiptIdJson, l: ReceiptLine): number {
  let p = put(out, pos, LINE[0]!);
  p = receiptId.put(out, p);
  p = put(out, p, LINE[1]!);
  p = putSafeInteger(out, p, l.lineNo);
  p = put(out, p, LINE[2]!);
  p = putJsonString(out, p, l.articleId);
  p = put(out, p, LINE[3]!);
  p = putJsonString(out, p, l.description);
  p = put(out, p, LINE[4]!);
  p = putSafeInteger(out, p, l.quantityMilli);
  p = put(out, p, LINE[5]!);
  p = putSafeInteger(out, p, l.unitPriceMinor);
  p = put(out, p, LINE[6]!);
  p = putSafeInteger(out, p, l.grossMinor);
  p = put(out, p, LINE[7]!);
  p = putJsonString(out, p, l.vatRateId);
  p = put(out, p, LINE[8]!);
  p = putSafeInteger(out, p, l.vatRateBasisPoints);
  p = put(out, p, LINE[9]!);
  p = put(out, p, l.voided ? TRUE : FALSE);
  return put(out, p, LINE[10]!);
}

const PAYMENT = ['{"receiptId":', ',"paymentNo":', ',"paymentTypeId":', ',"paymentTypeName":', ',"amountMinor":', '}'].map(
  ascii,
);
const PAYMENT_FIXED = PAYMENT.reduce((n, b) => n + b.length, 0) + 4;

export function paymentRowBound(receiptId: ReceiptIdJson, p: Payment): number {
  return rowBound(PAYMENT_FIXED + receiptId.length, 2, p.paymentTypeId.length + p.paymentTypeName.length);
}

export function putPaymentRow(out: RowBuffer, pos: number, receiptId: ReceiptIdJson, pay: Payment): number {
  let p = put(out, pos, PAYMENT[0]!);
  p = receiptId.put(out, p);
  p = put(out, p, PAYMENT[1]!);
  p = putSafeInteger(out, p, pay.paymentNo);
  p = put(out, p, PAYMENT[2]!);
  p = putJsonString(out, p, pay.paymentTypeId);
  p = put(out, p, PAYMENT[3]!);
  p = putJsonString(out, p, pay.paymentTypeName);
  p = put(out, p, PAYMENT[4]!);
  p = putSafeInteger(out, p, pay.amountMinor);
  return put(out, p, PAYMENT[5]!);
}

const RECEIPT = [
  '{"receiptId":',
  ',"receiptNo":',
  ',"businessDay":',
  ',"openedAt":',
  ',"closedAt":',
  ',"cashierId":',
  ',"kind":',
  ',"currency":',
  ',"grossMinor":',
  ',"lineCount":',
  ',"paymentCount":',
  '}',
].map(ascii);
const RECEIPT_FIXED = RECEIPT.reduce((n, b) => n + b.length, 0) + 12;
const TSE_KEY = ascii(',"tse":');
const TSE_ORDER = [...TSE_FIELDS, 'error'] as const;
// Per field: `"name":` and a comma, at most 20 ASCII characters for the longest name.
const TSE_FIXED = TSE_KEY.length + 2 + TSE_ORDER.length * 24;

/** Code units of the tse object's text fields; its two numbers are counted by the caller. */
function tseTextUnits(t: Tse): number {
  let units = 0;
  for (const field of TSE_ORDER) {
    const v = t[field];
    if (typeof v === 'string') units += v.length + 2;
  }
  return units;
}

export function receiptRowBound(receiptId: ReceiptIdJson, r: Receipt): number {
  const text = r.businessDay.length + r.openedAt.length + r.closedAt.length;
  const tse = r.tse === undefined ? 0 : TSE_FIXED;
  const tseText = r.tse === undefined ? 0 : tseTextUnits(r.tse);
  return rowBound(RECEIPT_FIXED + receiptId.length + tse, 6, text + r.cashierId.length + r.kind.length + r.currency.length + tseText);
}

/**
 * The tse object in section 5's field order, fields the record lacks left
 * out. Only German registers carry it, and its fields are short, so it goes
 * through JSON.stringify rather than byte by byte.
 */
function tseJson(t: Tse): string {
  const ordered: Record<string, unknown> = {};
  for (const field of TSE_ORDER) if (t[field] !== undefined) ordered[field] = t[field];
  return JSON.stringify(ordered);
}

/** `receiptId` holds r.receiptId. */
export function putReceiptRow(out: RowBuffer, pos: number, receiptId: ReceiptIdJson, r: Receipt): number {
  let p = put(out, pos, RECEIPT[0]!);
  p = receiptId.put(out, p);
  p = put(out, p, RECEIPT[1]!);
  p = putSafeInteger(out, p, r.receiptNo);
  p = put(out, p, RECEIPT[2]!);
  p = putJsonString(out, p, r.businessDay);
  p = put(out, p, RECEIPT[3]!);
  p = putJsonString(out, p, r.openedAt);
  p = put(out, p, RECEIPT[4]!);
  p = putJsonString(out, p, r.closedAt);
  p = put(out, p, RECEIPT[5]!);
  p = putJsonString(out, p, r.cashierId);
  p = put(out, p, RECEIPT[6]!);
  p = putJsonString(out, p, r.kind);
  p = put(out, p, RECEIPT[7]!);
  p = putJsonString(out, p, r.currency);
  p = put(out, p, RECEIPT[8]!);
  p = putSafeInteger(out, p, r.grossMinor);
  p = put(out, p, RECEIPT[9]!);
  p = putSafeInteger(out, p, r.lines.length);
  p = put(out, p, RECEIPT[10]!);
  p = putSafeInteger(out, p, r.payments.length);
  if (r.tse !== undefined) {
    p = put(out, p, TSE_KEY);
    p += out.bytes.write(tseJson(r.tse), p);
  }
  return put(out, p, RECEIPT[11]!);
}

const POSTING = [
  '{"postingId":',
  ',"businessDay":',
  ',"postedAt":',
  ',"articleId":',
  ',"quantityMilli":',
  ',"reason":',
  ',"receiptId":',
  '}',
].map(ascii);
const POSTING_FIXED = POSTING.reduce((n, b) => n + b.length, 0) + 12;
const NULL = ascii('null');

export function stockPostingRowBound(s: StockPosting): number {
  const text = s.postingId.length + s.businessDay.length + s.postedAt.length + s.articleId.length + s.reason.length;
  return rowBound(POSTING_FIXED, 1, text + (s.receiptId?.length ?? NULL.length));
}

export function putStockPostingRow(out: RowBuffer, pos: number, s: StockPosting): number {
  let p = put(out, pos, POSTING[0]!);
  p = putJsonString(out, p, s.postingId);
  p = put(out, p, POSTING[1]!);
  p = putJsonString(out, p, s.businessDay);
  p = put(out, p, POSTING[2]!);
  p = putJsonString(out, p, s.postedAt);
  p = put(out, p, POSTING[3]!);
  p = putJsonString(out, p, s.articleId);
  p = put(out, p, POSTING[4]!);
  p = putSafeInteger(out, p, s.quantityMilli);
  p = put(out, p, POSTING[5]!);
  p = putJsonString(out, p, s.reason);
  p = put(out, p, POSTING[6]!);
  p = s.receiptId === null ? put(out, p, NULL) : putJsonString(out, p, s.receiptId);
  return put(out, p, POSTING[7]!);
}

const TIME_RECORD = ['{"recordId":', ',"businessDay":', ',"employeeId":', ',"kind":', ',"at":', '}'].map(ascii);
const TIME_RECORD_FIXED = TIME_RECORD.reduce((n, b) => n + b.length, 0) + 10;

export function timeRecordRowBound(t: TimeRecord): number {
  const text = t.recordId.length + t.businessDay.length + t.employeeId.length + t.kind.length + t.at.length;
  return rowBound(TIME_RECORD_FIXED, 0, text);
}

export function putTimeRecordRow(out: RowBuffer, pos: number, t: TimeRecord): number {
  let p = put(out, pos, TIME_RECORD[0]!);
  p = putJsonString(out, p, t.recordId);
  p = put(out, p, TIME_RECORD[1]!);
  p = putJsonString(out, p, t.businessDay);
  p = put(out, p, TIME_RECORD[2]!);
  p = putJsonString(out, p, t.employeeId);
  p = put(out, p, TIME_RECORD[3]!);
  p = putJsonString(out, p, t.kind);
  p = put(out, p, TIME_RECORD[4]!);
  p = putJsonString(out, p, t.at);
  return put(out, p, TIME_RECORD[5]!);
}
