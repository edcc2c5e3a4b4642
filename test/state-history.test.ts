import { join } from 'node:path';
import { activate } from '../src/plugin/activate.js';
import {
  applyAcknowledgements,
  chooseReleases,
  compactHistory,
  countClose,
  DETAILED_DAYS,
  emptyState,
  inHistory,
  markPlannedPending,
  markReleased,
  markSent,
  type PlannedDay,
  type PluginState,
  planDays,
  statusView,
} from '../src/state/plugin-state.js';
import { StateStore } from '../src/state/state-store.js';
import { createTestHost, MemoryLogger, makeTestDir, removeTestDir } from './support/test-host.js';

/**
 * A year of daily closes through the state's own steps: the sent history is
 * summarised, not dropped. `status` still answers for every day sent, and
 * nothing a re-send or a release depends on is summarised away.
 */

const DAY_MS = 24 * 3600 * 1000;
const START = Date.UTC(2025, 0, 1, 20);
const KEY = 'a'.repeat(64);
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10).replaceAll('-', '');
const idOf = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function simulate(days: number, neverConfirmed: ReadonlySet<number>, released = true): PluginState {
  let state = emptyState();
  for (let n = 0; n < days; n++) {
    const now = START + n * DAY_MS;
    const iso = new Date(now).toISOString();
    const acks = state.sent
      .filter((s) => s.confirmedAt === null && !neverConfirmed.has(Number(s.packageId.slice(-12))))
      .map((s) => ({ packageId: s.packageId, importedAt: iso, headOfficeKeyId: KEY }));
    state = applyAcknowledgements(state, acks).state;
    if (released) {
      const confirmed = [...new Set(state.sent.filter((s) => s.confirmedAt !== null && !s.releasedAt).map((s) => s.day))].sort();
      const old = new Set(confirmed.slice(0, Math.max(0, confirmed.length - 7)));
      state = markReleased(state, state.sent.filter((s) => old.has(s.day) && s.confirmedAt).map((s) => s.packageId), iso);
    }
    const today: PlannedDay = { day: dayOf(now), kind: 'day-close', closingNumber: n + 1, includeTimeRecords: false };
    state = countClose(compactHistory(state, now));
    state = markPlannedPending(state, planDays(state, today, 1_000_000), iso);
    state = markSent(state, today, { packageId: idOf(n), at: iso, stickLabel: 'STICK1' });
  }
  return state;
}

const allDays = (n: number) => Array.from({ length: n }, (_, i) => dayOf(START + i * DAY_MS));

