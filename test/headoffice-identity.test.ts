import { mkdir, mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDayPackage } from '../src/export/index.js';
import { settleHeadOfficeCustomerNumber } from '../src/central/central-settings.js';
import type { CentralStore } from '../src/central/central-store.js';
import { loadOrCreateHeadOfficeKey } from '../src/headoffice/head-office-keys.js';
import { importPackage } from '../src/headoffice/import-package.js';
import { openCentralStore } from '../src/central/open-central-store.js';
import type { BusinessDay } from '../src/host/business-day.js';
import { ackFileName, keyedAckFileName, readAcknowledgements } from '../src/package/acknowledgement.js';
import { listPackages } from '../src/package/reader.js';
import { describeWithFuse, makeFatImage, mountStick, releaseAllSticks, unmountStick } from './support/fuse-stick.js';
import { createTestDatabase, describeWithPostgres, type TestDatabase } from './support/postgres.js';
import { runDaystick } from './support/shell-session.js';
import { createSyntheticJournal } from './support/synthetic-journal.js';

// Head office's identity as `daystick import` (the built binary, a child process) holds it: its own customer
// number stored once in the central journal, and the acks of several head-office machines side by side.

const HEAD_OFFICE = '10000';
const DAY = '20260305' as BusinessDay;
const synthetic = createSyntheticJournal({ days: { [DAY]: { receipts: 60, stockPostings: 5, timeRecords: 4 } }, seed: 21 });

async function registerWrites(stickPath: string, customerNumber: string, registerId: string, keyDir: string) {
  await mkdir(stickPath, { recursive: true });
  return writeDayPackage({
    stickPath,
    identity: { customerNumber, registerId },
    businessDay: DAY,
    closingNumber: 4,
    kind: 'day-close',
    includeTimeRecords: true,
    journal: synthetic.journal,
    timeRecording: synthetic.timeRecording,
    keyDir,
    now: () => Date.UTC(2026, 2, 5, 21),
    signal: new AbortController().signal,
  });
}

async function withCentral<T>(central: string, use: (store: CentralStore) => Promise<T>): Promise<T> {
  const store = await openCentralStore(central);
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

async function centralCounts(central: string): Promise<{ packages: number; receipts: number; settings: string[] }> {
  return withCentral(central, async (store) => {
    const n = async (table: string) => Number((await store.all<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))[0]!.n);
    const settings = await store.all<{ name: string; value: string }>('SELECT name, value FROM central_settings ORDER BY name');
    return { packages: await n('packages'), receipts: await n('receipts'), settings: settings.map((s) => `${s.name}=${s.value}`) };
  });
}

/** Every file in a register's acks folder with its bytes, to prove a run left them exactly as they were. */
async function acksFolder(registerDir: string): Promise<Record<string, string>> {
  const folder = join(registerDir, 'acks');
  const out: Record<string, string> = {};
  for (const name of (await readdir(folder).catch(() => [])).sort()) out[name] = await readFile(join(folder, name), 'utf8');
  return out;
}

