import type { DaySummary } from '../host/ports.js';
import type { EstimatePackageBytes, PackageSizeSeen } from './export-contract.js';

/**
 * Upper bytes per record of the NDJSON as the writer produces it from
 * realistic register data (ids of ~10-20 characters, descriptions of ~30),
 * rounded up generously.
 */
const RECEIPT_BYTES = 420;
const LINE_BYTES = 420;
const PAYMENT_BYTES = 200;
const STOCK_POSTING_BYTES = 260;
const TIME_RECORD_BYTES = 200;
/** Zip headers per entry, manifest, signature, register.pub, and one FAT cluster of slack per file. */
const FIXED_BYTES = 256 * 1024;

/**
 * Package bytes per byte of the upper NDJSON figure when the register has no
 * history yet. Measured: 0.052-0.053 for synthetic days of 2,000 and 40,000
 * receipts, 0.042 for a 20,000-receipt demo-journal day; 0.25 leaves room
 * for data that packs almost five times worse.
 */
const DEFAULT_RATIO = 0.25;
/** The worst ratio of the recent packages is taken, and then this much more. */
const HISTORY_MARGIN = 1.5;
/** Packages smaller than this say more about zip overhead than about how the data packs. */
const MIN_RAW_FOR_RATIO = 256 * 1024;
/** Deflate never grows NDJSON (stored entries are the floor), so the upper NDJSON figure is the ceiling. */
const MAX_RATIO = 1;

/** The NDJSON bytes the writer produces at most for these counts, before compression. */
export function rawNdjsonBytes(summary: DaySummary, timeRecords: number): number {
  return (
    summary.receipts * RECEIPT_BYTES +
    summary.receiptLines * LINE_BYTES +
    summary.payments * PAYMENT_BYTES +
    summary.stockPostings * STOCK_POSTING_BYTES +
    timeRecords * TIME_RECORD_BYTES
  );
}

/** How this register's data packs: the worst of its recent packages with a margin, or the default without history. */
export function packRatio(recent: readonly PackageSizeSeen[]): number {
  let worst = 0;
  for (const seen of recent) {
    const raw = rawNdjsonBytes(seen.journal, seen.journal.timeRecords);
    if (raw < MIN_RAW_FOR_RATIO) continue;
    worst = Math.max(worst, seen.bytes / raw);
  }
  return worst === 0 ? DEFAULT_RATIO : Math.min(MAX_RATIO, worst * HISTORY_MARGIN);
}

/**
 * What a day's package will take on the stick: the NDJSON upper figure times
 * how the register's own recent packages packed. The uncompressed figure
 * alone refused an empty 64 MiB stick for a 3.6 MB package.
 */
export const estimatePackageBytes: EstimatePackageBytes = (
  summary: DaySummary,
  timeRecords: number,
  recent: readonly PackageSizeSeen[] = [],
): number => FIXED_BYTES + Math.ceil(rawNdjsonBytes(summary, timeRecords) * packRatio(recent));
