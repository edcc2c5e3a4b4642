import type { CentralQueries, SqlValue } from '../central/central-store.js';
import type { CellStatus } from './console-text.js';

/**
 * What the console reads from the central journal, in plain SQL both SQLite
 * and PostgreSQL run (`?` placeholders, window functions both have). Only
 * SELECTs: the console never writes.
 */

export interface RegisterKey {
  customerNumber: string;
  registerId: string;
}

export const registerName = (r: RegisterKey) => `${r.customerNumber}-${r.registerId}`;

/** A refusal seen by this console's own watcher: refused packages are never stored in the central journal. */
export interface SeenRefusal extends RegisterKey {
  businessDay: string;
  reason: string;
}

export interface GridRow extends RegisterKey {
  lastSeenAt: string | null;
  cells: { day: string; status: CellStatus; reason?: string }[];
}

/**
 * Every read lets the event loop run first. On SQLite a query is
 * synchronous and awaiting it only queues a microtask, so a page's dozen
 * queries would otherwise hold the loop as one block while the import, the
 * live list and other requests wait; this way the longest wait is one query.
 */
async function read<T>(q: CentralQueries, sql: string, params?: readonly SqlValue[]): Promise<T[]> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  return q.all<T>(sql, params);
}

export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  const d = new Date(Date.UTC(Number(from.slice(0, 4)), Number(from.slice(4, 6)) - 1, Number(from.slice(6, 8))));
  const end = to;
  for (;;) {
    const day = `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
    if (day > end) break;
    out.push(day);
    d.setUTCDate(d.getUTCDate() + 1);
  }
  return out;
}

export function addDays(day: string, n: number): string {
  const d = new Date(Date.UTC(Number(day.slice(0, 4)), Number(day.slice(4, 6)) - 1, Number(day.slice(6, 8)) + n));
  return `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
}

interface RegisterSpan extends RegisterKey {
  first_day: string;
  last_day: string;
  last_seen: string | null;
}

async function registerSpans(q: CentralQueries): Promise<RegisterSpan[]> {
  const rows = await read<{ customer_number: string; register_id: string; first_day: string; last_day: string; last_seen: string | null }>(
    q,
    `SELECT customer_number, register_id, MIN(business_day) AS first_day, MAX(business_day) AS last_day, MAX(imported_at) AS last_seen
       FROM packages GROUP BY customer_number, register_id ORDER BY customer_number, register_id`,
  );
  return rows.map((r) => ({ customerNumber: r.customer_number, registerId: r.register_id, first_day: r.first_day, last_day: r.last_day, last_seen: r.last_seen }));
}

/**
 * One status per register and day. A day's packages decide it, the worst
 * first: a conflict, then quarantined records, then a re-send that found
 * everything already there, else imported. Without a package: reconciled
 * when its receipts came from the register's backup (what the console's
 * fix for a missing day does), refused when this console saw it refused,
 * not yet due from `today` on, missing from the register's first package
 * on, and nothing before it.
 */
