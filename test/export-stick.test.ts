import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExportError, type WriteDayRequest, writeDayPackage } from '../src/export/index.js';
import { listPackages, verifyPackage } from '../src/package/index.js';
import {
  describeWithFuse,
  fillStick,
  makeFatImage,
  type MountedStick,
  mountStick,
  releaseAllSticks,
  type StickFormat,
  unmountStick,
} from './support/fuse-stick.js';
import { createSyntheticJournal } from './support/synthetic-journal.js';

// The writer against real FAT32 (fusefat) and exFAT (exfat-fuse) file systems: full, pulled, read-only.

const DAY = '20260402';
const identity = { customerNumber: '40123', registerId: '7' };

let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'daystick-export-stick-'));
});
afterEach(async () => {
  await releaseAllSticks();
  await rm(work, { recursive: true, force: true });
});

async function stick(format: StickFormat, options: { readOnly?: boolean; image?: string } = {}): Promise<MountedStick> {
  const image = options.image ?? join(work, `${format}.img`);
  if (!options.image) await makeFatImage(image, format === 'fat32' ? 40 : 16, format);
  return mountStick(image, join(work, `mnt-${format}`), { readOnly: options.readOnly ?? false });
}

function request(stickPath: string, receipts: number, over: Partial<WriteDayRequest> = {}): WriteDayRequest {
  const synthetic = createSyntheticJournal({ days: { [DAY]: { receipts, badRecords: 2 } } });
  return {
    stickPath,
    identity,
    businessDay: DAY,
    closingNumber: 3,
    kind: 'day-close',
    includeTimeRecords: true,
    journal: synthetic.journal,
    timeRecording: synthetic.timeRecording,
    keyDir: join(work, 'plugin-storage'),
    now: () => Date.UTC(2026, 3, 2, 21),
    signal: new AbortController().signal,
    ...over,
  };
}

async function committedPackages(stickPath: string) {
  return (await listPackages(stickPath)).filter((p) => p.manifestPath !== null);
}

describeWithFuse('day package on real FAT sticks', ['fat32', 'exfat'], () => {
  test.each(['fat32', 'exfat'] as const)('%s: a package survives unmount and remount and verifies whole', async (format) => {
    const mounted = await stick(format);
    const written = await writeDayPackage(request(mounted.mountPoint, 2000));
    expect(written.quarantined).toBe(2);
    await unmountStick(mounted);

    const again = await stick(format, { image: mounted.image });
    const packages = await listPackages(again.mountPoint);
    expect(packages.map((p) => p.packageId)).toEqual([written.packageId]);
    const verdict = await verifyPackage(packages[0]!);
    expect(verdict.problems).toEqual([]);
    expect(verdict.manifest?.controlTotals.receipts).toBe(2000);
  });

  test.each(['fat32', 'exfat'] as const)('%s: a full stick is "stick-full" and leaves no package', async (format) => {
    const mounted = await stick(format);
    await fillStick(mounted.mountPoint, 96 * 1024);
    const failure = await writeDayPackage(request(mounted.mountPoint, 8000)).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ExportError);
    expect((failure as ExportError).failure).toBe('stick-full');
    expect(await committedPackages(mounted.mountPoint)).toEqual([]);
    const leftovers = await readdir(join(mounted.mountPoint, 'DAYSTICK', '40123-7'));
    expect(leftovers.filter((n) => n !== 'register.pub')).toEqual([]);
  });

  test('fat32: a stick pulled mid-write is "stick-gone"; no package on it, and the next write cleans up', async () => {
    const mounted = await stick('fat32');
    let pulled = false;
    const failure = await writeDayPackage(
      request(mounted.mountPoint, 30_000, {
        onProgress: (done) => {
          if (done >= 10_000 && !pulled) {
            pulled = true;
            mounted.daemon.kill('SIGKILL');
          }
        },
      }),
    ).catch((e: unknown) => e);
    expect(pulled).toBe(true);
    expect(failure).toBeInstanceOf(ExportError);
    expect((failure as ExportError).failure).toBe('stick-gone');
    await releaseAllSticks();

    const again = await stick('fat32', { image: mounted.image });
    expect(await committedPackages(again.mountPoint)).toEqual([]);
    const written = await writeDayPackage(request(again.mountPoint, 500));
    const packages = await listPackages(again.mountPoint);
    expect(packages.map((p) => p.packageId)).toEqual([written.packageId]);
    expect(packages[0]!.temporaryFiles).toEqual([]);
    expect((await verifyPackage(packages[0]!)).ok).toBe(true);
  });

  test('fat32: a read-only stick is "read-only" and nothing is written', async () => {
    const image = join(work, 'ro.img');
    await makeFatImage(image, 40, 'fat32');
    const mounted = await stick('fat32', { image, readOnly: true });
    const failure = await writeDayPackage(request(mounted.mountPoint, 10)).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ExportError);
    expect((failure as ExportError).failure).toBe('read-only');
    expect(await readdir(mounted.mountPoint)).toEqual([]);
  });
});
