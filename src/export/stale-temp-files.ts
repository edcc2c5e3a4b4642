import { readdir, unlink } from 'node:fs/promises';
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
 * Only names the package format defines are touched, only in this
 * register's own folder; other registers' folders and foreign files stay.
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
    if (!info) {
      if (name === PUBLIC_KEY_FILE + TEMP_SUFFIX) {
        await unlink(join(dir, name));
        removed.push(name);
      }
      continue;
    }
    if (info.temporary || !committed.has(info.stem)) {
      await unlink(join(dir, name));
      removed.push(name);
    }
  }
  return removed;
}