export async function loadGrid(
  q: CentralQueries,
  o: { from: string; to: string; today: string; registers: readonly string[]; refusals: readonly SeenRefusal[] },
): Promise<{ days: string[]; rows: GridRow[] }> {
  const days = daysBetween(o.from, o.to);
  const wanted = (r: RegisterKey) => o.registers.length === 0 || o.registers.includes(registerName(r));
  const spans = (await registerSpans(q)).filter(wanted);
  const packages = await read<{ customer_number: string; register_id: string; business_day: string; status: string }>(
    q,
    'SELECT customer_number, register_id, business_day, status FROM packages WHERE business_day >= ? AND business_day <= ?',
    [o.from, o.to],
  );
  const quarantine = await read<{ customer_number: string; register_id: string; business_day: string }>(
    q,
    'SELECT DISTINCT customer_number, register_id, business_day FROM quarantined_records WHERE business_day >= ? AND business_day <= ?',
    [o.from, o.to],
  );
  const receiptDays = await read<{ customer_number: string; register_id: string; business_day: string }>(
    q,
    'SELECT customer_number, register_id, business_day FROM receipt_number_days WHERE business_day >= ? AND business_day <= ?',
    [o.from, o.to],
  );
  const key = (c: string, r: string, d: string) => `${c}\u0000${r}\u0000${d}`;
  const withReceipts = new Set(receiptDays.map((x) => key(x.customer_number, x.register_id, x.business_day)));
  const statuses = new Map<string, Set<string>>();
  for (const p of packages) {
    const k = key(p.customer_number, p.register_id, p.business_day);
    const set = statuses.get(k) ?? new Set<string>();
    set.add(p.status);
    statuses.set(k, set);
  }
  const quarantined = new Set(quarantine.map((x) => key(x.customer_number, x.register_id, x.business_day)));
  const refused = new Map(o.refusals.map((x) => [key(x.customerNumber, x.registerId, x.businessDay), x.reason]));
  const seenRegisters = new Map(spans.map((s) => [registerName(s), s]));
  for (const x of o.refusals) {
    if (!seenRegisters.has(registerName(x)) && wanted(x)) {
      seenRegisters.set(registerName(x), { customerNumber: x.customerNumber, registerId: x.registerId, first_day: '99999999', last_day: '', last_seen: null });
    }
  }
  const rows: GridRow[] = [...seenRegisters.values()]
    .sort((a, b) => registerName(a).localeCompare(registerName(b)))
    .map((s) => ({
      customerNumber: s.customerNumber,
      registerId: s.registerId,
      lastSeenAt: s.last_seen,
      cells: days.map((day) => {
        const k = key(s.customerNumber, s.registerId, day);
        const set = statuses.get(k);
        if (set) {
          if (set.has('partially-conflicting')) return { day, status: 'conflicting' as const };
          if (quarantined.has(k)) return { day, status: 'quarantine' as const };
          if (set.has('already-imported')) return { day, status: 'resent' as const };
          return { day, status: 'imported' as const };
        }
        if (withReceipts.has(k)) return { day, status: 'reconciled' as const };
        const reason = refused.get(k);
        if (reason !== undefined) return { day, status: 'refused' as const, reason };
        if (day >= o.today) return { day, status: 'not-due' as const };
        if (day >= s.first_day) return { day, status: 'missing' as const };
        return { day, status: 'none' as const };
      }),
    }));
  return { days, rows };
}

export type Gap =
  | (RegisterKey & { kind: 'day'; day: string; fromDay: string })
  | (RegisterKey & { kind: 'z'; first: number; last: number; before: number; day: string; fromDay: string })
  | (RegisterKey & { kind: 'receipts'; first: number; last: number; prevDay: string; day: string; fromDay: string });

/** Gaps shown at most per kind, so a journal with a broken register still renders quickly. */
const GAPS_SHOWN = 200;

/** Which registers and days a gap list covers: none given means all registers, no bounds the whole journal. */
export interface GapScope {
  registers: readonly string[];
  from?: string;
  to?: string;
}

/**
 * A SQL condition selecting the named registers. A name is customer-register
 * and either part may hold a dash, so every split of the name is tried: the
 * same registers as comparing registerName, but by index.
 */
function registerCondition(registers: readonly string[], alias = ''): { sql: string; params: string[] } {
  if (registers.length === 0) return { sql: '1 = 1', params: [] };
  const parts: string[] = [];
  const params: string[] = [];
  for (const name of registers) {
    for (let i = name.indexOf('-'); i > 0; i = name.indexOf('-', i + 1)) {
      parts.push(`(${alias}customer_number = ? AND ${alias}register_id = ?)`);
      params.push(name.slice(0, i), name.slice(i + 1));
    }
  }
  return parts.length === 0 ? { sql: '1 = 0', params: [] } : { sql: `(${parts.join(' OR ')})`, params };
}

/**
 * The registers `table` holds, one index probe each: a recursive walk from
 * key to next key (a "skip scan"), because neither SQLite nor PostgreSQL 15
 * finds a grouped MIN/MAX per register without reading every row of the
 * year, and the rows before a month are the year.
 */
function registersOf(table: string): string {
  // Each step is MIN probes on one column under an equal prefix: SQLite uses only the first column of a row-value
  // comparison for an index, so `(customer, register) > (…)` walked every row of a customer's registers.
  const nextInCustomer = `(SELECT MIN(n.register_id) FROM ${table} n WHERE n.customer_number = regs.customer_number AND n.register_id > regs.register_id)`;
  const nextCustomer = `(SELECT MIN(n.customer_number) FROM ${table} n WHERE n.customer_number > regs.customer_number)`;
  return `regs(customer_number, register_id) AS (
      SELECT customer_number, register_id FROM (SELECT customer_number, register_id FROM ${table}
        ORDER BY customer_number, register_id LIMIT 1) first_register
      UNION ALL
      SELECT CASE WHEN ${nextInCustomer} IS NOT NULL THEN regs.customer_number ELSE ${nextCustomer} END,
             COALESCE(${nextInCustomer}, (SELECT MIN(f.register_id) FROM ${table} f WHERE f.customer_number = ${nextCustomer}))
        FROM regs WHERE regs.customer_number IS NOT NULL)`;
}

