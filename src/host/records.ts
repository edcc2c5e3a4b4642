import { z } from 'zod';
import { BusinessDaySchema } from './business-day.js';

/**
 * The booking records that cross the host contract, as the register's journal
 * holds them. Amounts are integer minor units (cents), quantities integer
 * thousandths, VAT rates integer basis points: floats never carry money.
 * The host hands records over as `unknown`; the plugin validates each one and
 * quarantines what fails, so one bad row never stops or silently shrinks a day.
 */
const Minor = z.number().int().safe();
const Id = z.string().min(1).max(64);
const Instant = z.iso.datetime({ offset: true });

export const ReceiptLineSchema = z.strictObject({
  lineNo: z.number().int().positive(),
  articleId: Id,
  description: z.string().max(200),
  quantityMilli: z.number().int(),
  unitPriceMinor: Minor,
  grossMinor: Minor,
  vatRateId: Id,
  vatRateBasisPoints: z.number().int().min(0).max(10000),
  voided: z.boolean(),
});

export const PaymentSchema = z.strictObject({
  paymentNo: z.number().int().positive(),
  paymentTypeId: Id,
  paymentTypeName: z.string().max(100),
  amountMinor: Minor,
});

const CANONICAL_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The fields a complete TSE record carries; `error` stands in for them when the module failed. */
export const TSE_FIELDS = [
  'serialNumber',
  'transactionNumber',
  'signatureCounter',
  'startedAt',
  'finishedAt',
  'processType',
  'signature',
  'signatureAlgorithm',
  'timeFormat',
] as const;

/**
 * The security module's (TSE, German KassenSichV) data of one receipt. Each
 * field is optional on its own because a failed module reports only part of
 * it; without `error` every field must be there, so a receipt cannot lose
 * its signature silently (docs/stick-format.md section 5).
 */
export const TseSchema = z
  .strictObject({
    serialNumber: z.string().min(1).max(128).optional(),
    transactionNumber: z.number().int().positive().safe().optional(),
    signatureCounter: z.number().int().min(0).safe().optional(),
    startedAt: Instant.optional(),
    finishedAt: Instant.optional(),
    processType: z.string().min(1).max(30).optional(),
    signature: z.string().min(4).max(1024).regex(CANONICAL_BASE64, 'not canonical Base64').optional(),
    signatureAlgorithm: z.string().min(1).max(64).optional(),
    timeFormat: z.enum(['unixTime', 'utcTime', 'generalizedTime']).optional(),
    error: z.string().min(1).max(500).optional(),
  })
  .superRefine((tse, ctx) => {
    if (tse.error !== undefined) return;
    for (const field of TSE_FIELDS) {
      if (tse[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: 'required unless error is given' });
    }
  });

/** Most a day plausibly sees: each replacement of a failed module adds one. */
export const MAX_TSE_MODULES = 16;

/**
 * One security module of the day's closing (docs/stick-format.md 5.1,
 * `tseModules`): the serial its receipts carry, and the key head office
 * checks their signatures with.
 */
export const TseModuleSchema = z.strictObject({
  serialNumber: z.string().min(1).max(128),
  publicKey: z.string().min(4).max(1024).regex(CANONICAL_BASE64, 'not canonical Base64'),
});

/** The closing's modules: a list, since a day may change its module; one serial twice would leave its key ambiguous. */
export const TseModulesSchema = z
  .array(TseModuleSchema)
  .min(1)
  .max(MAX_TSE_MODULES)
  .superRefine((modules, ctx) => {
    const seen = new Set<string>();
    modules.forEach((m, i) => {
      if (seen.has(m.serialNumber)) ctx.addIssue({ code: 'custom', path: [i, 'serialNumber'], message: 'names a module listed before' });
      seen.add(m.serialNumber);
    });
  });

export const ReceiptSchema = z.strictObject({
  receiptId: Id,
  receiptNo: z.number().int().positive(),
  businessDay: BusinessDaySchema,
  openedAt: Instant,
  closedAt: Instant,
  cashierId: Id,
  kind: z.enum(['sale', 'refund', 'void']),
  currency: z.string().length(3),
  grossMinor: Minor,
  lines: z.array(ReceiptLineSchema),
  payments: z.array(PaymentSchema),
  tse: TseSchema.optional(),
});

export const StockPostingSchema = z.strictObject({
  postingId: Id,
  businessDay: BusinessDaySchema,
  postedAt: Instant,
  articleId: Id,
  quantityMilli: z.number().int(),
  reason: z.enum(['sale', 'refund', 'goods-in', 'correction', 'waste']),
  receiptId: Id.nullable(),
});

export const TimeRecordSchema = z.strictObject({
  recordId: Id,
  businessDay: BusinessDaySchema,
  employeeId: Id,
  kind: z.enum(['clock-in', 'clock-out', 'break-start', 'break-end']),
  at: Instant,
});

export type ReceiptLine = z.infer<typeof ReceiptLineSchema>;
export type Payment = z.infer<typeof PaymentSchema>;
export type Receipt = z.infer<typeof ReceiptSchema>;
export type Tse = z.infer<typeof TseSchema>;
export type TseModule = z.infer<typeof TseModuleSchema>;
export type StockPosting = z.infer<typeof StockPostingSchema>;
export type TimeRecord = z.infer<typeof TimeRecordSchema>;
