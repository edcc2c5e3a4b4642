import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { accessSync, closeSync, constants, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * Real FAT32 and exFAT sticks for tests: an image file made with mkfs, mounted
 * by a FUSE daemon that runs as our child in the foreground, so a test can
 * SIGKILL it to pull the stick mid-write.
 *
 * Measured here (fusefat 1.0.0 / FUSE 2, exfat-fuse 1.3.0, Linux 6.x container, as root):
 * - fusefat: long file names, mkdir, rename (also over an existing file) and fsync work.
 *   statfs reports 0 blocks in total, so free space is unknown (the stick port says null).
 *   A full FAT32 image fails write(2) with EPERM, not ENOSPC; fsync/close then succeed.
 *   A volume label given to mkfs shows up in the root listing as an extra entry.
 * - exfat-fuse refuses image files as root ("Block device required"), so the image is
 *   attached to a loop device first. It reports real statfs figures; full gives ENOSPC.
 * - Daemon SIGKILLed: write, fsync, close, stat and statfs on the mount all fail with
 *   ENOTCONN (107) for both; the mount entry stays in /proc/self/mountinfo until
 *   `fusermount -u -z`.
 *
 * Pair these with `createRemovableMedia({ stickRoots: [root], mountsOnly: true })`: the
 * empty mount-point folder exists for a moment before the mount and after the unmount,
 * and must not count as a stick of its own.
 */

const run = promisify(execFile);

export type StickFormat = 'fat32' | 'exfat';

export interface FuseAvailability {
  ok: boolean;
  missing: string[];
}

const TOOLS: Record<StickFormat, string[]> = {
  fat32: ['mkfs.vfat', 'fusefat', 'fusermount'],
  exfat: ['mkfs.exfat', 'mount.exfat-fuse', 'losetup', 'fusermount'],
};

/** What is missing on this machine to mount the given formats (both by default). */
export function fuseAvailable(formats: readonly StickFormat[] = ['fat32', 'exfat']): FuseAvailability {
  const missing = new Set<string>();
  if (!canOpen('/dev/fuse')) missing.add('/dev/fuse (read-write)');
  for (const format of formats) {
    for (const name of TOOLS[format]) {
      if (findTool(name) === null && !(name === 'fusermount' && findTool('fusermount3') !== null)) missing.add(name);
    }
    if (format === 'exfat' && !existsSync('/dev/loop-control')) missing.add('/dev/loop-control');
  }
  return { ok: missing.size === 0, missing: [...missing] };
}

/**
 * `describe` for suites that need real FUSE sticks. Under CI=true a missing
 * tool fails the suite; locally the suite is skipped with a loud warning.
 */
export function describeWithFuse(name: string, formats: readonly StickFormat[], body: () => void): void {
  const availability = fuseAvailable(formats);
  if (availability.ok) {
    describe(name, body);
    return;
  }
  const reason = `missing ${availability.missing.join(', ')} (Debian: apt-get install dosfstools fusefat exfat-fuse mtools fuse3)`;
  if (process.env.CI === 'true') {
    describe(name, () => {
      test('real FUSE sticks are available in CI', () => {
        throw new Error(`CI must run the real-stick tests, but FUSE is not usable: ${reason}`);
      });
    });
    return;
  }
  console.warn(`\n!!! SKIPPED "${name}": real-stick tests need FUSE: ${reason}\n`);
  describe.skip(name, body);
}

export async function makeFatImage(
  imagePath: string,
  sizeMiB: number,
  format: StickFormat,
  label?: string,
): Promise<void> {
  // mkfs.vfat cannot make FAT32 with fewer than 65525 clusters of 512 bytes.
  if (format === 'fat32' && sizeMiB < 33) throw new RangeError(`a FAT32 image needs at least 33 MiB, asked ${sizeMiB}`);
  if (format === 'exfat' && sizeMiB < 2) throw new RangeError(`an exFAT image needs at least 2 MiB, asked ${sizeMiB}`);
  await mkdir(path.dirname(imagePath), { recursive: true });
  const file = await open(imagePath, 'wx');
  try {
    await file.truncate(sizeMiB * 1024 * 1024);
  } finally {
    await file.close();
  }
  if (format === 'fat32') {
    await run(tool('mkfs.vfat'), ['-F', '32', ...(label === undefined ? [] : ['-n', label]), imagePath]);
  } else {
    await run(tool('mkfs.exfat'), [...(label === undefined ? [] : ['-L', label]), imagePath]);
  }
}

export interface MountedStick {
  image: string;
  mountPoint: string;
  format: StickFormat;
  readOnly: boolean;
  /** The FUSE daemon, our child in the foreground: SIGKILL it and the stick is gone. */
  daemon: ChildProcess;
  /** Resolves when the daemon has exited, with its exit code or signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** exFAT images go through a loop device (exfat-fuse wants a block device as root). */
  loopDevice: string | null;
  /** The last few KiB the daemon wrote (stdout and stderr go to a log file beside the image), for failure messages. */
  stderrTail(): string;
}

export async function detectFormat(image: string): Promise<StickFormat> {
  const file = await open(image, 'r');
  try {
    const { buffer } = await file.read(Buffer.alloc(90), 0, 90, 0);
    if (buffer.toString('latin1', 3, 11) === 'EXFAT   ') return 'exfat';
    if (buffer.toString('latin1', 82, 90) === 'FAT32   ') return 'fat32';
    throw new Error(`${image} holds neither a FAT32 nor an exFAT file system`);
  } finally {
    await file.close();
  }
}

/**
 * Mounts `image` at `mountPoint` (created when missing, must be empty) and
 * resolves once the mount is in the kernel's mount table. Throws, with the
 * daemon's own words, when it does not get there: a test must never write
 * into the bare folder believing it is the stick.
 */
export async function mountStick(
  image: string,
  mountPoint: string,
  options: { readOnly?: boolean; timeoutMs?: number } = {},
): Promise<MountedStick> {
  const format = await detectFormat(image);
  const readOnly = options.readOnly ?? false;
  const target = path.resolve(mountPoint);
  await mkdir(target, { recursive: true });
  if ((await readdir(target)).length > 0) throw new Error(`mount point ${target} is not empty`);
  if (await mountEntryAt(target)) throw new Error(`something is already mounted at ${target}`);

  let loopDevice: string | null = null;
  let daemon: ChildProcess;
  // The daemon's chatter goes to a file, not a pipe: a test that blocks its event loop
  // (spawnSync) would leave a pipe unread, the daemon would block on it, and every
  // access to the stick would hang.
  const logPath = `${image}.${path.basename(target)}.fuse.log`;
  const log = openSync(logPath, 'w');
  try {
    if (format === 'fat32') {
      // -s: fusefat is not thread-safe; a statfs from the stick poller racing a write deadlocks it.
      daemon = spawn(tool('fusefat'), ['-f', '-s', '-o', readOnly ? 'ro' : 'rw+', image, target], {
        stdio: ['ignore', log, log],
      });
    } else {
      const attached = await run(tool('losetup'), ['--find', '--show', ...(readOnly ? ['--read-only'] : []), image]);
      loopDevice = attached.stdout.trim();
      // -d is exfat-fuse's only way to stay in the foreground; its debug chatter goes to the log.
      daemon = spawn(tool('mount.exfat-fuse'), ['-d', ...(readOnly ? ['-o', 'ro'] : []), loopDevice, target], {
        stdio: ['ignore', log, log],
      });
    }
  } finally {
    closeSync(log);
  }
  const tail = () => {
    try {
      return readFileSync(logPath, 'utf8').slice(-4096);
    } catch {
      return '';
    }
  };
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    daemon.once('exit', (code, signal) => resolve({ code, signal }));
    daemon.once('error', () => resolve({ code: null, signal: null }));
  });
  const handle: MountedStick = {
    image,
    mountPoint: target,
    format,
    readOnly,
    daemon,
    exited,
    loopDevice,
    stderrTail: tail,
  };
  live.add(handle);

  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  while (!(await mountEntryAt(target))) {
    if (gone || Date.now() > deadline) {
      await releaseStick(handle);
      throw new Error(
        `${format} image ${image} did not mount at ${target}: ${tail().trim().slice(-800) || 'no output'}`,
      );
    }
    await sleep(25);
  }
  return handle;
}

