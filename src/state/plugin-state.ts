import { z } from 'zod';
import { BusinessDaySchema } from '../host/business-day.js';

const Instant = z.iso.datetime({ offset: true });
const Kind = z.enum(['day-close', 're-send']);
const Count = z.number().int().nonnegative();

/** What the journal held for a day when its package was written: what the package carries, and how it compressed. */
export const JournalCountsSchema = z.strictObject({
  receipts: Count,
  receiptLines: Count,
  payments: Count,
  stockPostings: Count,
  timeRecords: Count,
});

/** A day that must go to the stick and has not been verified there yet. */
export const PendingDaySchema = z.strictObject({
  day: BusinessDaySchema,
  closingNumber: z.number().int().nonnegative().nullable(),
  kind: Kind,
  includeTimeRecords: z.boolean(),
  since: Instant,
  attempts: z.number().int().nonnegative(),
  lastError: z.string().nullable(),
});

/** A package verified on a stick. */
export const SentDaySchema = z.strictObject({
  day: BusinessDaySchema,
  kind: Kind,
  closingNumber: z.number().int().nonnegative().nullable(),
  includeTimeRecords: z.boolean(),
  packageId: z.string().min(1),
  at: Instant,
  stickLabel: z.string(),
  /** Set when head office's acknowledgement for this package was read from a stick. */
  confirmedAt: Instant.nullable(),
  /** Day closes since this package was written without a confirmation. */
  closesSinceSent: z.number().int().nonnegative(),
  /** The journal's counts read before the package was written (absent in records of older versions). */
  journal: JournalCountsSchema.optional(),
  /** The package's bytes on the stick, for estimating the next packages' size. */
  bytes: Count.optional(),
  /** When the register removed this confirmed package from its stick (docs/stick-format.md 9.3); absent while it is there. */
  releasedAt: Instant.optional(),
});

/**
 * Older sent history, summarised: every sent record of the days in it was
 * confirmed by head office (and released from its stick, or long ago). Kept
 * so `status` still answers for it after the detailed records went.
 */
export const HistoryRangeSchema = z.strictObject({
  from: BusinessDaySchema,
  to: BusinessDaySchema,
  /** Business days of the range that were sent (a store's closed days are not counted). */
  days: Count,
  packages: Count,
  lastConfirmedAt: Instant,
});

/** A day the manager asked to send again (YYYYMMDD + REPORTS). */
export const QueuedDaySchema = z.strictObject({
  day: BusinessDaySchema,
  includeTimeRecords: z.boolean(),
  queuedAt: Instant,
});

export const PluginStateSchema = z.strictObject({
  formatVersion: z.literal(1),
  pending: z.array(PendingDaySchema),
  queue: z.array(QueuedDaySchema),
  sent: z.array(SentDaySchema),
  lastSticks: z.array(z.strictObject({ label: z.string(), at: Instant })),
  /** Head office's acknowledgement key, pinned by the first valid acknowledgement read from a stick. */
  headOfficeKeyId: z.string().nullable().default(null),
  /**
   * Receipts and stock postings per day that are on a stick or were in the
   * journal before daystick first looked: `[receipts, stockPostings]`. A day
   * of the journal whose counts differ holds bookings no stick has. Null
   * until the first close takes the snapshot.
   */
  accounted: z.record(z.string(), z.tuple([Count, Count])).nullable().default(null),
  /** Fingerprints of the journal rows of no valid business day already carried in a quarantine. */
  straysSent: z.array(z.string()).default([]),
  /** Compacted sent history, oldest first (see `compactHistory`). */
  history: z.array(HistoryRangeSchema).default([]),
});

export type PendingDay = z.infer<typeof PendingDaySchema>;
export type SentDay = z.infer<typeof SentDaySchema>;
export type QueuedDay = z.infer<typeof QueuedDaySchema>;
export type PluginState = z.infer<typeof PluginStateSchema>;
export type HistoryRange = z.infer<typeof HistoryRangeSchema>;

