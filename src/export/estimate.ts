import type { DaySummary } from '../host/ports.js';
import type { EstimatePackageBytes } from './export-contract.js';

/**
 * Upper bytes per record of the NDJSON as the writer produces it from
 * realistic register data (ids of ~10-20 characters, descriptions of ~30),
 * rounded up generously. The estimate ignores compression on purpose: the
 * free-space check must never pass a stick that then fills up, and deflate
 * never grows NDJSON.
 */
const RECEIPT_BYTES = 420;
const LINE_BYTES = 420;
const PAYMENT_BYTES = 200;
const STOCK_POSTING_BYTES = 260;
const TIME_RECORD_BYTES = 200;
/** Zip headers per entry, manifest, signature, register.pub, and one FAT cluster of slack per file. */
const FIXED_BYTES = 256 * 1024;

export const estimatePackageBytes: EstimatePackageBytes = (summary: DaySummary, timeRecords: number): number =>
  FIXED_BYTES +
  summary.receipts * RECEIPT_BYTES +
  summary.receiptLines * LINE_BYTES +
  summary.payments * PAYMENT_BYTES +
  summary.stockPostings * STOCK_POSTING_BYTES +
  timeRecords * TIME_RECORD_BYTES;
