import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { BackupResult, MasterDataBackupPort } from '../host/ports.js';

/** File name of the register database's copy below the plugin's backup folder. */
export const BACKUP_FILE_NAME = 'register-backup.sqlite';

export class MasterDataBackupError extends Error {
  override name = 'MasterDataBackupError';
}

async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * The register's master-data backup (the vendor's "Note 1" step): SQLite's
 * online backup API copies a consistent snapshot of the whole register
 * database page by page while the register keeps working. The copy is written
 * under a temporary name, fsynced, checked by opening it, and only then
 * renamed, so a pulled stick or an abort never leaves a file that looks like
 * a finished backup.
 */
export class SqliteMasterDataBackup implements MasterDataBackupPort {
  constructor(
    private readonly db: Database.Database,
    /** Pages copied per step; each step yields to the event loop, so a smaller value aborts sooner. */
    private readonly pagesPerStep = 64,
  ) {}

  async run(
    targetDir: string,
    signal: AbortSignal,
    onProgress?: (done: number, total: number) => void,
  ): Promise<BackupResult> {
    signal.throwIfAborted();
    await mkdir(targetDir, { recursive: true });
    const finalPath = join(targetDir, BACKUP_FILE_NAME);
    const partialPath = `${finalPath}.partial`;
    await rm(partialPath, { force: true });
    try {
      await this.db.backup(partialPath, {
        progress: ({ totalPages, remainingPages }) => {
          // Throwing here makes better-sqlite3 close the backup handle and reject.
          signal.throwIfAborted();
          onProgress?.(totalPages - remainingPages, totalPages);
          return this.pagesPerStep;
        },
      });
      signal.throwIfAborted();
      const pages = this.settleCopy(partialPath);
      await fsyncPath(partialPath);
      onProgress?.(pages, pages);
      await rename(partialPath, finalPath);
      await fsyncPath(targetDir);
      const { size } = await stat(finalPath);
      return { files: [BACKUP_FILE_NAME], bytes: size };
    } catch (err) {
      await rm(partialPath, { force: true }).catch(() => undefined);
      if (signal.aborted) throw signal.reason;
      throw err;
    }
  }

  /**
   * Turns the copy into a single self-contained file and checks it. The
   * online backup copies the register's WAL flag too, and a WAL database on
   * a stick would need -wal/-shm side files at head office. Opening it as a
   * database of its own also makes a torn copy fail here, not at head office.
   */
  private settleCopy(path: string): number {
    const copy = new Database(path, { fileMustExist: true });
    try {
      copy.pragma('journal_mode = DELETE');
      const check = copy.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new MasterDataBackupError(`backup copy ${path} failed its integrity check: ${check}`);
      return copy.pragma('page_count', { simple: true }) as number;
    } finally {
      copy.close();
    }
  }
}