export function emptyState(): PluginState {
  return {
    formatVersion: 1,
    pending: [],
    queue: [],
    sent: [],
    lastSticks: [],
    headOfficeKeyId: null,
    accounted: null,
    straysSent: [],
    history: [],
  };
}

const byDay = <T extends { day: string }>(a: T, b: T) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0);

/** One planned package: what the day close writes now. */
export interface PlannedDay {
  day: string;
  kind: 'day-close' | 're-send';
  /**
   * Why the day is in the plan; an `unconfirmed` re-send is dropped when head
   * office's receipt turns up; `unsent`: the journal holds bookings of the
   * day that no stick has.
   */
  reason?: 'today' | 'pending' | 'queued' | 'unconfirmed' | 'unsent';
  closingNumber: number | null;
  includeTimeRecords: boolean;
  /** Journal business-day values of no valid day whose rows go into this package's quarantine (today's only). */
  strayDays?: (string | null)[];
}

/**
 * Today's closing, the days an earlier close left pending, and the manager's
 * queue, one package per day in day order. A day both pending and queued is
 * written once, as its unfinished day close: that package carries everything
 * a re-send would.
 */
export function planDays(state: PluginState, today: PlannedDay | null, unconfirmedAfterCloses = Infinity): PlannedDay[] {
  const plan = new Map<string, PlannedDay>();
  for (const s of overdueUnconfirmed(state, unconfirmedAfterCloses)) {
    plan.set(s.day, {
      day: s.day,
      kind: 're-send',
      reason: 'unconfirmed',
      closingNumber: s.closingNumber,
      includeTimeRecords: s.includeTimeRecords,
    });
  }
  for (const q of state.queue) {
    plan.set(q.day, {
      day: q.day,
      kind: 're-send',
      reason: 'queued',
      // A day this register sent before carries the Z number it went with; the writer asks the register for the rest.
      closingNumber: state.sent.filter((s) => s.day === q.day).at(-1)?.closingNumber ?? null,
      includeTimeRecords: q.includeTimeRecords,
    });
  }
  for (const p of state.pending) {
    const queued = plan.get(p.day);
    plan.set(p.day, {
      day: p.day,
      kind: p.kind,
      reason: 'pending',
      closingNumber: p.closingNumber,
      includeTimeRecords: p.includeTimeRecords || (queued?.includeTimeRecords ?? false),
    });
  }
  if (today) plan.set(today.day, { ...today, reason: 'today' });
  return [...plan.values()].sort(byDay);
}

/** Records that the planned days are owed before anything touches a stick, so a crash cannot forget them. */
export function markPlannedPending(state: PluginState, plan: PlannedDay[], nowIso: string): PluginState {
  const pending = new Map(state.pending.map((p) => [p.day, p]));
  for (const item of plan) {
    if (item.kind !== 'day-close') continue;
    const existing = pending.get(item.day);
    pending.set(item.day, {
      day: item.day,
      closingNumber: item.closingNumber ?? existing?.closingNumber ?? null,
      kind: 'day-close',
      includeTimeRecords: item.includeTimeRecords,
      since: existing?.since ?? nowIso,
      attempts: existing?.attempts ?? 0,
      lastError: existing?.lastError ?? null,
    });
  }
  return { ...state, pending: [...pending.values()].sort(byDay) };
}

export function markAttemptFailed(state: PluginState, day: string, reason: string): PluginState {
  return {
    ...state,
    pending: state.pending.map((p) => (p.day === day ? { ...p, attempts: p.attempts + 1, lastError: reason } : p)),
  };
}

export type JournalCounts = z.infer<typeof JournalCountsSchema>;

export interface SentPackage {
  packageId: string;
  at: string;
  stickLabel: string;
  journal?: JournalCounts;
  bytes?: number;
  /** Fingerprints of the rows of no valid day this package's quarantine carries. */
  strays?: readonly string[];
}

