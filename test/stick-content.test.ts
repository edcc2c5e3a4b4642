import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, symlink } from 'node:fs/promises';
import path from 'node:path';
import { ExportError, type WriteDayRequest, writeDayPackage } from '../src/export/index.js';
import type { Disposable, RemovableMediaPort } from '../src/host/ports.js';
import { listPackages, verifyPackage } from '../src/package/index.js';
import { activate } from '../src/plugin/activate.js';
import { renderPrompt } from '../src/prompts/render.js';
import { createRemovableMedia } from '../src/stick/index.js';
import { manifestsOn, REGISTER_FOLDER } from './plugin/plugin-helpers.js';
import {
  describeWithFuse,
  makeFatImage,
  type MountedStick,
  mountStick,
  releaseAllSticks,
  unmountStick,
  writeDurably,
} from './support/fuse-stick.js';
import { createSyntheticJournal } from './support/synthetic-journal.js';
import { createTestHost, makeTestDir, removeTestDir, type TestHost, until } from './support/test-host.js';

/**
 * What is on a stick must not break the register: entries carrying the
 * register's own names and another register writing under the same
 * identity, on real FAT32 sticks (fusefat), through the writer and through
 * a whole day close.
 */

const DAY = '20260105';
const ORPHAN = '20260103_0b1c2d3e-4f50-4a61-8b72-93a4b5c6d7e8';

let dir: string;
beforeEach(async () => {
  dir = await makeTestDir('stick-content');
  await mkdir(path.join(dir, 'mnt'), { recursive: true });
});
afterEach(async () => {
  await releaseAllSticks();
  await removeTestDir(dir);
});

async function freshStick(name: string): Promise<MountedStick> {
  const image = path.join(dir, `${name}.img`);
  await makeFatImage(image, 40, 'fat32');
  return mountStick(image, path.join(dir, 'mnt', name));
}

function request(stickPath: string, keyDir: string, over: Partial<WriteDayRequest> = {}): WriteDayRequest {
  const synthetic = createSyntheticJournal({ days: { [DAY]: { receipts: 40 } } });
  return {
    stickPath,
    identity: { customerNumber: '10001', registerId: '1' },
    businessDay: DAY,
    closingNumber: 3,
    kind: 'day-close',
    includeTimeRecords: true,
    journal: synthetic.journal,
    timeRecording: synthetic.timeRecording,
    keyDir,
    now: () => Date.UTC(2026, 0, 5, 21),
    signal: new AbortController().signal,
    ...over,
  };
}

/** Size and SHA-256 of every file below `root`, by relative path: what "left alone" is checked against. */
async function digestTree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (rel: string) => {
    for (const name of (await readdir(path.join(root, rel))).sort()) {
      const relName = rel ? `${rel}/${name}` : name;
      const full = path.join(root, relName);
      if ((await stat(full)).isDirectory()) {
        out[`${relName}/`] = 'folder';
        await walk(relName);
      } else {
        out[relName] = createHash('sha256')
          .update(await readFile(full))
          .digest('hex');
      }
    }
  };
  await walk('');
  return out;
}

