import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { ReceiptSchema, StockPostingSchema, TimeRecordSchema } from '../src/host/records.js';
import { createDemoJournalFile } from '../src/journal/demo-journal.js';
import { openJournalDatabase } from '../src/journal/open-journal.js';
import { SqliteJournalPort } from '../src/journal/sqlite-journal-port.js';
import { SqliteTimeRecordingPort } from '../src/journal/sqlite-time-recording-port.js';

async function collect(iterable: AsyncIterable<unknown>): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for await (const item of iterable) out.push(item as Record<string, unknown>);
  return out;
}

describe('SQLite journal port over a demo journal', () => {
  let dir: string;
  let db: Database.Database;
  let journal: SqliteJournalPort;
  let time: SqliteTimeRecordingPort;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'daystick-journal-'));
    const path = join(dir, 'journal.sqlite');
    await createDemoJournalFile(path, {
      start: '20261020',
      days: 10,
      receiptsPerDay: 300,
      seed: 'port-test',
      badRecords: 5,
      closedDays: 9,
    });
    db = openJournalDatabase(path, { readonly: true });
    journal = new SqliteJournalPort(db);
    time = new SqliteTimeRecordingPort(db);
  });

  afterAll(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('names the first business day it holds', async () => {
    expect(await journal.firstBusinessDay()).toBe('20261020');
  });

  it('streams a clean day in receipt-number order, every record passing the host schemas', async () => {
    const day = '20261025';
    const receipts = await collect(journal.receipts(day));
    const summary = await journal.summary(day);
    expect(receipts).toHaveLength(300);
    expect(summary.receipts).toBe(300);
    const numbers = receipts.map((r) => r.receiptNo as number);
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    expect(new Set(numbers).size).toBe(numbers.length);
    for (const r of receipts) expect(ReceiptSchema.safeParse(r).error).toBeUndefined();
    const parsed = receipts.map((r) => ReceiptSchema.parse(r));
    expect(parsed.reduce((n, r) => n + r.lines.length, 0)).toBe(summary.receiptLines);
    expect(parsed.reduce((n, r) => n + r.payments.length, 0)).toBe(summary.payments);
    // Each receipt carries exactly its own lines, numbered from 1, and balances.
    for (const r of parsed) {
      expect(r.businessDay).toBe(day);
      expect(r.lines.map((l) => l.lineNo)).toEqual(r.lines.map((_, i) => i + 1));
      const lineGross = r.lines.filter((l) => !l.voided).reduce((s, l) => s + l.grossMinor, 0);
      expect(r.grossMinor).toBe(lineGross);
      expect(r.payments.reduce((s, p) => s + p.amountMinor, 0)).toBe(r.grossMinor);
    }
    expect(new Set(parsed.map((r) => r.kind))).toEqual(new Set(['sale', 'refund', 'void']));
    expect(new Set(parsed.flatMap((r) => r.payments.map((p) => p.paymentTypeId)))).toEqual(
      new Set(['CASH', 'CARD', 'VOUCHER']),
    );
    expect(new Set(parsed.flatMap((r) => r.lines.map((l) => l.vatRateBasisPoints)))).toEqual(new Set([700, 1900]));

    const postings = await collect(journal.stockPostings(day));
    expect(postings).toHaveLength(summary.stockPostings);
    const ids = postings.map((p) => p.postingId as string);
    expect(ids).toEqual([...ids].sort());
    for (const p of postings) expect(StockPostingSchema.safeParse(p).error).toBeUndefined();

    const records = await collect(time.records(day));
    expect(records).toHaveLength(await time.count(day));
    expect(records.length).toBeGreaterThanOrEqual(4);
    for (const t of records) expect(TimeRecordSchema.safeParse(t).error).toBeUndefined();
    const instants = records.map((t) => Date.parse(t.at as string));
    expect(instants).toEqual([...instants].sort((a, b) => a - b));
  });

  it('hands over the bad records of the last day unchanged, so they fail the schemas', async () => {
    const day = '20261029';
    const badReceipts = (await collect(journal.receipts(day))).filter((r) => !ReceiptSchema.safeParse(r).success);
    const badPostings = (await collect(journal.stockPostings(day))).filter(
      (p) => !StockPostingSchema.safeParse(p).success,
    );
    const badTimes = (await collect(time.records(day))).filter((t) => !TimeRecordSchema.safeParse(t).success);
    expect(badReceipts).toHaveLength(3);
    expect(badPostings).toHaveLength(1);
    expect(badTimes).toHaveLength(1);
    expect(badReceipts.map((r) => r.grossMinor)).toContain(280.5);
    expect(badReceipts.map((r) => r.cashierId)).toContain(null);
    expect(badPostings[0]!.reason).toBe('theft');
    expect(badTimes[0]!.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
  });

  it('returns nothing for a day without bookings', async () => {
    expect(await collect(journal.receipts('20261101'))).toEqual([]);
    expect(await journal.summary('20261101')).toEqual({ receipts: 0, receiptLines: 0, payments: 0, stockPostings: 0 });
    expect(await time.count('20261101')).toBe(0);
  });

  it('stops on abort and releases its statements for the next reader', async () => {
    const controller = new AbortController();
    let seen = 0;
    await expect(
      (async () => {
        for await (const _ of journal.receipts('20261021', controller.signal)) {
          if (++seen === 10) controller.abort(new Error('stick pulled'));
        }
      })(),
    ).rejects.toThrow('stick pulled');
    expect(seen).toBe(10);
    // A half-read stream that is abandoned must not keep the day busy either.
    for await (const _ of journal.stockPostings('20261021')) break;
    expect(await collect(journal.receipts('20261021'))).toHaveLength(300);
  });

  it('lets two streams of the same day run interleaved', async () => {
    const a = journal.receipts('20261022')[Symbol.asyncIterator]();
    const b = journal.receipts('20261022')[Symbol.asyncIterator]();
    const first = await a.next();
    const alsoFirst = await b.next();
    expect(alsoFirst.value).toEqual(first.value);
    await a.return?.();
    await b.return?.();
  });
});

