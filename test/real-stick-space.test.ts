import { generateKeyPairSync } from 'node:crypto';
import { mkdir, readFile, statfs, symlink } from 'node:fs/promises';
import path from 'node:path';
import { estimatePackageBytes, rawNdjsonBytes } from '../src/export/estimate.js';
import type { Disposable, RemovableMediaPort } from '../src/host/ports.js';
import { recentPackageSizes } from '../src/machine/journal-days.js';
import { writeAcknowledgement } from '../src/package/acknowledgement.js';
import { activate } from '../src/plugin/activate.js';
import type { PluginState } from '../src/state/plugin-state.js';
import { createRemovableMedia } from '../src/stick/index.js';
import { manifestsOn, REGISTER_FOLDER } from './plugin/plugin-helpers.js';
import {
  describeWithFuse,
  fillStick,
  makeFatImage,
  type MountedStick,
  mountStick,
  releaseAllSticks,
} from './support/fuse-stick.js';
import { createTestHost, makeTestDir, removeTestDir, type TestHost, until } from './support/test-host.js';

/**
 * The free-space check against a real small exFAT stick, whose statfs tells
 * the truth (fusefat reports no blocks at all, so its free space is unknown
 * and never refuses). The packages deflate to about a twentieth of their
 * NDJSON, so a stick far smaller than the uncompressed day takes it.
 */
const MIB = 1024 * 1024;
const SPACE_MARGIN = 1.1;

