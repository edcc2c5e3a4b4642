import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readSync, writeSync } from 'node:fs';
import { cp, mkdir, mkdtemp, open, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDayPackage } from '../src/export/index.js';
import type { BusinessDay } from '../src/host/business-day.js';
import type { JournalPort, TimeRecordingPort } from '../src/host/ports.js';
import { ReceiptSchema } from '../src/host/records.js';
import { settleHeadOfficeCustomerNumber } from '../src/central/central-settings.js';
import type { CentralStore } from '../src/central/central-store.js';
import { centralDaySummary } from '../src/central/central-summary.js';
import { loadOrCreateHeadOfficeKey } from '../src/headoffice/head-office-keys.js';
import { runImportCommand } from '../src/headoffice/import-command.js';
import { importPackage } from '../src/headoffice/import-package.js';
import { openCentralStore } from '../src/central/open-central-store.js';
import { readAcknowledgements } from '../src/package/acknowledgement.js';
import { listPackages } from '../src/package/reader.js';
import { createSyntheticJournal } from './support/synthetic-journal.js';
import { createTestDatabase, describeWithPostgres, type TestDatabase } from './support/postgres.js';
import { Captured, runImport, shownDay } from './support/run-import.js';

const CUSTOMER = '40123';
const HEAD_OFFICE = '99999';
const REGISTER = '2';
const REGISTER_FOLDER = `${CUSTOMER}-${REGISTER}`;
const DAY1 = '20260105' as BusinessDay;
const DAY2 = '20260106' as BusinessDay;
const DAYS = {
  [DAY1]: { receipts: 240, badRecords: 3, timeRecords: 12 },
  [DAY2]: { receipts: 150, stockPostings: 40, timeRecords: 6 },
};

interface RegisterSide {
  journal: JournalPort;
  timeRecording: TimeRecordingPort;
  keyDir: string;
}

async function writeDay(stick: string, side: RegisterSide, day: BusinessDay, kind: 'day-close' | 're-send' = 'day-close') {
  await mkdir(stick, { recursive: true });
  return writeDayPackage({
    stickPath: stick,
    identity: { customerNumber: CUSTOMER, registerId: REGISTER },
    businessDay: day,
    closingNumber: kind === 'day-close' ? 7 : null,
    kind,
    includeTimeRecords: true,
    journal: side.journal,
    timeRecording: side.timeRecording,
    keyDir: side.keyDir,
    now: () => Date.UTC(2026, 0, 6, 21),
    signal: new AbortController().signal,
  });
}

/** What the register holds of a day, computed independently of the import: valid receipts, their gross and line/payment counts. */
async function registerFigures(journal: JournalPort, day: BusinessDay) {
  let receipts = 0;
  let grossMinor = 0;
  let lines = 0;
  let payments = 0;
  for await (const raw of journal.receipts(day)) {
    const parsed = ReceiptSchema.safeParse(raw);
    if (!parsed.success) continue;
    receipts++;
    grossMinor += parsed.data.grossMinor;
    lines += parsed.data.lines.length;
    payments += parsed.data.payments.length;
  }
  return { receipts, grossMinor, lines, payments };
}

/** Every row of every central table, hashed: equal before and after means nothing changed. */
async function centralFingerprint(store: CentralStore): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const order: Record<string, string> = {
    registers: 'customer_number, register_id',
    packages: 'package_id',
    receipts: 'receipt_id',
    receipt_lines: 'receipt_id, line_no',
    payments: 'receipt_id, payment_no',
    stock_postings: 'posting_id',
    time_records: 'record_id',
    quarantined_records: 'content_sha256',
    conflicts: 'source, record_type, record_id',
  };
  for (const [table, by] of Object.entries(order)) {
    const rows = await store.all<Record<string, unknown>>(`SELECT * FROM ${table} ORDER BY ${by}`);
    out[table] = `${rows.length}:${createHash('sha256').update(JSON.stringify(rows)).digest('hex')}`;
  }
  return out;
}

async function filesFingerprint(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) {
    if (name === 'acks') continue;
    out[name] = createHash('sha256').update(await readFile(join(dir, name))).digest('hex');
  }
  return out;
}