describe('SQLite journal port: booked days, valid or not', () => {
  it('lists every business-day value with its counts, NULL and malformed ones included, and streams their rows', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'daystick-journal-days-'));
    const path = join(dir, 'journal.sqlite');
    try {
      await createDemoJournalFile(path, {
        start: '20260101',
        days: 2,
        receiptsPerDay: 5,
        seed: 'days',
        badRecords: 0,
        closedDays: 1,
      });
      const writer = openJournalDatabase(path, { readonly: false });
      writer.exec(`
        INSERT INTO F_RECEIPT (receipt_id, receipt_no, business_day, opened_at, closed_at, cashier_id, kind, currency, gross_minor) SELECT 'RNULL', 901, NULL, opened_at, closed_at, cashier_id, kind, currency, gross_minor FROM F_RECEIPT LIMIT 1;
        INSERT INTO F_RECEIPT (receipt_id, receipt_no, business_day, opened_at, closed_at, cashier_id, kind, currency, gross_minor) SELECT 'RDASH', 902, '2026-01-01', opened_at, closed_at, cashier_id, kind, currency, gross_minor FROM F_RECEIPT LIMIT 1;
        INSERT INTO F_STOCK_POSTING VALUES ('PNULL', NULL, '2026-01-01T10:00:00+01:00', 'A1001', -1000, 'waste', NULL);`);
      writer.close();
      const db = openJournalDatabase(path, { readonly: true });
      try {
        const port = new SqliteJournalPort(db);
        const counts = (day: string) =>
          db
            .prepare(
              'SELECT (SELECT COUNT(*) FROM F_RECEIPT WHERE business_day = ?) AS r, (SELECT COUNT(*) FROM F_STOCK_POSTING WHERE business_day = ?) AS s',
            )
            .get(day, day) as { r: number; s: number };
        const c1 = counts('20260101');
        const c2 = counts('20260102');
        expect(await port.bookedDays()).toEqual([
          { day: null, receipts: 1, stockPostings: 1 },
          { day: '2026-01-01', receipts: 1, stockPostings: 0 },
          { day: '20260101', receipts: c1.r, stockPostings: c1.s },
          { day: '20260102', receipts: c2.r, stockPostings: c2.s },
        ]);
        const nullDay = null as unknown as string;
        expect((await collect(port.receipts(nullDay))).map((r) => r.receiptId)).toEqual(['RNULL']);
        expect((await collect(port.stockPostings(nullDay))).map((r) => r.postingId)).toEqual(['PNULL']);
        expect((await collect(port.receipts('2026-01-01'))).map((r) => r.receiptId)).toEqual(['RDASH']);
      } finally {
        db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
