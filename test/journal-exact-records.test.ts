import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { writeDayPackage } from '../src/export/index.js';
import type { JournalPort } from '../src/host/ports.js';
import { runImportCommand } from '../src/headoffice/import-command.js';
import { openCentralStore } from '../src/central/open-central-store.js';
import { createDemoJournalFile } from '../src/journal/demo-journal.js';
import { openJournalDatabase } from '../src/journal/open-journal.js';
import { SqliteJournalPort } from '../src/journal/sqlite-journal-port.js';
import { SqliteTimeRecordingPort } from '../src/journal/sqlite-time-recording-port.js';
import { activate } from '../src/plugin/activate.js';
import { renderPrompt } from '../src/prompts/render.js';
import { listPackages, readEntryRecords, verifyPackage } from '../src/package/index.js';
import { QuarantineRowSchema } from '../src/package/rows.js';
import { createTestHost, removeTestDir } from './support/test-host.js';
import { Captured } from './support/run-import.js';

/**
 * Records travel exactly as the journal holds them: a real SQLite journal,
 * edited with SQL the way a damaged or foreign register leaves it, written
 * as a package, verified and imported at head office.
 */

const DAY = '20261020';
/** `Caf`, then 0xC3 0x28 (a lead byte without its continuation), a lone 0xFF and `!`: not valid UTF-8. */
const BROKEN_TEXT = Buffer.from([0x43, 0x61, 0x66, 0xc3, 0x28, 0xff, 0x21]);
const BIG = '9007199254740993';

