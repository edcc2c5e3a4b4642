import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { writeDayPackage } from '../src/export/index.js';
import { PRIVATE_KEY_FILE } from '../src/export/register-keys.js';
import { HEAD_OFFICE_AGE_IDENTITY_FILE } from '../src/headoffice/head-office-keys.js';
import { shownDay } from './support/run-import.js';
import { readIdentityFile } from '../src/package/age-file.js';
import { recipientProblem } from '../src/package/age-recipient.js';
import { listPackages, type PackageVerdict, signManifest, verifyPackage } from '../src/package/index.js';
import { createDemoJournalFile } from '../src/journal/demo-journal.js';
import { runDaystick, runShellScript } from './support/shell-session.js';
import { createSyntheticJournal } from './support/synthetic-journal.js';

// Format 2 against the real `age` CLI (/usr/bin/age): both directions, and every new rule on a damaged package.

const run = promisify(execFile);
const DAY = '20260505';
const REGISTER = '40123-1';

let work: string;
let good: string;
let keyDir: string;
let identityFile: string;
let recipient: string;
let identities: string[];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'daystick-age-'));
  good = join(work, 'good-stick');
  keyDir = join(work, 'plugin-storage');
  identityFile = join(work, 'headoffice-identity.txt');
  await mkdir(good);
  await run('age-keygen', ['-o', identityFile]);
  recipient = (await run('age-keygen', ['-y', identityFile])).stdout.trim();
  identities = await readIdentityFile(identityFile);
  const synthetic = createSyntheticJournal({ days: { [DAY]: { receipts: 300, badRecords: 3 } } });
  await writeDayPackage({
    stickPath: good,
    identity: { customerNumber: '40123', registerId: '1' },
    businessDay: DAY,
    closingNumber: 12,
    kind: 'day-close',
    includeTimeRecords: true,
    journal: synthetic.journal,
    timeRecording: synthetic.timeRecording,
    keyDir,
    recipients: [recipient],
    now: () => Date.UTC(2026, 4, 5, 20),
    signal: new AbortController().signal,
  });
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

interface Copy {
  stick: string;
  dir: string;
  stem: string;
  manifest: string;
  data: string;
  sig: string;
}

let copies = 0;
async function copyOfGood(): Promise<Copy> {
  const stick = join(work, `copy-${copies++}`);
  await cp(good, stick, { recursive: true });
  const dir = join(stick, 'DAYSTICK', REGISTER);
  const stem = (await readdir(dir)).find((n) => n.endsWith('.zip.age'))!.slice(0, -'.zip.age'.length);
  return {
    stick,
    dir,
    stem,
    manifest: join(dir, `${stem}.manifest.json`),
    data: join(dir, `${stem}.zip.age`),
    sig: join(dir, `${stem}.manifest.sig`),
  };
}

async function verdictOf(stick: string, withIdentity = true): Promise<PackageVerdict> {
  const locations = await listPackages(stick);
  expect(locations).toHaveLength(1);
  return verifyPackage(locations[0]!, withIdentity ? { identities } : {});
}

const codes = (v: PackageVerdict) => v.problems.map((p) => (p.entry ? `${p.code}:${p.entry}` : p.code));

/** Points the manifest at the data file as it is now and re-signs it with the register's own key. */
async function resign(copy: Copy): Promise<void> {
  const manifest = JSON.parse(await readFile(copy.manifest, 'utf8'));
  const data = await readFile(copy.data);
  manifest.dataFile.bytes = data.length;
  manifest.dataFile.sha256 = createHash('sha256').update(data).digest('hex');
  const bytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
  await writeFile(copy.manifest, bytes);
  await writeFile(copy.sig, signManifest(bytes, await readFile(join(keyDir, PRIVATE_KEY_FILE), 'utf8')));
}

/** The data file decrypted by the age CLI, unpacked into a folder. */
async function unpacked(copy: Copy): Promise<string> {
  const zip = join(work, `plain-${copies++}.zip`);
  await run('age', ['-d', '-i', identityFile, '-o', zip, copy.data]);
  const dir = `${zip}.d`;
  await run('unzip', ['-q', zip, '-d', dir]);
  return dir;
}

/** Zips `names` from `dir` in that order, encrypts the zip with the age CLI into the copy's data file, re-signs. */
async function repacked(copy: Copy, dir: string, names: string[]): Promise<void> {
  const zip = join(work, `repacked-${copies++}.zip`);
  await run('zip', ['-q', '-X', '-D', zip, ...names], { cwd: dir });
  await rm(copy.data);
  await run('age', ['-r', recipient, '-o', copy.data, zip]);
  await resign(copy);
}

const ENTRY_ORDER = ['receipts.ndjson', 'receipt-lines.ndjson', 'payments.ndjson', 'stock-postings.ndjson', 'time-records.ndjson', 'quarantine.ndjson'];

