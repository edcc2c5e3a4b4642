import { z } from 'zod';
import { BusinessDaySchema } from '../host/business-day.js';
import { TseModulesSchema } from '../host/records.js';
import { ENTRY_NAMES, SAFE_NAME_PART } from './layout.js';

/**
 * The manifest is the package's commit record: a package exists exactly when
 * its manifest does. Readers refuse any formatVersion they do not know
 * before looking at the rest, so a future format never half-imports.
 */
export const FORMAT_VERSION = 2;
/** Head office still reads what registers wrote before the data was encrypted. */
export const FORMAT_VERSION_1 = 1;
export const KNOWN_FORMAT_VERSIONS: readonly number[] = [FORMAT_VERSION_1, FORMAT_VERSION];

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
const Count = z.number().int().min(0);
const Minor = z.number().int().safe();
/** Section 1's rule for the two halves of a register folder's name. */
const NamePart = z.string().regex(SAFE_NAME_PART).refine((v) => !v.endsWith('.'), 'must not end with .');

export const EntryInfoSchema = z.strictObject({
  name: z.enum(ENTRY_NAMES),
  records: Count,
  /** Uncompressed NDJSON bytes. */
  bytes: Count,
  /** Over the uncompressed NDJSON bytes. */
  sha256: Sha256Hex,
});

export const PaymentTypeTotalSchema = z.strictObject({
  paymentTypeId: z.string().min(1),
  payments: Count,
  amountMinor: Minor,
});

export const VatRateTotalSchema = z.strictObject({
  vatRateId: z.string().min(1),
  vatRateBasisPoints: z.number().int().min(0).max(10000),
  lines: Count,
  grossMinor: Minor,
});

export const ControlTotalsSchema = z.strictObject({
  receipts: Count,
  firstReceiptId: z.string().nullable(),
  lastReceiptId: z.string().nullable(),
  grossMinor: Minor,
  byPaymentType: z.array(PaymentTypeTotalSchema),
  byVatRate: z.array(VatRateTotalSchema),
});

/** Version 1: everything in the clear, in the manifest. */
export const ManifestV1Schema = z.strictObject({
  formatVersion: z.literal(FORMAT_VERSION_1),
  packageId: z.uuid(),
  customerNumber: NamePart,
  registerId: NamePart,
  businessDay: BusinessDaySchema,
  closingNumber: z.number().int().min(0).nullable(),
  createdAt: z.iso.datetime({ offset: true }),
  kind: z.enum(['day-close', 're-send']),
  includesTimeRecords: z.boolean(),
  dataFile: z.strictObject({ name: z.string().min(1), bytes: Count, sha256: Sha256Hex }),
  entries: z.array(EntryInfoSchema),
  controlTotals: ControlTotalsSchema,
  quarantined: Count,
  signatureAlgorithm: z.literal('Ed25519'),
  publicKeyId: Sha256Hex,
});

const ManifestHead = {
  packageId: z.uuid(),
  customerNumber: NamePart,
  registerId: NamePart,
  businessDay: BusinessDaySchema,
};

/**
 * Version 2 (section 3.2): only what a check without head office's key
 * needs; the business half travels encrypted, as the zip's contents.json.
 */
export const ManifestV2Schema = z.strictObject({
  formatVersion: z.literal(FORMAT_VERSION),
  ...ManifestHead,
  createdAt: z.iso.datetime({ offset: true }),
  kind: z.enum(['day-close', 're-send']),
  dataFile: z.strictObject({ name: z.string().min(1), bytes: Count, sha256: Sha256Hex }),
  encryption: z.literal('age'),
  signatureAlgorithm: z.literal('Ed25519'),
  publicKeyId: Sha256Hex,
});

/** The zip's last entry in version 2 (section 5.1). */
export const CONTENTS_ENTRY = 'contents.json';
export const ContentsSchema = z.strictObject({
  formatVersion: z.literal(FORMAT_VERSION),
  ...ManifestHead,
  closingNumber: z.number().int().min(0).nullable(),
  includesTimeRecords: z.boolean(),
  entries: z.array(EntryInfoSchema),
  controlTotals: ControlTotalsSchema,
  quarantined: Count,
  /** The closing's security modules (KassenSichV), where the host names them. */
  tseModules: TseModulesSchema.optional(),
});

export type ManifestV1 = z.infer<typeof ManifestV1Schema>;
export type ManifestV2 = z.infer<typeof ManifestV2Schema>;
export type Contents = z.infer<typeof ContentsSchema>;
/**
 * What a reader knows of a package once it is checked, in version 1's shape:
 * a version-2 package's signed manifest joined with its decrypted contents.
 */
export type Manifest = Omit<ManifestV1, 'formatVersion'> & { formatVersion: 1 | 2; tseModules?: Contents['tseModules'] };

/** A version-2 manifest joined with the contents.json it was checked against. */
export function joinContents(manifest: ManifestV2, contents: Contents): Manifest {
  return {
    formatVersion: FORMAT_VERSION,
    packageId: manifest.packageId,
    customerNumber: manifest.customerNumber,
    registerId: manifest.registerId,
    businessDay: manifest.businessDay,
    closingNumber: contents.closingNumber,
    createdAt: manifest.createdAt,
    kind: manifest.kind,
    includesTimeRecords: contents.includesTimeRecords,
    dataFile: manifest.dataFile,
    entries: contents.entries,
    controlTotals: contents.controlTotals,
    quarantined: contents.quarantined,
    signatureAlgorithm: manifest.signatureAlgorithm,
    publicKeyId: manifest.publicKeyId,
    ...(contents.tseModules ? { tseModules: contents.tseModules } : {}),
  };
}
/**
 * The business half of a checked version-2 package, as its contents.json
 * held it: what head office keeps so that it can answer for the package
 * again from its signed manifest alone (joinContents' inverse).
 */
export function contentsOf(manifest: Manifest): Contents {
  return {
    formatVersion: FORMAT_VERSION,
    packageId: manifest.packageId,
    customerNumber: manifest.customerNumber,
    registerId: manifest.registerId,
    businessDay: manifest.businessDay,
    closingNumber: manifest.closingNumber,
    includesTimeRecords: manifest.includesTimeRecords,
    entries: manifest.entries,
    controlTotals: manifest.controlTotals,
    quarantined: manifest.quarantined,
    ...(manifest.tseModules ? { tseModules: manifest.tseModules } : {}),
  };
}
export type EntryInfo = z.infer<typeof EntryInfoSchema>;
export type ControlTotals = z.infer<typeof ControlTotalsSchema>;
