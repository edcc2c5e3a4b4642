import { mkdir, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ExportError } from './export-contract.js';

/**
 * The stick a writer may touch: its root path, the device id the root had
 * when the stick was listed, and (from the removable-media port) whether the
 * port still lists it, which for a mount-table stick means its mount entry
 * is still there.
 */
export interface StickPresence {
  path: string;
  deviceId: number | null;
  stillListed?: () => Promise<boolean>;
}

/**
 * Throws ExportError `stick-gone` unless the stick's root is still the file
 * system the port reported. An unmounted stick leaves its mount point as an
 * empty folder of the register's own disk, with the disk's device id: what
 * is written there lands on the register, not on the stick. Resolves to the
 * device id found, so a writer given none can hold the stick to it.
 */
export async function confirmStickPresent(stick: StickPresence): Promise<number> {
  let device: number;
  try {
    const root = await stat(stick.path);
    if (!root.isDirectory()) throw gone(stick, 'is not a folder');
    device = root.dev;
  } catch (err) {
    if (err instanceof ExportError) throw err;
    throw gone(stick, `cannot be reached (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  if (stick.deviceId !== null && device !== stick.deviceId) {
    throw gone(stick, `now belongs to another file system (device ${device}, the stick was ${stick.deviceId})`);
  }
  if (stick.stillListed && !(await stick.stillListed())) throw gone(stick, 'is no longer reported by the register');
  return device;
}

function gone(stick: StickPresence, what: string): ExportError {
  return new ExportError('stick-gone', `the stick was removed: its path ${stick.path} ${what}`, 'ENODEV');
}

/**
 * Makes `parts` below the stick's root one level at a time and never the
 * root itself, each checked to lie on the stick's device: a folder that
 * landed on the register's disk (the stick left between check and mkdir) is
 * removed again and the stick counts as gone. One level at a time also
 * because a recursive mkdir on a read-only FUSE mount reports ENOENT, not EROFS.
 */
export async function makeFoldersOnStick(stick: StickPresence & { deviceId: number }, parts: readonly string[]): Promise<void> {
  let dir = stick.path;
  for (const part of parts) {
    dir = join(dir, part);
    let made = true;
    try {
      await mkdir(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw gone(stick, 'lost its folders while they were being made');
      if (code !== 'EEXIST') throw err;
      made = false;
    }
    if ((await stat(dir)).dev !== stick.deviceId) {
      if (made) await rmdir(dir).catch(() => undefined);
      throw gone(stick, 'now belongs to another file system');
    }
  }
}
