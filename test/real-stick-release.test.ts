import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { packagesOnStick, releasePackage } from '../src/export/release-packages.js';
import { runImportCommand } from '../src/headoffice/import-command.js';
import { openCentralStore } from '../src/central/open-central-store.js';
import type { Disposable, RemovableMediaPort } from '../src/host/ports.js';
import { activate } from '../src/plugin/activate.js';
import { createRemovableMedia } from '../src/stick/index.js';
import { REGISTER_FOLDER } from './plugin/plugin-helpers.js';
import {
  describeWithFuse,
  makeFatImage,
  type MountedStick,
  mountStick,
  releaseAllSticks,
  unmountStick,
} from './support/fuse-stick.js';
import { DAYSTICK_BIN } from './support/shell-session.js';
import {
  createTestHost,
  makeTestDir,
  type REGISTER_SETTINGS,
  removeTestDir,
  type TestHost,
  testHeadOfficeIdentityFile,
} from './support/test-host.js';
import { Captured } from './support/run-import.js';

/**
 * The round trip closes (docs/stick-format.md 9.3): the register closes onto a
 * real FAT32 stick, head office imports it and leaves its acks, and at the
 * next close the register removes what head office confirmed, keeping the
 * newest `keepConfirmedDays` days, and nothing it cannot vouch for.
 */

const day = (n: number) => `202601${String(n).padStart(2, '0')}`;

function daystickVerify(target: string): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [DAYSTICK_BIN, 'verify', target], { timeout: 60_000 }, (error, stdout) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout });
    });
  });
}

/** Every file below `folder`, with its size and hash: what "untouched" is compared by. */
async function digestTree(folder: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else {
        const bytes = await readFile(full);
        out[path.relative(folder, full)] = `${bytes.length}:${createHash('sha256').update(bytes).digest('hex')}`;
      }
    }
  };
  await walk(folder);
  return out;
}

