import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { decryptFile, readIdentityFile } from '../../src/package/age-file.js';

/** One value out of the register's backup on the stick, read as head office reads it: decrypted with its identity first. */
export async function backupValue(backupFile: string, identityFile: string, sql: string): Promise<unknown> {
  const clear = join(await mkdtemp(join(tmpdir(), 'daystick-backup-clear-')), 'register-backup.sqlite');
  await decryptFile(backupFile, clear, await readIdentityFile(identityFile));
  const db = new Database(clear, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).pluck().get();
  } finally {
    db.close();
  }
}
