import type { Payment, Receipt, ReceiptLine, StockPosting, TimeRecord } from '../src/host/records.js';
import {
  paymentRowBound,
  putJsonString,
  putPaymentRow,
  putReceiptLineRow,
  putReceiptRow,
  putSafeInteger,
  putStockPostingRow,
  putTimeRecordRow,
  receiptLineRowBound,
  ReceiptIdJson,
  receiptRowBound,
  rowBuffer,
  stockPostingRowBound,
  timeRecordRowBound,
} from '../src/export/row-bytes.js';

/**
 * The writer writes every row as bytes; the package's hashes depend on them
 * being the UTF-8 of JSON.stringify of the row object in spec order
 * (escapes, surrogates, -0 and safe-integer edges included), and on the
 * bound never being too small.
 */
const TRICKY = [
  'plain',
  'quote " and \\ backslash',
  'tab\tnewline\n',
  'ctrl \u0001\u001f\u007f',
  'lone \ud800 surrogate \udfff',
  'Grüße € 😀',
  '',
  '\u0000'.repeat(64),
  '"'.repeat(200),
  '\ud83d'.repeat(100),
];
const NUMBERS = [0, -0, 1, -1, 9, 10, -10, 99, 100, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), 2 ** 32, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1999];

function written(bound: number, write: (out: ReturnType<typeof rowBuffer>, pos: number) => number): string {
  // Garbage around the row shows any byte written outside its bound.
  const buf = Buffer.alloc(bound + 20, 0xee);
  const end = write(rowBuffer(buf), 10);
  expect(end - 10 + 1).toBeLessThanOrEqual(bound);
  expect(buf.subarray(0, 10).every((b) => b === 0xee)).toBe(true);
  expect(buf.subarray(end).every((b) => b === 0xee)).toBe(true);
  return buf.subarray(10, end).toString('utf8');
}

test('safe integers print as JSON.stringify prints them', () => {
  const buf = Buffer.alloc(32);
  for (const n of [...NUMBERS, 123456789, -987654321012345, 4503599627370496, 1e15, -1e15]) {
    expect(buf.subarray(0, putSafeInteger(rowBuffer(buf), 0, n)).toString()).toBe(JSON.stringify(n));
  }
  let x = 1;
  for (let i = 0; i < 53; i++, x *= 2) {
    for (const n of [x - 1, x, -x, -(x - 1)]) expect(buf.subarray(0, putSafeInteger(rowBuffer(buf), 0, n)).toString()).toBe(JSON.stringify(n));
  }
});

test('strings print as JSON.stringify prints them, in UTF-8, within six bytes per code unit', () => {
  for (let c = 0; c < 0x10000; c++) {
    const text = `a${String.fromCharCode(c)}z`;
    const buf = Buffer.alloc(text.length * 6 + 2);
    const end = putJsonString(rowBuffer(buf), 0, text);
    expect(buf.subarray(0, end).toString('utf8')).toBe(JSON.stringify(text));
  }
  for (const text of TRICKY) {
    const buf = Buffer.alloc(text.length * 6 + 2);
    expect(buf.subarray(0, putJsonString(rowBuffer(buf), 0, text)).equals(Buffer.from(JSON.stringify(text), 'utf8'))).toBe(true);
  }
});

describe('rows written as bytes equal JSON.stringify of the row object in spec order', () => {
  test.each(TRICKY.flatMap((text) => NUMBERS.map((n) => [text, n] as const)))('text %j, number %d', (text, n) => {
    const receiptId = `R-${text}`.slice(0, 64) || 'R';
    const line: ReceiptLine = {
      lineNo: Math.max(1, Math.abs(n)),
      articleId: `A${text}`.slice(0, 64),
      description: text.slice(0, 200),
      quantityMilli: n,
      unitPriceMinor: n,
      grossMinor: n,
      vatRateId: `V${text}`.slice(0, 64),
      vatRateBasisPoints: 1900,
      voided: n === 0,
    };
    const payment: Payment = { paymentNo: 2, paymentTypeId: `P${text}`.slice(0, 64), paymentTypeName: text.slice(0, 100), amountMinor: n };
    const receipt: Receipt = {
      receiptId,
      receiptNo: 7,
      businessDay: '20260105',
      openedAt: '2026-01-05T08:00:00.000+01:00',
      closedAt: '2026-01-05T08:01:00.000+01:00',
      cashierId: `C${text}`.slice(0, 64),
      kind: 'sale',
      currency: 'EUR',
      grossMinor: n,
      lines: [line, line],
      payments: [payment],
    };
    const id = new ReceiptIdJson();
    id.set('a previous receipt with a much longer id than this one, to be overwritten');
    id.set(receiptId);
    const lineText = written(receiptLineRowBound(id, line), (b, p) => putReceiptLineRow(b, p, id, line));
    expect(lineText).toBe(JSON.stringify({ receiptId, ...line }));
    const paymentText = written(paymentRowBound(id, payment), (b, p) => putPaymentRow(b, p, id, payment));
    expect(paymentText).toBe(JSON.stringify({ receiptId, ...payment }));
    const receiptText = written(receiptRowBound(id, receipt), (b, p) => putReceiptRow(b, p, id, receipt));
    expect(receiptText).toBe(
      JSON.stringify({
        receiptId,
        receiptNo: 7,
        businessDay: receipt.businessDay,
        openedAt: receipt.openedAt,
        closedAt: receipt.closedAt,
        cashierId: receipt.cashierId,
        kind: 'sale',
        currency: 'EUR',
        grossMinor: n,
        lineCount: 2,
        paymentCount: 1,
      }),
    );
    const time: TimeRecord = {
      recordId: `T${text}`.slice(0, 64),
      businessDay: '20260105',
      employeeId: `E${text}`.slice(0, 64),
      kind: 'clock-in',
      at: '2026-01-05T07:00:00.000Z',
    };
    expect(written(timeRecordRowBound(time), (b, p) => putTimeRecordRow(b, p, time))).toBe(JSON.stringify(time));
    for (const linked of [receiptId, null]) {
      const posting: StockPosting = {
        postingId: `S${text}`.slice(0, 64),
        businessDay: '20260105',
        postedAt: '2026-01-05T08:01:00.000Z',
        articleId: `A${text}`.slice(0, 64),
        quantityMilli: n,
        reason: 'goods-in',
        receiptId: linked,
      };
      const postingText = written(stockPostingRowBound(posting), (b, p) => putStockPostingRow(b, p, posting));
      expect(postingText).toBe(JSON.stringify(posting));
    }
  });
});
