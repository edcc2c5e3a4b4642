import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createDemoJournalFile } from '../src/journal/demo-journal.js';
import { openJournalDatabase } from '../src/journal/open-journal.js';
import { RegisterClosings } from '../src/journal/register-closings.js';
import { type JournalReadReport, SqliteJournalPort } from '../src/journal/sqlite-journal-port.js';

/**
 * The port reads raw rows by position, orders by rowid after the receipt's
 * key and keeps the last day's counts: none of that may change a record or a
 * count. The reference here is the plainest reading of the F_ tables there is.
 */

async function collect(iterable: AsyncIterable<unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

const bool = (v: unknown) => (v === 0 ? false : v === 1 ? true : v);

function referenceReceipts(db: Database.Database, day: string): unknown[] {
  const receipts = db
    .prepare('SELECT * FROM F_RECEIPT WHERE business_day = ? ORDER BY receipt_no, receipt_id, rowid')
    .all(day) as Record<string, unknown>[];
  const lines = db.prepare('SELECT * FROM F_RECEIPT_LINE WHERE receipt_id = ? ORDER BY line_no');
  const payments = db.prepare('SELECT * FROM F_PAYMENT WHERE receipt_id = ? ORDER BY payment_no');
  return receipts.map((r) => ({
    receiptId: r.receipt_id,
    receiptNo: r.receipt_no,
    businessDay: r.business_day,
    openedAt: r.opened_at,
    closedAt: r.closed_at,
    cashierId: r.cashier_id,
    kind: r.kind,
    currency: r.currency,
    grossMinor: r.gross_minor,
    lines: (lines.all(r.receipt_id) as Record<string, unknown>[]).map((l) => ({
      lineNo: l.line_no,
      articleId: l.article_id,
      description: l.description,
      quantityMilli: l.quantity_milli,
      unitPriceMinor: l.unit_price_minor,
      grossMinor: l.gross_minor,
      vatRateId: l.vat_rate_id,
      vatRateBasisPoints: l.vat_rate_basis_points,
      voided: bool(l.voided),
    })),
    payments: (payments.all(r.receipt_id) as Record<string, unknown>[]).map((p) => ({
      paymentNo: p.payment_no,
      paymentTypeId: p.payment_type_id,
      paymentTypeName: p.payment_type_name,
      amountMinor: p.amount_minor,
    })),
    ...referenceTse(r),
  }));
}

/** The object-row reading of the TSE columns: a `tse` only when some column holds a value, NULL columns left out. */
function referenceTse(r: Record<string, unknown>): { tse?: Record<string, unknown> } {
  const names: [string, string][] = [
    ['serialNumber', 'tse_serial_number'],
    ['transactionNumber', 'tse_transaction_number'],
    ['signatureCounter', 'tse_signature_counter'],
    ['startedAt', 'tse_started_at'],
    ['finishedAt', 'tse_finished_at'],
    ['processType', 'tse_process_type'],
    ['signature', 'tse_signature'],
    ['signatureAlgorithm', 'tse_signature_algorithm'],
    ['timeFormat', 'tse_time_format'],
    ['error', 'tse_error'],
  ];
  const present = names.filter(([, column]) => r[column] !== null);
  return present.length === 0 ? {} : { tse: Object.fromEntries(present.map(([key, column]) => [key, r[column]])) };
}

function referenceStockPostings(db: Database.Database, day: string): unknown[] {
  return (
    db.prepare('SELECT * FROM F_STOCK_POSTING WHERE business_day = ? ORDER BY posting_id').all(day) as Record<
      string,
      unknown
    >[]
  ).map((s) => ({
    postingId: s.posting_id,
    businessDay: s.business_day,
    postedAt: s.posted_at,
    articleId: s.article_id,
    quantityMilli: s.quantity_milli,
    reason: s.reason,
    receiptId: s.receipt_id,
  }));
}

describe('SQLite journal port: the fast read yields the records of the plain read', () => {
  let dir: string;
  let path: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'daystick-port-speed-'));
    path = join(dir, 'journal.sqlite');
    await createDemoJournalFile(path, {
      start: '20261020',
      days: 2,
      receiptsPerDay: 200,
      seed: 'port-speed',
      badRecords: 5,
      closedDays: 1,
    });
    // Rows a real register's journal may hold: ties on the receipt number, lines stored out of order and
    // without a number, a missing receipt id, blobs, floats, huge and infinite numbers, orphaned lines.
    const db = new Database(path);
    db.pragma('foreign_keys = OFF');
    db.exec(`
      INSERT INTO F_RECEIPT (receipt_id, receipt_no, business_day, opened_at, closed_at, cashier_id, kind, currency, gross_minor) VALUES (NULL, 7, '20261021', 'o1', 'c1', 'E01', 'sale', 'EUR', 1.5);
      INSERT INTO F_RECEIPT (receipt_id, receipt_no, business_day, opened_at, closed_at, cashier_id, kind, currency, gross_minor) VALUES (NULL, 7, '20261021', 'o2', 'c2', 'E01', 'sale', 'EUR', -0.0);
      INSERT INTO F_RECEIPT (receipt_id, receipt_no, business_day, opened_at, closed_at, cashier_id, kind, currency, gross_minor) VALUES ('TIE-B', 7, '20261021', 'o3', 'c3', X'00ff', 'sale', 'EUR', 9007199254740991); -- beyond 2^53 the port reads exactly (bigint): test/journal-exact-records.test.ts
      INSERT INTO F_RECEIPT (receipt_id, receipt_no, business_day, opened_at, closed_at, cashier_id, kind, currency, gross_minor) VALUES ('TIE-A', 7, '20261021', 'o4', 'c4', 'E01', 'sale', 'EUR', 1e400);
      INSERT INTO F_RECEIPT_LINE VALUES ('TIE-A', 2, 'A', 'd', 1000, 1, 1, 'V', 1900, 2);
      INSERT INTO F_RECEIPT_LINE VALUES ('TIE-A', 1, 'A', 'd', 1000, 1, 1, 'V', 1900, 1);
      INSERT INTO F_RECEIPT_LINE VALUES ('TIE-A', NULL, 'A', 'd', 1000, 1, 1, 'V', 1900, 'yes');
      INSERT INTO F_RECEIPT_LINE VALUES ('NO-SUCH-RECEIPT', 1, 'A', 'd', 1000, 1, 1, 'V', 1900, 0);
      INSERT INTO F_PAYMENT VALUES ('TIE-B', 2, 'CASH', 'Cash', 3);
      INSERT INTO F_PAYMENT VALUES ('TIE-B', 1, 'CASH', X'01', 3.25);
      INSERT INTO F_STOCK_POSTING VALUES (NULL, '20261021', 'z', 'A', 1, 'sale', NULL);
      INSERT INTO F_STOCK_POSTING VALUES ('P-INF', '20261021', 'z', 'A', 1e400, 'sale', NULL);
    `);
    db.close();
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('streams receipts, lines, payments and stock postings exactly as the plain queries read them', async () => {
    const db = openJournalDatabase(path, { readonly: true });
    try {
      const journal = new SqliteJournalPort(db);
      for (const day of ['20261020', '20261021']) {
        const receipts = await collect(journal.receipts(day));
        expect(receipts).toEqual(referenceReceipts(db, day));
        // toEqual does not tell a Buffer from equal bytes of another kind, nor key order.
        expect(JSON.stringify(receipts)).toBe(JSON.stringify(referenceReceipts(db, day)));
        expect(await collect(journal.stockPostings(day))).toEqual(referenceStockPostings(db, day));
      }
      const odd = (await collect(journal.receipts('20261021'))).filter(
        (r) => (r as { receiptNo: unknown }).receiptNo === 7,
      );
      expect(odd.map((r) => (r as { receiptId: unknown }).receiptId)).toEqual([null, null, 'TIE-A', 'TIE-B']);
      expect(Buffer.isBuffer((odd[3] as { cashierId: unknown }).cashierId)).toBe(true);

      // The reading thread (a file's default) and this thread's own read give the same records, byte for byte.
      const here = new SqliteJournalPort(db, { readOnWorker: false });
      for (const day of ['20261020', '20261021']) {
        const onWorker = await collect(journal.receipts(day));
        const inThread = await collect(here.receipts(day));
        expect(onWorker).toEqual(inThread);
        expect(JSON.stringify(onWorker)).toBe(JSON.stringify(inThread));
        expect(await collect(journal.stockPostings(day))).toEqual(await collect(here.stockPostings(day)));
      }
      await journal.close();
    } finally {
      db.close();
    }
  });

  it('counts a day again once another connection or its own has changed the journal', async () => {
    const reader = openJournalDatabase(path, { readonly: true });
    const writer = openJournalDatabase(path, { readonly: false });
    try {
      const journal = new SqliteJournalPort(reader);
      const before = await journal.summary('20261020');
      expect(await journal.summary('20261020')).toEqual(before);
      writer
        .prepare(
          "INSERT INTO F_RECEIPT (receipt_id, receipt_no, business_day, opened_at, closed_at, cashier_id, kind, currency, gross_minor) VALUES ('LATE-1', 9001, '20261020', 'o', 'c', 'E01', 'sale', 'EUR', 0)",
        )
        .run();
      expect(journal.receiptCount('20261020')).toBe(before.receipts + 1);
      expect(await journal.summary('20261020')).toEqual({ ...before, receipts: before.receipts + 1 });
      expect(journal.receiptCount('20261020')).toBe(before.receipts + 1);
      writer.prepare("INSERT INTO F_RECEIPT_LINE VALUES ('LATE-1', 1, 'A', 'd', 1000, 0, 0, 'V', 1900, 0)").run();
      expect((await journal.summary('20261020')).receiptLines).toBe(before.receiptLines + 1);

      // The writing connection's own port: its changes do not move its data_version.
      const own = new SqliteJournalPort(writer);
      const ownBefore = await own.summary('20261020');
      writer.prepare("INSERT INTO F_PAYMENT VALUES ('LATE-1', 1, 'CASH', 'Cash', 0)").run();
      expect((await own.summary('20261020')).payments).toBe(ownBefore.payments + 1);
      writer.exec(
        "DELETE FROM F_RECEIPT_LINE WHERE receipt_id = 'LATE-1'; DELETE FROM F_PAYMENT WHERE receipt_id = 'LATE-1'",
      );
      writer.prepare("DELETE FROM F_RECEIPT WHERE receipt_id = 'LATE-1'").run();
      expect(own.receiptCount('20261020')).toBe(before.receipts);
      expect((await own.summary('20261020')).receipts).toBe(before.receipts);
      expect((await journal.summary('20261020')).receipts).toBe(before.receipts);

      // A caller that changes the counts it was given does not change the next caller's.
      const given = await journal.summary('20261020');
      given.receipts = -1;
      expect((await journal.summary('20261020')).receipts).toBe(before.receipts);
    } finally {
      writer.close();
      reader.close();
    }
  });

  it('reports each stream it read: records, time spent reading, and whether it ran to the end', async () => {
    const db = openJournalDatabase(path, { readonly: true });
    try {
      const reports: JournalReadReport[] = [];
      const journal = new SqliteJournalPort(db, { onRead: (r) => reports.push(r) });
      const receipts = await collect(journal.receipts('20261020'));
      const postings = await collect(journal.stockPostings('20261020'));
      for await (const _ of journal.receipts('20261020')) break;
      expect(reports.map(({ readMs: _, ...r }) => r)).toEqual([
        { stream: 'receipts', day: '20261020', records: receipts.length, complete: true },
        { stream: 'stock-postings', day: '20261020', records: postings.length, complete: true },
        { stream: 'receipts', day: '20261020', records: 1, complete: false },
      ]);
      for (const r of reports) expect(r.readMs).toBeGreaterThan(0);
    } finally {
      db.close();
    }
  });
});

