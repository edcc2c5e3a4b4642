import { createHash } from 'node:crypto';
import type { PackageSizeSeen } from '../export/export-contract.js';
import { type BusinessDay, businessDayProblem } from '../host/business-day.js';
import type { Host } from '../host/plugin-api.js';
import type { BookedDayCounts, PlannedDay, SentDay } from '../state/plugin-state.js';

/** How many of the newest packages tell how this register's data packs. */
const RECENT_PACKAGES = 10;

export interface JournalDays {
  /** Valid business days holding bookings, with their counts. */
  days: BookedDayCounts[];
  /** The journal's values (null included) under which rows of no valid business day are held. */
  strayDays: (string | null)[];
}

/** The journal's booked days split into valid days and values of no valid day; null when the host cannot tell. */
export async function readBookedDays(host: Host): Promise<JournalDays | null> {
  if (!host.journal.bookedDays) {
    host.logger.info('the journal port lists no booked days; days left behind are not looked for');
    return null;
  }
  const days: BookedDayCounts[] = [];
  const strayDays: (string | null)[] = [];
  for (const b of await host.journal.bookedDays()) {
    if (b.receipts + b.stockPostings === 0) continue;
    if (b.day !== null && businessDayProblem(b.day) === null) {
      days.push({ day: b.day, receipts: b.receipts, stockPostings: b.stockPostings });
    } else {
      strayDays.push(b.day);
    }
  }
  return { days, strayDays };
}

/** A day found with bookings no stick has: written again as a re-send, with time data only if it never went. */
export function unsentItem(day: string, sent: readonly SentDay[], includeTimeRecords: boolean): PlannedDay {
  const last = sent.filter((s) => s.day === day).at(-1);
  return {
    day,
    kind: 're-send',
    reason: 'unsent',
    closingNumber: last?.closingNumber ?? null,
    includeTimeRecords: last ? false : includeTimeRecords,
  };
}

/** Big integers and other values JSON cannot carry still give a fingerprint. */
function fingerprintJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * Picks the rows of no valid day that no earlier package carried. A row is
 * known by its content and its occurrence, so two identical rows are two
 * rows, and a row corrected to a valid day leaves this set by itself.
 */
export function strayTaker(alreadySent: readonly string[], day: string) {
  const sent = new Set(alreadySent);
  const occurrences = new Map<string, number>();
  const taken: string[] = [];
  const take = (source: 'receipts' | 'stock-postings', record: unknown): string | null => {
    const hash = createHash('sha256').update(`${source}\n${fingerprintJson(record)}`).digest('hex').slice(0, 32);
    const n = (occurrences.get(hash) ?? 0) + 1;
    occurrences.set(hash, n);
    const key = `${hash}#${n}`;
    if (sent.has(key)) return null;
    taken.push(key);
    const held = (record as { businessDay?: unknown } | null)?.businessDay;
    return `businessDay: no valid business day (${fingerprintJson(held ?? null)}); carried with the day close of ${day}`;
  };
  return { take, taken };
}

/** Rows of no valid day that the next package would carry, read as the writer will read them. */
export async function countStrays(
  host: Host,
  strayDays: readonly (string | null)[],
  taker: ReturnType<typeof strayTaker>,
  signal: AbortSignal,
): Promise<number> {
  for (const held of strayDays) {
    const day = held as BusinessDay;
    for await (const r of host.journal.receipts(day, signal)) taker.take('receipts', r);
    for await (const r of host.journal.stockPostings(day, signal)) taker.take('stock-postings', r);
  }
  return taker.taken.length;
}

/** The newest packages whose journal counts and size are known. */
export function recentPackageSizes(sent: readonly SentDay[]): PackageSizeSeen[] {
  const seen: PackageSizeSeen[] = [];
  for (const s of sent) if (s.journal && s.bytes !== undefined) seen.push({ journal: s.journal, bytes: s.bytes });
  return seen.slice(-RECENT_PACKAGES);
}
