export { estimatePackageBytes } from './estimate.js';
export {
  ExportError,
  type EstimatePackageBytes,
  type ExportFailureCause,
  type PackageKind,
  type RegisterIdentity,
  type StickConflict,
  type WriteDayPackage,
  type WriteDayRequest,
  type WrittenPackage,
} from './export-contract.js';
export { ensureRegisterKeyPair } from './register-keys.js';
export { cleanStaleTempFiles } from './stale-temp-files.js';
export { findStickConflict, StickConflictError } from './stick-conflicts.js';
import type { WriteDayPackage } from './export-contract.js';

/**
 * Loaded with the first package: the writer brings archiver and its stream stack (tar-stream,
 * readable-stream, ...), a tenth of a second or more of a register's start-up, and most starts
 * write nothing.
 */
export const writeDayPackage: WriteDayPackage = async (request) =>
  (await import('./write-day-package.js')).writeDayPackage(request);