describe('register closings: the open day found by index seeks', () => {
  // The plain definition: the first day with any booking that has no closing and lies after the last closing.
  const PLAIN = `SELECT MIN(d) FROM (
    SELECT business_day AS d FROM F_RECEIPT UNION SELECT business_day FROM F_STOCK_POSTING
    UNION SELECT business_day FROM F_TIME_RECORD)
    WHERE d NOT IN (SELECT business_day FROM F_CLOSING) AND d > COALESCE((SELECT MAX(business_day) FROM F_CLOSING), '')`;

  it('is the first booked day after the last closing, as the plain query over every booking finds it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'daystick-open-day-'));
    try {
      const path = join(dir, 'journal.sqlite');
      await createDemoJournalFile(path, {
        start: '20261020',
        days: 6,
        receiptsPerDay: 20,
        seed: 'open-day',
        badRecords: 0,
        closedDays: 2,
      });
      const db = new Database(path);
      db.pragma('foreign_keys = OFF');
      const closings = new RegisterClosings(db);
      const plain = () => {
        const booked = db.prepare(PLAIN).pluck().get() as string | null;
        return booked && booked < '20261231' ? booked : '20261231';
      };
      const seen: string[] = [];
      const check = () => {
        expect(closings.openDay('20261231')).toBe(plain());
        seen.push(closings.openDay('20261231') ?? '-');
      };
      check();
      // Bookings without a day, and a day only the stock postings or time records hold.
      db.exec(`INSERT INTO F_RECEIPT (receipt_id, receipt_no, business_day) VALUES ('NO-DAY', 1, NULL);
        DELETE FROM F_RECEIPT_LINE WHERE receipt_id IN (SELECT receipt_id FROM F_RECEIPT WHERE business_day = '20261022');
        DELETE FROM F_PAYMENT WHERE receipt_id IN (SELECT receipt_id FROM F_RECEIPT WHERE business_day = '20261022');
        DELETE FROM F_RECEIPT WHERE business_day = '20261022';`);
      check();
      db.exec(`DELETE FROM F_STOCK_POSTING WHERE business_day = '20261022'`);
      check();
      db.exec(`DELETE FROM F_TIME_RECORD WHERE business_day = '20261022'`);
      check();
      closings.record('20261024', '20261231', '2026-10-24T21:00:00.000Z');
      check();
      for (const day of ['20261025', '20261026']) closings.record(day, '20261231', `${day}T21:00:00.000Z`);
      check();
      expect(seen).toEqual(['20261022', '20261022', '20261022', '20261023', '20261025', '20261231']);
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
