import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { mkdir, readdir, readFile, rm, stat, symlink } from 'node:fs/promises';
import path from 'node:path';
import type { Disposable, RemovableMediaPort } from '../src/host/ports.js';
import { activate } from '../src/plugin/activate.js';
import { createRemovableMedia } from '../src/stick/index.js';
import { filesOn, manifestsOn, REGISTER_FOLDER } from './plugin/plugin-helpers.js';
import {
  describeWithFuse,
  fillStick,
  makeFatImage,
  type MountedStick,
  mountStick,
  pullStick,
  releaseAllSticks,
  releaseStick,
  type StickFormat,
  unmountStick,
  writeDurably,
} from './support/fuse-stick.js';
import { DAYSTICK_BIN } from './support/shell-session.js';
import {
  createTestHost,
  makeTestDir,
  RecordingDisplay,
  removeTestDir,
  TEST_HEAD_OFFICE_IDENTITY,
  type TestHost,
  until,
} from './support/test-host.js';

/**
 * Whole day closes through the plugin onto real FAT32 (fusefat) and exFAT
 * (exfat-fuse) images, found by the real stick detection under a stick root.
 * Each stick is mounted outside the root and linked into it, so it appears
 * with its file system already mounted; pulling it kills the FUSE daemon.
 */

/** `daystick verify` in a child process, awaited: a blocked event loop here could stall the FUSE daemon's stick. */
function daystickVerify(target: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // The test host's packages are encrypted to the tests' head-office recipient; verify checks them with its identity.
    const identity = path.join(tmpdir(), `daystick-test-identity-${process.pid}.txt`);
    writeFileSync(identity, `${TEST_HEAD_OFFICE_IDENTITY}\n`, { mode: 0o600 });
    execFile(process.execPath, [DAYSTICK_BIN, 'verify', '--identity', identity, target], { timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The cashier picks the second stick offered, and the offers are kept for the test to read. */
class SecondChoiceDisplay extends RecordingDisplay {
  readonly offered: string[][] = [];
  override async choose(
    _question: unknown,
    options: readonly { value: string; label: string }[],
  ): Promise<string | null> {
    this.offered.push(options.map((option) => option.label));
    return options[1]?.value ?? null;
  }
}

interface RealStick {
  name: string;
  image: string;
  /** Where the register sees the stick: the link below the stick root. */
  path: string;
  mount: MountedStick;
}

describeWithFuse('day close onto real FUSE sticks', ['fat32', 'exfat'], () => {
  for (const format of ['fat32', 'exfat'] as StickFormat[]) {
    describe(format, () => {
      let dir: string;
      let root: string;
      let host: TestHost;
      let media: RemovableMediaPort & Disposable;
      let realHost: TestHost;

      const newImage = async (name: string, sizeMiB = format === 'fat32' ? 64 : 48) => {
        const image = path.join(dir, `${name}.img`);
        await makeFatImage(image, sizeMiB, format);
        return image;
      };
      const insert = async (name: string, image: string, options: { readOnly?: boolean } = {}): Promise<RealStick> => {
        const mount = await mountStick(image, path.join(dir, 'mnt', name), options);
        const link = path.join(root, name);
        await rm(link, { force: true });
        await symlink(mount.mountPoint, link);
        return { name, image, path: link, mount };
      };
      /** The cashier takes the stick out after a clean "safely remove". */
      const remove = async (stick: RealStick) => {
        await rm(stick.path, { force: true });
        await unmountStick(stick.mount);
      };
      /** Mounts an image away from the stick root to look at what it holds, unseen by the register. */
      const inspect = async <T>(image: string, look: (mountPoint: string) => Promise<T>): Promise<T> => {
        const mount = await mountStick(image, path.join(dir, 'inspect'), { readOnly: true });
        try {
          return await look(mount.mountPoint);
        } finally {
          await unmountStick(mount);
        }
      };
      const verifyImage = (image: string) => inspect(image, daystickVerify);

      beforeEach(async () => {
        dir = await makeTestDir(`realstick-${format}`);
        root = path.join(dir, 'media');
        await mkdir(root);
        await mkdir(path.join(dir, 'mnt'));
        host = await createTestHost({
          dir,
          days: { '20260104': { receipts: 30 }, '20260105': { receipts: 60, badRecords: 1 } },
        });
        media = createRemovableMedia({ stickRoots: [root], pollMs: 100, logger: host.logger });
        realHost = { ...host, media: media as unknown as TestHost['media'] };
      });
      afterEach(async () => {
        media.dispose();
        await releaseAllSticks();
        await removeTestDir(dir);
      });

      test('normal close: package verified, Note 2, and `daystick verify` passes after unmount and remount', async () => {
        const stick = await insert('STICK1', await newImage('stick1'));
        const plugin = await activate(realHost);
        try {
          const result = await plugin.onDayClose({ businessDay: '20260105', closingNumber: 7 });
          expect(result).toEqual({ outcome: 'sent', sentDays: ['20260105'], pendingDays: [], finalPromptId: 'NOTE_2' });
          expect(host.display.ids()).toEqual(['PLAN_DAYS', 'STICK_USED', 'DAY_WRITTEN', 'QUARANTINED', 'NOTE_2']);
        } finally {
          await plugin.dispose();
        }
        await remove(stick);
        const verify = await verifyImage(stick.image);
        expect(verify.stdout).toMatch(/^5 Jan 2026 +10001-1 +day-close +60 receipts +OK/m);
        expect(verify.code).toBe(0);
      });

      test('two sticks present: the cashier is asked which one, and only the chosen one is written', async () => {
        const first = await insert('ALPHA', await newImage('alpha'));
        const second = await insert('BETA', await newImage('beta'));
        const display = new SecondChoiceDisplay();
        const plugin = await activate({ ...realHost, display });
        try {
          const result = await plugin.onDayClose({ businessDay: '20260105', closingNumber: 8 });
          expect(result.outcome).toBe('sent');
        } finally {
          await plugin.dispose();
        }
        expect(display.offered).toEqual([[`ALPHA (${first.path})`, `BETA (${second.path})`]]);
        expect(await manifestsOn(first.path)).toEqual([]);
        expect(await manifestsOn(second.path)).toHaveLength(1);
      });

      test('stick pulled mid-write: removal prompt, day pending, nothing complete-looking; re-inserted, written whole', async () => {
        host = await createTestHost({ dir, days: { '20260105': { receipts: 20_000 } } });
        realHost = { ...host, media: media as unknown as TestHost['media'] };
        const image = await newImage('pulled', 96);
        const plugin = await activate(realHost);
        try {
          const closing = plugin.onDayClose({ businessDay: '20260105', closingNumber: 9 });
          await until(() => host.display.ids().includes('INSERT_STICK'), 10_000, 'insert prompt');
          const stick = await insert('STICK1', image);
          await until(() => host.display.progressUpdates.some((u) => u.done > 0), 30_000, 'writing to start');
          await pullStick(stick.mount, { leaveDeadMount: true });
          await until(() => host.display.ids().includes('STICK_PULLED'), 10_000, 'removal prompt');
          // The desktop drops the dead mount's folder before the mount point turns into a plain folder:
          // left behind, that empty folder would be a (folder) stick of its own and take the retry.
          await rm(stick.path, { force: true });
          await releaseStick(stick.mount);

          const left = await inspect(image, async (mountPoint) => ({
            manifests: await manifestsOn(mountPoint),
            files: await filesOn(mountPoint),
          }));
          expect(left.manifests).toEqual([]);
          expect(left.files.filter((f) => f.endsWith('.zip'))).toEqual([]);
          const status = host.display.shown.find((p) => p.id === 'STICK_PULLED');
          expect(status?.text).toMatch(/5 Jan 2026/);

          const again = await insert('STICK1', image);
          const result = await closing;
          expect(result).toMatchObject({ outcome: 'sent', sentDays: ['20260105'], pendingDays: [] });
          expect(await manifestsOn(again.path)).toHaveLength(1);
          // The interrupted attempt's temporary file is cleaned up.
          expect((await filesOn(again.path)).filter((f) => f.endsWith('.part'))).toEqual([]);
          await remove(again);
        } finally {
          await plugin.dispose();
        }
        const verify = await verifyImage(image);
        expect(verify.stdout).toContain('1 package checked: 1 whole, 0 with problems');
        expect(verify.code).toBe(0);
      });

      test('stick full: the stick-full prompt, nothing marked sent; another stick completes it', async () => {
        const fullImage = await newImage('full', format === 'fat32' ? 34 : 8);
        const full = await insert('SMALL', fullImage);
        await fillStick(full.mount.mountPoint, 4096);
        const plugin = await activate(realHost);
        try {
          const closing = plugin.onDayClose({ businessDay: '20260105', closingNumber: 3 });
          await until(() => host.display.ids().includes('STICK_FULL'), 20_000, 'stick-full prompt');
          // The cashier takes the full stick out; what it holds is looked at once it has left.
          await remove(full);
          expect(await inspect(fullImage, manifestsOn)).toEqual([]);

          const other = await insert('BIG', await newImage('big'));
          const result = await closing;
          expect(result).toMatchObject({ outcome: 'sent', sentDays: ['20260105'] });
          expect(host.display.ids().indexOf('STICK_FULL')).toBeLessThan(host.display.ids().indexOf('NOTE_2'));
          expect(await manifestsOn(other.path)).toHaveLength(1);
        } finally {
          await plugin.dispose();
        }
      });

      test('read-only mount: its prompt, nothing written; cancelled, the day stays pending', async () => {
        const image = await newImage('locked');
        await insert('LOCKED', image, { readOnly: true });
        const plugin = await activate(realHost);
        try {
          const cancel = new AbortController();
          const closing = plugin.onDayClose({ businessDay: '20260105', closingNumber: 4 }, cancel.signal);
          await until(() => host.display.ids().includes('STICK_READ_ONLY'), 20_000, 'read-only prompt');
          cancel.abort();
          expect(await closing).toMatchObject({ outcome: 'postponed', sentDays: [], pendingDays: ['20260105'] });
        } finally {
          await plugin.dispose();
        }
        await releaseAllSticks();
        expect(await inspect(image, async (mountPoint) => readdir(mountPoint))).toEqual([]);
      });

      test("a stick holding other files and other registers' folders: all left untouched", async () => {
        const image = await newImage('shared');
        const prepared = await mountStick(image, path.join(dir, 'prepare'));
        // fusefat refuses names outside ASCII (EPERM); exFAT takes them, so it gets the umlauts.
        const invoice = format === 'fat32' ? 'Invoices 2025/Maerz Uebersicht.pdf' : 'Invoices 2025/März Übersicht.pdf';
        const others = {
          [invoice]: Buffer.from('%PDF-1.4 not ours'),
          'README.TXT': 'belongs to the store manager\n',
          'DAYSTICK/99999-7/20260105-day-close.zip': Buffer.alloc(5000, 3),
          'DAYSTICK/99999-7/notes.txt': 'another register',
          'DAYSTICK/10001-2/keep.bin': Buffer.alloc(70_000, 9),
        };
        for (const [name, content] of Object.entries(others))
          await writeDurably(path.join(prepared.mountPoint, name), content);
        await unmountStick(prepared);
        const digest = async (mountPoint: string) =>
          Object.fromEntries(
            await Promise.all(
              Object.keys(others).map(async (name) => {
                const file = path.join(mountPoint, name);
                return [
                  name,
                  `${(await stat(file)).size}:${createHash('sha256')
                    .update(await readFile(file))
                    .digest('hex')}`,
                ];
              }),
            ),
          );
        const before = await inspect(image, digest);

        const stick = await insert('SHARED', image);
        const plugin = await activate(realHost);
        try {
          expect((await plugin.onDayClose({ businessDay: '20260105', closingNumber: 5 })).outcome).toBe('sent');
        } finally {
          await plugin.dispose();
        }
        await remove(stick);
        expect(await inspect(image, digest)).toEqual(before);
        const listing = await inspect(image, async (mountPoint) => ({
          root: (await readdir(mountPoint)).sort(),
          daystick: (await readdir(path.join(mountPoint, 'DAYSTICK'))).sort(),
          ours: await manifestsOn(mountPoint),
        }));
        expect(listing.root).toEqual(['DAYSTICK', 'Invoices 2025', 'README.TXT']);
        expect(listing.daystick).toEqual(['10001-1', '10001-2', '99999-7']);
        expect(listing.ours).toHaveLength(1);
        expect(path.join('DAYSTICK', '10001-1')).toBe(REGISTER_FOLDER);
      });
    });
  }
});