/**
 * Each register's last day in `table` before `from` and its first after
 * `to` (two index probes per register), as a CTE named neighbours.
 */
function neighbours(table: string, scope: GapScope & { from: string; to: string }): { sql: string; params: SqlValue[] } {
  const regs = registerCondition(scope.registers, 'regs.');
  const neighbour = (fn: 'MAX' | 'MIN', op: '<' | '>') =>
    `(SELECT ${fn}(x.business_day) FROM ${table} x
       WHERE x.customer_number = regs.customer_number AND x.register_id = regs.register_id AND x.business_day ${op} ?)`;
  return {
    sql: `WITH RECURSIVE ${registersOf(table)},
          neighbours AS MATERIALIZED (SELECT regs.customer_number, regs.register_id, ${neighbour('MAX', '<')} AS before_day, ${neighbour('MIN', '>')} AS after_day
                           FROM regs WHERE regs.customer_number IS NOT NULL AND ${regs.sql})`,
    params: [scope.from, scope.to, ...regs.params],
  };
}

const bounded = (scope: GapScope): scope is GapScope & { from: string; to: string } => scope.from !== undefined && scope.to !== undefined;

/**
 * The rows of `table` a pairing by business day needs to pair every day in
 * [from, to] with its neighbours: the days in range, each register's last
 * day before it and its first day after it. So a gap that starts before the
 * range or ends after it is found without the rest of the register's year.
 */
function rowsAround(table: string, columns: readonly string[], scope: GapScope): { sql: string; params: SqlValue[] } {
  const regs = registerCondition(scope.registers);
  if (!bounded(scope)) return { sql: `SELECT ${columns.join(', ')} FROM ${table} WHERE ${regs.sql}`, params: regs.params };
  const around = neighbours(table, scope);
  const on = (day: string) =>
    // CROSS JOIN: SQLite, without statistics, otherwise scans the whole table and looks each row up in neighbours.
    `SELECT ${columns.map((c) => `t.${c}`).join(', ')} FROM neighbours n CROSS JOIN ${table} t
      WHERE t.customer_number = n.customer_number AND t.register_id = n.register_id AND t.business_day = n.${day}`;
  return {
    sql: `${around.sql}
     SELECT ${columns.join(', ')} FROM ${table} WHERE ${regs.sql} AND business_day >= ? AND business_day <= ?
     UNION ALL ${on('before_day')} UNION ALL ${on('after_day')}`,
    params: [...around.params, ...regs.params, scope.from, scope.to],
  };
}

/** Whether the span between two present days, both ends included, meets the scope's range. */
const meets = (scope: GapScope, first: string, last: string) =>
  (scope.from === undefined || last >= scope.from) && (scope.to === undefined || first <= scope.to);

/**
 * Gaps in what the journal holds, never guessed: days with neither a
 * package nor reconciled receipts between a register's first and last,
 * closing (Z) numbers that do not follow each other, and receipt numbers
 * that skip, across days (a register starting again at 1 numbers per day
 * and is not a gap).
 */
