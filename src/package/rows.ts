import { z } from 'zod';
import {
  PaymentSchema,
  ReceiptLineSchema,
  ReceiptSchema,
  StockPostingSchema,
  TimeRecordSchema,
} from '../host/records.js';
import { ExactValueSchema, exactProblem } from './quarantine-exact.js';

/**
 * The rows inside a package's NDJSON entries. A receipt is split into three
 * flat entries so head office can load each into its own table; lineCount and
 * paymentCount let a reader prove no line or payment of a receipt went missing.
 */
const ReceiptId = ReceiptSchema.shape.receiptId;

export const ReceiptRowSchema = z.strictObject({
  ...ReceiptSchema.omit({ lines: true, payments: true }).shape,
  lineCount: z.number().int().min(0),
  paymentCount: z.number().int().min(0),
});

export const ReceiptLineRowSchema = z.strictObject({ receiptId: ReceiptId, ...ReceiptLineSchema.shape });
export const PaymentRowSchema = z.strictObject({ receiptId: ReceiptId, ...PaymentSchema.shape });
export const StockPostingRowSchema = StockPostingSchema;
export const TimeRecordRowSchema = TimeRecordSchema;

export const QuarantineSourceSchema = z.enum(['receipts', 'stock-postings', 'time-records']);

/**
 * A record that failed its schema, kept exactly: `record`, with `exact`
 * originals for what JSON cannot carry; `recordText` only from earlier writers.
 */
export const QuarantineRowSchema = z.union([
  z
    .strictObject({
      source: QuarantineSourceSchema,
      index: z.number().int().min(0),
      reason: z.string().min(1),
      record: z.unknown(),
      exact: z.array(ExactValueSchema).min(1).optional(),
    })
    .superRefine((row, ctx) => {
      const problem = row.exact ? exactProblem(row.record, row.exact) : null;
      if (problem) ctx.addIssue({ code: 'custom', path: ['exact'], message: problem });
    }),
  z.strictObject({
    source: QuarantineSourceSchema,
    index: z.number().int().min(0),
    reason: z.string().min(1),
    recordText: z.string(),
  }),
]);

export type ReceiptRow = z.infer<typeof ReceiptRowSchema>;
export type ReceiptLineRow = z.infer<typeof ReceiptLineRowSchema>;
export type PaymentRow = z.infer<typeof PaymentRowSchema>;
export type QuarantineSource = z.infer<typeof QuarantineSourceSchema>;
export type QuarantineRow = z.infer<typeof QuarantineRowSchema>;