describeWithFuse('what is on the stick cannot break the register (FAT32)', ['fat32'], () => {
  test('folders named like stale package files are written around and left as they are', async () => {
    const mounted = await freshStick('around');
    const folder = path.join(mounted.mountPoint, REGISTER_FOLDER);
    const squatters = [`${ORPHAN}.zip`, `${ORPHAN}.manifest.sig.part`, `${ORPHAN}.zip.part`];
    for (const name of squatters) await mkdir(path.join(folder, name), { recursive: true });
    await writeDurably(path.join(folder, squatters[0]!, 'inside.txt'), 'not daystick\n');

    const written = await writeDayPackage(request(mounted.mountPoint, path.join(dir, 'storage')));
    const again = await writeDayPackage(request(mounted.mountPoint, path.join(dir, 'storage'), { kind: 're-send' }));

    const names = await readdir(folder);
    for (const name of squatters) expect((await stat(path.join(folder, name))).isDirectory()).toBe(true);
    expect(await readFile(path.join(folder, squatters[0]!, 'inside.txt'), 'utf8')).toBe('not daystick\n');
    expect(names.filter((n) => n.endsWith('.manifest.json'))).toHaveLength(2);
    const ours = (await listPackages(mounted.mountPoint)).filter((p) =>
      [written.packageId, again.packageId].includes(p.packageId),
    );
    expect(ours).toHaveLength(2);
    for (const p of ours) expect((await verifyPackage(p)).problems).toEqual([]);
  });

  test.each([
    ['register.pub', `${REGISTER_FOLDER}/register.pub`],
    ['register.pub.part', `${REGISTER_FOLDER}/register.pub.part`],
    ['the register folder', REGISTER_FOLDER],
  ])('%s taken by something else: the stick is refused by name and nothing on it changes', async (what, entry) => {
    const mounted = await freshStick('blocked');
    const target = path.join(mounted.mountPoint, entry);
    if (what === 'the register folder') await writeDurably(target, 'a file where the folder belongs\n');
    else await mkdir(target, { recursive: true });
    const before = await digestTree(mounted.mountPoint);

    const failure = await writeDayPackage(request(mounted.mountPoint, path.join(dir, 'storage'))).catch(
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(ExportError);
    expect(failure).toMatchObject({
      failure: 'stick-conflict',
      conflict: { kind: 'blocked-name', entry: entry.split(path.sep).join('/') },
    });
    expect(await digestTree(mounted.mountPoint)).toEqual(before);
  });

  test("another register's key and files in the folder: refused, its files untouched, nothing of ours written", async () => {
    const mounted = await freshStick('twin');
    const twin = await writeDayPackage(request(mounted.mountPoint, path.join(dir, 'twin-storage')));
    const folder = path.join(mounted.mountPoint, REGISTER_FOLDER);
    // An interrupted write of the twin: the old writer would have "cleaned" these up as its own.
    await writeDurably(path.join(folder, `${ORPHAN}.zip`), Buffer.alloc(3000, 7));
    await writeDurably(path.join(folder, `${ORPHAN}.manifest.sig.part`), 'half\n');
    const before = await digestTree(mounted.mountPoint);

    const failure = await writeDayPackage(request(mounted.mountPoint, path.join(dir, 'storage'))).catch(
      (e: unknown) => e,
    );
    expect(failure).toMatchObject({
      failure: 'stick-conflict',
      conflict: { kind: 'foreign-register', folder: REGISTER_FOLDER.split(path.sep).join('/') },
    });
    expect(await digestTree(mounted.mountPoint)).toEqual(before);

    // With register.pub gone the twin's manifests still tell whose folder it is.
    await rm(path.join(folder, 'register.pub'));
    const withoutKey = await digestTree(mounted.mountPoint);
    const second = await writeDayPackage(request(mounted.mountPoint, path.join(dir, 'storage'))).catch(
      (e: unknown) => e,
    );
    expect(second).toMatchObject({
      failure: 'stick-conflict',
      conflict: {
        kind: 'foreign-register',
        entry: `${REGISTER_FOLDER.split(path.sep).join('/')}/${path.basename(twin.manifestPath)}`,
      },
    });
    expect(await digestTree(mounted.mountPoint)).toEqual(withoutKey);
  });

  describe('through a whole day close', () => {
    let root: string;
    let host: TestHost;
    let media: RemovableMediaPort & Disposable;
    let realHost: TestHost;

    beforeEach(async () => {
      root = path.join(dir, 'media');
      await mkdir(root);
      host = await createTestHost({ dir, days: { [DAY]: { receipts: 30 } } });
      media = createRemovableMedia({ stickRoots: [root], pollMs: 100, logger: host.logger });
      realHost = { ...host, media: media as unknown as TestHost['media'] };
    });
    afterEach(() => media.dispose());

    const insert = async (name: string, mounted: MountedStick) => {
      const link = path.join(root, name);
      await symlink(mounted.mountPoint, link);
      return link;
    };

    test.each(['foreign-register', 'blocked-name'] as const)(
      '%s: the cashier is told what is in the way, in English and German; another stick takes the day',
      async (kind) => {
        const blocked = await freshStick('first');
        if (kind === 'foreign-register') {
          await writeDayPackage(request(blocked.mountPoint, path.join(dir, 'twin-storage')));
        } else {
          await mkdir(path.join(blocked.mountPoint, REGISTER_FOLDER, 'register.pub'), { recursive: true });
        }
        const before = await digestTree(blocked.mountPoint);
        await insert('CLASH', blocked);
        const plugin = await activate(realHost);
        try {
          const closing = plugin.onDayClose({ businessDay: DAY, closingNumber: 5 });
          const id = kind === 'foreign-register' ? 'STICK_FOREIGN_REGISTER' : 'STICK_BLOCKED_NAME';
          await until(() => host.display.ids().includes(id), 20_000, id);
          expect(host.display.ids()).not.toContain('WRITE_FAILED');
          const shown = host.display.shown.find((p) => p.id === id)!;
          const texts = (['en', 'de'] as const).map((language) => renderPrompt(id, shown.params, language).text);
          for (const text of texts) {
            expect(text).toContain('"CLASH"');
            expect(text).toContain(kind === 'foreign-register' ? 'DAYSTICK/10001-1' : 'DAYSTICK/10001-1/register.pub');
            expect(text).not.toMatch(/E[A-Z]{3,}/);
          }
          await rm(path.join(root, 'CLASH'));
          const other = await freshStick('second');
          await insert('OTHER', other);
          expect(await closing).toMatchObject({ outcome: 'sent', sentDays: [DAY] });
          expect(await manifestsOn(other.mountPoint)).toHaveLength(1);
        } finally {
          await plugin.dispose();
        }
        expect(await digestTree(blocked.mountPoint)).toEqual(before);
        await unmountStick(blocked);
      },
    );
  });
});
