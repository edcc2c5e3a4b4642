import { mkdir, mkdtemp, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { StickInfo } from '../src/host/ports.js';
import type { StickScan } from '../src/stick/detected-stick.js';
import { createEjector } from '../src/stick/eject.js';
import { createRemovableMedia } from '../src/stick/index.js';
import { createLinuxScan } from '../src/stick/linux-scan.js';
import { PolledRemovableMedia } from '../src/stick/polled-removable-media.js';
import {
  describeWithFuse,
  fillStick,
  makeFatImage,
  type MountedStick,
  mountStick,
  pullStick,
  type StickFormat,
  releaseAllSticks,
  unmountStick,
} from './support/fuse-stick.js';
import { MemoryLogger } from './support/test-host.js';

// Real FAT32 (fusefat) and exFAT (exfat-fuse) mounts under a temporary stick root.

let work: string;
let root: string;
beforeEach(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'daystick-fuse-'));
  root = path.join(work, 'media');
  await mkdir(root);
});
afterEach(async () => {
  await releaseAllSticks();
  await rm(work, { recursive: true, force: true });
});

async function stick(format: StickFormat, name: string, options: { readOnly?: boolean; sizeMiB?: number } = {}) {
  const image = path.join(work, `${name}.img`);
  await makeFatImage(image, options.sizeMiB ?? (format === 'fat32' ? 40 : 8), format);
  return mountStick(image, path.join(root, name), { readOnly: options.readOnly ?? false });
}

/**
 * The media port over the real Linux scan, counting scans, so a test can tell
 * which scan noticed a change: the first one to start after it must.
 */
function countedMedia(logger = new MemoryLogger()) {
  const inner = createLinuxScan({ roots: [root], mountsOnly: true, includeRemovableMounts: false, logger });
  let started = 0;
  let completed = 0;
  const scan: StickScan = async () => {
    const number = ++started;
    const found = await inner();
    completed = number;
    return found;
  };
  const media = new PolledRemovableMedia(scan, {
    pollMs: 100,
    logger,
    eject: createEjector({
      platform: 'linux',
      logger,
      runCommand: async () => ({ code: 0, stdout: '', stderr: '', spawnError: null }),
    }),
  });
  return { media, scansStarted: () => started, noticedBy: () => completed };
}

function nextEvent(subscribe: (listener: (stick: StickInfo) => void) => { dispose(): void }): Promise<StickInfo> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no stick event within 10 s')), 10_000);
    const subscription = subscribe((stick) => {
      clearTimeout(timer);
      subscription.dispose();
      resolve(stick);
    });
  });
}

const expectedFsType: Record<StickFormat, string> = { fat32: 'fuse.fusefat', exfat: 'fuseblk' };