test('a version-2 package as written is whole, and its manifest holds only what a keyless check needs', async () => {
  const v = await verdictOf(good);
  expect(v.problems).toEqual([]);
  expect(v.ok).toBe(true);
  expect(v.contentsChecked).toBe(true);
  expect(v.manifest?.formatVersion).toBe(2);
  expect(v.manifest?.controlTotals.receipts).toBe(300);
  expect(v.manifest?.closingNumber).toBe(12);
  const copy = await copyOfGood();
  expect(Object.keys(JSON.parse(await readFile(copy.manifest, 'utf8')))).toEqual([
    'formatVersion',
    'packageId',
    'customerNumber',
    'registerId',
    'businessDay',
    'createdAt',
    'kind',
    'dataFile',
    'encryption',
    'signatureAlgorithm',
    'publicKeyId',
  ]);
});

test('without the identity verify checks manifest, signature and ciphertext, and says the contents were not checked', async () => {
  const v = await verdictOf(good, false);
  expect(v.ok).toBe(true);
  expect(v.contentsChecked).toBe(false);
  expect(v.manifest).toBeNull();
  const cli = runDaystick(['verify', good], work);
  expect(cli.code).toBe(0);
  expect(cli.stdout).toContain('contents not checked');
  const withKey = runDaystick(['verify', '--identity', identityFile, good], work);
  expect(withKey.code).toBe(0);
  expect(withKey.stdout).toContain('300 receipts  OK');
  expect(withKey.stdout).not.toContain('contents not checked');
});

test('age -d with head office identity turns the data file into the zip section 5 describes, contents.json last', async () => {
  const copy = await copyOfGood();
  const zip = join(work, 'cli-decrypted.zip');
  await run('age', ['-d', '-i', identityFile, '-o', zip, copy.data]);
  expect((await run('unzip', ['-tq', zip])).stdout).toContain('No errors');
  expect((await run('unzip', ['-Z1', zip])).stdout.trim().split('\n')).toEqual([...ENTRY_ORDER, 'contents.json']);
  const contents = JSON.parse((await run('unzip', ['-p', zip, 'contents.json'])).stdout);
  expect(contents.controlTotals.receipts).toBe(300);
  // Nothing of the business data is readable on the stick: a receipt id, a cashier, an article text, the turnover.
  const receipt = JSON.parse((await run('unzip', ['-p', zip, 'receipts.ndjson'])).stdout.split('\n')[0]!);
  const line = JSON.parse((await run('unzip', ['-p', zip, 'receipt-lines.ndjson'])).stdout.split('\n')[0]!);
  const time = JSON.parse((await run('unzip', ['-p', zip, 'time-records.ndjson'])).stdout.split('\n')[0]!);
  // Short strings turn up in random ciphertext by chance; eight characters and more do not (p ≈ 12 KiB / 2^64).
  const secrets = [receipt.receiptId, receipt.cashierId, line.description, time.employeeId, String(contents.controlTotals.grossMinor)];
  for (const secret of secrets.filter((s) => s.length >= 8)) {
    const found = await run('grep', ['-r', '-a', '-F', '-l', secret, copy.stick]).then(
      (r) => r.stdout,
      (err: { code: number }) => (err.code === 1 ? '' : Promise.reject(err)),
    );
    expect(found).toBe('');
  }
});

test('a data file encrypted by the age CLI to head office is read by the reader', async () => {
  const copy = await copyOfGood();
  const dir = await unpacked(copy);
  await repacked(copy, dir, [...ENTRY_ORDER, 'contents.json']);
  const v = await verdictOf(copy.stick);
  expect(v.problems).toEqual([]);
  expect(v.manifest?.controlTotals.receipts).toBe(300);
});

test('decrypt-failed: another identity, or a payload changed after the manifest was signed', async () => {
  const other = join(work, 'other-identity.txt');
  await run('age-keygen', ['-o', other]);
  const locations = await listPackages(good);
  const wrong = await verifyPackage(locations[0]!, { identities: await readIdentityFile(other) });
  expect(codes(wrong)).toEqual(['decrypt-failed']);

  const copy = await copyOfGood();
  const data = await readFile(copy.data);
  data[data.length - 100]! ^= 0x01;
  await writeFile(copy.data, data);
  expect(codes(await verdictOf(copy.stick, false))).toEqual(['data-hash-mismatch']);
  await resign(copy);
  expect(codes(await verdictOf(copy.stick))).toEqual(['decrypt-failed']);
});

