import type { z } from 'zod';
import {
  checkReceipt,
  checkStockPosting,
  checkTimeRecord,
  fastReceiptOk,
  fastStockPostingOk,
  fastTimeRecordOk,
} from '../src/export/record-checks.js';
import { ReceiptSchema, StockPostingSchema, TimeRecordSchema } from '../src/host/records.js';
import { fastPaymentRowOk, fastReceiptLineRowOk, fastReceiptRowOk } from '../src/package/fast-checks.js';
import { PaymentRowSchema, ReceiptLineRowSchema, ReceiptRowSchema } from '../src/package/rows.js';

// The writer's hand-written checks against the zod schemas they stand in for: on every
// mutation below the fast check may be stricter than zod (zod then decides), never laxer.

const DAY = '20240229';

const line = {
  lineNo: 1,
  articleId: 'A1',
  description: 'Coffee',
  quantityMilli: 1000,
  unitPriceMinor: 250,
  grossMinor: 250,
  vatRateId: 'STD',
  vatRateBasisPoints: 1900,
  voided: false,
};
const payment = { paymentNo: 1, paymentTypeId: 'CASH', paymentTypeName: 'Cash', amountMinor: 250 };
const receipt = {
  receiptId: 'R1',
  receiptNo: 1,
  businessDay: DAY,
  openedAt: '2024-02-29T08:00:00+01:00',
  closedAt: '2024-02-29T08:01:00.5Z',
  cashierId: 'C1',
  kind: 'sale',
  currency: 'EUR',
  grossMinor: 250,
  lines: [line],
  payments: [payment],
};
const posting = {
  postingId: 'S1',
  businessDay: DAY,
  postedAt: '2024-02-29T08:00:00Z',
  articleId: 'A1',
  quantityMilli: -1000,
  reason: 'sale',
  receiptId: null,
};
const timeRecord = { recordId: 'T1', businessDay: DAY, employeeId: 'E1', kind: 'clock-in', at: '2024-02-29T06:00:00Z' };

const VALUES: unknown[] = [
  undefined,
  null,
  true,
  0,
  -1,
  1,
  1.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  2 ** 53,
  -(2 ** 53),
  10000,
  10001,
  '',
  'x',
  'EUR',
  'EURO',
  'x'.repeat(64),
  'x'.repeat(65),
  'x'.repeat(100),
  'x'.repeat(101),
  'x'.repeat(200),
  'x'.repeat(201),
  '20240229',
  '20230229',
  '2024-02-29',
  '2024-02-29T08:00:00Z',
  '2024-02-29T08:00:00',
  '2024-02-29T08:00Z',
  '2024-02-29T24:00:00Z',
  '2024-02-29T08:00:00.123456+14:00',
  '2024-02-29t08:00:00z',
  '2023-02-29T08:00:00Z',
  '2024-02-29T08:00:00+0100',
  'sale',
  'refund',
  'void',
  'goods-in',
  'clock-out',
  'mystery',
  [],
  {},
];

/** Every record obtained by replacing one field (at any depth) with each of VALUES, dropping it, or adding one. */
function* mutations(value: unknown): Generator<unknown> {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      for (const m of mutations(value[i])) yield value.map((v, j) => (j === i ? m : v));
    }
    yield [];
    yield [...value, ...value];
    return;
  }
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      for (const v of VALUES) yield { ...obj, [key]: v };
      for (const m of mutations(obj[key]))
        if (typeof obj[key] === 'object' && obj[key] !== null) yield { ...obj, [key]: m };
      const { [key]: _gone, ...rest } = obj;
      yield rest;
    }
    yield { ...obj, extra: 1 };
    yield Object.assign(Object.create(null), obj);
    return;
  }
}

function differential(
  name: string,
  base: unknown,
  schema: z.ZodType,
  fast: (r: unknown) => boolean,
  check: (r: unknown, day: string) => { ok: boolean },
) {
  test(`${name}: fast check never accepts what zod rejects, and the verdict equals zod's`, () => {
    expect(fast(base)).toBe(true);
    let cases = 0;
    let fastAccepted = 0;
    const laxer: unknown[] = [];
    const differing: unknown[] = [];
    for (const m of mutations(base)) {
      cases++;
      const zodOk = schema.safeParse(m).success;
      if (fast(m)) {
        fastAccepted++;
        if (!zodOk) laxer.push(m);
      }
      const day = (m as { businessDay?: unknown } | null)?.businessDay;
      const sameDay = day === DAY;
      if (check(m, DAY).ok !== (zodOk && sameDay)) differing.push(m);
    }
    expect(laxer).toEqual([]);
    expect(differing).toEqual([]);
    expect(cases).toBeGreaterThan(200);
    expect(fastAccepted).toBeGreaterThan(10);
  });
}