describeWithFuse('stick detection on real FUSE mounts', ['fat32', 'exfat'], () => {
  for (const format of ['fat32', 'exfat'] as const) {
    describe(format, () => {
      test('a stick mounted before start is listed with fs type, writability and free space', async () => {
        const mounted = await stick(format, 'PRESENT');
        const media = createRemovableMedia({ stickRoots: [root], mountsOnly: true, logger: new MemoryLogger() });
        try {
          const [found, ...others] = await media.list();
          expect(others).toEqual([]);
          expect(found).toMatchObject({
            label: 'PRESENT',
            mountPath: mounted.mountPoint,
            fsType: expectedFsType[format],
            readOnly: false,
          });
          // The stick's own file system, not the folder it is mounted on.
          expect(found?.deviceId).toBe((await stat(mounted.mountPoint)).dev);
          expect(found?.deviceId).not.toBe((await stat(root)).dev);
          if (format === 'fat32') {
            // fusefat answers statfs with zero blocks: unknown, not "full".
            expect(found?.freeBytes).toBeNull();
          } else {
            const before = found?.freeBytes ?? 0;
            expect(before).toBeGreaterThan(4 * 1024 * 1024);
            await writeFile(path.join(mounted.mountPoint, 'one-mib.bin'), Buffer.alloc(1024 * 1024, 1));
            const [after] = await media.list();
            expect(after?.freeBytes).toBeLessThanOrEqual(before - 1024 * 1024);
          }
        } finally {
          media.dispose();
          await unmountStick(mounted);
        }
      });

      test('insertion is noticed by the first scan after the mount appears', async () => {
        const { media, scansStarted, noticedBy } = countedMedia();
        try {
          expect(await media.list()).toEqual([]);
          const inserted = nextEvent((l) => media.onInserted(l));
          const mounted = await stick(format, 'NEW');
          const lastScanBeforeMount = scansStarted();
          const seen = await inserted;
          expect(seen).toMatchObject({ label: 'NEW', fsType: expectedFsType[format] });
          expect(noticedBy()).toBeLessThanOrEqual(lastScanBeforeMount + 1);
          await unmountStick(mounted);
        } finally {
          media.dispose();
        }
      });

      test('a pulled stick (daemon killed, dead mount left behind) is reported removed by the next scan', async () => {
        const mounted = await stick(format, 'PULLED');
        const { media, scansStarted, noticedBy } = countedMedia();
        try {
          const [present] = await media.list();
          expect(present?.label).toBe('PULLED');
          const removed = nextEvent((l) => media.onRemoved(l));
          await pullStick(mounted, { leaveDeadMount: true });
          const lastScanBeforePull = scansStarted();
          expect((await removed).id).toBe(present?.id);
          expect(noticedBy()).toBeLessThanOrEqual(lastScanBeforePull + 1);
          expect(await media.list()).toEqual([]);
        } finally {
          media.dispose();
        }
      });

      test('a read-only mount is reported read-only', async () => {
        const image = path.join(work, 'ro.img');
        await makeFatImage(image, format === 'fat32' ? 40 : 8, format);
        const mounted = await mountStick(image, path.join(root, 'LOCKED'), { readOnly: true });
        const media = createRemovableMedia({ stickRoots: [root], mountsOnly: true, logger: new MemoryLogger() });
        try {
          const [found] = await media.list();
          expect(found).toMatchObject({ label: 'LOCKED', readOnly: true });
          await expect(writeFile(path.join(mounted.mountPoint, 'x'), 'x')).rejects.toMatchObject({ code: 'EROFS' });
        } finally {
          media.dispose();
          await unmountStick(mounted);
        }
      });

      test('what a writer meets on this file system: long names, rename over a file, fsync, full, pulled', async () => {
        const mounted = await stick(format, 'FACTS', { sizeMiB: format === 'fat32' ? 34 : 4 });
        const dir = path.join(mounted.mountPoint, 'DAYSTICK', 'register 0001');
        await mkdir(dir, { recursive: true });
        const tmp = path.join(dir, 'day-2026-11-28.zip.partial-with-a-long-name');
        const final = path.join(dir, 'day-2026-11-28.zip');
        await writeFile(final, 'old');
        const file = await open(tmp, 'w');
        await file.write('new content');
        await file.sync();
        await file.close();
        await rename(tmp, final);
        expect(await readFile(final, 'utf8')).toBe('new content');

        const full = await open(path.join(mounted.mountPoint, 'fill.bin'), 'w');
        const chunk = Buffer.alloc(256 * 1024, 7);
        const fullError = await (async () => {
          for (;;) await full.write(chunk);
        })().catch((error: NodeJS.ErrnoException) => error);
        await full.close();
        // fusefat reports a full FAT as EPERM; writers must not rely on ENOSPC alone.
        expect(fullError.code).toBe(format === 'fat32' ? 'EPERM' : 'ENOSPC');

        await rm(path.join(mounted.mountPoint, 'fill.bin'));
        const open_ = await open(path.join(dir, 'while-pulled.bin'), 'w');
        await open_.write('started');
        await pullStick(mounted, { leaveDeadMount: true });
        await expect(open_.write('more')).rejects.toMatchObject({ code: 'ENOTCONN' });
        await expect(open_.sync()).rejects.toMatchObject({ code: 'ENOTCONN' });
        await expect(open_.close()).rejects.toMatchObject({ code: 'ENOTCONN' });
      });

      test('what was written and synced survives unmount and remount', async () => {
        const image = path.join(work, 'persist.img');
        await makeFatImage(image, format === 'fat32' ? 40 : 8, format);
        let mounted: MountedStick = await mountStick(image, path.join(root, 'KEEP'));
        await mkdir(path.join(mounted.mountPoint, 'other folder'));
        await writeFile(path.join(mounted.mountPoint, 'other folder', 'readme.txt'), 'not ours');
        await unmountStick(mounted);
        mounted = await mountStick(image, path.join(root, 'KEEP'));
        try {
          expect(await readFile(path.join(mounted.mountPoint, 'other folder', 'readme.txt'), 'utf8')).toBe('not ours');
        } finally {
          await unmountStick(mounted);
        }
      });
    });
  }

  test('two sticks present are both listed, FAT32 and exFAT side by side', async () => {
    const fat = await stick('fat32', 'A_FAT');
    const exfat = await stick('exfat', 'B_EXFAT');
    const media = createRemovableMedia({ stickRoots: [root], mountsOnly: true, logger: new MemoryLogger() });
    try {
      const found = await media.list();
      expect(found.map((s) => [s.label, s.fsType])).toEqual([
        ['A_FAT', 'fuse.fusefat'],
        ['B_EXFAT', 'fuseblk'],
      ]);
      expect(new Set(found.map((s) => s.id)).size).toBe(2);
    } finally {
      media.dispose();
      await unmountStick(fat);
      await unmountStick(exfat);
    }
  });

  test('a stick filled to the brim is still listed, and exFAT says how little is free', async () => {
    const mounted = await stick('exfat', 'FULL', { sizeMiB: 4 });
    const media = createRemovableMedia({ stickRoots: [root], mountsOnly: true, logger: new MemoryLogger() });
    try {
      await fillStick(mounted.mountPoint, 0);
      const [found] = await media.list();
      expect(found?.label).toBe('FULL');
      expect(found?.freeBytes).toBeLessThan(64 * 1024);
    } finally {
      media.dispose();
      await unmountStick(mounted);
    }
  });

  test('eject of a loop-backed stick without udisks resolves with a warning, never a throw', async () => {
    const mounted = await stick('exfat', 'EJECT');
    const logger = new MemoryLogger();
    const media = createRemovableMedia({ stickRoots: [root], mountsOnly: true, logger });
    try {
      const [found] = await media.list();
      expect(found).toBeDefined();
      await expect(media.eject?.(found as StickInfo)).resolves.toBeUndefined();
      // udisksctl is absent here, or refuses a loop device it did not mount: either is a warning.
      expect(logger.lines.some((l) => l.startsWith('warn eject: unmount refused'))).toBe(true);
      expect(await media.list()).toHaveLength(1);
    } finally {
      media.dispose();
      await unmountStick(mounted);
    }
  });
});

