import { z } from 'zod';
import { BusinessDaySchema } from '../host/business-day.js';
import { ENTRY_NAMES, SAFE_NAME_PART } from './layout.js';

/**
 * The manifest is the package's commit record: a package exists exactly when
 * its manifest does. Readers refuse any formatVersion they do not know
 * before looking at the rest, so a future format never half-imports.
 */
export const FORMAT_VERSION = 1;

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

export const ManifestSchema = z.strictObject({
  formatVersion: z.literal(FORMAT_VERSION),
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

export type Manifest = z.infer<typeof ManifestSchema>;
export type EntryInfo = z.infer<typeof EntryInfoSchema>;
export type ControlTotals = z.infer<typeof ControlTotalsSchema>;
