import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { JOURNAL_SCHEMA_VERSION, JOURNAL_TABLES, migrateJournalSchema } from './journal-schema.js';

export class JournalOpenError extends Error {
  override name = 'JournalOpenError';
}

/**
 * Opens an existing register database and refuses anything that is not one,
 * so a mistyped `--journal` path names the problem instead of silently
 * creating an empty journal (which would look like a day without bookings).
 */
export function openJournalDatabase(path: string, options: { readonly: boolean }): Database.Database {
  if (!existsSync(path)) throw new JournalOpenError(`journal ${path} does not exist`);
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: options.readonly, fileMustExist: true });
  } catch (err) {
    throw new JournalOpenError(`cannot open journal ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    // WAL lets the plugin's reading connection stream a day while the shell's
    // own connection records a closing, without either seeing SQLITE_BUSY.
    if (!options.readonly) db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    // A version-1 journal gains its TSE columns in place when the register opens it for writing.
    if (!options.readonly) migrateJournalSchema(db);
    const version = db.pragma('user_version', { simple: true }) as number;
    const present = new Set(
      (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map(
        (r) => r.name,
      ),
    );
    const missing = JOURNAL_TABLES.filter((t) => !present.has(t));
    if (missing.length > 0) {
      throw new JournalOpenError(`${path} is not a daystick register journal: missing tables ${missing.join(', ')}`);
    }
    if (version !== JOURNAL_SCHEMA_VERSION) {
      throw new JournalOpenError(
        `journal ${path} has schema version ${version}, this build reads version ${JOURNAL_SCHEMA_VERSION}`,
      );
    }
  } catch (err) {
    db.close();
    if (err instanceof JournalOpenError) throw err;
    throw new JournalOpenError(`cannot read journal ${path}: ${(err as Error).message}`, { cause: err });
  }
  return db;
}
