import { stat } from 'node:fs/promises';
import { ExportError, type ExportFailureCause } from './export-contract.js';

const GONE = new Set(['ENOENT', 'ENODEV', 'ENXIO', 'ENOTCONN', 'ESTALE', 'ENOMEDIUM', 'EBADF']);
const FULL = new Set(['ENOSPC', 'EFBIG', 'EDQUOT']);
const READ_ONLY = new Set(['EROFS', 'EACCES', 'EPERM']);

/**
 * Turns whatever a write step threw into the cause the cashier is told. An EIO
 * counts as "stick gone" when the stick's root has vanished too, because on
 * Linux a pulled stick usually surfaces as EIO at the next write or fsync.
 */
export async function toExportError(err: unknown, stickPath: string, step: string): Promise<ExportError> {
  if (err instanceof ExportError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const detail = err instanceof Error ? err.message : String(err);
  let failure: ExportFailureCause = 'write-error';
  if (code && FULL.has(code)) failure = 'stick-full';
  else if (code && READ_ONLY.has(code)) failure = 'read-only';
  else if (code && GONE.has(code)) failure = 'stick-gone';
  else if (!(await stickStillThere(stickPath))) failure = 'stick-gone';
  return new ExportError(failure, `${describe(failure)} while ${step}: ${detail}`, code, { cause: err });
}

async function stickStillThere(stickPath: string): Promise<boolean> {
  try {
    return (await stat(stickPath)).isDirectory();
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
    default:
      return 'the stick reported an error';
  }
}
