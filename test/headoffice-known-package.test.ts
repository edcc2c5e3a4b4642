import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDayPackage } from '../src/export/index.js';
import { loadOrCreateRegisterKeyPair } from '../src/export/register-keys.js';
import type { BusinessDay } from '../src/host/business-day.js';
import { settleHeadOfficeCustomerNumber } from '../src/central/central-settings.js';
import type { CentralStore } from '../src/central/central-store.js';
import { openCentralStore } from '../src/central/open-central-store.js';
import { readAcknowledgements } from '../src/package/acknowledgement.js';
import { signManifest } from '../src/package/signing.js';
import { createSyntheticJournal } from './support/synthetic-journal.js';
import { createTestDatabase, describeWithPostgres, type TestDatabase } from './support/postgres.js';
import { runImport, shownDay } from './support/run-import.js';
import { TEST_HEAD_OFFICE_RECIPIENT, testHeadOfficeIdentityFile } from './support/test-host.js';

/**
 * Issue 13, item 2: a package head office already holds is recognised from
 * its manifest and signature alone. The data files are overwritten with
 * garbage after the first import: a second import that still says
 * "already imported" cannot have read them.
 */
const CUSTOMER = '40177';
const REGISTER = '3';
const FOLDER = `${CUSTOMER}-${REGISTER}`;
const DAY = '20260105' as BusinessDay;
const EMPTY_DAY = '20260106' as BusinessDay;
const STOCK_DAY = '20260107' as BusinessDay;

async function centralFingerprint(store: CentralStore): Promise<string> {
  const parts: string[] = [];
  for (const [table, by] of [
    ['registers', 'customer_number'],
    ['packages', 'package_id'],
    ['receipts', 'receipt_id'],
    ['receipt_lines', 'receipt_id, line_no'],
    ['payments', 'receipt_id, payment_no'],
    ['stock_postings', 'posting_id'],
    ['time_records', 'record_id'],
    ['quarantined_records', 'content_sha256'],
    ['conflicts', 'source, record_type, record_id'],
  ] as const) {
    parts.push(`${table}:${JSON.stringify(await store.all(`SELECT * FROM ${table} ORDER BY ${by}`))}`);
  }
  return createHash('sha256').update(parts.join('\n')).digest('hex');
}

const row = (day: string, receipts: number, status: string) =>
  new RegExp(`^${FOLDER} +${shownDay(day)} +day-close +${receipts} ${status} +100%$`, 'm');

