import { open, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { STICK_ROOT_FOLDER } from '../package/layout.js';
import { ExportError, type ExportFailureCause } from './export-contract.js';

/** Codes that mean the device itself went away, whatever the mount point still shows. */
const DEVICE_GONE = new Set(['ENODEV', 'ENXIO', 'ENOTCONN', 'ESTALE', 'ENOMEDIUM']);
const FULL = new Set(['ENOSPC', 'EFBIG', 'EDQUOT']);
const READ_ONLY = new Set(['EROFS', 'EACCES', 'EPERM']);

/**
 * What support is told about a journal that failed, as a key the prompt
 * catalog words in the cashier's language (WORD_PARAMS of JOURNAL_READ_FAILED).
 */
export type JournalProblem = 'damaged' | 'locked' | 'read-error' | 'error';

/** The register's journal failed while the day was being read; the stick is not to blame. */
export class JournalReadError extends Error {
  readonly problem: JournalProblem;
  constructor(what: string, cause: unknown) {
    super(`reading ${what} from the register's journal failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = 'JournalReadError';
    this.problem = journalProblemOf(cause);
  }
}

/** By the error's code: SQLite's names (SQLITE_CORRUPT, SQLITE_BUSY, SQLITE_IOERR_READ, ...) and errno codes. */
export function journalProblemOf(cause: unknown): JournalProblem {
  const code = String((cause as { code?: unknown } | null)?.code ?? '');
  if (/CORRUPT|NOTADB|FORMAT/.test(code)) return 'damaged';
  if (/BUSY|LOCKED/.test(code)) return 'locked';
  if (/IOERR|CANTOPEN|^E[A-Z]+$/.test(code)) return 'read-error';
  return 'error';
}

/**
 * Turns whatever a write step threw into the cause the cashier is told. An
 * EIO or ENOENT counts as "stick gone" when the stick's root has vanished
 * too, because on Linux a pulled stick usually surfaces as EIO at the next
 * write or fsync, or as ENOENT once the mount point is cleared away.
 */
export async function toExportError(
  err: unknown,
  stickPath: string,
  step: string,
  /** The stick root's device id; a root that has another one now is a stick unmounted under the writer. */
  deviceId: number | null = null,
): Promise<ExportError> {
  if (err instanceof ExportError) return err;
  if (err instanceof JournalReadError) return new ExportError('journal-error', err.message, undefined, { cause: err });
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const detail = err instanceof Error ? err.message : String(err);
  let failure: ExportFailureCause = 'write-error';
  if (code && FULL.has(code)) failure = 'stick-full';
  else if ((code && DEVICE_GONE.has(code)) || !(await stickStillThere(stickPath, deviceId))) failure = 'stick-gone';
  else if (code && READ_ONLY.has(code)) failure = (await stickAcceptsNewFile(stickPath)) ? 'stick-full' : 'read-only';
  return new ExportError(failure, `${describe(failure)} while ${step}: ${detail}`, code, { cause: err });
}

/**
 * fusefat (and some FAT drivers) answer a write to a full stick with EPERM
 * rather than ENOSPC. A stick that still lets us create an empty file is not
 * read-only, so a refused write there means it is full.
 */
async function stickAcceptsNewFile(stickPath: string): Promise<boolean> {
  const probe = join(stickPath, STICK_ROOT_FOLDER, `.probe-${process.pid}${TEMP_PROBE_SUFFIX}`);
  try {
    const fh = await open(probe, 'w');
    await fh.close();
    await unlink(probe);
    return true;
  } catch {
    return false;
  }
}

/** Ends in `.part` so that cleanStaleTempFiles would never mistake it for anything else. */
const TEMP_PROBE_SUFFIX = '.part';

async function stickStillThere(stickPath: string, deviceId: number | null): Promise<boolean> {
  try {
    const root = await stat(stickPath);
    return root.isDirectory() && (deviceId === null || root.dev === deviceId);
  } catch {
    return false;
  }
}

function describe(failure: ExportFailureCause): string {
  switch (failure) {
    case 'stick-full':
      return 'the stick is full';
    case 'read-only':
      return 'the stick is read-only';
    case 'stick-gone':
      return 'the stick was removed';
    case 'aborted':
      return 'writing was cancelled';
    case 'verify-failed':
      return 'the package on the stick does not match what was written';
    case 'journal-error':
      return "the register's journal could not be read";
    default:
      return 'the stick reported an error';
  }
}