let dir: string;
let journalPath: string;
/** Receipt ids by role, picked from the demo day. */
let ids: { broken: string; big: string; realReplacement: string; payments: string; lines: string; blobPosting: string };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'daystick-exact-'));
  journalPath = join(dir, 'journal.sqlite');
  await createDemoJournalFile(journalPath, {
    start: DAY,
    days: 1,
    receiptsPerDay: 60,
    seed: 'exact',
    badRecords: 0,
    closedDays: 1,
  });
  const db = new Database(journalPath);
  const sales = db
    .prepare(
      `SELECT r.receipt_id AS id FROM F_RECEIPT r WHERE r.kind = 'sale' AND r.gross_minor > 0
         AND (SELECT COUNT(*) FROM F_RECEIPT_LINE l WHERE l.receipt_id = r.receipt_id AND l.voided = 0) > 0
         ORDER BY receipt_no LIMIT 5`,
    )
    .pluck()
    .all() as string[];
  const [broken, big, realReplacement, payments, lines] = sales as [string, string, string, string, string];
  db.prepare('UPDATE F_RECEIPT_LINE SET description = CAST(? AS TEXT) WHERE receipt_id = ? AND line_no = 1').run(
    BROKEN_TEXT,
    broken,
  );
  db.prepare(`UPDATE F_RECEIPT SET gross_minor = ${BIG} WHERE receipt_id = ?`).run(big);
  // A real U+FFFD (EF BF BD) is valid UTF-8: that text passes as it is.
  db.prepare(
    "UPDATE F_RECEIPT_LINE SET description = CAST(x'4f6c64efbfbd' AS TEXT) WHERE receipt_id = ? AND line_no = 1",
  ).run(realReplacement);
  db.prepare('UPDATE F_PAYMENT SET amount_minor = amount_minor + 1 WHERE receipt_id = ? AND payment_no = 1').run(
    payments,
  );
  db.prepare('UPDATE F_RECEIPT_LINE SET gross_minor = gross_minor - 5 WHERE receipt_id = ? AND line_no = 1').run(lines);
  const blobPosting = db
    .prepare('SELECT posting_id FROM F_STOCK_POSTING WHERE business_day = ? ORDER BY posting_id LIMIT 1')
    .pluck()
    .get(DAY) as string;
  db.prepare("UPDATE F_STOCK_POSTING SET article_id = x'00ff41' WHERE posting_id = ?").run(blobPosting);
  db.close();
  ids = { broken, big, realReplacement, payments, lines, blobPosting };
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function collect(iterable: AsyncIterable<unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

async function writePackage(stick: string) {
  const db = openJournalDatabase(journalPath, { readonly: true });
  try {
    return await writeDayPackage({
      stickPath: stick,
      identity: { customerNumber: '40123', registerId: '2' },
      businessDay: DAY,
      closingNumber: 1,
      kind: 'day-close',
      includeTimeRecords: true,
      journal: new SqliteJournalPort(db),
      timeRecording: new SqliteTimeRecordingPort(db),
      keyDir: join(dir, 'register-storage'),
      now: () => Date.UTC(2026, 9, 20, 21),
      signal: new AbortController().signal,
    });
  } finally {
    db.close();
  }
}

test('invalid UTF-8, a big integer and a BLOB are quarantined with their originals exactly; the package verifies and imports', async () => {
  const stick = join(dir, 'stick');
  await mkdir(stick, { recursive: true });
  const written = await writePackage(stick);
  expect(written).toMatchObject({ quarantined: 3, quarantinedExact: 3, unbalancedReceipts: 2 });

  const [pkg] = await listPackages(stick);
  expect((await verifyPackage(pkg!)).problems).toEqual([]);
  const quarantine = (await collect(readEntryRecords(pkg!.dataPath!, 'quarantine.ndjson'))).map((q) =>
    QuarantineRowSchema.parse(q),
  ) as { source: string; reason: string; record: Record<string, unknown>; exact?: Record<string, unknown>[] }[];
  const of = (id: string) => quarantine.find((q) => q.record.receiptId === id || q.record.postingId === id)!;

  const broken = of(ids.broken);
  const lineIndex = (broken.record.lines as { lineNo: number }[]).findIndex((l) => l.lineNo === 1);
  expect(broken.exact).toEqual([
    { path: ['lines', lineIndex, 'description'], kind: 'bytes', base64: BROKEN_TEXT.toString('base64') },
  ]);
  expect(Buffer.from(broken.exact![0]!.base64 as string, 'base64').equals(BROKEN_TEXT)).toBe(true);
  expect(broken.reason).toContain(`lines.${lineIndex}.description: bytes (binary, or text that is not valid UTF-8)`);

  const big = of(ids.big);
  expect(big.exact).toEqual([{ path: ['grossMinor'], kind: 'integer', digits: BIG }]);
  expect(big.record.grossMinor).toBe(BIG);
  expect(big.reason).toContain('grossMinor: an integer beyond');

  const blob = of(ids.blobPosting);
  expect(blob.source).toBe('stock-postings');
  expect(blob.exact).toEqual([
    { path: ['articleId'], kind: 'bytes', base64: Buffer.from([0x00, 0xff, 0x41]).toString('base64') },
  ]);

  const lines = (await collect(readEntryRecords(pkg!.dataPath!, 'receipt-lines.ndjson'))) as Record<string, unknown>[];
  expect(lines.find((l) => l.receiptId === ids.realReplacement && l.lineNo === 1)!.description).toBe('Old\uFFFD');

  const central = join(dir, 'central.sqlite');
  const out = new Captured();
  const err = new Captured();
  expect(
    await runImportCommand(
      [stick, '--central', central, '--keys', join(dir, 'ho-keys'), '--head-office-customer', '10000'],
      { stdout: out, stderr: err },
    ),
  ).toBe(0);
  expect(out.text).toContain('2 receipt(s) do not add up');
  expect(out.text).toContain(`UNBALANCED receipt ${ids.payments}`);
  expect(out.text).toContain(`UNBALANCED receipt ${ids.lines}`);
  const store = await openCentralStore(central);
  try {
    const rows = await store.all<{ record_json: string; exact_json: string | null }>(
      'SELECT record_json, exact_json FROM quarantined_records ORDER BY source_entry, record_json',
    );
    expect(rows).toHaveLength(3);
    const exacts = rows.map((r) => JSON.parse(r.exact_json ?? 'null'));
    expect(exacts).toContainEqual(broken.exact);
    expect(exacts).toContainEqual(big.exact);
    expect(exacts).toContainEqual(blob.exact);
    const packages = await store.all<{ outcome_json: string }>('SELECT outcome_json FROM packages');
    expect(
      JSON.parse(packages[0]!.outcome_json)
        .unbalancedReceipts.map((u: { receiptId: string }) => u.receiptId)
        .sort(),
    ).toEqual([ids.payments, ids.lines].sort());
    // Unbalanced receipts are imported as they came, not left out.
    const imported = await store.all<{ receipt_id: string }>(
      'SELECT receipt_id FROM receipts WHERE receipt_id IN (?, ?)',
      [ids.payments, ids.lines],
    );
    expect(imported).toHaveLength(2);
  } finally {
    await store.close();
  }
});

test('the cashier is told what was kept exactly and which receipts do not add up, in English and German', async () => {
  const hostDir = join(dir, 'host');
  await mkdir(hostDir, { recursive: true });
  const host = await createTestHost({ dir: hostDir, days: {}, now: Date.UTC(2026, 9, 20, 20) });
  const db = openJournalDatabase(journalPath, { readonly: true });
  const realHost = { ...host, journal: new SqliteJournalPort(db), timeRecording: new SqliteTimeRecordingPort(db) };
  const plugin = await activate(realHost);
  try {
    await host.media.insert('STICK');
    expect((await plugin.onDayClose({ businessDay: DAY, closingNumber: 1 })).outcome).toBe('sent');
  } finally {
    await plugin.dispose();
    db.close();
  }
  const shown = (id: string) => host.display.shown.find((p) => p.id === id);
  expect(shown('QUARANTINED')?.params).toMatchObject({ count: 3 });
  for (const id of ['QUARANTINED_EXACT', 'UNBALANCED_RECEIPTS'] as const) {
    const prompt = shown(id);
    expect(prompt?.params).toMatchObject({ count: id === 'QUARANTINED_EXACT' ? 3 : 2, day: '2026-10-20' });
    for (const language of ['en', 'de'] as const)
      expect(renderPrompt(id, prompt!.params, language).text).not.toMatch(/\{\w+\}/);
  }
  await removeTestDir(hostDir);
});

test('a record JSON cannot express keeps every value: big integers as digits, no-JSON values named, never "[object Object]"', async () => {
  const self: Record<string, unknown> = { receiptId: 'R1' };
  self.loop = self;
  const record = {
    ...self,
    loop: self,
    total: 2n ** 64n,
    small: 5n,
    missing: undefined,
    bad: Number.NaN,
    at: new Date(0),
  };
  // A host's journal port hands records over as `unknown` (src/host/records.ts): this one hands a JS object JSON cannot take.
  const journal: JournalPort = {
    firstBusinessDay: async () => DAY,
    summary: async () => ({ receipts: 1, receiptLines: 0, payments: 0, stockPostings: 0 }),
    receipts: async function* () {
      yield record;
    },
    stockPostings: async function* () {},
  };
  const stick = join(dir, 'stick-not-json');
  await mkdir(stick, { recursive: true });
  const written = await writeDayPackage({
    stickPath: stick,
    identity: { customerNumber: '40123', registerId: '3' },
    businessDay: DAY,
    closingNumber: 1,
    kind: 'day-close',
    includeTimeRecords: false,
    journal,
    timeRecording: { count: async () => 0, records: async function* () {} },
    keyDir: join(dir, 'register-storage-3'),
    now: () => Date.UTC(2026, 9, 20, 21),
    signal: new AbortController().signal,
  });
  expect(written).toMatchObject({ quarantined: 1, quarantinedExact: 1 });
  const [pkg] = await listPackages(stick);
  expect((await verifyPackage(pkg!)).problems).toEqual([]);
  const [row] = await collect(readEntryRecords(pkg!.dataPath!, 'quarantine.ndjson'));
  expect(JSON.stringify(row)).not.toContain('[object Object]');
  expect(QuarantineRowSchema.parse(row)).toMatchObject({
    record: {
      receiptId: 'R1',
      loop: { receiptId: 'R1', loop: null },
      total: '18446744073709551616',
      small: 5,
      missing: null,
      bad: null,
      at: '1970-01-01T00:00:00.000Z',
    },
    exact: [
      { path: ['loop', 'loop'], kind: 'not-json', text: 'a value that contains itself' },
      { path: ['total'], kind: 'integer', digits: '18446744073709551616' },
      { path: ['missing'], kind: 'not-json', text: 'undefined' },
      { path: ['bad'], kind: 'not-json', text: 'NaN' },
    ],
  });
  // A stand-in that does not match its original is refused by readers, so no one mistakes one for the other.
  const tampered = JSON.parse(JSON.stringify(row));
  tampered.record.total = '1';
  expect(QuarantineRowSchema.safeParse(tampered).success).toBe(false);
});