export async function findGaps(q: CentralQueries, scopeOrRegisters: GapScope | readonly string[]): Promise<Gap[]> {
  const scope: GapScope = Array.isArray(scopeOrRegisters) ? { registers: scopeOrRegisters } : (scopeOrRegisters as GapScope);
  const { registers } = scope;
  const wanted = (r: RegisterKey) => registers.length === 0 || registers.includes(registerName(r));
  const gaps: Gap[] = [];
  // Day and Z gaps from one read of the packages around the range, paired here: a few thousand rows for a
  // month of a chain, where two windowed queries over the same days cost PostgreSQL several times as much.
  const byRegister = new Map<string, { reg: RegisterKey; days: Set<string>; closings: Map<number, string> }>();
  const around = rowsAround('packages', ['customer_number', 'register_id', 'business_day', 'closing_number'], scope);
  const packages = await read<{ customer_number: string; register_id: string; business_day: string; closing_number: number | string | null }>(q, around.sql, around.params);
  // A day reconciled from the register's backup has receipts and no package: it is there, not a gap.
  // The same rows give the receipt-number gaps below.
  const receiptDays = await receiptDaysAround(q, scope);
  for (const p of [...packages, ...receiptDays.map((r) => ({ ...r, closing_number: null }))]) {
    // Not registerName: a dash may be in either part, so '1-2'/'3' and '1'/'2-3' would be one register.
    const name = `${p.customer_number}\u0000${p.register_id}`;
    let entry = byRegister.get(name);
    if (!entry) {
      entry = { reg: { customerNumber: p.customer_number, registerId: p.register_id }, days: new Set(), closings: new Map() };
      byRegister.set(name, entry);
    }
    entry.days.add(p.business_day);
    if (p.closing_number !== null) {
      const z = Number(p.closing_number);
      const seen = entry.closings.get(z);
      if (seen === undefined || p.business_day < seen) entry.closings.set(z, p.business_day);
    }
  }
  const ordered = [...byRegister.values()]
    .filter((e) => wanted(e.reg))
    .sort((a, b) => (a.reg.customerNumber < b.reg.customerNumber ? -1 : a.reg.customerNumber > b.reg.customerNumber ? 1 : a.reg.registerId < b.reg.registerId ? -1 : a.reg.registerId > b.reg.registerId ? 1 : 0));
  let dayGaps = 0;
  for (const { reg, days } of ordered) {
    const sorted = [...days].sort();
    for (let i = 1; i < sorted.length; i++) {
      for (let d = addDays(sorted[i - 1]!, 1); d < sorted[i]! && dayGaps < GAPS_SHOWN; d = addDays(d, 1)) {
        if (!meets(scope, d, d)) continue;
        gaps.push({ ...reg, kind: 'day', day: d, fromDay: d });
        dayGaps++;
      }
    }
  }
  // Closings pair by number, not by day. Their numbers rise with the days, so the closings of the days around
  // the range hold every pair that meets it; the range itself is applied to the pairs.
  let zGaps = 0;
  for (const { reg, closings } of ordered) {
    const numbers = [...closings.keys()].sort((a, b) => a - b);
    for (let i = 1; i < numbers.length && zGaps < GAPS_SHOWN; i++) {
      const prev = numbers[i - 1]!;
      const z = numbers[i]!;
      const prevDay = closings.get(prev)!;
      if (z <= prev + 1 || !meets(scope, prevDay, closings.get(z)!)) continue;
      zGaps++;
      gaps.push({ ...reg, kind: 'z', first: prev + 1, last: z - 1, before: prev, day: prevDay, fromDay: addDays(prevDay, 1) });
    }
  }
  const receiptRows = await receiptNumberGaps(q, GAPS_SHOWN, scope, receiptDays);
  // The receipt numbers in quarantine on the gaps' days, in one read over their span.
  const quarantinedNos = new Map<string, Set<number>>();
  const gapDays = receiptRows.flatMap((r) => [r.prev_day, r.business_day]).sort();
  if (gapDays.length > 0) {
    const held = await read<{ customer_number: string; register_id: string; business_day: string; record_json: string }>(
      q,
      `SELECT customer_number, register_id, business_day, record_json FROM quarantined_records
        WHERE business_day >= ? AND business_day <= ? AND source_entry = 'receipts'`,
      [gapDays[0]!, gapDays.at(-1)!],
    );
    for (const row of held) {
      let value: unknown;
      try {
        const parsed = (JSON.parse(row.record_json) as { record?: { receiptNo?: unknown }; receiptNo?: unknown } | null) ?? {};
        value = parsed.receiptNo ?? parsed.record?.receiptNo;
      } catch {
        // A quarantined record that is not even JSON holds no receipt number to rule out.
      }
      if (typeof value !== 'number') continue;
      const k = `${row.customer_number}\u0000${row.register_id}\u0000${row.business_day}`;
      const set = quarantinedNos.get(k) ?? new Set<number>();
      set.add(value);
      quarantinedNos.set(k, set);
    }
  }
  const quarantinedNo = (reg: RegisterKey, day: string) => quarantinedNos.get(`${reg.customerNumber}\u0000${reg.registerId}\u0000${day}`) ?? new Set<number>();
  for (const r of receiptRows) {
    const reg = { customerNumber: r.customer_number, registerId: r.register_id };
    if (!wanted(reg)) continue;
    // A number the register sent but could not validate is in quarantine, not missing.
    const held = new Set([...quarantinedNo(reg, r.prev_day), ...quarantinedNo(reg, r.business_day)]);
    let allHeld = true;
    for (let n = Number(r.prev_no) + 1; n < Number(r.receipt_no); n++) if (!held.has(n)) allHeld = false;
    if (allHeld) continue;
    gaps.push({ ...reg, kind: 'receipts', first: Number(r.prev_no) + 1, last: Number(r.receipt_no) - 1, prevDay: r.prev_day, day: r.business_day, fromDay: r.prev_day });
  }
  return gaps;
}

