import { mkdir, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { centralDaySummary } from '../src/central/central-summary.js';
import { runImportCommand } from '../src/headoffice/import-command.js';
import { openCentralStore } from '../src/central/open-central-store.js';
import type { Disposable, RemovableMediaPort } from '../src/host/ports.js';
import { readAcknowledgements } from '../src/package/acknowledgement.js';
import { activate } from '../src/plugin/activate.js';
import { createRemovableMedia } from '../src/stick/index.js';
import {
  describeWithFuse,
  makeFatImage,
  type MountedStick,
  mountStick,
  releaseAllSticks,
  unmountStick,
} from './support/fuse-stick.js';
import {
  createTestHost,
  makeTestDir,
  removeTestDir,
  type TestHost,
  testHeadOfficeIdentityFile,
} from './support/test-host.js';
import { Captured } from './support/run-import.js';

/**
 * The whole loop on a real FAT32 stick: the register closes a day onto the
 * stick, head office imports it (once; a second import changes nothing) and
 * leaves its receipt on the stick, and at the register's next close the day
 * shows as confirmed.
 */

describeWithFuse('register → stick → head office → stick → register', ['fat32'], () => {
  let dir: string;
  let root: string;
  let host: TestHost;
  let media: RemovableMediaPort & Disposable;

  beforeEach(async () => {
    dir = await makeTestDir('headoffice-roundtrip');
    root = path.join(dir, 'media');
    await mkdir(root);
    host = await createTestHost({
      dir,
      days: { '20260104': { receipts: 30 }, '20260105': { receipts: 60, badRecords: 1 } },
    });
    media = createRemovableMedia({ stickRoots: [root], pollMs: 100, logger: host.logger });
  });
  afterEach(async () => {
    media.dispose();
    await releaseAllSticks();
    await removeTestDir(dir);
  });

  const insert = async (image: string): Promise<{ mount: MountedStick; link: string }> => {
    const mount = await mountStick(image, path.join(dir, 'mnt', 'STICK1'));
    const link = path.join(root, 'STICK1');
    await symlink(mount.mountPoint, link);
    return { mount, link };
  };
  const remove = async (stick: { mount: MountedStick; link: string }) => {
    await rm(stick.link, { force: true });
    await unmountStick(stick.mount);
  };

  test('a closed day is imported once, acknowledged on the stick, and confirmed at the next close', async () => {
    const image = path.join(dir, 'stick.img');
    await makeFatImage(image, 64, 'fat32');
    const central = path.join(dir, 'central.sqlite');
    const realHost = { ...host, media: media as unknown as TestHost['media'] };

    let stick = await insert(image);
    let plugin = await activate(realHost);
    try {
      const first = await plugin.onDayClose({ businessDay: '20260104', closingNumber: 6 });
      expect(first.outcome).toBe('sent');
      expect(first.sentDays).toEqual(['20260104']);
    } finally {
      await plugin.dispose();
    }
    await remove(stick);

    // At head office.
    const office = await mountStick(image, path.join(dir, 'office'));
    const imported = new Captured();
    const stderr = new Captured();
    expect(
      await runImportCommand(
        [
          office.mountPoint,
          '--central',
          central,
          '--head-office-customer',
          '10000',
          '--identity',
          testHeadOfficeIdentityFile(),
        ],
        { stdout: imported, stderr },
      ),
    ).toBe(0);
    expect(imported.text).toContain('1 package(s): 1 imported');
    const again = new Captured();
    expect(
      await runImportCommand(
        [
          office.mountPoint,
          '--central',
          central,
          '--head-office-customer',
          '10000',
          '--identity',
          testHeadOfficeIdentityFile(),
        ],
        { stdout: again, stderr },
      ),
    ).toBe(0);
    expect(again.text).toContain('1 package(s): 0 imported, 1 already imported');
    expect(stderr.text).toBe('');
    const acks = await readAcknowledgements(path.join(office.mountPoint, 'DAYSTICK', '10001-1'));
    expect(acks.map((a) => [a.valid, a.businessDay, a.status])).toEqual([[true, '20260104', 'imported']]);
    await unmountStick(office);
    const store = await openCentralStore(central);
    try {
      expect((await centralDaySummary(store, '10001', '1', '20260104')).receipts).toBe(30);
    } finally {
      await store.close();
    }

    // Back at the register: the next close reads the receipt.
    stick = await insert(image);
    plugin = await activate(realHost);
    try {
      host.display.shown.length = 0;
      const second = await plugin.onDayClose({ businessDay: '20260105', closingNumber: 7 });
      expect(second.outcome).toBe('sent');
      expect(host.display.ids()).toContain('ACKS_CONFIRMED');
      const confirmedNote = host.display.shown.find((p) => p.id === 'ACKS_CONFIRMED');
      expect(JSON.stringify(confirmedNote?.params)).toContain('2026');
      host.display.shown.length = 0;
      await plugin.onCommand({ key: 'DAYSTICK_STATUS', digits: '' });
      const confirmed = host.display.shown.filter((p) => p.id === 'STATUS_CONFIRMED');
      expect(confirmed).toHaveLength(1);
      expect(JSON.stringify(confirmed[0]!.params)).toMatch(/20260104|04\.01\.2026|2026-01-04/);
    } finally {
      await plugin.dispose();
    }
    await remove(stick);
  });
});
