import { lstat, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { TEMP_SUFFIX } from '../package/layout.js';

/** The register's master-data backup folder inside its own stick folder (docs/stick-format.md, section 10). */
export const BACKUP_FOLDER = 'masterdata';

export interface RemovedFile {
  name: string;
  bytes: number;
}

/**
 * Removes what an interrupted backup left in the backup folder: every regular
 * `*.part` file (a pulled stick or a killed register leaves one as big as the
 * register's database). Runs at every close, with the backup on or off, so a
 * leftover never stays on the stick unsaid. Folders and other files stay.
 */
export async function removeBackupLeftovers(backupFolder: string): Promise<RemovedFile[]> {
  return removeFiles(backupFolder, (name) => name.endsWith(TEMP_SUFFIX));
}

/**
 * Removes the previous backup (every regular file in the backup folder)
 * before a new one is written: a backup that then fails or is pulled leaves
 * no backup rather than an older one that looks like today's.
 */
export async function removePreviousBackup(backupFolder: string): Promise<RemovedFile[]> {
  return removeFiles(backupFolder, () => true);
}

async function removeFiles(folder: string, wanted: (name: string) => boolean): Promise<RemovedFile[]> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const removed: RemovedFile[] = [];
  for (const name of names.filter(wanted)) {
    const path = join(folder, name);
    const info = await lstat(path);
    if (!info.isFile()) continue;
    await unlink(path);
    removed.push({ name, bytes: info.size });
  }
  return removed;
}
