import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { writeDayPackage } from '../src/export/index.js';
import { settleHeadOfficeCustomerNumber } from '../src/central/central-settings.js';
import type { CentralStore } from '../src/central/central-store.js';
import { openCentralStore } from '../src/central/open-central-store.js';
import type { BusinessDay } from '../src/host/business-day.js';
import type { JournalPort } from '../src/host/ports.js';
import { ReceiptSchema } from '../src/host/records.js';
import { createDemoJournalFile } from '../src/journal/demo-journal.js';
import { openJournalDatabase } from '../src/journal/open-journal.js';
import { SqliteJournalPort } from '../src/journal/sqlite-journal-port.js';
import { SqliteTimeRecordingPort } from '../src/journal/sqlite-time-recording-port.js';
import { fastReceiptOk } from '../src/package/fast-checks.js';
import { listPackages, readEntryRecords } from '../src/package/reader.js';
import { verifyPackage } from '../src/package/verify.js';
import { activate } from '../src/plugin/activate.js';
import { manifestsOn } from './plugin/plugin-helpers.js';
import { createTestDatabase, describeWithPostgres, type TestDatabase } from './support/postgres.js';
import { createTestHost, makeTestDir, removeTestDir } from './support/test-host.js';
import { runImport } from './support/run-import.js';

/**
 * The security module's (TSE) data of German registers, from the register's
 * journal through the package to head office (docs/stick-format.md section
 * 5, `tse`), and the Z number a re-sent day carries.
 */

const CUSTOMER = '40123';
const REGISTER = '2';
const DAY = '20260105' as BusinessDay;
const TSE_COLUMNS = [
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
];

async function collect<T>(rows: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const r of rows) out.push(r);
  return out;
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(command, args, (err) => (err ? reject(err) : resolve()));
  });
}

type TseRow = Record<string, unknown> & { receiptId: string; tse?: Record<string, unknown> };