/** A verified package: the day leaves pending and the queue, and joins the sent history. */
export function markSent(state: PluginState, item: PlannedDay, sent: SentPackage): PluginState {
  const record: SentDay = {
    day: item.day,
    kind: item.kind,
    closingNumber: item.closingNumber,
    includeTimeRecords: item.includeTimeRecords,
    packageId: sent.packageId,
    at: sent.at,
    stickLabel: sent.stickLabel,
    confirmedAt: null,
    closesSinceSent: 0,
    ...(sent.journal ? { journal: sent.journal } : {}),
    ...(sent.bytes !== undefined ? { bytes: sent.bytes } : {}),
  };
  const accounted =
    sent.journal && state.accounted
      ? { ...state.accounted, [item.day]: [sent.journal.receipts, sent.journal.stockPostings] as [number, number] }
      : state.accounted;
  const straysSent = sent.strays?.length ? [...new Set([...state.straysSent, ...sent.strays])] : state.straysSent;
  const lastSticks = [{ label: sent.stickLabel, at: sent.at }, ...state.lastSticks.filter((s) => s.label !== sent.stickLabel)];
  return {
    ...state,
    pending: state.pending.filter((p) => p.day !== item.day),
    queue: state.queue.filter((q) => q.day !== item.day),
    sent: [...state.sent, record],
    lastSticks: lastSticks.slice(0, 5),
    accounted,
    straysSent,
  };
}

export interface BookedDayCounts {
  day: string;
  receipts: number;
  stockPostings: number;
}

/**
 * The first close takes what the journal already holds as accounted for: the
 * days before daystick are the register's history, not days left behind.
 * From then on a day is accounted for by the package that carried it.
 */
export function snapshotAccounted(state: PluginState, booked: readonly BookedDayCounts[]): PluginState {
  if (state.accounted !== null) return state;
  const accounted: Record<string, [number, number]> = {};
  for (const b of booked) accounted[b.day] = [b.receipts, b.stockPostings];
  return { ...state, accounted };
}

/**
 * Days up to `upTo` whose bookings in the journal differ from what a stick
 * carries (booked after the day was written, e.g. under a clock set back),
 * and that `plan` does not already write.
 */
export function unsentDays(
  state: PluginState,
  booked: readonly BookedDayCounts[],
  upTo: string,
  plan: readonly PlannedDay[],
): BookedDayCounts[] {
  if (state.accounted === null) return [];
  const planned = new Set(plan.map((p) => p.day));
  return booked.filter((b) => {
    if (b.day > upTo || planned.has(b.day)) return false;
    const known = state.accounted![b.day];
    return known === undefined || known[0] !== b.receipts || known[1] !== b.stockPostings;
  });
}

/** Adds or updates a manager's re-send entry: entering a queued day again changes its time-data choice. */
export function enqueueResend(state: PluginState, day: string, includeTimeRecords: boolean, nowIso: string) {
  const existing = state.queue.find((q) => q.day === day);
  const queue = existing
    ? state.queue.map((q) => (q.day === day ? { ...q, includeTimeRecords } : q))
    : [...state.queue, { day, includeTimeRecords, queuedAt: nowIso }].sort(byDay);
  return { state: { ...state, queue }, updated: existing !== undefined };
}

export function dequeueResend(state: PluginState, day: string): { state: PluginState; removed: boolean } {
  const queue = state.queue.filter((q) => q.day !== day);
  return { state: { ...state, queue }, removed: queue.length !== state.queue.length };
}

/** The newest sent record of each day that head office has not confirmed by any of the day's packages. */
function unconfirmedLatest(state: PluginState): SentDay[] {
  const confirmedDays = new Set(state.sent.filter((s) => s.confirmedAt !== null).map((s) => s.day));
  const latest = new Map<string, SentDay>();
  for (const s of state.sent) if (!confirmedDays.has(s.day)) latest.set(s.day, s);
  return [...latest.values()];
}