describeWithFuse('free space on a real small exFAT stick', ['exfat'], () => {
  let dir: string;
  let root: string;
  let host: TestHost;
  let media: RemovableMediaPort & Disposable;

  const setUp = async (days: Parameters<typeof createTestHost>[0]['days'], settings = {}) => {
    host = await createTestHost({ dir, days, settings });
    media = createRemovableMedia({ stickRoots: [root], pollMs: 100, logger: host.logger });
    return { ...host, media: media as unknown as TestHost['media'] };
  };
  const insert = async (name: string, sizeMiB: number): Promise<{ mount: MountedStick; path: string }> => {
    const image = path.join(dir, `${name}.img`);
    await makeFatImage(image, sizeMiB, 'exfat');
    const mount = await mountStick(image, path.join(dir, 'mnt', name));
    const link = path.join(root, name);
    await symlink(mount.mountPoint, link);
    return { mount, path: link };
  };
  const free = async (mountPoint: string) => {
    const s = await statfs(mountPoint);
    return s.bavail * s.bsize;
  };
  const state = async (): Promise<PluginState> =>
    JSON.parse(await readFile(path.join(host.storage.dir, 'state', 'state.json'), 'utf8')) as PluginState;
  /** Runs a close to its end; a close that asks for another stick is cancelled, so a refusal fails the test instead of hanging it. */
  const closeDay = async (plugin: Awaited<ReturnType<typeof activate>>, businessDay: string, closingNumber: number) => {
    const cancel = new AbortController();
    const closing = plugin.onDayClose({ businessDay, closingNumber }, cancel.signal);
    let done = false;
    void closing.finally(() => {
      done = true;
    });
    await until(() => done || host.display.ids().includes('STICK_FULL'), 120_000, 'the close to end');
    cancel.abort();
    return closing;
  };

  beforeEach(async () => {
    dir = await makeTestDir('realstick-space');
    root = path.join(dir, 'media');
    await mkdir(root);
  });
  afterEach(async () => {
    media?.dispose();
    await releaseAllSticks();
    await removeTestDir(dir);
  });

  test('an empty 16 MiB stick takes a day whose uncompressed NDJSON would need twice the stick', async () => {
    const real = await setUp({ '20260105': { receipts: 12_000 } });
    const summary = await host.journal.summary('20260105');
    const time = await host.timeRecording.count('20260105');
    expect(rawNdjsonBytes(summary, time) * SPACE_MARGIN).toBeGreaterThan(24 * MIB);

    const stick = await insert('SMALL', 16);
    const plugin = await activate(real);
    try {
      const result = await closeDay(plugin, '20260105', 1);
      expect(host.display.ids()).not.toContain('STICK_FULL');
      expect(result).toMatchObject({ outcome: 'sent', sentDays: ['20260105'] });
    } finally {
      await plugin.dispose();
    }
    const [sent] = (await state()).sent;
    // What the package took, remembered to estimate the next ones from.
    expect(sent!.bytes).toBeGreaterThan(0);
    expect(sent!.bytes!).toBeLessThan(4 * MIB);
    expect(sent!.journal).toEqual({ ...summary, timeRecords: time });
    expect(await manifestsOn(stick.path)).toHaveLength(1);
  });

  test("with history, the register's own packing ratio lets a day through that the default ratio would refuse", async () => {
    const real = await setUp({ '20260104': { receipts: 4_000 }, '20260105': { receipts: 30_000 } });
    const stick = await insert('SMALL', 16);
    const plugin = await activate(real);
    try {
      expect(await closeDay(plugin, '20260104', 1)).toMatchObject({ outcome: 'sent' });
      const summary = await host.journal.summary('20260105');
      const time = await host.timeRecording.count('20260105');
      const room = await free(stick.mount.mountPoint);
      // Without history the estimate alone would say "full" ...
      expect(estimatePackageBytes(summary, time) * SPACE_MARGIN).toBeGreaterThan(room);
      // ... with the first package's ratio it fits, and so does the real package.
      expect(estimatePackageBytes(summary, time, recentPackageSizes((await state()).sent)) * SPACE_MARGIN).toBeLessThan(room);
      const result = await closeDay(plugin, '20260105', 2);
      expect(host.display.ids()).not.toContain('STICK_FULL');
      expect(result).toMatchObject({ outcome: 'sent', sentDays: ['20260105'] });
    } finally {
      await plugin.dispose();
    }
    expect(await manifestsOn(stick.path)).toHaveLength(2);
  });

  test("a re-send the stick's acknowledgements just confirmed takes no room in the check", async () => {
    const real = await setUp(
      { '20260104': { receipts: 20_000 }, '20260105': { receipts: 1_000 } },
      { unconfirmedResendAfterCloses: 1 },
    );
    const stick = await insert('SMALL', 16);
    const plugin = await activate(real);
    try {
      expect(await closeDay(plugin, '20260104', 1)).toMatchObject({ outcome: 'sent' });
      const [m4] = (await manifestsOn(stick.path)) as { packageId: string; businessDay: string }[];
      // Head office imported the day and left its receipt on the stick.
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      await writeAcknowledgement(
        path.join(stick.path, REGISTER_FOLDER),
        {
          packageId: m4!.packageId,
          customerNumber: '10001',
          registerId: '1',
          businessDay: '20260104',
          packageKind: 'day-close',
          manifestSha256: '0'.repeat(64),
          importedAt: '2026-01-05T08:00:00.000Z',
          status: 'imported',
          counts: {
            receiptsNew: 20_000,
            receiptsAlreadyPresent: 0,
            receiptConflicts: 0,
            stockPostingsNew: 0,
            stockPostingsAlreadyPresent: 0,
            stockPostingConflicts: 0,
            stockPostingsSkipped: 0,
            timeRecordsNew: 0,
            timeRecordsAlreadyPresent: 0,
            timeRecordConflicts: 0,
            quarantinedKept: 0,
          },
        },
        {
          privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
          publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        },
      );
      // Room for today's package, but not for today's and the unconfirmed day's together.
      const recent = recentPackageSizes((await state()).sent);
      const estimate = async (day: string) =>
        estimatePackageBytes(await host.journal.summary(day), await host.timeRecording.count(day), recent);
      const today = await estimate('20260105');
      const resend = await estimate('20260104');
      await fillStick(stick.mount.mountPoint, Math.ceil(today * SPACE_MARGIN + resend * 0.3));
      const room = await free(stick.mount.mountPoint);
      expect(room).toBeGreaterThan(today * SPACE_MARGIN);
      expect(room).toBeLessThan((today + resend) * SPACE_MARGIN);

      const result = await closeDay(plugin, '20260105', 2);
      expect(host.display.ids()).not.toContain('STICK_FULL');
      expect(host.display.ids()).toContain('ACKS_CONFIRMED');
      expect(result).toMatchObject({ outcome: 'sent', sentDays: ['20260105'], pendingDays: [] });
    } finally {
      await plugin.dispose();
    }
    const days = ((await manifestsOn(stick.path)) as { businessDay: string }[]).map((m) => m.businessDay);
    expect(days.sort()).toEqual(['20260104', '20260105']);
  });
});
