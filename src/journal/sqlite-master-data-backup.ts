import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import Database from 'better-sqlite3';
import { hashFile, writeFileDurably } from '../durable/durable-file.js';
import type { BackupResult, MasterDataBackupPort } from '../host/ports.js';
import { TEMP_SUFFIX } from '../package/layout.js';

/** File name of the register database's copy below the plugin's backup folder. */
export const BACKUP_FILE_NAME = 'register-backup.sqlite';
/** Appended to the name when the port is given `encrypt` (docs/stick-format.md 10). */
export const ENCRYPTED_SUFFIX = '.age';

export class MasterDataBackupError extends Error {
  override name = 'MasterDataBackupError';
}

/**
 * The register's master-data backup (the vendor's "Note 1" step), in two
 * halves. First SQLite's online backup API copies a consistent snapshot of
 * the whole register database, page by page while the register keeps
 * working, into a local temporary file, which is then made self-contained and
 * integrity-checked. Then that file is streamed onto the stick, fsynced,
 * renamed into place and read back. The local file lives in the `workDir`
 * the caller names (the plugin's storage), never longer than one run. SQLite never opens a file on the stick:
 * its locks and journal files fail on FAT through FUSE ("disk I/O error"),
 * and a stick is pulled mid-write more often than a disk.
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
    workDir?: string,
    encrypt?: (plain: Readable) => Promise<Readable>,
  ): Promise<BackupResult> {
    signal.throwIfAborted();
    await mkdir(targetDir, { recursive: true });
    const fileName = encrypt ? `${BACKUP_FILE_NAME}${ENCRYPTED_SUFFIX}` : BACKUP_FILE_NAME;
    const finalPath = join(targetDir, fileName);
    // Without a workDir (a tool, a test) the system temp folder is the only local place there is.
    const scratchParent = workDir ?? tmpdir();
    await mkdir(scratchParent, { recursive: true });
    const scratch = await mkdtemp(join(scratchParent, 'daystick-backup-'));
    const snapshot = join(scratch, BACKUP_FILE_NAME);
    try {
      // Progress runs over three passes of the same pages: the snapshot, the copy onto the target, the read-back.
      let totalPages = 1;
      await this.db.backup(snapshot, {
        progress: ({ totalPages: total, remainingPages }) => {
          // Throwing here makes better-sqlite3 close the backup handle and reject.
          signal.throwIfAborted();
          totalPages = total;
          onProgress?.(total - remainingPages, 3 * total);
          return this.pagesPerStep;
        },
      });
      signal.throwIfAborted();
      const pageSize = this.settleSnapshot(snapshot);

      let copied = 0;
      const report = (bytes: number) => {
        copied += bytes;
        onProgress?.(totalPages + Math.min(2 * totalPages, Math.floor(copied / pageSize)), 3 * totalPages);
      };
      async function* chunks(): AsyncGenerator<Buffer> {
        for await (const chunk of createReadStream(snapshot, { highWaterMark: 1 << 20 })) {
          report((chunk as Buffer).length);
          yield chunk as Buffer;
        }
      }
      const plain = Readable.from(chunks());
      // Encrypted on the way: the stick only ever receives the stream's output.
      const written = await writeFileDurably(finalPath, encrypt ? await encrypt(plain) : plain, signal);
      signal.throwIfAborted();
      const reread = await hashFile(finalPath, report);
      if (reread.sha256 !== written.sha256 || reread.bytes !== written.bytes) {
        await rm(finalPath, { force: true });
        throw new MasterDataBackupError(
          `backup ${finalPath} reads back differently from what was written (${reread.bytes} of ${written.bytes} bytes)`,
        );
      }
      onProgress?.(3 * totalPages, 3 * totalPages);
      return { files: [fileName], bytes: written.bytes };
    } catch (err) {
      await rm(finalPath + TEMP_SUFFIX, { force: true }).catch(() => undefined);
      if (signal.aborted) throw signal.reason;
      throw err;
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  /**
   * Turns the snapshot into a single self-contained file and checks it. The
   * online backup copies the register's WAL flag too, and a WAL database at
   * head office would need -wal/-shm side files beside it.
   */
  private settleSnapshot(path: string): number {
    const copy = new Database(path, { fileMustExist: true });
    try {
      copy.pragma('journal_mode = DELETE');
      const check = copy.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new MasterDataBackupError(`backup snapshot failed its integrity check: ${check}`);
      return copy.pragma('page_size', { simple: true }) as number;
    } finally {
      copy.close();
    }
  }
}