function knownPackageSuite(backend: 'sqlite' | 'postgres'): void {
  let work: string;
  let central: string;
  let database: TestDatabase | null = null;
  let stick: string;
  let registerDir: string;
  const keysArgs = () => ['--keys', join(work, 'headoffice-keys')];
  const synthetic = createSyntheticJournal({
    days: {
      [DAY]: { receipts: 60, badRecords: 2, timeRecords: 4 },
      [EMPTY_DAY]: { receipts: 0, stockPostings: 0, timeRecords: 0 },
      [STOCK_DAY]: { receipts: 20, stockPostings: 15, timeRecords: 2 },
    },
    seed: 5,
  });

  async function withCentral<T>(use: (store: CentralStore) => Promise<T>): Promise<T> {
    const store = await openCentralStore(central);
    try {
      return await use(store);
    } finally {
      await store.close();
    }
  }

  async function writeDay(day: BusinessDay, recipients?: string[]) {
    return writeDayPackage({
      ...(recipients ? { recipients } : {}),
      stickPath: stick,
      identity: { customerNumber: CUSTOMER, registerId: REGISTER },
      businessDay: day,
      closingNumber: 3,
      kind: 'day-close',
      includeTimeRecords: true,
      journal: synthetic.journal,
      timeRecording: synthetic.timeRecording,
      keyDir: join(work, 'register-keys'),
      now: () => Date.UTC(2026, 0, 7, 21),
      signal: new AbortController().signal,
    });
  }

  async function filesOf(suffix: string): Promise<string[]> {
    return (await readdir(registerDir)).filter((n) => n.endsWith(suffix)).sort().map((n) => join(registerDir, n));
  }

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), `daystick-known-${backend}-`));
    if (backend === 'postgres') {
      database = await createTestDatabase();
      central = database.url;
    } else {
      central = join(work, 'central.sqlite');
    }
    stick = join(work, 'stick');
    registerDir = join(stick, 'DAYSTICK', FOLDER);
    await mkdir(stick);
    await withCentral((store) => settleHeadOfficeCustomerNumber(store, '99999'));
  });

  afterEach(async () => {
    await database?.drop();
    database = null;
    await rm(work, { recursive: true, force: true });
  });

  test('an imported package is already imported on its manifest and signature alone: the data file is not read, a missing ack is written again', async () => {
    await writeDay(DAY);
    await writeDay(EMPTY_DAY);
    const first = await runImport([stick, '--central', central, ...keysArgs()]);
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    expect(first.out).toMatch(row(DAY, 60, 'imported'));
    expect(first.out).toMatch(row(EMPTY_DAY, 0, 'imported'));
    const before = await withCentral(centralFingerprint);
    const firstAcks = await readAcknowledgements(registerDir);
    expect(firstAcks.map((a) => a.valid && a.status)).toEqual(['imported', 'imported']);

    // Garbage of another length in one data file and of the same length in the other: no zip, no hash would pass.
    const [dayZip, emptyZip] = await filesOf('.zip');
    await writeFile(dayZip!, Buffer.from('not a zip at all'));
    await writeFile(emptyZip!, Buffer.alloc((await readFile(emptyZip!)).length, 0x5a));
    // One ack lost on the way back to the store: head office writes it again, from what it already holds.
    await rm(firstAcks[1]!.file);

    const again = await runImport([stick, '--central', central, ...keysArgs()]);
    expect(again.err).toBe('');
    expect(again.code).toBe(0);
    expect(again.out).toMatch(row(DAY, 60, 'already-imported'));
    // An empty day's second import is already imported, not imported (section 9.1).
    expect(again.out).toMatch(row(EMPTY_DAY, 0, 'already-imported'));
    expect(again.out).toContain('2 package(s): 0 imported, 2 already imported, 0 with conflicts, 0 refused, 0 failed');
    expect(again.out).toContain('receipts: 0 new, 60 already imported, 0 conflicts');
    expect(await withCentral(centralFingerprint)).toBe(before);
    const acks = await readAcknowledgements(registerDir);
    expect(acks.map((a) => [a.valid, a.businessDay, a.valid && a.status])).toEqual([
      [true, DAY, 'imported'],
      [true, EMPTY_DAY, 'already-imported'],
    ]);
    // The rewritten ack says when the package really went in, not when the stick came back.
    const rewritten = acks[1]!;
    expect(rewritten.valid && rewritten.importedAt).toBe(firstAcks[1]!.valid && firstAcks[1]!.importedAt);
    // The kept ack is the first one, byte for byte.
    expect(acks[0]!.file).toBe(firstAcks[0]!.file);
  });

  test('format 2: an encrypted package already imported is recognised without decrypting it, its figures from the contents head office kept', async () => {
    await writeDay(DAY, [TEST_HEAD_OFFICE_RECIPIENT]);
    await writeDay(STOCK_DAY, [TEST_HEAD_OFFICE_RECIPIENT]);
    const identity = ['--identity', testHeadOfficeIdentityFile()];
    const first = await runImport([stick, '--central', central, ...keysArgs(), ...identity]);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(row(DAY, 60, 'imported'));
    const before = await withCentral(centralFingerprint);
    const data = await filesOf('.zip.age');
    expect(data).toHaveLength(2);
    // Ciphertext replaced: decrypting would fail, so "already imported" proves the file was not read.
    for (const file of data) await writeFile(file, Buffer.from('age-encryption.org/v1\nnot a real ciphertext'));

    // Without head office's identity too: recognising a known package needs no key that decrypts.
    const again = await runImport([stick, '--central', central, ...keysArgs()]);
    expect(again.err).toBe('');
    expect(again.code).toBe(0);
    expect(again.out).toMatch(row(DAY, 60, 'already-imported'));
    expect(again.out).toMatch(row(STOCK_DAY, 20, 'already-imported'));
    expect(again.out).toContain('2 package(s): 0 imported, 2 already imported, 0 with conflicts, 0 refused, 0 failed');
    expect(again.out).toContain('receipts: 0 new, 20 already imported, 0 conflicts; stock postings: 0 new, 15 already imported');
    expect(await withCentral(centralFingerprint)).toBe(before);

    // Leaving the stock postings out now counts them from the kept contents, as a version-1 manifest would give them.
    const without = await runImport([stick, '--central', central, ...keysArgs(), '--without-stock-postings']);
    expect(without.code).toBe(0);
    expect(without.out).toMatch(row(STOCK_DAY, 20, 'already-imported'));
    expect(await withCentral(centralFingerprint)).toBe(before);
  });

  test('format 2: a package imported before head office kept its contents is read in full once more, then recognised', async () => {
    await writeDay(DAY, [TEST_HEAD_OFFICE_RECIPIENT]);
    const identity = ['--identity', testHeadOfficeIdentityFile()];
    expect((await runImport([stick, '--central', central, ...keysArgs(), ...identity])).code).toBe(0);
    // What an older head office stored: the outcome without the contents.
    await withCentral(async (store) => {
      const [stored] = await store.all<{ package_id: string; outcome_json: string }>('SELECT package_id, outcome_json FROM packages');
      const { contents: _dropped, ...older } = JSON.parse(stored!.outcome_json);
      await store.run('UPDATE packages SET outcome_json = ? WHERE package_id = ?', [JSON.stringify(older), stored!.package_id]);
    });
    const [zip] = await filesOf('.zip.age');
    const ciphertext = await readFile(zip!);
    await writeFile(zip!, Buffer.from('age-encryption.org/v1\nnot a real ciphertext'));
    // Not answerable from the manifest alone: the full path reads (and here refuses) the damaged file.
    const refused = await runImport([stick, '--central', central, ...keysArgs(), ...identity]);
    expect(refused.code).toBe(1);
    expect(refused.out).not.toContain('already-imported');
    await writeFile(zip!, ciphertext);
    const full = await runImport([stick, '--central', central, ...keysArgs(), ...identity]);
    expect(full.code).toBe(0);
    expect(full.out).toMatch(row(DAY, 60, 'already-imported'));
    await writeFile(zip!, Buffer.from('age-encryption.org/v1\nnot a real ciphertext'));
    const fast = await runImport([stick, '--central', central, ...keysArgs()]);
    expect(fast.code).toBe(0);
    expect(fast.out).toMatch(row(DAY, 60, 'already-imported'));
  });

  test('a known package id with a different, validly signed manifest is refused as reused, without its data being read', async () => {
    await writeDay(DAY);
    expect((await runImport([stick, '--central', central, ...keysArgs()])).code).toBe(0);
    const before = await withCentral(centralFingerprint);
    const [manifestPath] = await filesOf('.manifest.json');
    const [sigPath] = await filesOf('.manifest.sig');
    const [zip] = await filesOf('.zip');
    const text = await readFile(manifestPath!, 'utf8');
    const changed = text.replace(/"closingNumber": ?3/, (m) => m.replace('3', '4'));
    expect(changed).not.toBe(text);
    const keys = await loadOrCreateRegisterKeyPair(join(work, 'register-keys'));
    await writeFile(manifestPath!, changed);
    await writeFile(sigPath!, signManifest(Buffer.from(changed), keys.privateKeyPem));
    await writeFile(zip!, Buffer.from('garbage'));
    const acksBefore = await readAcknowledgements(registerDir);

    const reused = await runImport([stick, '--central', central, ...keysArgs()]);
    expect(reused.code).toBe(1);
    expect(reused.out).toContain('REFUSED (package-id-reused)');
    expect(reused.out).toContain('was imported before with a different manifest');
    expect(reused.out).not.toContain('data-hash-mismatch');
    expect(await withCentral(centralFingerprint)).toBe(before);
    expect(await readAcknowledgements(registerDir)).toEqual(acksBefore);
  });

  test('a known package whose signature no longer verifies is not taken as known: it goes the full way and is refused', async () => {
    await writeDay(DAY);
    expect((await runImport([stick, '--central', central, ...keysArgs()])).code).toBe(0);
    const before = await withCentral(centralFingerprint);
    const [sigPath] = await filesOf('.manifest.sig');
    const [zip] = await filesOf('.zip');
    // Another valid signature form, by another key: the manifest bytes are the ones imported, the signature is not the register's.
    const other = await loadOrCreateRegisterKeyPair(join(work, 'other-keys'));
    const [manifestPath] = await filesOf('.manifest.json');
    await writeFile(sigPath!, signManifest(await readFile(manifestPath!), other.privateKeyPem));
    await writeFile(zip!, Buffer.from('garbage'));

    const result = await runImport([stick, '--central', central, ...keysArgs()]);
    expect(result.code).toBe(1);
    expect(result.out).toContain('REFUSED (bad-signature)');
    expect(result.out).not.toContain('already-imported');
    expect(await withCentral(centralFingerprint)).toBe(before);
  });

  test("register.pub is read once per folder and pass, and each folder is checked against its own: a key read for another folder never passes a package", async () => {
    await writeDay(DAY);
    // A second register on the same stick, with its own key.
    const otherFolder = `${CUSTOMER}-4`;
    const otherDir = join(stick, 'DAYSTICK', otherFolder);
    await writeDayPackage({
      stickPath: stick,
      identity: { customerNumber: CUSTOMER, registerId: '4' },
      businessDay: DAY,
      closingNumber: 1,
      kind: 'day-close',
      includeTimeRecords: true,
      journal: synthetic.journal,
      timeRecording: synthetic.timeRecording,
      keyDir: join(work, 'register-4-keys'),
      now: () => Date.UTC(2026, 0, 7, 21),
      signal: new AbortController().signal,
    });
    const first = await runImport([stick, '--central', central, ...keysArgs()]);
    expect(first.code).toBe(0);
    expect(first.out).toContain('2 package(s): 2 imported');
    const before = await withCentral(centralFingerprint);

    // The second folder loses its key: read after the first folder's in the same pass, the first one's must not stand in.
    await rm(join(otherDir, 'register.pub'));
    const noKey = await runImport([stick, '--central', central, ...keysArgs()]);
    expect(noKey.code).toBe(1);
    expect(noKey.out).toMatch(row(DAY, 60, 'already-imported'));
    expect(noKey.out).toContain('REFUSED (missing-public-key)');
    expect(noKey.out).toContain('2 package(s): 0 imported, 1 already imported, 0 with conflicts, 1 refused');

    // Now it holds the first register's key: its own package, signed by its own key, no longer verifies.
    await writeFile(join(otherDir, 'register.pub'), await readFile(join(registerDir, 'register.pub')));
    const foreign = await runImport([stick, '--central', central, ...keysArgs()]);
    expect(foreign.code).toBe(1);
    expect(foreign.out).toMatch(row(DAY, 60, 'already-imported'));
    expect(foreign.out).toContain('REFUSED (foreign-key)');
    expect(await withCentral(centralFingerprint)).toBe(before);
  });

  test('stock postings left out by the first import come in with the next one without the flag: a known package is not short-cut then', async () => {
    await writeDay(STOCK_DAY);
    const first = await runImport([stick, '--central', central, ...keysArgs(), '--without-stock-postings']);
    expect(first.code).toBe(0);
    expect(first.out).toContain('15 left out (--without-stock-postings)');
    const later = await runImport([stick, '--central', central, ...keysArgs()]);
    expect(later.code).toBe(0);
    expect(later.out).toContain('stock postings: 15 new, 0 already imported');
    await withCentral(async (store) => {
      const [n] = await store.all<{ n: number }>('SELECT COUNT(*) AS n FROM stock_postings');
      expect(Number(n!.n)).toBe(15);
    });
    // Now everything is in: the third visit is the fast one, and says the same as a full read would.
    const [zip] = await filesOf('.zip');
    await writeFile(zip!, Buffer.from('garbage'));
    const third = await runImport([stick, '--central', central, ...keysArgs()]);
    expect(third.code).toBe(0);
    expect(third.out).toMatch(row(STOCK_DAY, 20, 'already-imported'));
    expect(third.out).toContain('stock postings: 0 new, 15 already imported, 0 conflicts');
  });
}

describe('known packages on SQLite', () => knownPackageSuite('sqlite'));
describeWithPostgres('known packages on PostgreSQL', () => knownPackageSuite('postgres'));