test('bad-contents: contents.json missing, not last, or breaking its schema', async () => {
  const missing = await copyOfGood();
  await repacked(missing, await unpacked(missing), ENTRY_ORDER);
  expect(codes(await verdictOf(missing.stick))).toEqual(['bad-contents']);

  const notLast = await copyOfGood();
  await repacked(notLast, await unpacked(notLast), ['contents.json', ...ENTRY_ORDER]);
  expect(codes(await verdictOf(notLast.stick))).toEqual(['bad-contents']);

  const extraField = await copyOfGood();
  const dir = await unpacked(extraField);
  const contents = JSON.parse(await readFile(join(dir, 'contents.json'), 'utf8'));
  await writeFile(join(dir, 'contents.json'), `${JSON.stringify({ ...contents, turnover: 1 }, null, 2)}\n`);
  await repacked(extraField, dir, [...ENTRY_ORDER, 'contents.json']);
  expect(codes(await verdictOf(extraField.stick))).toEqual(['bad-contents']);
});

test('contents-mismatch: contents.json of another package inside a correctly signed one', async () => {
  const copy = await copyOfGood();
  const dir = await unpacked(copy);
  const contents = JSON.parse(await readFile(join(dir, 'contents.json'), 'utf8'));
  contents.packageId = '00000000-0000-4000-8000-000000000000';
  await writeFile(join(dir, 'contents.json'), `${JSON.stringify(contents, null, 2)}\n`);
  await repacked(copy, dir, [...ENTRY_ORDER, 'contents.json']);
  expect(codes(await verdictOf(copy.stick))).toEqual(['contents-mismatch']);
});

test('the totals inside the encryption are checked against the records after decrypting', async () => {
  const copy = await copyOfGood();
  const dir = await unpacked(copy);
  const contents = JSON.parse(await readFile(join(dir, 'contents.json'), 'utf8'));
  contents.controlTotals.grossMinor += 1;
  await writeFile(join(dir, 'contents.json'), `${JSON.stringify(contents, null, 2)}\n`);
  await repacked(copy, dir, [...ENTRY_ORDER, 'contents.json']);
  expect(codes(await verdictOf(copy.stick))).toEqual(['control-totals-mismatch']);
});

test('recipients are X25519 age recipients with a valid checksum', () => {
  expect(recipientProblem(recipient)).toBeNull();
  expect(recipientProblem(`${recipient.slice(0, -1)}${recipient.endsWith('q') ? 'p' : 'q'}`)).toMatch(/checksum/);
  expect(recipientProblem('AGE-SECRET-KEY-1')).toMatch(/not an age X25519 recipient/);
});

test('head office imports version 2 with the identity beside the central journal, refuses it without', async () => {
  const office = join(work, 'office');
  await mkdir(join(office, 'daystick-headoffice-keys'), { recursive: true });
  const central = join(office, 'central.sqlite');
  const copy = await copyOfGood();
  const refused = runDaystick(['import', copy.stick, '--central', central, '--head-office-customer', '10000'], work);
  expect(refused.code).toBe(1);
  expect(refused.stdout).toMatch(/decrypt-failed|refused/);
  await cp(identityFile, join(office, 'daystick-headoffice-keys', HEAD_OFFICE_AGE_IDENTITY_FILE));
  const imported = runDaystick(['import', copy.stick, '--central', central], work);
  expect(imported.stderr).toBe('');
  expect(imported.code).toBe(0);
  expect(imported.stdout).toMatch(new RegExp(`^${REGISTER} +${shownDay(DAY)} +day-close +300 imported +100%$`, 'm'));
});

test('version 1 stays readable: the fixture written before format 2 verifies and imports', async () => {
  const fixture = join(process.cwd(), 'test', 'fixtures', 'v1-stick');
  const v = await verdictOf(fixture);
  expect(v.problems).toEqual([]);
  expect(v.manifest?.formatVersion).toBe(1);
  expect(v.manifest?.controlTotals.receipts).toBe(40);
  const stick = join(work, 'v1-copy');
  await cp(fixture, stick, { recursive: true });
  await rm(join(stick, 'README.md'));
  const central = join(work, 'v1-office', 'central.sqlite');
  await mkdir(join(work, 'v1-office'));
  const imported = runDaystick(['import', stick, '--central', central, '--head-office-customer', '10000'], work);
  expect(imported.stderr).toBe('');
  expect(imported.code).toBe(0);
  expect(imported.stdout).toMatch(new RegExp(`^${REGISTER} +${shownDay(DAY)} +day-close +40 imported +100%$`, 'm'));
  expect((await stat(join(stick, 'DAYSTICK', REGISTER, 'acks'))).isDirectory()).toBe(true);
});