function identitySuite(backend: 'sqlite' | 'postgres'): void {
  let work: string;
  let central: string;
  let database: TestDatabase | null = null;

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), `daystick-ho-identity-${backend}-`));
    if (backend === 'postgres') {
      database = await createTestDatabase();
      central = database.url;
    } else {
      central = join(work, 'central.sqlite');
    }
  });
  afterEach(async () => {
    await database?.drop();
    database = null;
    await rm(work, { recursive: true, force: true });
  });

  const importRun = (stick: string, keys: string, ...more: string[]) =>
    runDaystick(['import', stick, '--central', central, '--keys', join(work, keys), ...more], work);

  test("head office's customer number is given once, stored in the central journal, and checked on every later import without the flag", async () => {
    const ordinary = join(work, 'stick-ordinary');
    const twin = join(work, 'stick-twin');
    await registerWrites(ordinary, '10001', '1', join(work, 'register-10001'));
    // A register set up with head office's number, written with two leading zeros.
    await registerWrites(twin, '0010000', '1', join(work, 'register-0010000'));

    // A journal that was never told head office's number cannot check it: nothing is imported.
    const unknown = importRun(ordinary, 'keys');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("does not know head office's own customer number yet: give it once with --head-office-customer N");
    expect(await centralCounts(central)).toEqual({ packages: 0, receipts: 0, settings: [] });
    expect(await acksFolder(join(ordinary, 'DAYSTICK', '10001-1'))).toEqual({});

    const first = importRun(ordinary, 'keys', '--head-office-customer', HEAD_OFFICE);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`head office's customer number ${HEAD_OFFICE}`);
    expect(first.stdout).toContain('1 package(s): 1 imported');
    expect(await centralCounts(central)).toEqual({ packages: 1, receipts: 60, settings: [`head_office_customer_number=${HEAD_OFFICE}`] });

    // No flag this time: the stored number still refuses the twin, however its zeros are written.
    const refused = importRun(twin, 'keys');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('REFUSED (head-office-customer-number)');
    expect(refused.stdout).toContain(`carries head office's customer number 0010000 (${HEAD_OFFICE})`);
    expect(refused.stdout).toContain('licence violation');
    expect(await centralCounts(central)).toEqual({ packages: 1, receipts: 60, settings: [`head_office_customer_number=${HEAD_OFFICE}`] });
    expect(await acksFolder(join(twin, 'DAYSTICK', '0010000-1'))).toEqual({});

    // Another head office's number is refused before anything is read; the same number with zeros is the same head office.
    const other = importRun(ordinary, 'keys', '--head-office-customer', '20000');
    expect(other.code).toBe(2);
    expect(other.stderr).toContain(`--head-office-customer 20000 is not head office's customer number ${HEAD_OFFICE} stored in the central journal`);
    const padded = importRun(ordinary, 'keys', '--head-office-customer', `00${HEAD_OFFICE}`);
    expect(padded.code).toBe(0);
    expect(padded.stdout).toContain('1 package(s): 0 imported, 1 already imported');
    const malformed = importRun(ordinary, 'keys', '--head-office-customer', '10-000');
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('--head-office-customer 10-000: a customer number is 1 to 12 digits');
    expect(await centralCounts(central)).toEqual({ packages: 1, receipts: 60, settings: [`head_office_customer_number=${HEAD_OFFICE}`] });

    // Data synchronisation checks the stored number too.
    const reconcile = runDaystick(
      ['import', '--reconcile', join(work, 'none.sqlite'), '--from', DAY, '--customer', '010000', '--register', '1', '--central', central],
      work,
    );
    expect(reconcile.code).toBe(2);
    expect(reconcile.stderr).toContain(`customer number 010000 is head office's own (${HEAD_OFFICE})`);
  });

  test('the stored number is checked inside every import, also by a caller that passes none', async () => {
    const twin = join(work, 'stick-twin');
    await registerWrites(twin, '010000', '7', join(work, 'register-twin'));
    await withCentral(central, (store) => settleHeadOfficeCustomerNumber(store, HEAD_OFFICE));
    const [location] = await listPackages(twin);
    const key = await loadOrCreateHeadOfficeKey(join(work, 'keys'));
    const result = await withCentral(central, (store) =>
      importPackage(store, location!, { withoutStockPostings: false, headOfficeCustomerNumber: null, headOfficeKey: key }),
    );
    expect(result.status).toBe('refused');
    expect(result.refusals.map((r) => r.code)).toEqual(['head-office-customer-number']);
    expect(result.acknowledgement).toEqual({ state: 'not-written' });
    expect(await centralCounts(central)).toEqual({ packages: 0, receipts: 0, settings: [`head_office_customer_number=${HEAD_OFFICE}`] });
    expect(await withCentral(central, (store) => store.all('SELECT * FROM registers'))).toEqual([]);
  });

  test('two head-office machines with different keys importing the same stick both leave their acks, and each keeps its own', async () => {
    const stick = join(work, 'stick');
    const written = await registerWrites(stick, '10001', '2', join(work, 'register-keys'));
    const registerDir = join(stick, 'DAYSTICK', '10001-2');
    const machineA = await loadOrCreateHeadOfficeKey(join(work, 'keys-a'));
    const machineB = await loadOrCreateHeadOfficeKey(join(work, 'keys-b'));

    const a = importRun(stick, 'keys-a', '--head-office-customer', HEAD_OFFICE);
    expect(a.code).toBe(0);
    expect(a.stdout).toContain('1 package(s): 1 imported');
    // The second machine shares the central journal: the package is already there, and its ack goes beside the first one.
    const b = importRun(stick, 'keys-b');
    expect(b.code).toBe(0);
    expect(b.stdout).toContain('1 package(s): 0 imported, 1 already imported');

    const acks = await readAcknowledgements(registerDir);
    expect(acks.map((r) => [r.valid, r.packageId, r.file.split('/').at(-1), r.valid ? r.headOfficeKeyId : r.problem])).toEqual([
      [true, written.packageId, ackFileName(DAY, written.packageId), machineA.keyId],
      [true, written.packageId, keyedAckFileName(DAY, written.packageId, machineB.keyId), machineB.keyId],
    ]);
    expect(acks.map((r) => r.valid && r.status)).toEqual(['imported', 'already-imported']);
    // A register that pinned either machine's key finds a valid ack of the package.
    for (const key of [machineA, machineB]) {
      const trusted = await readAcknowledgements(registerDir, { trustedHeadOfficeKeyId: key.keyId });
      expect(trusted.filter((r) => r.valid).map((r) => r.valid && r.headOfficeKeyId)).toEqual([key.keyId]);
    }

    // Each machine again: its own ack is kept, the other's left exactly as it was.
    const before = await acksFolder(registerDir);
    expect(Object.keys(before).sort()).toEqual(
      [
        ackFileName(DAY, written.packageId),
        keyedAckFileName(DAY, written.packageId, machineB.keyId),
        `headoffice-${machineA.keyId.slice(0, 16)}.pub`,
        `headoffice-${machineB.keyId.slice(0, 16)}.pub`,
      ].sort(),
    );
    const mtimes = await Promise.all(Object.keys(before).map(async (n) => (await stat(join(registerDir, 'acks', n))).mtimeMs));
    for (const keys of ['keys-b', 'keys-a']) {
      const again = importRun(stick, keys);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain('1 package(s): 0 imported, 1 already imported');
    }
    expect(await acksFolder(registerDir)).toEqual(before);
    expect(await Promise.all(Object.keys(before).map(async (n) => (await stat(join(registerDir, 'acks', n))).mtimeMs))).toEqual(mtimes);
  });
}