describeWithFuse('a stick unmounted lazily under a running write', ['fat32'], () => {
  test('the port reports it removed while the open file still writes into the image', async () => {
    const image = path.join(work, 'lazy.img');
    await makeFatImage(image, 40, 'fat32');
    const mounted = await mountStick(image, path.join(root, 'LAZY'));
    const { media } = countedMedia();
    try {
      expect((await media.list()).map((s) => s.label)).toEqual(['LAZY']);
      const file = await open(path.join(mounted.mountPoint, 'open-during-pull.bin'), 'w');
      await file.write('before');
      const removed = nextEvent((l) => media.onRemoved(l));
      await pullStick(mounted, { how: 'lazy-unmount' });
      expect((await removed).label).toBe('LAZY');
      // No error reaches the writer: only the port's removal event tells it the stick is gone.
      await file.write(' after');
      await file.sync();
      await file.close();
      await expect(writeFile(path.join(mounted.mountPoint, 'new.bin'), 'x')).rejects.toMatchObject({ code: 'ENOENT' });
      await mounted.exited;
      const again = await mountStick(image, path.join(root, 'LAZY'));
      expect(await readFile(path.join(again.mountPoint, 'open-during-pull.bin'), 'utf8')).toBe('before after');
      await unmountStick(again);
    } finally {
      media.dispose();
    }
  });
});