test('after a scripted close of the reference shell with the backup on nothing of the business data is greppable on the stick, and head office imports and reconciles it without setup', async () => {
  const dir = join(work, 'demo');
  await mkdir(join(dir, 'sticks', 'STICK1'), { recursive: true });
  await createDemoJournalFile(join(dir, 'journal.sqlite'), { start: '20260101', days: 3, receiptsPerDay: 20, seed: 'age', badRecords: 0, closedDays: 2 });
  const close = await runShellScript(['--journal', 'journal.sqlite', '--stick-root', 'sticks', '--backup', 'on', '--wait-stick', '10'], ['close'], dir);
  expect(close.code).toBe(0);
  expect(close.promptIds).toContain('NOTE_2');
  expect(close.promptIds).toContain('NOTE_1');
  const identity = join(dir, '.daystick', 'headoffice-age-identity.txt');
  expect((await stat(identity)).mode & 0o777).toBe(0o600);
  const stick = join(dir, 'sticks', 'STICK1');
  const { stdout: files } = await run('find', [stick, '-type', 'f']);
  const data = files.trim().split('\n').filter((f) => f.endsWith('.zip.age'));
  expect(data).toHaveLength(1);
  expect(files).not.toMatch(/\.zip\n|AGE-SECRET-KEY|\.sqlite\n|\.part\n/);
  const backupFolder = join(stick, 'DAYSTICK', '10001-1', 'masterdata');
  const backup = join(backupFolder, 'register-backup.sqlite.age');
  expect(files.trim().split('\n').filter((f) => f.startsWith(backupFolder)).sort()).toEqual(
    [backup, join(backupFolder, 'backup.manifest.json'), join(backupFolder, 'backup.manifest.sig')].sort(),
  );
  expect(JSON.parse(await readFile(join(backupFolder, 'backup.manifest.json'), 'utf8'))).toMatchObject({
    encryption: 'age',
    file: { name: 'register-backup.sqlite.age', bytes: (await stat(backup)).size },
  });
  const clearBackup = join(dir, 'head-office-backup.sqlite');
  await run('age', ['-d', '-i', identity, '-o', clearBackup, backup]);
  expect((await readFile(clearBackup)).subarray(0, 16).toString('latin1')).toBe('SQLite format 3\0');
  const zip = join(dir, 'head-office.zip');
  await run('age', ['-d', '-i', identity, '-o', zip, data[0]!]);
  const receipts = (await run('unzip', ['-p', zip, 'receipts.ndjson'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
  const lines = (await run('unzip', ['-p', zip, 'receipt-lines.ndjson'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
  const times = (await run('unzip', ['-p', zip, 'time-records.ndjson'])).stdout.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
  const contents = JSON.parse((await run('unzip', ['-p', zip, 'contents.json'])).stdout);
  const secrets = [
    ...receipts.map((r) => r.receiptId as string),
    ...times.map((t) => t.employeeId as string),
    ...lines.slice(0, 20).map((l) => l.description as string),
    // The backup holds the whole database, the days not in this close's package included.
    ...(await sqliteColumn(clearBackup, 'SELECT receipt_id FROM F_RECEIPT')),
    ...(await sqliteColumn(clearBackup, 'SELECT name FROM M_ARTICLE')),
    ...(await sqliteColumn(clearBackup, 'SELECT name FROM M_EMPLOYEE')),
    ...(await sqliteColumn(clearBackup, 'SELECT employee_id FROM F_TIME_RECORD')),
    String(contents.controlTotals.grossMinor),
    'AGE-SECRET-KEY',
  ];
  expect(receipts.length).toBeGreaterThan(0);
  for (const secret of new Set(secrets.filter((s) => s.length >= 8))) {
    const found = await run('grep', ['-r', '-a', '-F', '-l', secret, stick]).then(
      (r) => r.stdout,
      (err: { code: number }) => (err.code === 1 ? '' : Promise.reject(err)),
    );
    expect({ secret, found }).toEqual({ secret, found: '' });
  }
  const imported = runDaystick(['import', stick, '--central', 'central.sqlite', '--head-office-customer', '10000'], dir);
  expect(imported.stderr).toBe('');
  expect(imported.code).toBe(0);
  expect(imported.stdout).toMatch(new RegExp(`^10001-1 +\\d{1,2} [A-Z][a-z]{2} \\d{4} +day-close +${receipts.length} imported +100%$`, 'm'));
  // The identity is found as for the import: here the demo shell's, beside the journal.
  const reconciled = runDaystick(
    ['import', '--reconcile', backupFolder, '--from', '20260101', '--customer', '10001', '--register', '1', '--central', 'central.sqlite'],
    dir,
  );
  expect(reconciled.stderr).toBe('');
  expect(reconciled.stdout).toContain('register-backup.sqlite.age');
  expect(reconciled.stdout).toMatch(/^1 Jan 2026 .* matches$/m);
  expect(reconciled.stdout).not.toMatch(/DIFFERS/);
  expect(reconciled.code).toBe(0);
});

async function sqliteColumn(path: string, sql: string): Promise<string[]> {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).pluck().all() as string[];
  } finally {
    db.close();
  }
}