describe('sent history over a year', () => {
  const unconfirmed = new Set([40, 150, 300]);
  const year = simulate(400, unconfirmed);

  test('the detailed records stay few: the newest days and the unconfirmed ones', () => {
    // The newest DETAILED_DAYS days as of the last close's compaction, plus the day that close wrote.
    expect(year.sent.length).toBe(DETAILED_DAYS + 1 + unconfirmed.size);
    for (const n of unconfirmed) expect(year.sent.some((s) => s.packageId === idOf(n) && s.confirmedAt === null)).toBe(true);
    // The unconfirmed days split the summary: a range never claims a day that is not confirmed.
    expect(year.history).toHaveLength(unconfirmed.size + 1);
    for (const n of unconfirmed) expect(inHistory(year, dayOf(START + n * DAY_MS))).toBe(false);
    expect(year.history.reduce((sum, h) => sum + h.days, 0)).toBe(400 - DETAILED_DAYS - 1 - unconfirmed.size);
  });

  test('status answers for every day: ranges plus detailed lines cover all sent days, unconfirmed ones as sent', async () => {
    const dir = await makeTestDir('state-history');
    try {
      const host = await createTestHost({ dir, days: {} });
      const { store } = await StateStore.open(join(host.storage.dir, 'state'), new MemoryLogger());
      await store.update(() => year);
      const plugin = await activate(host);
      try {
        await plugin.onCommand({ key: 'DAYSTICK_STATUS', digits: '' });
      } finally {
        await plugin.dispose();
      }
      const days = allDays(400);
      const confirmed = new Set<string>();
      const sent = new Set<string>();
      for (const p of host.display.shown) {
        const plain = (v: unknown) => String(v).replaceAll('-', '');
        if (p.id === 'STATUS_HISTORY') {
          for (const d of days) if (d >= plain(p.params.from) && d <= plain(p.params.to)) confirmed.add(d);
          expect(p.text).toMatch(/^From \d{1,2} [A-Z][a-z]{2} \d{4} to \d{1,2} [A-Z][a-z]{2} \d{4}: \d+ days? sent and confirmed by head office/);
        }
        if (p.id === 'STATUS_CONFIRMED') confirmed.add(plain(p.params.day));
        if (p.id === 'STATUS_SENT') sent.add(plain(p.params.day));
      }
      const expectedUnconfirmed = [...unconfirmed].map((n) => dayOf(START + n * DAY_MS)).concat(days.at(-1)!);
      expect([...sent].sort()).toEqual(expectedUnconfirmed.sort());
      expect([...confirmed].sort()).toEqual(days.filter((d) => !expectedUnconfirmed.includes(d)));
      // The detailed lines are few: the summary carries the rest.
      expect(host.display.shown.filter((p) => p.id === 'STATUS_CONFIRMED').length).toBeLessThanOrEqual(10);
    } finally {
      await removeTestDir(dir);
    }
  });

  test('confirmed packages still on a stick stay in detail (a release needs them) until 92 days have passed', () => {
    const kept = simulate(120, new Set(), false);
    // Days confirmed within the last 92 days are not summarised while their packages are on the stick.
    // The last compaction ran on day 119; day k was confirmed on day k + 1: days up to 25 are more than 92 days confirmed.
    const oldest = kept.sent.map((s) => s.day).sort()[0]!;
    expect(kept.history).toHaveLength(1);
    expect(kept.history[0]!.to).toBe(dayOf(START + 25 * DAY_MS));
    expect(oldest).toBe(dayOf(START + 26 * DAY_MS));
  });

  test('a day summarised and later sent again and confirmed is counted once', () => {
    const day = year.history[0]!.from;
    const iso = new Date(START + 401 * DAY_MS).toISOString();
    let state = markSent(year, { day, kind: 're-send', closingNumber: null, includeTimeRecords: false }, {
      packageId: idOf(9999),
      at: iso,
      stickLabel: 'STICK1',
    });
    state = applyAcknowledgements(state, [{ packageId: idOf(9999), importedAt: iso, headOfficeKeyId: KEY }]).state;
    state = markReleased(state, [idOf(9999)], iso);
    const before = compactHistory(year, START + 402 * DAY_MS).history.reduce((sum, h) => sum + h.days, 0);
    const after = compactHistory(state, START + 402 * DAY_MS);
    expect(after.history.reduce((sum, h) => sum + h.days, 0)).toBe(before);
    expect(after.sent.some((s) => s.packageId === idOf(9999))).toBe(false);
  });

  test('statusView leaves the state itself alone', () => {
    const view = statusView(year);
    expect(view.sent.length).toBeLessThan(year.sent.length);
    expect(year.sent.length).toBe(DETAILED_DAYS + 1 + unconfirmed.size);
  });
});

describe('which packages a stick visit releases', () => {
  const day = (n: number) => `2026010${n}`;
  const sha = (n: number) => String(n).repeat(64);
  let state = emptyState();
  for (let n = 1; n <= 5; n++) {
    state = markSent(state, { day: day(n), kind: 'day-close', closingNumber: n, includeTimeRecords: false }, {
      packageId: idOf(n),
      at: '2026-01-05T20:00:00.000Z',
      stickLabel: 'S',
    });
  }
  state = applyAcknowledgements(
    state,
    [1, 2, 3, 4].map((n) => ({ packageId: idOf(n), importedAt: '2026-01-06T08:00:00.000Z', headOfficeKeyId: KEY })),
  ).state;
  const onStick = [1, 2, 3, 4, 5].map((n) => ({ packageId: idOf(n), businessDay: day(n), manifestSha256: sha(n) }));
  const acks = [1, 2, 3, 4, 5].map((n) => ({ packageId: idOf(n), businessDay: day(n), manifestSha256: sha(n), headOfficeKeyId: KEY }));

  test('confirmed packages but the newest kept days; an unconfirmed one never', () => {
    expect(chooseReleases(state, onStick, acks, 2)).toEqual([idOf(1), idOf(2)]);
    expect(chooseReleases(state, onStick, acks, 0)).toEqual([1, 2, 3, 4].map(idOf));
    expect(chooseReleases(state, onStick, acks, 7)).toEqual([]);
  });

  test('nothing without the pinned key, for another manifest, or for a package not in the state', () => {
    expect(chooseReleases({ ...state, headOfficeKeyId: null }, onStick, acks, 0)).toEqual([]);
    expect(chooseReleases(state, onStick, acks.map((a) => ({ ...a, headOfficeKeyId: 'b'.repeat(64) })), 0)).toEqual([]);
    expect(chooseReleases(state, onStick, acks.map((a) => ({ ...a, manifestSha256: 'f'.repeat(64) })), 0)).toEqual([]);
    const stranger = { packageId: idOf(77), businessDay: day(1), manifestSha256: sha(7) };
    expect(chooseReleases(state, [stranger], [{ ...stranger, headOfficeKeyId: KEY }], 0)).toEqual([]);
  });
});

