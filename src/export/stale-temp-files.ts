import { lstat, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  PUBLIC_KEY_FILE,
  STICK_ROOT_FOLDER,
  TEMP_SUFFIX,
  parsePackageFileName,
  registerFolderName,
} from '../package/layout.js';
import type { RegisterIdentity } from './export-contract.js';

/**
 * Removes what an interrupted write of this register left behind: every
 * `.part` file of a package or of register.pub, and a data file or signature whose manifest never arrived
 * (the manifest is renamed last, so such files are never part of a package).
 * Only regular files with names the package format defines are touched, only in this
 * register's own folder; other registers' folders and foreign entries stay.
 */
export async function cleanStaleTempFiles(stickPath: string, identity: RegisterIdentity): Promise<string[]> {
  const dir = join(stickPath, STICK_ROOT_FOLDER, registerFolderName(identity.customerNumber, identity.registerId));
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const parsed = names.map((name) => ({ name, info: parsePackageFileName(name) }));
  const committed = new Set(
    parsed.filter((p) => p.info && !p.info.temporary && p.info.role === 'manifest').map((p) => p.info!.stem),
  );
  const removed: string[] = [];
  for (const { name, info } of parsed) {
    const stale = info ? info.temporary || !committed.has(info.stem) : name === PUBLIC_KEY_FILE + TEMP_SUFFIX;
    if (stale && (await isRegularFile(join(dir, name)))) {
      await unlink(join(dir, name));
      removed.push(name);
    }
  }
  return removed;
}

/** A folder (or anything else) carrying one of our names is not ours: unlink would fail with EISDIR on every close. */
async function isRegularFile(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isFile();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
