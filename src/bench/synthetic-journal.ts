import type { BusinessDay } from '../host/business-day.js';
import type { DaySummary, JournalPort, TimeRecordingPort } from '../host/ports.js';

/**
 * Deterministic synthetic register days of any size, generated on the fly so
 * a 100,000-receipt day streams in constant memory. The same options and seed
 * always give the same records, which the determinism test and the bench
 * rely on. Receipts balance: gross = sum of non-voided lines = sum of payments.
 */
export interface SyntheticDaySpec {
  receipts: number;
  /** Records that fail their schema, spread over receipts, stock postings and time records (in that rotation). */
  badRecords?: number;
  /** Defaults to half the receipts. */
  stockPostings?: number;
  /** Defaults to 20. */
  timeRecords?: number;
}

export interface SyntheticJournalOptions {
  days: Record<BusinessDay, SyntheticDaySpec>;
  seed?: number;
}

export interface SyntheticJournal {
  journal: JournalPort;
  timeRecording: TimeRecordingPort;
  /** The exact counts the generator yields for a day (bad records included in their stream's count). */
  expected(day: BusinessDay): SyntheticDayCounts;
}

export interface SyntheticDayCounts extends DaySummary {
  timeRecords: number;
  badReceipts: number;
  badStockPostings: number;
  badTimeRecords: number;
}

/** mulberry32: tiny, fast and good enough to vary synthetic data deterministically. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VAT_RATES = [
  { id: 'STD', bp: 1900 },
  { id: 'RED', bp: 700 },
  { id: 'ZERO', bp: 0 },
] as const;
const PAYMENT_TYPES = [
  { id: 'CASH', name: 'Cash' },
  { id: 'CARD', name: 'Debit card' },
  { id: 'VOUCHER', name: 'Voucher' },
] as const;
const WORDS = ['Coffee', 'Roll', 'Butter', 'Milk 1L', 'Apple', 'Bread', 'Cheese', 'Water', 'Tea', 'Chocolate'];

function isoAt(day: BusinessDay, secondsIntoDay: number): string {
  const s = Math.min(secondsIntoDay, 86399);
  const hh = String(Math.floor(s / 3600)).padStart(2, '0');
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return `${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6, 8)}T${hh}:${mm}:${ss}.000+01:00`;
}

/** Positions of the bad records among a stream of `total`, evenly spread and deterministic. */
function badPositions(bad: number, total: number): Set<number> {
  const out = new Set<number>();
  for (let i = 0; i < bad; i++) out.add(Math.floor(((i + 0.5) * total) / bad));
  return out;
}

/** Ways a host record goes wrong in practice: a float amount, a missing field, an unknown extra field, a wrong enum. */
function spoil(record: Record<string, unknown>, variant: number): unknown {
  switch (variant % 4) {
    case 0:
      return { ...record, [Object.keys(record).find((k) => k.endsWith('Minor') || k.endsWith('Milli')) ?? 'x']: 12.5 };
    case 1: {
      const { [Object.keys(record)[0]!]: _dropped, ...rest } = record;
      return rest;
    }
    case 2:
      return { ...record, legacyFlag: true };
    default:
      return { ...record, kind: 'mystery' };
  }
}

function splitBad(spec: SyntheticDaySpec): { receipts: number; stock: number; time: number } {
  const bad = spec.badRecords ?? 0;
  return { receipts: Math.ceil(bad / 3), stock: Math.ceil((bad - 1) / 3), time: Math.floor(bad / 3) };
}