function fiscalSuite(backend: 'sqlite' | 'postgres'): void {
  let work: string;
  let central: string;
  let database: TestDatabase | null = null;
  let db: Database.Database;
  let journal: SqliteJournalPort;

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), `daystick-fiscal-${backend}-`));
    if (backend === 'postgres') {
      database = await createTestDatabase();
      central = database.url;
    } else {
      central = join(work, 'central.sqlite');
    }
    const store = await openCentralStore(central);
    try {
      await settleHeadOfficeCustomerNumber(store, '99999');
    } finally {
      await store.close();
    }
    const path = join(work, 'journal.sqlite');
    // Six bad records: the sixth kind is a receipt whose module counter is a float.
    await createDemoJournalFile(path, { start: DAY, days: 1, receiptsPerDay: 400, seed: 'fiscal', badRecords: 6, closedDays: 1 });
    db = openJournalDatabase(path, { readonly: false });
    journal = new SqliteJournalPort(db);
  });

  afterEach(async () => {
    db.close();
    await database?.drop();
    database = null;
    await rm(work, { recursive: true, force: true });
  });

  const write = async (stick: string, kind: 'day-close' | 're-send') => {
    await mkdir(stick, { recursive: true });
    return writeDayPackage({
      stickPath: stick,
      identity: { customerNumber: CUSTOMER, registerId: REGISTER },
      businessDay: DAY,
      closingNumber: (await journal.closingNumber(DAY)) ?? null,
      kind,
      includeTimeRecords: true,
      journal,
      timeRecording: new SqliteTimeRecordingPort(db),
      keyDir: join(work, 'register-keys'),
      now: () => Date.UTC(2026, 0, 5, 21),
      signal: new AbortController().signal,
    });
  };

  async function withCentral<T>(use: (store: CentralStore) => Promise<T>): Promise<T> {
    const store = await openCentralStore(central);
    try {
      return await use(store);
    } finally {
      await store.close();
    }
  }

  test('demo journal → package with tse → verified → imported with every tse field; a changed signature is a conflict', async () => {
    const stick = join(work, 'stick');
    await write(stick, 'day-close');
    const [location] = await listPackages(stick);
    expect((await verifyPackage(location!)).problems).toEqual([]);

    const rows = (await collect(readEntryRecords(location!.dataPath!, 'receipts.ndjson'))) as TseRow[];
    expect(rows.length).toBeGreaterThan(390);
    const complete = rows.filter((r) => r.tse && r.tse.error === undefined);
    const failed = rows.filter((r) => r.tse?.error !== undefined);
    expect(rows.every((r) => r.tse !== undefined)).toBe(true);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((r) => r.tse!.signature === undefined && typeof r.tse!.serialNumber === 'string')).toBe(true);
    // The simulated module counts up: transaction numbers and signature counters strictly increase.
    const counters = complete.map((r) => r.tse!.signatureCounter as number);
    expect(counters).toEqual([...counters].sort((a, b) => a - b));
    expect(new Set(counters).size).toBe(counters.length);
    expect(complete[0]!.tse).toMatchObject({ processType: 'Kassenbeleg-V1', signatureAlgorithm: 'ecdsa-plain-SHA384', timeFormat: 'unixTime' });
    expect(Buffer.from(complete[0]!.tse!.signature as string, 'base64')).toHaveLength(96);
    // Section 5's field order: tse comes last, its fields in the table's order.
    const firstLine = JSON.stringify(complete[0]);
    expect(Object.keys(complete[0]!).at(-1)).toBe('tse');
    expect(firstLine.indexOf('"serialNumber"')).toBeLessThan(firstLine.indexOf('"timeFormat"'));

    const quarantine = (await collect(readEntryRecords(location!.dataPath!, 'quarantine.ndjson'))) as { reason: string }[];
    expect(quarantine.filter((q) => q.reason.includes('tse.signatureCounter'))).toHaveLength(1);

    const first = await runImport([stick, '--central', central, '--keys', join(work, 'ho-keys')]);
    expect(first.err).toBe('');
    expect(first.out).toContain('1 package(s): 1 imported');
    await withCentral(async (store) => {
      const stored = await store.all<Record<string, unknown>>(
        `SELECT receipt_id, ${TSE_COLUMNS.join(', ')} FROM receipts ORDER BY receipt_no`,
      );
      expect(stored).toHaveLength(rows.length);
      const byId = new Map(stored.map((s) => [s.receipt_id, s]));
      for (const r of rows) {
        const s = byId.get(r.receiptId)!;
        const keys = ['serialNumber', 'transactionNumber', 'signatureCounter', 'startedAt', 'finishedAt', 'processType', 'signature', 'signatureAlgorithm', 'timeFormat', 'error'];
        // PostgreSQL hands BIGINT back as text; the numbers compare as numbers.
        const back = keys.map((_, i) => {
          const v = s[TSE_COLUMNS[i]!];
          return typeof v === 'string' && i >= 1 && i <= 2 ? Number(v) : v;
        });
        expect(back).toEqual(keys.map((k) => r.tse?.[k] ?? null));
      }
    });

    // A re-send whose module signature differs for one receipt: that receipt conflicts, the stored one stays.
    const victim = complete[3]!;
    db.prepare("UPDATE F_RECEIPT SET tse_signature = 'AAAA' || substr(tse_signature, 5) WHERE receipt_id = ?").run(victim.receiptId);
    await rm(stick, { recursive: true, force: true });
    await write(stick, 're-send');
    const again = await runImport([stick, '--central', central, '--keys', join(work, 'ho-keys')]);
    expect(again.out).toContain('1 with conflicts');
    await withCentral(async (store) => {
      const conflicts = await store.all<{ record_id: string }>("SELECT record_id FROM conflicts WHERE record_type = 'receipt'");
      expect(conflicts.map((c) => c.record_id)).toEqual([victim.receiptId]);
      const kept = await store.all<{ tse_signature: string }>('SELECT tse_signature FROM receipts WHERE receipt_id = ?', [victim.receiptId]);
      expect(kept[0]!.tse_signature).toBe(victim.tse!.signature);
    });
  });

  test('a damaged tse in a package is a bad record naming the field', async () => {
    const stick = join(work, 'stick');
    await write(stick, 'day-close');
    const [location] = await listPackages(stick);
    const x = join(work, 'unzipped');
    await mkdir(x);
    await run('unzip', ['-q', location!.dataPath!, '-d', x]);
    const receipts = join(x, 'receipts.ndjson');
    const text = await readFile(receipts, 'utf8');
    // One row with a float counter, one complete row that lost its signature (no error text).
    const lines = text.split('\n');
    const signed = lines.map((l, i) => (l.includes('"signature":') ? i : -1)).filter((i) => i >= 0);
    lines[signed[0]!] = lines[signed[0]!]!.replace(/"signatureCounter":(\d+)/, '"signatureCounter":$1.5');
    lines[signed[1]!] = lines[signed[1]!]!.replace(/,"signature":"[^"]*"(?=,"signatureAlgorithm")/, '');
    const damaged = lines.join('\n');
    expect(damaged.length).toBeLessThan(text.length);
    await writeFile(receipts, damaged);
    await unlink(location!.dataPath!);
    const order = ['receipts', 'receipt-lines', 'payments', 'stock-postings', 'time-records', 'quarantine'];
    await run('zip', ['-q', '-X', '-j', location!.dataPath!, ...order.map((n) => join(x, `${n}.ndjson`))]);
    const verdict = await verifyPackage(location!);
    expect(verdict.ok).toBe(false);
    const bad = verdict.problems.filter((p) => p.code === 'bad-record' && p.entry === 'receipts.ndjson').map((p) => p.message);
    expect(bad.some((m) => /tse\.signatureCounter: /.test(m))).toBe(true);
    expect(bad.some((m) => /tse\.signature: required unless error is given/.test(m))).toBe(true);
  });

  test('a re-send of a closed day carries its Z number from the register', async () => {
    const stick = join(work, 'stick');
    expect(await journal.closingNumber(DAY)).toBe(1);
    const written = await write(stick, 're-send');
    const [location] = await listPackages(stick);
    const verdict = await verifyPackage(location!);
    expect(verdict.ok).toBe(true);
    expect(verdict.manifest).toMatchObject({ kind: 're-send', closingNumber: 1, packageId: written.packageId });
    expect(await journal.closingNumber('20260106' as BusinessDay)).toBeNull();
  });
}