/**
 * The stick leaves without warning.
 * - `kill` (default): SIGKILL the daemon, as when a stick is yanked. From then on
 *   write, fsync, close, stat and statfs on it fail with ENOTCONN. The dead mount
 *   and its folder are cleared afterwards unless `leaveDeadMount`.
 * - `lazy-unmount`: `fusermount -u -z` with the daemon still running, then the folder
 *   is removed, as a desktop does on removal. Files already open stay writable and
 *   their writes still reach the image until closed; new paths below the old mount
 *   point fail with ENOENT. The daemon exits once the last open file is closed.
 */
export async function pullStick(
  handle: MountedStick,
  options: { how?: 'kill' | 'lazy-unmount'; leaveDeadMount?: boolean } = {},
): Promise<void> {
  if ((options.how ?? 'kill') === 'lazy-unmount') {
    await run(tool('fusermount'), ['-u', '-z', handle.mountPoint]);
    await rmdir(handle.mountPoint);
    return;
  }
  handle.daemon.kill('SIGKILL');
  await handle.exited;
  if (!options.leaveDeadMount) await releaseStick(handle);
}

/** A clean unmount, as "safely remove" does: flushes, waits for the daemon to exit, removes the folder. */
export async function unmountStick(handle: MountedStick): Promise<void> {
  if (await mountEntryAt(handle.mountPoint)) await run(tool('fusermount'), ['-u', handle.mountPoint]);
  const result = await handle.exited;
  // fusefat -o ro exits 255 on unmount because it tries to write the FSInfo sector to its read-only image.
  const tolerated = handle.readOnly && handle.format === 'fat32';
  if (!tolerated && handle.daemon.signalCode === null && result.code !== 0 && result.code !== null) {
    throw new Error(`FUSE daemon for ${handle.image} exited with ${result.code}: ${handle.stderrTail().slice(-800)}`);
  }
  await releaseStick(handle);
}

