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
import { writeDayPackage as writeDayPackageImpl } from './write-day-package.js';

export const writeDayPackage: WriteDayPackage = writeDayPackageImpl;