export function createSyntheticJournal(opts: SyntheticJournalOptions): SyntheticJournal {
  const seed = opts.seed ?? 1;
  const days = Object.keys(opts.days).sort() as BusinessDay[];
  const specOf = (day: BusinessDay): SyntheticDaySpec => opts.days[day] ?? { receipts: 0, stockPostings: 0, timeRecords: 0 };
  const daySeed = (day: BusinessDay, stream: number) => (seed * 1_000_003 + Number(day) * 7 + stream) >>> 0;

  function* receipts(day: BusinessDay): Generator<unknown> {
    const spec = specOf(day);
    const bad = splitBad(spec).receipts;
    const total = spec.receipts + bad;
    const spoiled = badPositions(bad, total);
    const rnd = prng(daySeed(day, 1));
    let badSeen = 0;
    for (let n = 0; n < total; n++) {
      const receiptNo = n + 1;
      const lineCount = 1 + Math.floor(rnd() * 7);
      const lines = [];
      let gross = 0;
      for (let i = 0; i < lineCount; i++) {
        const vat = VAT_RATES[Math.floor(rnd() * VAT_RATES.length)]!;
        const qty = (1 + Math.floor(rnd() * 3)) * 1000;
        const unit = 50 + Math.floor(rnd() * 1950);
        const lineGross = (unit * qty) / 1000;
        const voided = rnd() < 0.03;
        if (!voided) gross += lineGross;
        lines.push({
          lineNo: i + 1,
          articleId: `A${String(Math.floor(rnd() * 5000)).padStart(5, '0')}`,
          description: WORDS[Math.floor(rnd() * WORDS.length)]!,
          quantityMilli: qty,
          unitPriceMinor: unit,
          grossMinor: lineGross,
          vatRateId: vat.id,
          vatRateBasisPoints: vat.bp,
          voided,
        });
      }
      const payments = [];
      const split = rnd() < 0.2 && gross > 1;
      const first = split ? Math.floor(gross / 2) : gross;
      const t1 = PAYMENT_TYPES[Math.floor(rnd() * PAYMENT_TYPES.length)]!;
      payments.push({ paymentNo: 1, paymentTypeId: t1.id, paymentTypeName: t1.name, amountMinor: first });
      if (split) {
        const t2 = PAYMENT_TYPES[Math.floor(rnd() * PAYMENT_TYPES.length)]!;
        payments.push({ paymentNo: 2, paymentTypeId: t2.id, paymentTypeName: t2.name, amountMinor: gross - first });
      }
      const at = 6 * 3600 + Math.floor((n * 16 * 3600) / Math.max(total, 1));
      const receipt = {
        receiptId: `R${day}-${String(receiptNo).padStart(7, '0')}`,
        receiptNo,
        businessDay: day,
        openedAt: isoAt(day, at),
        closedAt: isoAt(day, at + 30),
        cashierId: `C${1 + Math.floor(rnd() * 4)}`,
        kind: rnd() < 0.02 ? 'refund' : 'sale',
        currency: 'EUR',
        grossMinor: gross,
        lines,
        payments,
      };
      yield spoiled.has(n) ? spoil(receipt, badSeen++) : receipt;
    }
  }

  function* stockPostings(day: BusinessDay): Generator<unknown> {
    const spec = specOf(day);
    const bad = splitBad(spec).stock;
    const total = (spec.stockPostings ?? Math.floor(spec.receipts / 2)) + bad;
    const spoiled = badPositions(bad, total);
    const rnd = prng(daySeed(day, 2));
    let badSeen = 0;
    for (let n = 0; n < total; n++) {
      const reasonRoll = rnd();
      const posting = {
        postingId: `S${day}-${String(n + 1).padStart(7, '0')}`,
        businessDay: day,
        postedAt: isoAt(day, 6 * 3600 + Math.floor((n * 16 * 3600) / Math.max(total, 1))),
        articleId: `A${String(Math.floor(rnd() * 5000)).padStart(5, '0')}`,
        quantityMilli: -(1 + Math.floor(rnd() * 3)) * 1000,
        reason: reasonRoll < 0.9 ? 'sale' : reasonRoll < 0.95 ? 'goods-in' : 'waste',
        receiptId: reasonRoll < 0.9 ? `R${day}-${String(1 + Math.floor(rnd() * Math.max(spec.receipts, 1))).padStart(7, '0')}` : null,
      };
      yield spoiled.has(n) ? spoil(posting, badSeen++ + 1) : posting;
    }
  }

  function* timeRecords(day: BusinessDay): Generator<unknown> {
    const spec = specOf(day);
    const bad = splitBad(spec).time;
    const total = (spec.timeRecords ?? 20) + bad;
    const spoiled = badPositions(bad, total);
    const kinds = ['clock-in', 'break-start', 'break-end', 'clock-out'] as const;
    let badSeen = 0;
    for (let n = 0; n < total; n++) {
      const record = {
        recordId: `T${day}-${String(n + 1).padStart(6, '0')}`,
        businessDay: day,
        employeeId: `E${1 + (Math.floor(n / 4) % 50)}`,
        kind: kinds[n % 4]!,
        at: isoAt(day, 6 * 3600 + n * 60),
      };
      yield spoiled.has(n) ? spoil(record, badSeen++ + 2) : record;
    }
  }

  const expectedCache = new Map<BusinessDay, SyntheticDayCounts>();
  function expected(day: BusinessDay): SyntheticDayCounts {
    const cached = expectedCache.get(day);
    if (cached) return cached;
    const counts = countDay(day);
    expectedCache.set(day, counts);
    return counts;
  }

  function countDay(day: BusinessDay): SyntheticDayCounts {
    const spec = specOf(day);
    const bad = splitBad(spec);
    let receiptLines = 0;
    let payments = 0;
    for (const r of receipts(day)) {
      const rec = r as { lines?: unknown[]; payments?: unknown[] };
      receiptLines += rec.lines?.length ?? 0;
      payments += rec.payments?.length ?? 0;
    }
    return {
      receipts: spec.receipts + bad.receipts,
      receiptLines,
      payments,
      stockPostings: (spec.stockPostings ?? Math.floor(spec.receipts / 2)) + bad.stock,
      timeRecords: (spec.timeRecords ?? 20) + bad.time,
      badReceipts: bad.receipts,
      badStockPostings: bad.stock,
      badTimeRecords: bad.time,
    };
  }

  async function* stream(gen: Generator<unknown>, signal?: AbortSignal): AsyncGenerator<unknown> {
    for (const record of gen) {
      signal?.throwIfAborted();
      yield record;
    }
  }

  const journal: JournalPort = {
    firstBusinessDay: async () => days[0] ?? null,
    summary: async (day) => {
      const { receipts: r, receiptLines, payments, stockPostings: s } = expected(day);
      return { receipts: r, receiptLines, payments, stockPostings: s };
    },
    receipts: (day, signal) => stream(receipts(day), signal),
    stockPostings: (day, signal) => stream(stockPostings(day), signal),
  };
  const timeRecording: TimeRecordingPort = {
    count: async (day) => expected(day).timeRecords,
    records: (day, signal) => stream(timeRecords(day), signal),
  };
  return { journal, timeRecording, expected };
}
