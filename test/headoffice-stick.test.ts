import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDayPackage } from '../src/export/index.js';
import type { CentralStore } from '../src/central/central-store.js';
import { centralDaySummary } from '../src/central/central-summary.js';
import { loadOrCreateHeadOfficeKey } from '../src/headoffice/head-office-keys.js';
import { runImportCommand } from '../src/headoffice/import-command.js';
import { importPackage } from '../src/headoffice/import-package.js';
import { openCentralStore } from '../src/central/open-central-store.js';
import type { BusinessDay } from '../src/host/business-day.js';
import { readAcknowledgements } from '../src/package/acknowledgement.js';
import { listPackages } from '../src/package/reader.js';
import { describeWithFuse, makeFatImage, type MountedStick, mountStick, releaseAllSticks, unmountStick } from './support/fuse-stick.js';
import { createSyntheticJournal } from './support/synthetic-journal.js';
import { Captured } from './support/run-import.js';

// Head office against a real FUSE-mounted FAT32 stick: the stick as the register left it, acks written onto it.

const CUSTOMER = '40123';
const REGISTER = '5';
const DAY1 = '20260302' as BusinessDay;
const DAY2 = '20260303' as BusinessDay;

let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'daystick-headoffice-stick-'));
});
afterEach(async () => {
  await releaseAllSticks();
  await rm(work, { recursive: true, force: true });
});

async function withCentral<T>(central: string, use: (store: CentralStore) => Promise<T>): Promise<T> {
  const store = await openCentralStore(central);
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

describeWithFuse('head-office import from a real FAT32 stick', ['fat32'], () => {
  const synthetic = createSyntheticJournal({ days: { [DAY1]: { receipts: 400, badRecords: 2 }, [DAY2]: { receipts: 3000 } }, seed: 5 });
  const image = () => join(work, 'stick.img');
  const mountPoint = () => join(work, 'mnt');

  async function registerWrites(day: BusinessDay, stick: MountedStick) {
    return writeDayPackage({
      stickPath: stick.mountPoint,
      identity: { customerNumber: CUSTOMER, registerId: REGISTER },
      businessDay: day,
      closingNumber: 12,
      kind: 'day-close',
      includeTimeRecords: true,
      journal: synthetic.journal,
      timeRecording: synthetic.timeRecording,
      keyDir: join(work, 'register-keys'),
      now: () => Date.UTC(2026, 2, 3, 22),
      signal: new AbortController().signal,
    });
  }

  test('imported once, acknowledged on the stick, the ack still valid after a remount, a second import changes nothing', async () => {
    await makeFatImage(image(), 40, 'fat32');
    let stick = await mountStick(image(), mountPoint());
    const written = await registerWrites(DAY1, stick);
    await unmountStick(stick);

    stick = await mountStick(image(), mountPoint());
    const central = join(work, 'central.sqlite');
    const stdout = new Captured();
    const stderr = new Captured();
    expect(await runImportCommand([stick.mountPoint, '--central', central, '--head-office-customer', '10000'], { stdout, stderr })).toBe(0);
    expect(stdout.text).toContain('1 package(s): 1 imported');
    const expected = synthetic.expected(DAY1);
    await withCentral(central, async (store) => {
      expect((await centralDaySummary(store, CUSTOMER, REGISTER, DAY1)).receipts).toBe(expected.receipts - expected.badReceipts);
    });
    await unmountStick(stick);

    // What the register sees at its next stick: the receipt, verified.
    stick = await mountStick(image(), mountPoint());
    const registerDir = join(stick.mountPoint, 'DAYSTICK', `${CUSTOMER}-${REGISTER}`);
    const acks = await readAcknowledgements(registerDir);
    expect(acks).toHaveLength(1);
    expect(acks[0]).toMatchObject({ valid: true, packageId: written.packageId, businessDay: DAY1, status: 'imported' });

    const again = new Captured();
    expect(await runImportCommand([stick.mountPoint, '--central', central], { stdout: again, stderr })).toBe(0);
    expect(again.text).toContain('1 package(s): 0 imported, 1 already imported');
    expect(stderr.text).toBe('');
    await unmountStick(stick);
  });

  test('a stick pulled in the middle of an import rolls the package back and says so', async () => {
    await makeFatImage(image(), 40, 'fat32');
    const stick = await mountStick(image(), mountPoint());
    await registerWrites(DAY2, stick);
    const central = join(work, 'central.sqlite');
    const [location] = await listPackages(stick.mountPoint);
    const store = await openCentralStore(central);
    try {
      const key = await loadOrCreateHeadOfficeKey(join(work, 'ho-keys'));
      let pulled = false;
      const result = await importPackage(store, location!, {
        withoutStockPostings: false,
        headOfficeCustomerNumber: null,
        headOfficeKey: key,
        onProgress: () => {
          if (pulled) return;
          pulled = true;
          stick.daemon.kill('SIGKILL');
        },
      });
      expect(pulled).toBe(true);
      expect(result.status).toBe('failed');
      expect(result.refusals[0]?.code).toBe('import-failed');
      expect(result.refusals[0]?.message).toMatch(/rolled back, nothing stored/);
      expect(result.acknowledgement).toEqual({ state: 'not-written' });
      expect((await centralDaySummary(store, CUSTOMER, REGISTER, DAY2)).receipts).toBe(0);
      expect(await store.all('SELECT * FROM packages')).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
