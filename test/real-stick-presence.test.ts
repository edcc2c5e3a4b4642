import { execFile } from 'node:child_process';
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Disposable, JournalPort, RemovableMediaPort } from '../src/host/ports.js';
import { activate } from '../src/plugin/activate.js';
import { createRemovableMedia } from '../src/stick/index.js';
import { manifestsOn } from './plugin/plugin-helpers.js';
import {
  describeWithFuse,
  makeFatImage,
  mountStick,
  releaseAllSticks,
  unmountStick,
} from './support/fuse-stick.js';
import { DAYSTICK_BIN } from './support/shell-session.js';
import { createTestHost, makeTestDir, removeTestDir, type TestHost, until } from './support/test-host.js';

const run = promisify(execFile);

/**
 * A real FAT32 stick unmounted in the middle of a close, its empty mount
 * point left behind as a folder of the register's own disk: what a desktop
 * does when the stick is pulled and the folder is not cleaned away.
 */
describeWithFuse('a stick unmounted mid-close leaves its mount point behind', ['fat32'], () => {
  let dir: string;
  let root: string;
  let media: (RemovableMediaPort & Disposable) | null = null;
  beforeEach(async () => {
    dir = await makeTestDir('presence-fuse');
    root = path.join(dir, 'media');
    await mkdir(root);
  });
  afterEach(async () => {
    media?.dispose();
    media = null;
    await releaseAllSticks();
    await removeTestDir(dir);
  });

  test('stick pulled, nothing in the mount-point folder, the day pending; with the stick back the next close completes', async () => {
    const image = path.join(dir, 'stick.img');
    await makeFatImage(image, 64, 'fat32');
    const mountPoint = path.join(root, 'STICK1');
    const mounted = await mountStick(image, mountPoint);
    const base = await createTestHost({ dir, days: { '20260105': { receipts: 4000 } } });
    // Plain folders count as sticks under this root, as in the demo shell: the left-behind folder must not.
    media = createRemovableMedia({ stickRoots: [root], pollMs: 100, logger: base.logger });
    let unmountAfter: number | null = 1500;
    const journal: JournalPort = {
      firstBusinessDay: () => base.journal.firstBusinessDay(),
      summary: (day) => base.journal.summary(day),
      stockPostings: (day, signal) => base.journal.stockPostings(day, signal),
      async *receipts(day, signal) {
        let n = 0;
        for await (const record of base.journal.receipts(day, signal)) {
          if (unmountAfter !== null && ++n === unmountAfter) {
            unmountAfter = null;
            // Lazy: the open data file keeps its handle, every new path resolves in the bare folder.
            await run('fusermount', ['-u', '-z', mountPoint]);
          }
          yield record;
        }
      },
    };
    const host: TestHost = { ...base, journal, media: media as unknown as TestHost['media'] };
    const plugin = await activate(host);
    try {
      const cancel = new AbortController();
      const closing = plugin.onDayClose({ businessDay: '20260105', closingNumber: 1 }, cancel.signal);
      await until(() => host.display.ids().includes('STICK_PULLED'), 30_000, 'removal prompt');
      // The bare folder is not taken for a stick: the cashier is asked to insert one.
      await until(() => host.display.ids().includes('INSERT_STICK'), 10_000, 'insert prompt');
      expect(host.display.ids()).not.toContain('NOTE_2');
      expect(host.display.ids()).not.toContain('WRITE_FAILED');
      cancel.abort();
      expect(await closing).toMatchObject({ outcome: 'postponed', sentDays: [], pendingDays: ['20260105'] });
      expect(await readdir(mountPoint)).toEqual([]);
      await plugin.onCommand({ key: 'DAYSTICK_STATUS', digits: '' });
      expect(host.display.shown.at(-1)?.text).toMatch(/^5 Jan 2026: pending/);

      // The daemon ends once the writer has let go of its last open file; then the stick comes back.
      await mounted.exited;
      const again = await mountStick(image, mountPoint);
      const result = await plugin.onDayClose({ businessDay: '20260105', closingNumber: 1 });
      expect(result).toMatchObject({ outcome: 'sent', sentDays: ['20260105'], pendingDays: [] });
      expect(await manifestsOn(mountPoint)).toHaveLength(1);
      await unmountStick(again);
    } finally {
      await plugin.dispose();
    }
    // What the stick holds afterwards: one whole package, checked by `daystick verify` on the remounted image.
    const inspect = await mountStick(image, path.join(dir, 'inspect'), { readOnly: true });
    try {
      const verify = await new Promise<{ code: number | null; stdout: string }>((resolve) =>
        execFile(process.execPath, [DAYSTICK_BIN, 'verify', inspect.mountPoint], { timeout: 60_000 }, (error, stdout) =>
          resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout }),
        ),
      );
      expect(verify.stdout).toContain('1 package checked: 1 whole, 0 with problems');
      expect(verify.code).toBe(0);
    } finally {
      await unmountStick(inspect);
    }
  });
});