describe('fiscal fields into a SQLite central journal', () => fiscalSuite('sqlite'));
describeWithPostgres('fiscal fields into a PostgreSQL central journal', () => fiscalSuite('postgres'));

describe('the tse record at the host boundary', () => {
  const receipt = (tse: unknown) => ({
    receiptId: 'R1',
    receiptNo: 1,
    businessDay: '20260105',
    openedAt: '2026-01-05T08:00:00+01:00',
    closedAt: '2026-01-05T08:01:00+01:00',
    cashierId: 'E01',
    kind: 'sale',
    currency: 'EUR',
    grossMinor: 280,
    lines: [],
    payments: [],
    tse,
  });
  const complete = {
    serialNumber: 'ab'.repeat(32),
    transactionNumber: 17,
    signatureCounter: 34,
    startedAt: '2026-01-05T08:00:00+01:00',
    finishedAt: '2026-01-05T08:01:00+01:00',
    processType: 'Kassenbeleg-V1',
    signature: Buffer.alloc(96, 7).toString('base64'),
    signatureAlgorithm: 'ecdsa-plain-SHA384',
    timeFormat: 'unixTime',
  };
  const issues = (tse: unknown) => {
    const parsed = ReceiptSchema.safeParse(receipt(tse));
    return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  test.each([
    ['a complete record', complete, []],
    ['a failed module with its error text', { serialNumber: complete.serialNumber, error: 'TSE not reachable' }, []],
    ['a float signature counter', { ...complete, signatureCounter: 34.5 }, [/^tse\.signatureCounter: /]],
    ['a missing signature without error', { ...complete, signature: undefined }, [/^tse\.signature: required unless error is given$/]],
    ['a signature that is not Base64', { ...complete, signature: 'not base64!' }, [/^tse\.signature: not canonical Base64$/]],
    ['an unknown time format', { ...complete, timeFormat: 'localTime' }, [/^tse\.timeFormat: /]],
    ['an unknown field', { ...complete, zReport: 3 }, [/^tse: /]],
    ['an empty error text', { ...complete, error: '' }, [/^tse\.error: /]],
  ])('%s', (_name, tse, expected) => {
    const found = issues(tse);
    expect(found).toHaveLength(expected.length);
    for (const [i, pattern] of expected.entries()) expect(found[i]).toMatch(pattern);
    // The writer's fast check is never laxer than the schema.
    if (expected.length > 0) expect(fastReceiptOk(receipt(tse))).toBe(false);
  });

  test('an empty record names every field it lacks', () => {
    expect(issues({})).toHaveLength(9);
  });

  test('the fast check takes a complete record as zod does', () => {
    expect(fastReceiptOk(receipt(complete))).toBe(true);
    const { tse: _none, ...withoutTse } = receipt(complete);
    expect(fastReceiptOk(withoutTse)).toBe(true);
  });
});

describe('re-sent days carry their Z number', () => {
  let dir: string;
  afterEach(async () => removeTestDir(dir));

  test('a queued day the plugin never wrote takes the register Z number; a day it wrote keeps the one it went with', async () => {
    dir = await makeTestDir('fiscal-resend');
    const base = await createTestHost({ dir, days: { '20260102': { receipts: 5 }, '20260104': { receipts: 6 }, '20260105': { receipts: 7 } } });
    const inner = base.journal;
    const registerZ: Record<string, number> = { '20260102': 41 };
    const journal: JournalPort = {
      firstBusinessDay: () => inner.firstBusinessDay(),
      summary: (d) => inner.summary(d),
      receipts: (d, s) => inner.receipts(d, s),
      stockPostings: (d, s) => inner.stockPostings(d, s),
      ...(inner.bookedDays ? { bookedDays: () => inner.bookedDays!() } : {}),
      closingNumber: async (d) => registerZ[d] ?? null,
    };
    const host = { ...base, journal };
    const stick = await host.media.insert('STICK1');
    let plugin = await activate(host);
    // 20260104 goes with Z 42 now; the register then "forgets" it, so only the plugin's own history knows it.
    expect((await plugin.onDayClose({ businessDay: '20260104', closingNumber: 42 })).outcome).toBe('sent');
    host.display.answers = [false, false];
    await plugin.onCommand({ key: 'REPORTS', digits: '20260102' });
    await plugin.onCommand({ key: 'REPORTS', digits: '20260104' });
    await plugin.dispose();

    plugin = await activate(host);
    expect((await plugin.onDayClose({ businessDay: '20260105', closingNumber: 43 })).outcome).toBe('sent');
    await plugin.dispose();
    const resends = (await manifestsOn(stick.mountPath)).filter((m) => m.kind === 're-send');
    // 20260102 may also go earlier as a day no stick had (planned `unsent`): every re-send of it carries Z 41.
    const expected: Record<string, number> = { '20260102': 41, '20260104': 42 };
    expect(new Set(resends.map((m) => m.businessDay))).toEqual(new Set(['20260102', '20260104']));
    for (const m of resends) expect([m.businessDay, m.closingNumber]).toEqual([m.businessDay, expected[m.businessDay as string]]);
  });
});