export interface NumberGap {
  customer_number: string;
  register_id: string;
  business_day: string;
  receipt_no: number;
  prev_no: number;
  prev_day: string;
}

export interface ReceiptDay {
  customer_number: string;
  register_id: string;
  business_day: string;
  first_no: number | string;
  last_no: number | string;
  numbers: number | string;
}

const byRegisterAndDay = (a: ReceiptDay, b: ReceiptDay) =>
  a.customer_number !== b.customer_number
    ? a.customer_number < b.customer_number ? -1 : 1
    : a.register_id !== b.register_id
      ? a.register_id < b.register_id ? -1 : 1
      : a.business_day < b.business_day ? -1 : a.business_day > b.business_day ? 1 : 0;

/** receipt_number_days' rows on the days around the scope, in (register, day) order. */
async function receiptDaysAround(q: CentralQueries, scope: GapScope): Promise<ReceiptDay[]> {
  const around = rowsAround('receipt_number_days', ['customer_number', 'register_id', 'business_day', 'first_no', 'last_no', 'numbers'], scope);
  return (await read<ReceiptDay>(q, around.sql, around.params)).sort(byRegisterAndDay);
}

/**
 * Receipt numbers that skip, in (register, day, number) order, the first
 * `limit`: the same rows a LAG over every receipt gives, found from
 * receipt_number_days (one row per register and day, kept by the merge) so
 * a year of a chain's receipts is not read for them. Between days the
 * previous day's last number meets the next day's first; inside a day only
 * a day whose distinct numbers do not fill its range is read, by index.
 */
export async function receiptNumberGaps(
  q: CentralQueries,
  limit: number,
  scope: GapScope = { registers: [] },
  readDays?: readonly ReceiptDay[],
): Promise<NumberGap[]> {
  const all = readDays ?? (await receiptDaysAround(q, scope));
  // Paired here, as a LAG by day would: only the days that start after a skip or do not fill their own range.
  const days: (ReceiptDay & { prev_last: number | null; prev_day: string | null })[] = [];
  for (let i = 0; i < all.length; i++) {
    const d = all[i]!;
    const p = i > 0 && all[i - 1]!.customer_number === d.customer_number && all[i - 1]!.register_id === d.register_id ? all[i - 1]! : null;
    const prevLast = p === null ? null : Number(p.last_no);
    if ((prevLast !== null && Number(d.first_no) > prevLast + 1) || Number(d.numbers) !== Number(d.last_no) - Number(d.first_no) + 1) {
      days.push({ ...d, prev_last: prevLast, prev_day: p?.business_day ?? null });
    }
  }
  const out: NumberGap[] = [];
  const needsInside = (d: (typeof days)[number]) =>
    Number(d.numbers) !== Number(d.last_no) - Number(d.first_no) + 1 && meets(scope, d.business_day, d.business_day);
  const dayKey = (c: string, r: string, day: string) => `${c}\u0000${r}\u0000${day}`;
  const inside = new Map<string, { receipt_no: number; prev_no: number }[]>();
  for (let i = 0; i < days.length; i++) {
    const d = days[i]!;
    if (out.length >= limit) break;
    const first = Number(d.first_no);
    if (d.prev_last !== null && d.prev_day !== null && first > Number(d.prev_last) + 1 && meets(scope, d.prev_day, d.business_day)) {
      out.push({ customer_number: d.customer_number, register_id: d.register_id, business_day: d.business_day, receipt_no: first, prev_no: Number(d.prev_last), prev_day: d.prev_day });
    }
    if (!needsInside(d)) continue;
    const k = dayKey(d.customer_number, d.register_id, d.business_day);
    // The numbers inside the next days that skip, read by index for a batch of such days at once.
    if (!inside.has(k)) await readInsideGaps(q, days.slice(i).filter(needsInside).slice(0, INSIDE_BATCH), inside, dayKey);
    for (const x of inside.get(k) ?? []) {
      out.push({ customer_number: d.customer_number, register_id: d.register_id, business_day: d.business_day, receipt_no: x.receipt_no, prev_no: x.prev_no, prev_day: d.business_day });
    }
  }
  return out.slice(0, limit);
}