differential('receipt', receipt, ReceiptSchema, fastReceiptOk, checkReceipt);
const tse = {
  serialNumber: 'd91b0fda',
  transactionNumber: 7,
  signatureCounter: 12,
  startedAt: '2024-02-29T08:00:00+01:00',
  finishedAt: '2024-02-29T08:01:00+01:00',
  processType: 'Kassenbeleg-V1',
  signature: 'KN2HIa/ebb0=',
  signatureAlgorithm: 'ecdsa-plain-SHA384',
  timeFormat: 'unixTime',
};
differential('receipt with its TSE record', { ...receipt, tse }, ReceiptSchema, fastReceiptOk, checkReceipt);
// A failed module reports part of the record and its error (about 1 in 100 receipts of the demo day).
differential(
  'receipt whose TSE failed',
  { ...receipt, tse: { serialNumber: tse.serialNumber, startedAt: tse.startedAt, error: 'TSE self test failed' } },
  ReceiptSchema,
  fastReceiptOk,
  checkReceipt,
);
differential('stock posting', posting, StockPostingSchema, fastStockPostingOk, checkStockPosting);
differential('time record', timeRecord, TimeRecordSchema, fastTimeRecordOk, checkTimeRecord);

/** The verifier's row checks: same rule, fast never laxer than the zod row schema. */
function rowDifferential(name: string, base: unknown, schema: z.ZodType, fast: (r: unknown) => boolean) {
  test(`${name} row: fast check never accepts what zod rejects`, () => {
    expect(fast(base)).toBe(true);
    expect(schema.safeParse(base).success).toBe(true);
    const laxer: unknown[] = [];
    let cases = 0;
    for (const m of mutations(base)) {
      cases++;
      if (fast(m) && !schema.safeParse(m).success) laxer.push(m);
    }
    expect(laxer).toEqual([]);
    expect(cases).toBeGreaterThan(200);
  });
}

const { lines: _lines, payments: _payments, ...receiptHead } = receipt;
rowDifferential('receipt', { ...receiptHead, lineCount: 1, paymentCount: 1 }, ReceiptRowSchema, fastReceiptRowOk);
rowDifferential('receipt line', { receiptId: 'R1', ...line }, ReceiptLineRowSchema, fastReceiptLineRowOk);
rowDifferential('payment', { receiptId: 'R1', ...payment }, PaymentRowSchema, fastPaymentRowOk);

test('a schema-valid record of another business day is quarantined with that reason', () => {
  const other = { ...timeRecord, businessDay: '20240301', at: '2024-03-01T06:00:00Z' };
  expect(TimeRecordSchema.safeParse(other).success).toBe(true);
  expect(checkTimeRecord(other, DAY)).toEqual({
    ok: false,
    reason: 'businessDay: belongs to 20240301, not to 20240229',
  });
});

test("the quarantine reason is zod's, with the field path", () => {
  const result = checkReceipt({ ...receipt, grossMinor: 2.5 }, DAY);
  expect(result).toEqual({ ok: false, reason: expect.stringMatching(/^grossMinor: /) });
});

test("instants: the fast check gives the zod pattern's verdict on every variation of the time of day", () => {
  const templates = [
    '2024-02-29T08:00:00Z',
    '2024-02-29T23:59:59.123+14:00',
    '2024-02-29T00:00:00-00:00',
    '2024-02-29T19:09:50.5Z',
  ];
  const alphabet = ['0', '1', '2', '3', '4', '5', '6', '9', ':', '.', 'Z', 'z', '+', '-', 'T', ' ', 'a', '\u0660'];
  const candidates = new Set<string>();
  for (const t of templates) {
    candidates.add(t);
    for (let i = 0; i <= t.length; i++) {
      candidates.add(t.slice(0, i) + t.slice(i + 1));
      for (const c of alphabet) {
        candidates.add(t.slice(0, i) + c + t.slice(i + 1));
        candidates.add(t.slice(0, i) + c + t.slice(i));
      }
    }
  }
  let seed = 7;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed;
  };
  for (let n = 0; n < 5000; n++) {
    let time = '';
    const length = 6 + (next() % 14);
    for (let i = 0; i < length; i++) time += alphabet[next() % alphabet.length];
    candidates.add(`2024-02-29T${time}`);
  }
  const differing: string[] = [];
  let accepted = 0;
  for (const at of candidates) {
    // A valid instant of the same date first, so the check's remembered date is the one under test.
    expect(fastTimeRecordOk(timeRecord)).toBe(true);
    const zodOk = TimeRecordSchema.safeParse({ ...timeRecord, at }).success;
    if (zodOk) accepted++;
    if (fastTimeRecordOk({ ...timeRecord, at }) !== zodOk) differing.push(at);
  }
  expect(differing).toEqual([]);
  expect(accepted).toBeGreaterThan(50);
  expect(candidates.size).toBeGreaterThan(4000);
});

test('instants: a date the pattern refuses is never let through by the remembered date', () => {
  expect(fastTimeRecordOk(timeRecord)).toBe(true);
  for (const at of ['2023-02-29T06:00:00Z', '2024-02-30T06:00:00Z', '2024-13-01T06:00:00Z', '2024-02-2T06:00:00Z']) {
    expect(fastTimeRecordOk({ ...timeRecord, at })).toBe(false);
    expect(TimeRecordSchema.safeParse({ ...timeRecord, at }).success).toBe(false);
  }
});