/**
 * Days written but not confirmed after `closes` day closes: a stick lost on
 * the way to head office must not lose the day quietly, so it goes again.
 */
export function overdueUnconfirmed(state: PluginState, closes: number): SentDay[] {
  return unconfirmedLatest(state).filter((s) => s.closesSinceSent >= closes);
}

/** One more day close has happened since each unconfirmed package was written. */
export function countClose(state: PluginState): PluginState {
  const counted = new Set(unconfirmedLatest(state));
  return { ...state, sent: state.sent.map((s) => (counted.has(s) ? { ...s, closesSinceSent: s.closesSinceSent + 1 } : s)) };
}

export interface AckSeen {
  packageId: string;
  importedAt: string;
  headOfficeKeyId: string;
}

/** Marks the packages head office acknowledged as confirmed and pins head office's key on first sight. */
export function applyAcknowledgements(state: PluginState, acks: AckSeen[]): { state: PluginState; confirmedDays: string[] } {
  const byPackage = new Map(acks.map((a) => [a.packageId, a]));
  const confirmedDays: string[] = [];
  const sent = state.sent.map((s) => {
    const ack = byPackage.get(s.packageId);
    if (!ack || s.confirmedAt !== null) return s;
    confirmedDays.push(s.day);
    return { ...s, confirmedAt: ack.importedAt };
  });
  const headOfficeKeyId = state.headOfficeKeyId ?? acks[0]?.headOfficeKeyId ?? null;
  return { state: { ...state, sent, headOfficeKeyId }, confirmedDays };
}

/** Days now confirmed by head office, which an `unconfirmed` re-send in `plan` no longer needs to carry. */
export function confirmedResends(state: PluginState, plan: PlannedDay[]): string[] {
  const confirmed = new Set(state.sent.filter((s) => s.confirmedAt !== null).map((s) => s.day));
  return plan.filter((p) => p.reason === 'unconfirmed' && confirmed.has(p.day)).map((p) => p.day);
}

/** A committed package found on a stick in this register's folder. */
export interface PackageSeen {
  packageId: string;
  businessDay: string;
  manifestSha256: string;
}

/** A valid acknowledgement read from the stick (every check of docs/stick-format.md 9.2 passed). */
export interface AckOnStick {
  packageId: string;
  businessDay: string;
  manifestSha256: string;
  headOfficeKeyId: string;
}

/**
 * The packages on a stick the register may remove (docs/stick-format.md
 * 9.3): recorded as sent by this register, acknowledged by the pinned
 * head-office key for exactly the manifest on the stick, and not of the
 * newest `keepDays` such days.
 */
export function chooseReleases(
  state: PluginState,
  onStick: readonly PackageSeen[],
  acks: readonly AckOnStick[],
  keepDays: number,
): string[] {
  const pinned = state.headOfficeKeyId;
  if (pinned === null) return [];
  const ours = new Map(state.sent.map((s) => [s.packageId, s]));
  const acked = new Set(
    acks.filter((a) => a.headOfficeKeyId === pinned).map((a) => `${a.packageId} ${a.businessDay} ${a.manifestSha256}`),
  );
  const releasable = onStick.filter((p) => {
    const record = ours.get(p.packageId);
    return (
      record !== undefined &&
      record.day === p.businessDay &&
      record.confirmedAt !== null &&
      acked.has(`${p.packageId} ${p.businessDay} ${p.manifestSha256}`)
    );
  });
  const kept = new Set([...new Set(releasable.map((p) => p.businessDay))].sort().reverse().slice(0, keepDays));
  return releasable.filter((p) => !kept.has(p.businessDay)).map((p) => p.packageId);
}

/**
 * Confirmed packages of this register whose manifest is not on the stick:
 * released (perhaps interrupted before their acks went) or never on it. Their
 * acks on the stick confirm nothing any more and may go.
 */