/** Days read for their inside gaps in one query. */
const INSIDE_BATCH = 100;

/** Receipt numbers that skip inside each of `days`, into `into` by day key (an empty list for a day without). */
async function readInsideGaps(
  q: CentralQueries,
  days: readonly { customer_number: string; register_id: string; business_day: string }[],
  into: Map<string, { receipt_no: number; prev_no: number }[]>,
  dayKey: (c: string, r: string, day: string) => string,
): Promise<void> {
  for (const d of days) into.set(dayKey(d.customer_number, d.register_id, d.business_day), []);
  const rows = await read<{ customer_number: string; register_id: string; business_day: string; receipt_no: number | string; prev_no: number | string }>(
    q,
    // CROSS JOIN keeps SQLite reading receipts by index for each day listed, not the list for each receipt.
    `WITH wanted(customer_number, register_id, business_day) AS (VALUES ${days.map(() => '(?, ?, ?)').join(', ')})
     SELECT customer_number, register_id, business_day, receipt_no, prev_no FROM (
       SELECT t.customer_number, t.register_id, t.business_day, t.receipt_no,
              LAG(t.receipt_no) OVER (PARTITION BY t.customer_number, t.register_id, t.business_day ORDER BY t.receipt_no) AS prev_no
         FROM wanted w CROSS JOIN receipts t
        WHERE t.customer_number = w.customer_number AND t.register_id = w.register_id AND t.business_day = w.business_day) numbered
      WHERE prev_no IS NOT NULL AND receipt_no > prev_no + 1
      ORDER BY customer_number, register_id, business_day, receipt_no`,
    days.flatMap((d) => [d.customer_number, d.register_id, d.business_day]),
  );
  for (const x of rows) {
    into.get(dayKey(x.customer_number, x.register_id, x.business_day))?.push({ receipt_no: Number(x.receipt_no), prev_no: Number(x.prev_no) });
  }
}

export interface DayPackage {
  packageId: string;
  kind: string;
  closingNumber: number | null;
  createdAt: string;
  importedAt: string;
  status: string;
}

export interface DayDetail {
  packages: DayPackage[];
  currency: string;
  receipts: number;
  grossMinor: number;
  stockPostings: number;
  timeRecords: number;
  payments: { id: string; name: string; count: number; amountMinor: number }[];
  vat: { id: string; basisPoints: number; grossMinor: number }[];
  quarantined: { sourceEntry: string; reason: string; recordJson: string; exactJson: string | null }[];
  conflicts: { recordType: string; recordId: string; source: string; detectedAt: string; incomingJson: string; storedJson: string | null }[];
  /** The security modules the day's packages name (KassenSichV); a serial with two keys shows both. */
  tseModules: { serialNumber: string; publicKey: string }[];
}

const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));

const STORED_BY_TYPE: Record<string, { table: string; idColumn: string }> = {
  receipt: { table: 'receipts', idColumn: 'receipt_id' },
  'stock-posting': { table: 'stock_postings', idColumn: 'posting_id' },
  'time-record': { table: 'time_records', idColumn: 'record_id' },
};