describe("head office's identity with an SQLite central journal", () => identitySuite('sqlite'));
describeWithPostgres("head office's identity with a PostgreSQL central journal", () => identitySuite('postgres'));

describeWithFuse('two head-office machines on a real FAT32 stick', ['fat32'], () => {
  let work: string;
  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'daystick-ho-identity-fat-'));
  });
  afterEach(async () => {
    await releaseAllSticks();
    await rm(work, { recursive: true, force: true });
  });

  test('both acks land on the stick and are still valid after a remount', async () => {
    const image = join(work, 'stick.img');
    const mountPoint = join(work, 'mnt');
    await makeFatImage(image, 40, 'fat32');
    let stick = await mountStick(image, mountPoint);
    const written = await registerWrites(stick.mountPoint, '10001', '3', join(work, 'register-keys'));
    const central = join(work, 'central.sqlite');
    for (const keys of ['keys-a', 'keys-b']) {
      const run = runDaystick(['import', stick.mountPoint, '--central', central, '--keys', join(work, keys), '--head-office-customer', HEAD_OFFICE], work);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
    }
    await unmountStick(stick);
    stick = await mountStick(image, mountPoint);
    const machineA = await loadOrCreateHeadOfficeKey(join(work, 'keys-a'));
    const machineB = await loadOrCreateHeadOfficeKey(join(work, 'keys-b'));
    const acks = await readAcknowledgements(join(stick.mountPoint, 'DAYSTICK', '10001-3'));
    expect(acks.map((r) => [r.valid, r.packageId, r.file.split('/').at(-1)])).toEqual([
      [true, written.packageId, ackFileName(DAY, written.packageId)],
      [true, written.packageId, keyedAckFileName(DAY, written.packageId, machineB.keyId)],
    ]);
    expect(acks.map((r) => r.valid && r.headOfficeKeyId)).toEqual([machineA.keyId, machineB.keyId]);
    await unmountStick(stick);
  });
});