/**
 * Fills the mounted stick until the file system refuses more, then gives
 * back `leaveBytes` by truncating the filler. Returns the filler's size.
 */
export async function fillStick(mountPoint: string, leaveBytes = 0, fileName = 'filler.bin'): Promise<number> {
  const file = await open(path.join(mountPoint, fileName), 'w');
  const chunk = Buffer.alloc(64 * 1024, 0x5a);
  let written = 0;
  try {
    for (;;) {
      try {
        written += (await file.write(chunk)).bytesWritten;
      } catch (error) {
        // fusefat says EPERM, exfat-fuse ENOSPC, when the stick is full.
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOSPC' || code === 'EPERM') break;
        throw error;
      }
    }
    const size = Math.max(0, written - leaveBytes);
    if (size !== written) await file.truncate(size);
    await file.sync();
    return size;
  } finally {
    await file.close();
  }
}

const live = new Set<MountedStick>();

/** Ends a stick's daemon if it still runs, clears its mount, loop device and folder. Idempotent. */
export async function releaseStick(handle: MountedStick): Promise<void> {
  if (handle.daemon.exitCode === null && handle.daemon.signalCode === null) handle.daemon.kill('SIGKILL');
  await handle.exited;
  if (await mountEntryAt(handle.mountPoint)) await run(tool('fusermount'), ['-u', '-z', handle.mountPoint]);
  if (handle.loopDevice !== null) await run(tool('losetup'), ['-d', handle.loopDevice]).catch(() => undefined);
  await rmdir(handle.mountPoint).catch(() => undefined);
  live.delete(handle);
}

/** For afterEach: releases every stick this process mounted and has not released yet. */
export async function releaseAllSticks(): Promise<void> {
  for (const handle of [...live]) await releaseStick(handle);
}

async function mountEntryAt(mountPoint: string): Promise<boolean> {
  const wanted = mountPoint.replace(/[\\ \t\n]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
  const mounts = await readFile('/proc/self/mountinfo', 'utf8');
  return mounts.split('\n').some((line) => line.split(' ')[4] === wanted);
}

function findTool(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin', '/usr/bin', '/bin'])) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return null;
}

function tool(name: string): string {
  // FUSE 3 systems may only have fusermount3; it unmounts FUSE 2 mounts just as well.
  const found = findTool(name) ?? (name === 'fusermount' ? findTool('fusermount3') : null);
  if (found === null) throw new Error(`${name} is not installed (Debian: dosfstools fusefat exfat-fuse mtools fuse3)`);
  return found;
}

function canOpen(device: string): boolean {
  try {
    accessSync(device, constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Writes `content` and fsyncs it: a test's way of putting other files on a stick. */
export async function writeDurably(file: string, content: string | Buffer): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  const handle = await open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
