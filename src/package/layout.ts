import type { BusinessDay } from '../host/business-day.js';
import { TEMP_SUFFIX } from '../durable/durable-file.js';

/**
 * Names on the stick. Kept in one place because the writer, `daystick verify`
 * and the head-office import must agree on them byte for byte, and
 * docs/stick-format.md describes exactly these.
 */
export const STICK_ROOT_FOLDER = 'DAYSTICK';
export const PUBLIC_KEY_FILE = 'register.pub';
/** Reserved for head office's acknowledgements; the register never writes or deletes in it. */
export const ACKS_FOLDER = 'acks';
/** Every file still being written carries this suffix until its rename; defined where the durable write is, below this room. */
export { TEMP_SUFFIX };

/** Version 1's data file, the zip in the clear (read, never written any more). */
export const DATA_SUFFIX_V1 = '.zip';
/** Version 2's data file: the zip encrypted to head office in the age format. */
export const DATA_SUFFIX = '.zip.age';
export const MANIFEST_SUFFIX = '.manifest.json';
export const SIGNATURE_SUFFIX = '.manifest.sig';

export const ENTRY_NAMES = [
  'receipts.ndjson',
  'receipt-lines.ndjson',
  'payments.ndjson',
  'stock-postings.ndjson',
  'time-records.ndjson',
  'quarantine.ndjson',
] as const;
export type EntryName = (typeof ENTRY_NAMES)[number];

/**
 * FAT forbids `"*\/:<>?\|` and control characters, and trailing dots or
 * spaces vanish; anything outside this set would make two registers' folders
 * collide or fail to be created, so it is refused, not rewritten.
 */
export const SAFE_NAME_PART = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

export class UnsafeNameError extends Error {
  constructor(
    readonly field: 'customerNumber' | 'registerId',
    readonly value: string,
  ) {
    super(
      `${field} "${value}" cannot name a folder on a FAT stick: use 1-63 of A-Z a-z 0-9 _ . - starting with a letter or digit`,
    );
    this.name = 'UnsafeNameError';
  }
}

export function registerFolderName(customerNumber: string, registerId: string): string {
  if (!SAFE_NAME_PART.test(customerNumber) || customerNumber.endsWith('.')) {
    throw new UnsafeNameError('customerNumber', customerNumber);
  }
  if (!SAFE_NAME_PART.test(registerId) || registerId.endsWith('.')) {
    throw new UnsafeNameError('registerId', registerId);
  }
  return `${customerNumber}-${registerId}`;
}

/** `<YYYYMMDD>_<packageId>`: sorts by day, and the package id keeps a re-send from replacing the original. */
export function packageStem(businessDay: BusinessDay, packageId: string): string {
  return `${businessDay}_${packageId}`;
}

const STEM = /^([0-9]{8})_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

export type PackageFileRole = 'data' | 'manifest' | 'signature';

export interface ParsedPackageFileName {
  stem: string;
  businessDay: string;
  packageId: string;
  role: PackageFileRole;
  temporary: boolean;
}

/** Recognises the package files in a register folder; null for any other file (those are never touched). */
export function parsePackageFileName(fileName: string): ParsedPackageFileName | null {
  let name = fileName;
  const temporary = name.endsWith(TEMP_SUFFIX);
  if (temporary) name = name.slice(0, -TEMP_SUFFIX.length);
  let role: PackageFileRole;
  if (name.endsWith(MANIFEST_SUFFIX)) {
    role = 'manifest';
    name = name.slice(0, -MANIFEST_SUFFIX.length);
  } else if (name.endsWith(SIGNATURE_SUFFIX)) {
    role = 'signature';
    name = name.slice(0, -SIGNATURE_SUFFIX.length);
  } else if (name.endsWith(DATA_SUFFIX)) {
    role = 'data';
    name = name.slice(0, -DATA_SUFFIX.length);
  } else if (name.endsWith(DATA_SUFFIX_V1)) {
    role = 'data';
    name = name.slice(0, -DATA_SUFFIX_V1.length);
  } else {
    return null;
  }
  const m = STEM.exec(name);
  if (!m) return null;
  return { stem: name, businessDay: m[1]!, packageId: m[2]!, role, temporary };
}

export interface PackageFileNames {
  manifest: string;
  signature: string;
  /** The data file this layout names; a package's manifest names its own (`dataFile.name`), which wins. */
  data: string;
}

/** The committed file names of one package, as section 1 of docs/stick-format.md names them. */
export function packageFileNames(stem: string): PackageFileNames {
  return { manifest: stem + MANIFEST_SUFFIX, signature: stem + SIGNATURE_SUFFIX, data: stem + DATA_SUFFIX };
}

/** Whether `fileName` is a (committed) data file of the package `stem`: the only data file a release may remove. */
export function isDataFileOf(fileName: string, stem: string): boolean {
  const parsed = parsePackageFileName(fileName);
  return parsed !== null && !parsed.temporary && parsed.role === 'data' && parsed.stem === stem;
}
