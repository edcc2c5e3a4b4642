import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  applyAcknowledgements,
  compactHistory,
  countClose,
  emptyState,
  markPlannedPending,
  markReleased,
  markSent,
  type PlannedDay,
  type PluginState,
  planDays,
} from '../state/plugin-state.js';
import { StateStore } from '../state/state-store.js';

/**
 * The register's state after a week and after a year of daily closes, each
 * built by the plugin's own state steps (close, ack read, release, compaction),
 * and what one close costs with it: open the state file, plan, persist. The
 * year's figure is a ratio to the week's, measured interleaved in the same run.
 */

const DAY_MS = 24 * 3600 * 1000;
const START = Date.UTC(2025, 0, 1, 20);
const KEEP_CONFIRMED_DAYS = 7;
const ROUNDS = 200;

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10).replaceAll('-', '');
const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** `days` daily closes; head office confirms each day at the next visit, except the days in `neverConfirmed`. */
function simulate(days: number, neverConfirmed: ReadonlySet<number>, compact: boolean): PluginState {
  let state = emptyState();
  for (let n = 0; n < days; n++) {
    const now = START + n * DAY_MS;
    const iso = new Date(now).toISOString();
    // This visit reads yesterday's ack and releases what is older than the kept days.
    const acks = state.sent
      .filter((s) => s.confirmedAt === null && !neverConfirmed.has(Number(s.packageId.slice(-12))))
      .map((s) => ({ packageId: s.packageId, importedAt: iso, headOfficeKeyId: 'a'.repeat(64) }));
    state = applyAcknowledgements(state, acks).state;
    const confirmedDays = [...new Set(state.sent.filter((s) => s.confirmedAt !== null && !s.releasedAt).map((s) => s.day))].sort();
    const release = new Set(confirmedDays.slice(0, Math.max(0, confirmedDays.length - KEEP_CONFIRMED_DAYS)));
    state = markReleased(
      state,
      state.sent.filter((s) => release.has(s.day) && s.confirmedAt !== null).map((s) => s.packageId),
      iso,
    );
    const today: PlannedDay = { day: dayOf(now), kind: 'day-close', closingNumber: n + 1, includeTimeRecords: true };
    state = countClose(compact ? compactHistory(state, now) : state);
    state = markPlannedPending(state, planDays(state, today, 1_000_000), iso);
    state = markSent(state, today, {
      packageId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
      at: iso,
      stickLabel: 'STICK1',
      journal: { receipts: 80, receiptLines: 240, payments: 85, stockPostings: 240, timeRecords: 8 },
      bytes: 20_000,
    });
  }
  return state;
}

async function prepare(dir: string, state: PluginState): Promise<number> {
  await mkdir(dir, { recursive: true });
  const { store } = await StateStore.open(dir, silent);
  await store.update(() => state);
  return (await stat(join(dir, 'state.json'))).size;
}

/** One close's state work: open the file, plan (compaction included), mark planned days pending and persist. */
async function oneClose(dir: string, nowMs: number): Promise<number> {
  const started = process.hrtime.bigint();
  const { store } = await StateStore.open(dir, silent);
  const today: PlannedDay = { day: dayOf(nowMs), kind: 'day-close', closingNumber: 9999, includeTimeRecords: true };
  await store.update((s) => {
    const counted = countClose(compactHistory(s, nowMs));
    return markPlannedPending(counted, planDays(counted, today, 3), new Date(nowMs).toISOString());
  });
  return Number(process.hrtime.bigint() - started) / 1e6;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export const stateBenchSection = {
  title: 'State: the register state file after a year of daily closes vs. after a week (open + plan + persist)',
  async run(work: string): Promise<void> {
    // Some days head office never confirmed stay in detail (they may have to go again); the year has 5 of them.
    const unconfirmed = new Set([40, 150, 151, 300, 360]);
    const cases = [
      { name: 'week', days: 7, state: simulate(7, new Set(), true) },
      { name: 'year', days: 365, state: simulate(365, unconfirmed, true) },
      { name: 'year, not compacted', days: 365, state: simulate(365, unconfirmed, false) },
    ];
    const runs = new Map<string, number[]>();
    for (const c of cases) {
      const bytes = await prepare(join(work, c.name), c.state);
      console.log(
        `  ${c.name.padEnd(20)} ${String(c.state.sent.length).padStart(4)} detailed records, ${String(c.state.history.length).padStart(2)} history range(s), state file ${(bytes / 1024).toFixed(1)} KiB`,
      );
      runs.set(c.name, []);
    }
    // Interleaved, so the machine's drift hits every case alike; the next day's close each time (nothing accumulates).
    for (let r = 0; r < ROUNDS; r++) {
      for (const c of cases) {
        const dir = join(work, c.name);
        await prepare(dir, c.state);
        runs.get(c.name)!.push(await oneClose(dir, START + c.days * DAY_MS));
      }
    }
    const week = median(runs.get('week')!);
    for (const c of cases) {
      const ms = median(runs.get(c.name)!);
      console.log(`  ${c.name.padEnd(20)} median ${ms.toFixed(2).padStart(6)} ms per close  = ${(ms / week).toFixed(2)}x week`);
    }
    console.log('  target: year ≤ 1.5x week (compacted); the not-compacted year shows what the compaction saves');
  },
};