async function packageFiles(registerDir: string): Promise<string[]> {
  return (await readdir(registerDir)).filter((n) => n.endsWith('.zip')).sort();
}

function importSuite(backend: 'sqlite' | 'postgres'): void {
  let work: string;
  let central: string;
  let database: TestDatabase | null = null;
  let register: RegisterSide;
  let synthetic: ReturnType<typeof createSyntheticJournal>;
  const keysArgs = () => ['--keys', join(work, 'headoffice-keys')];

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), `daystick-headoffice-${backend}-`));
    if (backend === 'postgres') {
      database = await createTestDatabase();
      central = database.url;
    } else {
      central = join(work, 'central.sqlite');
    }
    synthetic = createSyntheticJournal({ days: DAYS, seed: 11 });
    // Head office's own number, stored once as a first run with --head-office-customer would.
    await withCentral((store) => settleHeadOfficeCustomerNumber(store, HEAD_OFFICE));
    register = { journal: synthetic.journal, timeRecording: synthetic.timeRecording, keyDir: join(work, 'register-keys') };
  });

  afterEach(async () => {
    await database?.drop();
    database = null;
    await rm(work, { recursive: true, force: true });
  });

  async function withCentral<T>(use: (store: CentralStore) => Promise<T>): Promise<T> {
    const store = await openCentralStore(central);
    try {
      return await use(store);
    } finally {
      await store.close();
    }
  }

  test('a register\'s days go into the central journal exactly once; a second import and a re-sent day change nothing', async () => {
    const stick = join(work, 'stick');
    await writeDay(stick, register, DAY1);
    await writeDay(stick, register, DAY2);

    const first = await runImport([stick, '--central', central, ...keysArgs()]);
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    expect(first.out).toContain('2 package(s): 2 imported, 0 already imported, 0 with conflicts, 0 refused, 0 failed');

    await withCentral(async (store) => {
      for (const day of [DAY1, DAY2]) {
        const expected = synthetic.expected(day);
        const figures = await registerFigures(register.journal, day);
        const summary = await centralDaySummary(store, CUSTOMER, REGISTER, day);
        expect(summary.receipts).toBe(expected.receipts - expected.badReceipts);
        expect(summary).toEqual({
          receipts: figures.receipts,
          grossMinor: figures.grossMinor,
          receiptLines: figures.lines,
          payments: figures.payments,
          paymentsMinor: figures.grossMinor,
          stockPostings: expected.stockPostings - expected.badStockPostings,
          timeRecords: expected.timeRecords - expected.badTimeRecords,
        });
      }
      const quarantined = await store.all<{ n: number }>('SELECT COUNT(*) AS n FROM quarantined_records');
      const bad = synthetic.expected(DAY1);
      expect(Number(quarantined[0]!.n)).toBe(bad.badReceipts + bad.badStockPostings + bad.badTimeRecords);
    });
    const before = await withCentral(centralFingerprint);

    const second = await runImport([stick, '--central', central, ...keysArgs()]);
    expect(second.code).toBe(0);
    expect(second.out).toContain('2 package(s): 0 imported, 2 already imported');
    expect(await withCentral(centralFingerprint)).toEqual(before);

    await writeDay(stick, register, DAY1, 're-send');
    const resent = await runImport([stick, '--central', central, ...keysArgs()]);
    expect(resent.code).toBe(0);
    expect(resent.out).toContain('3 package(s): 0 imported, 3 already imported');
    const after = await withCentral(centralFingerprint);
    // Only the re-sent package itself is new bookkeeping; not one booking row changed.
    for (const table of ['receipts', 'receipt_lines', 'payments', 'stock_postings', 'time_records', 'quarantined_records', 'conflicts']) {
      expect(after[table]).toBe(before[table]);
    }
    expect(after.packages?.startsWith('3:')).toBe(true);
  });

  test('acknowledgements are written per package, read back verified, and a tampered one is reported, not dropped', async () => {
    const stick = join(work, 'stick');
    const day1 = await writeDay(stick, register, DAY1);
    const day2 = await writeDay(stick, register, DAY2);
    expect((await runImport([stick, '--central', central, ...keysArgs()])).code).toBe(0);
    const registerDir = join(stick, 'DAYSTICK', REGISTER_FOLDER);
    const acks = await readAcknowledgements(registerDir);
    expect(acks.map((a) => [a.valid, a.packageId, a.businessDay, a.status])).toEqual([
      [true, day1.packageId, DAY1, 'imported'],
      [true, day2.packageId, DAY2, 'imported'],
    ]);
    const first = acks[0]!;
    if (!first.valid) throw new Error('unreachable');
    expect(first.counts.receiptsNew).toBe(synthetic.expected(DAY1).receipts - synthetic.expected(DAY1).badReceipts);

    const text = await readFile(first.file, 'utf8');
    await writeFile(first.file, text.replace('"status\\":\\"imported\\"', '"status\\":\\"already-imported\\"'));
    const again = await readAcknowledgements(registerDir);
    expect(again).toHaveLength(2);
    expect(again[0]).toMatchObject({ valid: false, problem: 'bad-signature', packageId: day1.packageId, businessDay: DAY1 });
    expect(again[1]).toMatchObject({ valid: true, packageId: day2.packageId });

    // The next import replaces the broken ack rather than keeping it.
    expect((await runImport([stick, '--central', central, ...keysArgs()])).code).toBe(0);
    const repaired = await readAcknowledgements(registerDir);
    expect(repaired.map((a) => [a.valid, a.status])).toEqual([
      [true, 'already-imported'],
      [true, 'imported'],
    ]);
  });

  test('tampered and truncated packages are refused with their cause, left untouched, and store nothing', async () => {
    const stick = join(work, 'stick');
    const written = await writeDay(stick, register, DAY1);
    const registerDir = join(stick, 'DAYSTICK', REGISTER_FOLDER);
    const [zip] = await packageFiles(registerDir);
    const dataPath = join(registerDir, zip!);
    const bytes = await readFile(dataPath);
    const handle = await open(dataPath, 'r+');
    try {
      // One byte inside the compressed data: the zip still opens, the hashes do not match.
      await handle.write(Buffer.from([bytes[Math.floor(bytes.length / 2)]! ^ 0xff]), 0, 1, Math.floor(bytes.length / 2));
    } finally {
      await handle.close();
    }
    const tamperedFiles = await filesFingerprint(registerDir);
    const tampered = await runImport([stick, '--central', central, ...keysArgs()]);
    expect(tampered.code).toBe(1);
    expect(tampered.out).toContain('REFUSED (data-hash-mismatch)');
    expect(tampered.out).toContain('package left untouched');
    expect(await filesFingerprint(registerDir)).toEqual(tamperedFiles);
    expect(await readAcknowledgements(registerDir)).toEqual([]);
    await withCentral(async (store) => {
      expect((await centralDaySummary(store, CUSTOMER, REGISTER, DAY1)).receipts).toBe(0);
      expect(await store.all('SELECT * FROM packages')).toEqual([]);
    });

    await writeFile(dataPath, bytes.subarray(0, bytes.length - 100));
    const truncatedFiles = await filesFingerprint(registerDir);
    const truncated = await runImport([stick, '--central', central, ...keysArgs()]);
    expect(truncated.code).toBe(1);
    expect(truncated.out).toContain('REFUSED (truncated)');
    expect(await filesFingerprint(registerDir)).toEqual(truncatedFiles);
    await withCentral(async (store) => {
      expect(await store.all('SELECT * FROM packages')).toEqual([]);
      expect(await store.all('SELECT * FROM registers')).toEqual([]);
    });
    expect(written.packageId).toBeDefined();
  });

  test('a data file changed after verification, while its rows are read, is refused and rolled back', async () => {
    const big = createSyntheticJournal({ days: { [DAY1]: { receipts: 2500 } }, seed: 4 });
    const stick = join(work, 'stick');
    await writeDay(stick, { ...register, journal: big.journal, timeRecording: big.timeRecording }, DAY1);
    const [location] = await listPackages(stick);
    const key = await loadOrCreateHeadOfficeKey(join(work, 'headoffice-keys'));
    const result = await withCentral((store) =>
      importPackage(store, location!, {
        withoutStockPostings: false,
        headOfficeCustomerNumber: null,
        headOfficeKey: key,
        onProgress: (done) => {
          // Byte 200 lies in the first entry's data, already read by now: the rows stay readable, the file is no longer the verified one.
          if (done !== 1000) return;
          const fd = openSync(location!.dataPath!, 'r+');
          try {
            const byte = Buffer.alloc(1);
            readSync(fd, byte, 0, 1, 200);
            writeSync(fd, Buffer.from([byte[0]! ^ 0xff]), 0, 1, 200);
          } finally {
            closeSync(fd);
          }
        },
      }),
    );
    expect(result.status).toBe('refused');
    expect(result.refusals).toEqual([{ code: 'changed-during-import', message: 'the data file changed while it was imported; rolled back, nothing stored' }]);
    expect(result.acknowledgement).toEqual({ state: 'not-written' });
    await withCentral(async (store) => {
      expect(await store.all('SELECT * FROM receipts')).toEqual([]);
      expect(await store.all('SELECT * FROM packages')).toEqual([]);
      expect(await store.all('SELECT * FROM registers')).toEqual([]);
    });
  });

  test('a register pins its key with its first package: a later package signed by another key is refused as a conflict', async () => {
    const stickA = join(work, 'stick-a');
    await writeDay(stickA, register, DAY1);
    expect((await runImport([stickA, '--central', central, ...keysArgs()])).code).toBe(0);

    const impostor = { ...register, keyDir: join(work, 'other-register-keys') };
    const stickB = join(work, 'stick-b');
    await writeDay(stickB, impostor, DAY2);
    const before = await withCentral(centralFingerprint);
    const refused = await runImport([stickB, '--central', central, ...keysArgs()]);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain('REFUSED (pinned-key-conflict)');
    expect(refused.out).toContain(`register ${REGISTER_FOLDER} is pinned to key`);
    expect(refused.out).toContain(`--accept-new-key ${REGISTER_FOLDER}`);
    expect(await withCentral(centralFingerprint)).toEqual(before);

    // The register really was replaced: a person says so, the new key is pinned, the old one kept as retired.
    const accepted = await runImport([stickB, '--central', central, ...keysArgs(), '--accept-new-key', REGISTER_FOLDER]);
    expect(accepted.code).toBe(0);
    expect(accepted.out).toContain('1 package(s): 1 imported');
    await withCentral(async (store) => {
      const [pinned] = await store.all<{ pinned_by_package: string }>('SELECT pinned_by_package FROM registers');
      const retired = await store.all<{ retired_by_package: string }>('SELECT retired_by_package FROM retired_register_keys');
      expect(retired).toEqual([{ retired_by_package: pinned!.pinned_by_package }]);
    });
    const oldKeyAgain = await runImport([stickA, '--central', central, ...keysArgs()]);
    expect(oldKeyAgain.code).toBe(1);
    expect(oldKeyAgain.out).toContain('REFUSED (pinned-key-conflict)');
  });

  test("a package carrying head office's own customer number, however written, is refused with the licence message on every import", async () => {
    const stick = join(work, 'stick');
    await writeDay(stick, register, DAY1);
    // This journal's head office is the register's own customer, stored with leading zeros.
    await withCentral((store) => store.run("UPDATE central_settings SET value = ? WHERE name = 'head_office_customer_number'", [`00${CUSTOMER}`]));
    for (const flag of [[], ['--head-office-customer', CUSTOMER]]) {
      const refused = await runImport([stick, '--central', central, ...keysArgs(), ...flag]);
      expect(refused.code).toBe(1);
      expect(refused.out).toContain('REFUSED (head-office-customer-number)');
      expect(refused.out).toContain(`carries head office's customer number ${CUSTOMER} (00${CUSTOMER})`);
      expect(refused.out).toContain('every offline register needs its own customer number');
      expect(refused.out).toContain('licence violation');
    }
    await withCentral(async (store) => {
      expect(await store.all('SELECT * FROM receipts')).toEqual([]);
      expect(await store.all('SELECT * FROM packages')).toEqual([]);
    });
    expect(await readAcknowledgements(join(stick, 'DAYSTICK', REGISTER_FOLDER))).toEqual([]);
    // Naming another head office does not let the package in: the journal's own number stands.
    const other = await runImport([stick, '--central', central, ...keysArgs(), '--head-office-customer', HEAD_OFFICE]);
    expect(other.code).toBe(2);
    expect(other.err).toContain(`--head-office-customer ${HEAD_OFFICE} is not head office's customer number 00${CUSTOMER}`);
    await withCentral(async (store) => expect(await store.all('SELECT * FROM receipts')).toEqual([]));
  });

  test('the same receipt id with different content is a conflict: reported, left out, the stored receipt kept', async () => {
    const stickA = join(work, 'stick-a');
    await writeDay(stickA, register, DAY2);
    expect((await runImport([stickA, '--central', central, ...keysArgs()])).code).toBe(0);
    const original = await withCentral((store) => centralDaySummary(store, CUSTOMER, REGISTER, DAY2));

    // Another seed: same ids (R<day>-<no>), different lines and amounts, signed by the same register key.
    const other = createSyntheticJournal({ days: { [DAY2]: { receipts: 160, stockPostings: 40, timeRecords: 6 } }, seed: 99 });
    const stickB = join(work, 'stick-b');
    await writeDay(stickB, { ...register, journal: other.journal, timeRecording: other.timeRecording }, DAY2, 're-send');
    const result = await runImport([stickB, '--central', central, ...keysArgs()]);
    expect(result.code).toBe(1);
    expect(result.out).toContain('partially-conflicting');
    expect(result.out).toMatch(/CONFLICT receipt R20260106-0000001 \(day 6 Jan 2026\)/);
    await withCentral(async (store) => {
      const now = await centralDaySummary(store, CUSTOMER, REGISTER, DAY2);
      // Receipts 151-160 are new ids and go in; 1-150 stay exactly as first imported.
      expect(now.receipts).toBe(160);
      const kept = await store.all<{ n: number }>(
        "SELECT COALESCE(SUM(gross_minor), 0) AS n FROM receipts WHERE business_day = ? AND receipt_id <= 'R20260106-0000150'",
        [DAY2],
      );
      expect(Number(kept[0]!.n)).toBe(original.grossMinor);
      const conflicts = await store.all<{ n: number }>("SELECT COUNT(*) AS n FROM conflicts WHERE record_type = 'receipt'");
      expect(Number(conflicts[0]!.n)).toBeGreaterThan(100);
    });
    const [ack] = (await readAcknowledgements(join(stickB, 'DAYSTICK', REGISTER_FOLDER))).filter((a) => a.valid);
    expect(ack?.status).toBe('partially-conflicting');
  });

  test('--without-stock-postings leaves stock postings out and says how many', async () => {
    const stick = join(work, 'stick');
    await writeDay(stick, register, DAY2);
    const result = await runImport([stick, '--central', central, ...keysArgs(), '--without-stock-postings']);
    expect(result.code).toBe(0);
    const expected = synthetic.expected(DAY2);
    expect(result.out).toContain(`${expected.stockPostings} left out (--without-stock-postings)`);
    await withCentral(async (store) => {
      const summary = await centralDaySummary(store, CUSTOMER, REGISTER, DAY2);
      expect(summary.stockPostings).toBe(0);
      expect(summary.receipts).toBe(expected.receipts);
      expect(summary.timeRecords).toBe(expected.timeRecords);
    });
    const [ack] = await readAcknowledgements(join(stick, 'DAYSTICK', REGISTER_FOLDER));
    expect(ack?.valid && ack.counts.stockPostingsSkipped).toBe(expected.stockPostings);
  });

  test('watching: a stick appearing under a stick root and a package copied into the backup folder are imported by themselves', async () => {
    const sticks = join(work, 'sticks');
    const backup = join(work, 'backup');
    await mkdir(sticks);
    await mkdir(backup);
    const source = join(work, 'written');
    await writeDay(source, register, DAY1);
    await writeDay(source, register, DAY2);
    const registerDir = join(source, 'DAYSTICK', REGISTER_FOLDER);
    const day1Files = (await readdir(registerDir)).filter((n) => n.startsWith(DAY1) || n === 'register.pub');
    const day2Files = (await readdir(registerDir)).filter((n) => n.startsWith(DAY2) || n === 'register.pub');

    const stdout = new Captured();
    const stderr = new Captured();
    const stop = new AbortController();
    const running = runImportCommand(
      ['--central', central, ...keysArgs(), '--stick-root', sticks, '--backup-folder', backup, '--backup-poll-ms', '100'],
      { stdout, stderr, signal: stop.signal },
    );
    const waitFor = async (what: string) => {
      const start = Date.now();
      while (!stdout.text.includes(what)) {
        if (Date.now() - start > 20_000) throw new Error(`timed out waiting for "${what}"; output so far:\n${stdout.text}${stderr.text}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    try {
      await waitFor('watching for sticks');
      // Prepared beside the root and moved in at once: a real stick appears with its files already on it.
      const stickRegisterDir = join(work, 'STICK1', 'DAYSTICK', REGISTER_FOLDER);
      await mkdir(stickRegisterDir, { recursive: true });
      for (const f of day1Files) await cp(join(registerDir, f), join(stickRegisterDir, f));
      await rename(join(work, 'STICK1'), join(sticks, 'STICK1'));
      await waitFor('it can be pulled now');
      expect(stdout.text).toMatch(/stick "STICK1" done: 1 package\(s\): 1 imported/);

      const backupRegisterDir = join(backup, REGISTER_FOLDER);
      await mkdir(backupRegisterDir);
      // Manifest last, as a copy would finish: until it is there the package must wait, not be refused.
      for (const f of day2Files.filter((n) => !n.endsWith('.manifest.json'))) await cp(join(registerDir, f), join(backupRegisterDir, f));
      await waitFor('has no manifest yet, waiting');
      for (const f of day2Files.filter((n) => n.endsWith('.manifest.json'))) await cp(join(registerDir, f), join(backupRegisterDir, f));
      await waitFor(`${REGISTER_FOLDER}`.padEnd(18) + ` ${shownDay(DAY2).padEnd(11)} day-close`);
      await waitFor('acknowledgement written');
      const start = Date.now();
      while ((await readAcknowledgements(backupRegisterDir)).length === 0 && Date.now() - start < 20_000) {
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      stop.abort();
    }
    expect(await running).toBe(0);
    expect(stdout.text).not.toContain('REFUSED');
    await withCentral(async (store) => {
      expect((await centralDaySummary(store, CUSTOMER, REGISTER, DAY1)).receipts).toBeGreaterThan(0);
      expect((await centralDaySummary(store, CUSTOMER, REGISTER, DAY2)).receipts).toBe(synthetic.expected(DAY2).receipts);
    });
  });
}

describe('head-office import into SQLite', () => importSuite('sqlite'));
describeWithPostgres('head-office import into PostgreSQL', () => importSuite('postgres'));

test('bad command lines are refused by name and change nothing', async () => {
  const work = await mkdtemp(join(tmpdir(), 'daystick-headoffice-args-'));
  try {
    const noCentral = await runImport([work]);
    expect(noCentral.code).toBe(2);
    expect(noCentral.err).toContain('--central');
    const mixed = await runImport([work, '--central', join(work, 'c.sqlite'), '--from', '20260101']);
    expect(mixed.code).toBe(2);
    expect(mixed.err).toContain('--from belongs to --reconcile');
    const badDay = await runImport(['--reconcile', join(work, 'r.sqlite'), '--from', '20261341', '--customer', '1', '--register', '1', '--central', join(work, 'c.sqlite')]);
    expect(badDay.code).toBe(2);
    expect(badDay.err).toContain('--from');
    const pgWithoutKeys = await runImport([work, '--central', 'postgres://nobody@127.0.0.1:1/none']);
    expect(pgWithoutKeys.code).toBe(2);
    expect(pgWithoutKeys.err).toContain('--keys');
    expect(await readdir(work)).toEqual([]);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

test('a missing folder is a failure with its cause, not an empty success', async () => {
  const work = await mkdtemp(join(tmpdir(), 'daystick-headoffice-missing-'));
  try {
    const result = await runImport([join(work, 'no-such-stick'), '--central', join(work, 'c.sqlite'), '--head-office-customer', HEAD_OFFICE]);
    expect(result.code).toBe(2);
    // Nothing was opened or created for a path that is not there (README exit-code table: 2).
    expect(existsSync(join(work, 'c.sqlite'))).toBe(false);
    expect(result.err).toContain('cannot read');
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