export function confirmedPackagesAbsent(state: PluginState, onStick: ReadonlySet<string>): Set<string> {
  return new Set(state.sent.filter((s) => s.confirmedAt !== null && !onStick.has(s.packageId)).map((s) => s.packageId));
}

export function markReleased(state: PluginState, packageIds: readonly string[], nowIso: string): PluginState {
  if (packageIds.length === 0) return state;
  const released = new Set(packageIds);
  return { ...state, sent: state.sent.map((s) => (released.has(s.packageId) ? { ...s, releasedAt: nowIso } : s)) };
}

/** The newest sent days always stay in detail, so `status` shows them one by one. */
export const DETAILED_DAYS = 31;
/** A confirmed package never released (its stick did not come back) is summarised after this long anyway. */
const UNRELEASED_HORIZON_MS = 92 * 24 * 3600 * 1000;

/**
 * Keeps the state's size flat over years: the sent records of a day older
 * than the newest `DETAILED_DAYS` sent days collapse into `history` once
 * every record of that day is confirmed and released from its stick (or
 * confirmed more than 92 days ago). Unconfirmed days never collapse: they
 * may still have to go again. A range merges with its neighbour when no
 * detailed day lies between them.
 */
export function compactHistory(state: PluginState, nowMs: number): PluginState {
  const settled = (s: SentDay) =>
    s.confirmedAt !== null && (s.releasedAt !== undefined || nowMs - Date.parse(s.confirmedAt) > UNRELEASED_HORIZON_MS);
  return collapseHistory(state, DETAILED_DAYS, settled);
}

/** What `status` shows: the history, and confirmed days older than the newest `newestDays` sent days summarised too. */
export function statusView(state: PluginState, newestDays = 10): Pick<PluginState, 'sent' | 'history'> {
  return collapseHistory(state, newestDays, (s) => s.confirmedAt !== null);
}

function collapseHistory(state: PluginState, detailedDays: number, settled: (s: SentDay) => boolean): PluginState {
  const days = [...new Set(state.sent.map((s) => s.day))].sort();
  const detailed = new Set(days.slice(-detailedDays));
  const byDay = new Map<string, SentDay[]>();
  for (const s of state.sent) byDay.set(s.day, [...(byDay.get(s.day) ?? []), s]);
  const collapse = days.filter((d) => !detailed.has(d) && byDay.get(d)!.every(settled));
  if (collapse.length === 0) return state;
  const gone = new Set(collapse);
  const sent = state.sent.filter((s) => !gone.has(s.day));
  const added: HistoryRange[] = collapse.map((d) => {
    const records = byDay.get(d)!;
    return {
      from: d,
      to: d,
      // A day already summarised (sent again later, confirmed again) is one day, not two.
      days: inHistory(state, d) ? 0 : 1,
      packages: records.length,
      lastConfirmedAt: records.map((r) => r.confirmedAt!).reduce(later),
    };
  });
  const remaining = [...new Set(sent.map((s) => s.day))].sort();
  const merged: HistoryRange[] = [];
  for (const r of [...state.history, ...added].sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0))) {
    const last = merged.at(-1);
    if (last && !remaining.some((d) => d > last.to && d < r.from)) {
      merged[merged.length - 1] = {
        from: last.from,
        to: [last.to, r.to].sort()[1]!,
        days: last.days + r.days,
        packages: last.packages + r.packages,
        lastConfirmedAt: later(last.lastConfirmedAt, r.lastConfirmedAt),
      };
    } else {
      merged.push(r);
    }
  }
  return { ...state, sent, history: merged };
}

/** Instants may carry different offsets: compared as times, not as strings. */
const later = (a: string, b: string) => (Date.parse(b) > Date.parse(a) ? b : a);

/** Whether the day is in the compacted history (sent and confirmed long ago). */
export function inHistory(state: PluginState, day: string): boolean {
  return state.history.some((r) => r.from <= day && day <= r.to);
}
