import type { z } from 'zod';
import {
  type Receipt,
  ReceiptSchema,
  type StockPosting,
  StockPostingSchema,
  type TimeRecord,
  TimeRecordSchema,
} from '../host/records.js';
import { fastReceiptOk, fastStockPostingOk, fastTimeRecordOk } from '../package/fast-checks.js';

export { fastReceiptOk, fastStockPostingOk, fastTimeRecordOk };

/**
 * The writer's verdict per journal record: the fast checks of
 * package/fast-checks.ts first, zod when they say no, so a record is never
 * quarantined that zod would pass, and the quarantine reason is zod's.
 */
export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

function viaZod<T>(schema: z.ZodType<T>, record: unknown): Checked<T> {
  const parsed = schema.safeParse(record);
  if (parsed.success) return { ok: true, value: parsed.data };
  const reason = parsed.error.issues
    .slice(0, 10)
    .map((i) => `${i.path.length ? i.path.join('.') : '(record)'}: ${i.message}`)
    .join('; ');
  return { ok: false, reason };
}

/** The record as the package will carry it, or why it goes to quarantine instead. */
export function checkReceipt(record: unknown, day: string): Checked<Receipt> {
  const c: Checked<Receipt> = fastReceiptOk(record) ? { ok: true, value: record } : viaZod(ReceiptSchema, record);
  return c.ok ? sameDay(c, c.value.businessDay, day) : c;
}

export function checkStockPosting(record: unknown, day: string): Checked<StockPosting> {
  const c: Checked<StockPosting> = fastStockPostingOk(record)
    ? { ok: true, value: record }
    : viaZod(StockPostingSchema, record);
  return c.ok ? sameDay(c, c.value.businessDay, day) : c;
}

export function checkTimeRecord(record: unknown, day: string): Checked<TimeRecord> {
  const c: Checked<TimeRecord> = fastTimeRecordOk(record) ? { ok: true, value: record } : viaZod(TimeRecordSchema, record);
  return c.ok ? sameDay(c, c.value.businessDay, day) : c;
}

/** A schema-valid record of another day would be counted twice at head office once that day is sent too. */
function sameDay<T>(c: Checked<T>, recordDay: string, day: string): Checked<T> {
  return recordDay === day ? c : { ok: false, reason: `businessDay: belongs to ${recordDay}, not to ${day}` };
}
