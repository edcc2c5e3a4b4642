import { readFile, readdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import Database from 'better-sqlite3';
import { commitBackup } from '../src/export/backup-manifest-writer.js';
import { writeDayPackage } from '../src/export/index.js';
import type { CentralStore } from '../src/central/central-store.js';
import { centralDaySummary } from '../src/central/central-summary.js';
import { openCentralStore } from '../src/central/open-central-store.js';
import type { BusinessDay } from '../src/host/business-day.js';
import { createDemoJournalFile } from '../src/journal/demo-journal.js';
import { openJournalDatabase } from '../src/journal/open-journal.js';
import { SqliteJournalPort } from '../src/journal/sqlite-journal-port.js';
import { SqliteMasterDataBackup } from '../src/journal/sqlite-master-data-backup.js';
import { SqliteTimeRecordingPort } from '../src/journal/sqlite-time-recording-port.js';
import { encryptingStream, loadOrCreateIdentityFile } from '../src/package/age-file.js';
import { BACKUP_MANIFEST_FILE, BACKUP_SIGNATURE_FILE } from '../src/package/backup-manifest.js';
import { createTestDatabase, describeWithPostgres, type TestDatabase } from './support/postgres.js';
import { runImport, shownDay } from './support/run-import.js';

const CUSTOMER = '51000';
const REGISTER = '3';
const DAYS = ['20261020', '20261021', '20261022'] as BusinessDay[];
const RECEIPTS_PER_DAY = 120;
const BAD_RECORDS = 2;

function reconcileSuite(backend: 'sqlite' | 'postgres'): void {
  let work: string;
  let central: string;
  let database: TestDatabase | null = null;
  /** The register's master-data backup folder, as head office gets it on a stick or in its backup folder. */
  let backupFolder: string;
  /** Head office's age identity file: the backup on the stick is ciphertext to it. */
  let identityFile: string;
  let encrypt: (plain: Readable) => Promise<Readable>;

  /** The register's signed manifest over a written backup, as the plugin commits it: same day, clock and key unless told. */
  const commitTestBackup = (
    folder: string,
    written: Parameters<typeof commitBackup>[0]['written'],
    { customerNumber = CUSTOMER, keyDir = join(work, 'register-keys') } = {},
  ) =>
    commitBackup({
      folder,
      identity: { customerNumber, registerId: REGISTER },
      businessDay: DAYS[2]!,
      written,
      keyDir,
      now: () => Date.UTC(2026, 9, 23),
      signal: new AbortController().signal,
    });

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), `daystick-reconcile-${backend}-`));
    if (backend === 'postgres') {
      database = await createTestDatabase();
      central = database.url;
    } else {
      central = join(work, 'central.sqlite');
    }
    identityFile = join(work, 'headoffice-age-identity.txt');
    const recipient = await loadOrCreateIdentityFile(identityFile);
    encrypt = (plain) => encryptingStream(plain, [recipient]);
    const journalPath = join(work, 'register.sqlite');
    await createDemoJournalFile(journalPath, {
      start: DAYS[0]!,
      days: DAYS.length,
      receiptsPerDay: RECEIPTS_PER_DAY,
      seed: 'reconcile',
      badRecords: BAD_RECORDS,
      closedDays: DAYS.length,
    });
    const db = openJournalDatabase(journalPath, { readonly: false });
    try {
      const journal = new SqliteJournalPort(db);
      const timeRecording = new SqliteTimeRecordingPort(db);
      for (const day of DAYS) {
        await writeDayPackage({
          stickPath: work,
          identity: { customerNumber: CUSTOMER, registerId: REGISTER },
          businessDay: day,
          closingNumber: 1,
          kind: 'day-close',
          includeTimeRecords: true,
          journal,
          timeRecording,
          keyDir: join(work, 'register-keys'),
          now: () => Date.UTC(2026, 9, 23),
          signal: new AbortController().signal,
        });
      }
      backupFolder = join(work, 'backup');
      const written = await new SqliteMasterDataBackup(db).run(
        backupFolder,
        new AbortController().signal,
        undefined,
        undefined,
        encrypt,
      );
      await commitTestBackup(backupFolder, written);
    } finally {
      db.close();
    }
    const imported = await runImport([
      join(work, 'DAYSTICK'),
      '--central',
      central,
      '--keys',
      join(work, 'ho-keys'),
      '--head-office-customer',
      '10000',
    ]);
    expect(imported.out).toContain('3 package(s): 3 imported');
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

  const reconcileArgs = (from: string) => [
    '--reconcile',
    backupFolder,
    '--from',
    from,
    '--customer',
    CUSTOMER,
    '--register',
    REGISTER,
    '--central',
    central,
    '--identity',
    identityFile,
  ];

  test("receipts missing centrally come back; a conflicting one and the register's own unreadable records are reported", async () => {
    const [, day2, day3] = DAYS as [BusinessDay, BusinessDay, BusinessDay];
    const lost = [10, 11, 77];
    const complete = await withCentral((s) => centralDaySummary(s, CUSTOMER, REGISTER, day2));
    const conflictingId = await withCentral(async (store) => {
      const ofDay = await store.all<{ receipt_id: string }>(
        'SELECT receipt_id FROM receipts WHERE business_day = ? ORDER BY receipt_no',
        [day2],
      );
      for (const position of lost) {
        const id = ofDay[position]!.receipt_id;
        for (const table of ['receipt_lines', 'payments', 'receipts'])
          await store.run(`DELETE FROM ${table} WHERE receipt_id = ?`, [id]);
      }
      // A different receipt stored under a register's id: what reconciliation must report and never overwrite.
      const [victim] = await store.all<{ receipt_id: string }>(
        'SELECT receipt_id FROM receipts WHERE business_day = ? ORDER BY receipt_id LIMIT 1',
        [day3],
      );
      await store.run(
        "UPDATE receipts SET gross_minor = gross_minor + 1, content_sha256 = 'edited' WHERE receipt_id = ?",
        [victim!.receipt_id],
      );
      return victim!.receipt_id;
    });
    const gap = await withCentral((s) => centralDaySummary(s, CUSTOMER, REGISTER, day2));
    expect(gap.receipts).toBe(complete.receipts - lost.length);

    const result = await runImport(reconcileArgs(day2));
    expect(result.err).toBe('');
    expect(result.code).toBe(1);
    expect(result.out).toMatch(new RegExp(`${shownDay(day2)} .* matches`));
    expect(result.out).toMatch(new RegExp(`${shownDay(day3)} .* DIFFERS`));
    expect(result.out).toContain(
      `CONFLICT receipt ${conflictingId}: central holds different content, kept central, not fixed`,
    );
    // The demo journal puts its bad records on the last day: the register itself cannot vouch for them.
    expect(result.out).toMatch(/\n {4}\d+ register record\(s\) fail the record schemas and cannot be imported\n/);
    expect(result.out).not.toContain(DAYS[0]!);

    await withCentral(async (store) => {
      expect(await centralDaySummary(store, CUSTOMER, REGISTER, day2)).toEqual(complete);
      const kept = await store.all<{ sha: string }>('SELECT content_sha256 AS sha FROM receipts WHERE receipt_id = ?', [
        conflictingId,
      ]);
      expect(kept[0]!.sha).toBe('edited');
      const sources = await store.all<{ n: number }>(
        "SELECT COUNT(*) AS n FROM receipts WHERE source LIKE 'reconcile:%'",
      );
      expect(Number(sources[0]!.n)).toBe(lost.length);
    });

    // A second run finds nothing left to insert.
    const again = await runImport(reconcileArgs(day2));
    expect(again.out).toMatch(/, 0 record\(s\) inserted,/);
  });

  test('a register database that is not one is refused by name', async () => {
    const result = await runImport([
      ...reconcileArgs(DAYS[0]!).slice(0, 1),
      join(work, 'no-such.sqlite'),
      ...reconcileArgs(DAYS[0]!).slice(2),
    ]);
    expect(result.code).toBe(1);
    expect(result.err).toContain('backup refused (missing-manifest)');
    expect(result.err).toContain('does not exist');
  });

  /** Everything the central journal holds, counted per table and register: what a refused run must leave as it was. */
  async function centralCounts(): Promise<Record<string, number>> {
    return withCentral(async (store) => {
      const counts: Record<string, number> = {};
      for (const table of [
        'registers',
        'receipts',
        'receipt_lines',
        'payments',
        'stock_postings',
        'time_records',
        'conflicts',
      ]) {
        const rows = await store.all<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`);
        counts[table] = Number(rows[0]!.n);
      }
      return counts;
    });
  }

  /** Three receipts of the middle day gone centrally: what a reconcile would bring back. */
  async function loseReceipts(): Promise<void> {
    await withCentral(async (store) => {
      const ofDay = await store.all<{ receipt_id: string }>(
        'SELECT receipt_id FROM receipts WHERE business_day = ? ORDER BY receipt_no LIMIT 3',
        [DAYS[1]!],
      );
      for (const { receipt_id: id } of ofDay) {
        for (const table of ['receipt_lines', 'payments', 'receipts'])
          await store.run(`DELETE FROM ${table} WHERE receipt_id = ?`, [id]);
      }
    });
  }

  async function expectRefused(args: string[], problem: string): Promise<string> {
    await loseReceipts();
    const before = await centralCounts();
    const result = await runImport(args);
    expect(result.err).toContain(`backup refused (${problem})`);
    expect(result.code).toBe(1);
    expect(result.out).toBe('');
    expect(await centralCounts()).toEqual(before);
    return result.err;
  }

  test("the issue's story: a mistyped customer number is refused by name, and no phantom register appears", async () => {
    const args = reconcileArgs(DAYS[0]!);
    args[args.indexOf('--customer') + 1] = '51001';
    const err = await expectRefused(args, 'identity-mismatch');
    expect(err).toContain(
      `this backup belongs to customer number ${CUSTOMER}, register ${REGISTER}, but customer number 51001`,
    );
    await withCentral(async (store) => {
      expect(await store.all("SELECT * FROM receipts WHERE customer_number = '51001'")).toEqual([]);
    });
    const wrongRegister = reconcileArgs(DAYS[0]!);
    wrongRegister[wrongRegister.indexOf('--register') + 1] = '4';
    await expectRefused(wrongRegister, 'identity-mismatch');
  });

  test('a backup file changed after the register signed it is refused', async () => {
    const file = join(backupFolder, 'register-backup.sqlite.age');
    const bytes = await readFile(file);
    // One byte deep inside the ciphertext: still an age file, no longer the one signed.
    bytes[bytes.length - 100] = (bytes[bytes.length - 100]! + 1) % 256;
    await writeFile(file, bytes);
    await expectRefused(reconcileArgs(DAYS[0]!), 'data-hash-mismatch');
  });

  test('a manifest signed by another key, or changed after signing, or missing, is refused', async () => {
    const original = await readFile(join(backupFolder, BACKUP_MANIFEST_FILE));
    const originalSignature = await readFile(join(backupFolder, BACKUP_SIGNATURE_FILE));
    const bytes = (await readFile(join(backupFolder, 'register-backup.sqlite.age'))).length;
    await commitTestBackup(backupFolder, { files: ['register-backup.sqlite.age'], bytes }, { keyDir: join(work, 'another-register-keys') });
    const err = await expectRefused(reconcileArgs(DAYS[0]!), 'pinned-key-conflict');
    expect(err).toContain(`register ${CUSTOMER}-${REGISTER} is pinned to key`);

    // The register's own signature, over other bytes: the day changed by hand.
    const edited = original.toString('utf8').replace(`"businessDay": "${DAYS[2]}"`, `"businessDay": "${DAYS[1]}"`);
    expect(edited).not.toBe(original.toString('utf8'));
    await writeFile(join(backupFolder, BACKUP_MANIFEST_FILE), edited);
    await writeFile(join(backupFolder, BACKUP_SIGNATURE_FILE), originalSignature);
    await expectRefused(reconcileArgs(DAYS[0]!), 'bad-signature');

    await rm(join(backupFolder, BACKUP_MANIFEST_FILE));
    await expectRefused(reconcileArgs(DAYS[0]!), 'missing-manifest');
  });

  test('a backup that does not open with the identity given is refused by name (decrypt-failed), nothing inserted', async () => {
    const stranger = join(work, 'stranger-identity.txt');
    await loadOrCreateIdentityFile(stranger);
    const args = reconcileArgs(DAYS[0]!);
    args[args.indexOf(identityFile)] = stranger;
    const err = await expectRefused(args, 'decrypt-failed');
    expect(err).toContain("does not open with head office's identity");
  });

  test('a backup file that is not on the stick as age ciphertext is never committed by the register', async () => {
    const clear = join(work, 'clear-backup');
    const db = openJournalDatabase(join(work, 'register.sqlite'), { readonly: false });
    try {
      const written = await new SqliteMasterDataBackup(db).run(clear, new AbortController().signal);
      await expect(
        commitTestBackup(clear, written),
      ).rejects.toThrow('is not encrypted to head office');
    } finally {
      db.close();
    }
    // Nothing of it stays to pass for a backup.
    expect(await readdir(clear)).toEqual([]);
  });

  test('a backup of a register head office never imported is refused: no key to check it against', async () => {
    const other = join(work, 'other-backup');
    const db = openJournalDatabase(join(work, 'register.sqlite'), { readonly: false });
    try {
      const written = await new SqliteMasterDataBackup(db).run(other, new AbortController().signal, undefined, undefined, encrypt);
      await commitTestBackup(other, written, { customerNumber: '51009' });
    } finally {
      db.close();
    }
    const args = reconcileArgs(DAYS[0]!);
    args[args.indexOf(backupFolder)] = other;
    args[args.indexOf('--customer') + 1] = '51009';
    await expectRefused(args, 'unknown-register');
  });

  test('a backup of a register still on journal schema 2 (no M_TSE yet) reconciles as before', async () => {
    const older = join(work, 'register-v2.sqlite');
    await writeFile(older, await readFile(join(work, 'register.sqlite')));
    const db = new Database(older);
    try {
      db.exec('DROP TABLE M_TSE');
      db.pragma('user_version = 2');
      const oldFolder = join(work, 'backup-v2');
      const written = await new SqliteMasterDataBackup(db).run(oldFolder, new AbortController().signal, undefined, undefined, encrypt);
      await commitTestBackup(oldFolder, written);
      await loseReceipts();
      const args = reconcileArgs(DAYS[1]!);
      args[1] = oldFolder;
      const result = await runImport(args);
      expect(result.err).toBe('');
      expect(result.out).toMatch(new RegExp(`^${shownDay(DAYS[1]!)} +${RECEIPTS_PER_DAY} +${RECEIPTS_PER_DAY - 3} +3 +${RECEIPTS_PER_DAY - 3} +0 +0 +0 +matches$`, 'm'));
    } finally {
      db.close();
    }
  });

  test('--dry-run prints what it would insert and leaves the central journal exactly as it was', async () => {
    await loseReceipts();
    const before = await centralCounts();
    const fileBefore = backend === 'sqlite' ? await readFile(central) : null;
    const dry = await runImport([...reconcileArgs(DAYS[1]!), '--dry-run']);
    expect(dry.err).toBe('');
    expect(dry.out).toContain('DRY RUN (nothing is written)');
    expect(dry.out).toMatch(
      new RegExp(
        `^${shownDay(DAYS[1]!)} +${RECEIPTS_PER_DAY} +${RECEIPTS_PER_DAY - 3} +3 +${RECEIPTS_PER_DAY - 3} +0 +0 +0 +dry-run$`,
        'm',
      ),
    );
    expect(dry.out).toMatch(/, 3 record\(s\) would be inserted \(dry run: nothing written\),/);
    expect(await centralCounts()).toEqual(before);
    if (fileBefore) expect((await readFile(central)).equals(fileBefore)).toBe(true);

    // The real run then inserts exactly what the dry run announced.
    const real = await runImport(reconcileArgs(DAYS[1]!));
    expect(real.out).toMatch(
      new RegExp(
        `^${shownDay(DAYS[1]!)} +${RECEIPTS_PER_DAY} +${RECEIPTS_PER_DAY - 3} +3 +${RECEIPTS_PER_DAY - 3} +0 +0 +0 +matches$`,
        'm',
      ),
    );
    expect((await centralCounts()).receipts).toBe(before.receipts! + 3);
  });
}

describe('data synchronisation into SQLite', () => reconcileSuite('sqlite'));
describeWithPostgres('data synchronisation into PostgreSQL', () => reconcileSuite('postgres'));
