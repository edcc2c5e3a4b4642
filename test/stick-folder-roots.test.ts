import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { StickInfo } from '../src/host/ports.js';
import { createRemovableMedia } from '../src/stick/index.js';
import { MemoryLogger } from './support/test-host.js';

// Plain folders under a stick root: how the reference shell and the plugin tests simulate a stick.

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'daystick-stickroot-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function nextEvent(
  subscribe: (listener: (stick: StickInfo) => void) => { dispose(): void },
  timeoutMs = 5000,
): Promise<StickInfo> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      subscription.dispose();
      reject(new Error(`no stick event within ${timeoutMs} ms`));
    }, timeoutMs);
    const subscription = subscribe((stick) => {
      clearTimeout(timer);
      subscription.dispose();
      resolve(stick);
    });
  });
}

test('a folder present at start is listed with the facts of the file system holding it', async () => {
  await mkdir(path.join(root, 'STICK_A'));
  const media = createRemovableMedia({ stickRoots: [root], pollMs: 100, logger: new MemoryLogger() });
  try {
    const sticks = await media.list();
    expect(sticks).toHaveLength(1);
    const [stick] = sticks as [StickInfo];
    expect(stick.label).toBe('STICK_A');
    expect(stick.mountPath).toBe(path.join(root, 'STICK_A'));
    expect(stick.readOnly).toBe(false);
    expect(typeof stick.fsType).toBe('string');
    expect(stick.freeBytes).toBeGreaterThan(0);
    // The mark the writer holds the stick to: the folder's device id when it was listed.
    expect(stick.deviceId).toBe((await stat(path.join(root, 'STICK_A'))).dev);
  } finally {
    media.dispose();
  }
});

test('insertion and removal of a folder are reported, hidden folders and files are not sticks', async () => {
  const logger = new MemoryLogger();
  const media = createRemovableMedia({ stickRoots: [root], pollMs: 50, logger });
  try {
    expect(await media.list()).toEqual([]);
    const inserted = nextEvent((l) => media.onInserted(l));
    await mkdir(path.join(root, '.Trash-0'));
    await writeFile(path.join(root, 'notes.txt'), 'a file is not a stick');
    await mkdir(path.join(root, 'KINGSTON'));
    const stick = await inserted;
    expect(stick.label).toBe('KINGSTON');
    expect((await media.list()).map((s) => s.label)).toEqual(['KINGSTON']);

    const removed = nextEvent((l) => media.onRemoved(l));
    await rm(path.join(root, 'KINGSTON'), { recursive: true });
    expect((await removed).id).toBe(stick.id);
    expect(await media.list()).toEqual([]);
    expect(logger.lines).toContain('info stick removed');
  } finally {
    media.dispose();
  }
});

test('two sticks are both listed, across two roots, and a root that does not exist yet is no error', async () => {
  const second = path.join(root, 'second-root');
  const missing = path.join(root, 'not-there');
  await mkdir(path.join(root, 'A'));
  await mkdir(path.join(second, 'B'), { recursive: true });
  const logger = new MemoryLogger();
  const media = createRemovableMedia({ stickRoots: [root, second, missing], pollMs: 100, logger });
  try {
    const labels = (await media.list()).map((s) => s.label).sort();
    // "second-root" itself is a sub-folder of the first root, so it counts as a stick too.
    expect(labels).toEqual(['A', 'B', 'second-root']);
    expect(logger.lines.filter((l) => l.startsWith('error'))).toEqual([]);
  } finally {
    media.dispose();
  }
});

test('a listener that throws is logged and the others still hear of the stick', async () => {
  const logger = new MemoryLogger();
  const media = createRemovableMedia({ stickRoots: [root], pollMs: 50, logger });
  try {
    await media.list();
    media.onInserted(() => {
      throw new Error('listener bug');
    });
    const heard = nextEvent((l) => media.onInserted(l));
    await mkdir(path.join(root, 'X'));
    expect((await heard).label).toBe('X');
    expect(logger.lines).toContain('error a stick inserted listener threw');
  } finally {
    media.dispose();
  }
});

test('a disposed listener hears nothing more', async () => {
  const media = createRemovableMedia({ stickRoots: [root], pollMs: 50, logger: new MemoryLogger() });
  try {
    await media.list();
    const heardByDisposed: string[] = [];
    media.onInserted((s) => heardByDisposed.push(s.label)).dispose();
    const heard = nextEvent((l) => media.onInserted(l));
    await mkdir(path.join(root, 'Y'));
    await heard;
    expect(heardByDisposed).toEqual([]);
  } finally {
    media.dispose();
  }
});

test('dispose stops the polling timer and list() afterwards says so by name', async () => {
  const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const media = createRemovableMedia({ stickRoots: [root], pollMs: 20, logger: new MemoryLogger() });
  await media.list();
  expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(before + 1);
  media.dispose();
  media.dispose();
  expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(before);
  await expect(media.list()).rejects.toThrow(/after dispose/);
});

test('eject of a plain folder does nothing and resolves', async () => {
  await mkdir(path.join(root, 'PLAIN'));
  const logger = new MemoryLogger();
  const media = createRemovableMedia({ stickRoots: [root], pollMs: 100, logger });
  try {
    const [stick] = (await media.list()) as [StickInfo];
    await expect(media.eject?.(stick)).resolves.toBeUndefined();
    expect(logger.lines).toContain('debug eject: a folder or an image mount, nothing to eject');
  } finally {
    media.dispose();
  }
});

test('a poll interval below 10 ms is refused by name', () => {
  expect(() => createRemovableMedia({ stickRoots: [root], pollMs: 0, logger: new MemoryLogger() })).toThrow(/pollMs/);
});