export async function loadDay(q: CentralQueries, reg: RegisterKey, day: string): Promise<DayDetail> {
  const p = [reg.customerNumber, reg.registerId, day];
  const packages = await read<{ package_id: string; kind: string; closing_number: number | string | null; created_at: string; imported_at: string; status: string }>(
    q,
    `SELECT package_id, kind, closing_number, created_at, imported_at, status FROM packages
      WHERE customer_number = ? AND register_id = ? AND business_day = ? ORDER BY imported_at, package_id`,
    p,
  );
  const totals = await read<{ n: number | string; gross: number | string | null; currency: string | null }>(
    q,
    'SELECT COUNT(*) AS n, SUM(gross_minor) AS gross, MIN(currency) AS currency FROM receipts WHERE customer_number = ? AND register_id = ? AND business_day = ?',
    p,
  );
  const stock = await read<{ n: number | string }>(
    q,
    'SELECT COUNT(*) AS n FROM stock_postings WHERE customer_number = ? AND register_id = ? AND business_day = ?',
    p,
  );
  const time = await read<{ n: number | string }>(
    q,
    'SELECT COUNT(*) AS n FROM time_records WHERE customer_number = ? AND register_id = ? AND business_day = ?',
    p,
  );
  const payments = await read<{ id: string; name: string; n: number | string; amount: number | string }>(
    q,
    `SELECT y.payment_type_id AS id, MIN(y.payment_type_name) AS name, COUNT(*) AS n, SUM(y.amount_minor) AS amount
       FROM payments y JOIN receipts r
         ON r.customer_number = y.customer_number AND r.register_id = y.register_id AND r.receipt_id = y.receipt_id
      WHERE r.customer_number = ? AND r.register_id = ? AND r.business_day = ?
      GROUP BY y.payment_type_id ORDER BY y.payment_type_id`,
    p,
  );
  const vat = await read<{ id: string; bp: number | string; gross: number | string }>(
    q,
    `SELECT l.vat_rate_id AS id, l.vat_rate_basis_points AS bp, SUM(l.gross_minor) AS gross
       FROM receipt_lines l JOIN receipts r
         ON r.customer_number = l.customer_number AND r.register_id = l.register_id AND r.receipt_id = l.receipt_id
      WHERE r.customer_number = ? AND r.register_id = ? AND r.business_day = ? AND l.voided = 0
      GROUP BY l.vat_rate_id, l.vat_rate_basis_points ORDER BY l.vat_rate_basis_points`,
    p,
  );
  const quarantined = await read<{ source_entry: string; reason: string; record_json: string; exact_json: string | null }>(
    q,
    `SELECT source_entry, reason, record_json, exact_json FROM quarantined_records
      WHERE customer_number = ? AND register_id = ? AND business_day = ? ORDER BY source_entry, content_sha256`,
    p,
  );
  const conflicts = await read<{ record_type: string; record_id: string; source: string; detected_at: string; incoming_json: string }>(
    q,
    `SELECT record_type, record_id, source, detected_at, incoming_json FROM conflicts
      WHERE customer_number = ? AND register_id = ? AND business_day = ? ORDER BY record_type, record_id, source`,
    p,
  );
  const tseModules = await read<{ serial_number: string; public_key: string }>(
    q,
    `SELECT DISTINCT serial_number, public_key FROM package_tse_modules
      WHERE customer_number = ? AND register_id = ? AND business_day = ? ORDER BY serial_number, public_key`,
    p,
  );
  const withStored = [];
  for (const c of conflicts) {
    const where = STORED_BY_TYPE[c.record_type];
    const stored = where
      ? await read<Record<string, unknown>>(q, `SELECT * FROM ${where.table} WHERE customer_number = ? AND register_id = ? AND ${where.idColumn} = ?`, [
          reg.customerNumber,
          reg.registerId,
          c.record_id,
        ])
      : [];
    withStored.push({
      recordType: c.record_type,
      recordId: c.record_id,
      source: c.source,
      detectedAt: c.detected_at,
      incomingJson: c.incoming_json,
      storedJson: stored[0] ? JSON.stringify(stored[0], null, 1) : null,
    });
  }
  return {
    packages: packages.map((x) => ({
      packageId: x.package_id,
      kind: x.kind,
      closingNumber: x.closing_number === null ? null : Number(x.closing_number),
      createdAt: x.created_at,
      importedAt: x.imported_at,
      status: x.status,
    })),
    currency: totals[0]?.currency ?? 'EUR',
    receipts: num(totals[0]?.n),
    grossMinor: num(totals[0]?.gross),
    stockPostings: num(stock[0]?.n),
    timeRecords: num(time[0]?.n),
    payments: payments.map((x) => ({ id: x.id, name: x.name, count: num(x.n), amountMinor: num(x.amount) })),
    vat: vat.map((x) => ({ id: x.id, basisPoints: num(x.bp), grossMinor: num(x.gross) })),
    quarantined: quarantined.map((x) => ({ sourceEntry: x.source_entry, reason: x.reason, recordJson: x.record_json, exactJson: x.exact_json })),
    conflicts: withStored,
    tseModules: tseModules.map((x) => ({ serialNumber: x.serial_number, publicKey: x.public_key })),
  };
}