describeWithFuse('the register releases what head office confirmed, on a real FAT32 stick', ['fat32'], () => {
  let dir: string;
  let root: string;
  let image: string;
  let central: string;
  let media: RemovableMediaPort & Disposable;
  let host: TestHost;

  const newHost = async (days: number, settings: Partial<typeof REGISTER_SETTINGS>) => {
    const spec = Object.fromEntries(Array.from({ length: days }, (_, i) => [day(i + 1), { receipts: 5 + (i % 4) }]));
    host = await createTestHost({ dir, days: spec, settings });
    media?.dispose();
    media = createRemovableMedia({ stickRoots: [root], pollMs: 100, logger: host.logger });
  };

  beforeEach(async () => {
    dir = await makeTestDir('release');
    root = path.join(dir, 'media');
    await mkdir(root);
    image = path.join(dir, 'stick.img');
    await makeFatImage(image, 64, 'fat32');
    central = path.join(dir, 'central.sqlite');
  });
  afterEach(async () => {
    media?.dispose();
    await releaseAllSticks();
    await removeTestDir(dir);
  });

  const insert = async (): Promise<{ mount: MountedStick; link: string }> => {
    const mount = await mountStick(image, path.join(dir, 'mnt', 'STICK1'));
    const link = path.join(root, 'STICK1');
    await symlink(mount.mountPoint, link);
    return { mount, link };
  };
  const remove = async (stick: { mount: MountedStick; link: string }) => {
    await rm(stick.link, { force: true });
    await unmountStick(stick.mount);
  };
  /** One or more closes at the register with the stick in; returns what the cashier saw. */
  const closeDays = async (days: string[]) => {
    const stick = await insert();
    const plugin = await activate({ ...host, media: media as unknown as TestHost['media'] });
    host.display.shown.length = 0;
    try {
      for (const [i, d] of days.entries()) {
        const result = await plugin.onDayClose({ businessDay: d, closingNumber: i + 1 });
        expect(result).toMatchObject({ outcome: 'sent', pendingDays: [] });
      }
      return [...host.display.shown];
    } finally {
      await plugin.dispose();
      await remove(stick);
    }
  };
  /** Head office imports the stick (mounted elsewhere); returns the exit code and what it printed. */
  const atHeadOffice = async () => {
    const office = await mountStick(image, path.join(dir, 'office'));
    try {
      const out = new Captured();
      const code = await runImportCommand(
        [
          office.mountPoint,
          '--central',
          central,
          '--head-office-customer',
          '10000',
          '--identity',
          testHeadOfficeIdentityFile(),
        ],
        {
          stdout: out,
          stderr: out,
        },
      );
      return { code, out: out.text };
    } finally {
      await unmountStick(office);
    }
  };
  /** Looks at the stick away from the register. */
  const onStick = async <T>(look: (registerFolder: string, mountPoint: string) => Promise<T>): Promise<T> => {
    const mount = await mountStick(image, path.join(dir, 'inspect'));
    try {
      return await look(path.join(mount.mountPoint, REGISTER_FOLDER), mount.mountPoint);
    } finally {
      await unmountStick(mount);
    }
  };
  const manifestDays = async (folder: string) =>
    (await readdir(folder))
      .filter((n) => n.endsWith('.manifest.json'))
      .map((n) => n.slice(0, 8))
      .sort();
  const ackDays = async (folder: string) =>
    (await readdir(path.join(folder, 'acks')).catch(() => []))
      .filter((n) => n.includes('.ack.json'))
      .map((n) => n.slice(0, 8))
      .sort();
  const centralPackages = async () => {
    const store = await openCentralStore(central);
    try {
      return await store.all<{ business_day: string; n: number }>(
        'SELECT business_day, COUNT(*) AS n FROM packages GROUP BY business_day ORDER BY business_day',
      );
    } finally {
      await store.close();
    }
  };

  test('keeps the newest confirmed days, removes older confirmed ones; unacked, tampered, foreign and other registers stay', async () => {
    // No automatic re-send of the unconfirmed days in between: four closes, four packages.
    await newHost(6, { keepConfirmedDays: 1, unconfirmedResendAfterCloses: 10 });
    await closeDays([day(1), day(2), day(3), day(4)]);
    const first = await atHeadOffice();
    expect(first.code).toBe(0);
    expect(first.out).toContain('4 package(s): 4 imported');

    const foreign = await onStick(async (folder, mountPoint) => {
      // A tampered ack (day 1: its payload changed after signing) and a missing ack (day 2).
      const acks = path.join(folder, 'acks');
      const names = await readdir(acks);
      const ack1 = path.join(acks, names.find((n) => n.startsWith(day(1)))!);
      const envelope = JSON.parse(await readFile(ack1, 'utf8')) as { payload: string; signature: string };
      envelope.payload = envelope.payload.replace('"imported"', '"already-imported"');
      // fusefat refuses writes into a file opened with truncate: the file goes, then comes anew.
      await rm(ack1);
      await writeFile(ack1, `${JSON.stringify(envelope)}\n`);
      await rm(path.join(acks, names.find((n) => n.startsWith(day(2)))!));
      // Another register's folder holding copies of this register's package files and acks, by their names.
      const other = path.join(mountPoint, 'DAYSTICK', '99999-7');
      await mkdir(path.join(other, 'acks'), { recursive: true });
      for (const n of (await readdir(folder)).filter((f) => f.startsWith(day(3)))) {
        await writeFile(path.join(other, n), await readFile(path.join(folder, n)));
      }
      for (const n of (await readdir(acks)).filter((f) => f.startsWith(day(3)))) {
        await writeFile(path.join(other, 'acks', n), await readFile(path.join(acks, n)));
      }
      return digestTree(other);
    });

    const shown = await closeDays([day(5)]);
    const cleared = shown.filter((p) => p.id === 'CONFIRMED_DAYS_CLEARED');
    expect(cleared.map((p) => p.text)).toEqual(['1 day confirmed by head office was cleared from the USB stick.']);
    expect(shown.filter((p) => p.id === 'ACK_INVALID').map((p) => String(p.params.problem))).toEqual(['bad-signature']);

    await onStick(async (folder, mountPoint) => {
      // Day 3 confirmed and older than the newest confirmed day (4): gone with its ack. 1 and 2 have no valid ack.
      expect(await manifestDays(folder)).toEqual([day(1), day(2), day(4), day(5)]);
      expect((await readdir(folder)).filter((n) => n.startsWith(day(3)))).toEqual([]);
      expect(await ackDays(folder)).toEqual([day(1), day(4)]);
      expect(await digestTree(path.join(mountPoint, 'DAYSTICK', '99999-7'))).toEqual(foreign);
    });
    const verify = await onStick(async (_folder, mountPoint) =>
      daystickVerify(path.join(mountPoint, 'DAYSTICK', '10001-1')),
    );
    expect(verify.stdout).toContain('4 packages checked: 4 whole, 0 with problems');
    expect(verify.code).toBe(0);
  }, 180_000);

  test('keepConfirmedDays 0 removes at once; a register that lost its state removes nothing it cannot vouch for', async () => {
    await newHost(4, { keepConfirmedDays: 0 });
    await closeDays([day(1)]);
    expect((await atHeadOffice()).code).toBe(0);
    let shown = await closeDays([day(2)]);
    expect(shown.map((p) => p.id)).toEqual(expect.arrayContaining(['ACKS_CONFIRMED', 'CONFIRMED_DAYS_CLEARED']));
    expect(await onStick(async (folder) => [await manifestDays(folder), await ackDays(folder)])).toEqual([
      [day(2)],
      [],
    ]);

    // The register's state is gone (restored without it); its key is still its own, so the folder is still its.
    expect((await atHeadOffice()).code).toBe(0);
    await rm(path.join(host.storage.dir, 'state'), { recursive: true, force: true });
    shown = await closeDays([day(3)]);
    expect(shown.map((p) => p.id)).not.toContain('CONFIRMED_DAYS_CLEARED');
    expect(await onStick(async (folder) => [await manifestDays(folder), await ackDays(folder)])).toEqual([
      [day(2), day(3)],
      [day(2)],
    ]);
  }, 180_000);

  test('a release stopped after the manifest went: readers refuse the rest, the next visit clears it, nothing doubled', async () => {
    await newHost(3, { keepConfirmedDays: 0 });
    await closeDays([day(1)]);
    expect((await atHeadOffice()).code).toBe(0);
    // The register's release of day 1, stopped as a power cut would stop it: the manifest is gone, nothing else.
    await onStick(async (folder) => {
      const pkg = [...(await packagesOnStick(folder)).values()][0]!;
      const fs = {
        unlink: async (file: string) => {
          if (!file.endsWith('.manifest.json')) throw Object.assign(new Error('power cut'), { code: 'EIO' });
          await rm(file);
        },
      };
      await expect(releasePackage(folder, pkg, fs)).rejects.toThrow('power cut');
      expect(
        (await readdir(folder))
          .filter((n) => n.startsWith(day(1)))
          .map((n) => n.slice(45))
          .sort(),
      ).toEqual(['.manifest.sig', '.zip.age']);
      expect(await ackDays(folder)).toEqual([day(1)]);
    });
    const verify = await onStick(async (folder) => daystickVerify(folder));
    expect(verify.stdout).toContain('interrupted-write');
    expect(verify.code).not.toBe(0);
    // Head office refuses the remnant and imports nothing twice.
    const again = await atHeadOffice();
    expect(again.out).toMatch(/interrupted-write|interrupted/);
    expect(await centralPackages()).toEqual([{ business_day: day(1), n: 1 }]);

    const shown = await closeDays([day(2)]);
    expect(shown.map((p) => p.id)).not.toContain('WRITE_FAILED');
    await onStick(async (folder) => {
      expect((await readdir(folder)).filter((n) => n.startsWith(day(1)))).toEqual([]);
      expect(await ackDays(folder)).toEqual([]);
      expect(await manifestDays(folder)).toEqual([day(2)]);
    });
    host.display.shown.length = 0;
    const plugin = await activate(host);
    try {
      await plugin.onCommand({ key: 'DAYSTICK_STATUS', digits: '' });
    } finally {
      await plugin.dispose();
    }
    expect(host.display.shown.filter((p) => p.id === 'STATUS_CONFIRMED').map((p) => p.params.day)).toEqual([
      '2026-01-01',
    ]);
  }, 180_000);

  test('a month of daily round trips: the stick stays bounded, every day is in the central journal once and confirmed', async () => {
    const days = 30;
    await newHost(days + 1, {});
    const keep = 7;
    const counts: number[] = [];
    for (let n = 1; n <= days + 1; n++) {
      await closeDays([day(n)]);
      counts.push(await onStick(async (folder) => (await manifestDays(folder)).length));
      if (n <= days) expect((await atHeadOffice()).code).toBe(0);
    }
    // At most the kept confirmed days plus the day just written.
    expect(Math.max(...counts)).toBe(keep + 1);
    expect(counts.at(-1)).toBe(keep + 1);
    expect(
      await onStick(
        async (folder) => (await readdir(path.join(folder, 'acks'))).filter((n) => n.endsWith('.ack.json')).length,
      ),
    ).toBe(keep);
    expect(await centralPackages()).toEqual(
      Array.from({ length: days }, (_, i) => ({ business_day: day(i + 1), n: 1 })),
    );
    const store = await openCentralStore(central);
    try {
      const rows = await store.all<{ business_day: string; n: number }>(
        "SELECT business_day, COUNT(*) AS n FROM receipts WHERE customer_number = '10001' GROUP BY business_day ORDER BY business_day",
      );
      expect(rows).toEqual(Array.from({ length: days }, (_, i) => ({ business_day: day(i + 1), n: 5 + (i % 4) })));
    } finally {
      await store.close();
    }

    host.display.shown.length = 0;
    const plugin = await activate(host);
    try {
      await plugin.onCommand({ key: 'DAYSTICK_STATUS', digits: '' });
    } finally {
      await plugin.dispose();
    }
    const covered = new Set<string>();
    for (const p of host.display.shown) {
      if (p.id === 'STATUS_CONFIRMED') covered.add(String(p.params.day).replaceAll('-', ''));
      if (p.id === 'STATUS_HISTORY') {
        const from = String(p.params.from).replaceAll('-', '');
        const to = String(p.params.to).replaceAll('-', '');
        for (let n = 1; n <= days + 1; n++) if (day(n) >= from && day(n) <= to) covered.add(day(n));
      }
    }
    expect([...covered].sort()).toEqual(Array.from({ length: days }, (_, i) => day(i + 1)));
    expect(host.display.shown.filter((p) => p.id === 'STATUS_SENT').map((p) => p.params.day)).toEqual(['2026-01-31']);
  }, 600_000);
});
