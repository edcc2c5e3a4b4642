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
 * everything already there, else imported. Without a package: refused when
 * this console saw it refused, not yet due from `today` on, missing from the
 * register's first package on, and nothing before it.
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
  const key = (c: string, r: string, d: string) => `${c}\u0000${r}\u0000${d}`;
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
 * The (register, business day) keys of `table` a LAG by business day needs
 * to pair every day in [from, to] with its neighbours: the days in range,
 * each register's last day before it and its first day after it. So a gap
 * that starts before the range or ends after it is found without the rest
 * of the register's year.
 */
function daysAround(table: string, scope: GapScope): { sql: string; params: SqlValue[] } {
  const regs = registerCondition(scope.registers);
  const keys = 'customer_number, register_id';
  if (scope.from === undefined || scope.to === undefined) {
    return { sql: `SELECT DISTINCT ${keys}, business_day FROM ${table} WHERE ${regs.sql}`, params: regs.params };
  }
  return {
    sql: `SELECT ${keys}, business_day FROM ${table} WHERE ${regs.sql} AND business_day >= ? AND business_day <= ?
          UNION SELECT ${keys}, MAX(business_day) FROM ${table} WHERE ${regs.sql} AND business_day < ? GROUP BY ${keys}
          UNION SELECT ${keys}, MIN(business_day) FROM ${table} WHERE ${regs.sql} AND business_day > ? GROUP BY ${keys}`,
    params: [...regs.params, scope.from, scope.to, ...regs.params, scope.from, ...regs.params, scope.to],
  };
}

/** Whether the span between two present days, both ends included, meets the scope's range. */
const meets = (scope: GapScope, first: string, last: string) =>
  (scope.from === undefined || last >= scope.from) && (scope.to === undefined || first <= scope.to);

/**
 * Gaps in what the journal holds, never guessed: days without a package
 * between a register's first and last, closing (Z) numbers that do not
 * follow each other, and receipt numbers that skip, across days (a register
 * starting again at 1 numbers per day and is not a gap).
 */
export async function findGaps(q: CentralQueries, scopeOrRegisters: GapScope | readonly string[]): Promise<Gap[]> {
  const scope: GapScope = Array.isArray(scopeOrRegisters) ? { registers: scopeOrRegisters } : (scopeOrRegisters as GapScope);
  const { registers } = scope;
  const wanted = (r: RegisterKey) => registers.length === 0 || registers.includes(registerName(r));
  const gaps: Gap[] = [];
  const present = daysAround('packages', scope);
  // Only pairs of present days that are not consecutive come back: the journal's year of packages stays in the
  // database. YYYYMMDD + 1 is the next day except across a month's end; those few pairs are ruled out here.
  const dayPairs = await read<{ customer_number: string; register_id: string; prev_day: string; business_day: string }>(
    q,
    `SELECT customer_number, register_id, prev_day, business_day FROM (
       SELECT customer_number, register_id, business_day,
              LAG(business_day) OVER (PARTITION BY customer_number, register_id ORDER BY business_day) AS prev_day
         FROM (${present.sql}) present) paired
      WHERE prev_day IS NOT NULL AND CAST(business_day AS INTEGER) <> CAST(prev_day AS INTEGER) + 1
      ORDER BY customer_number, register_id, business_day`,
    present.params,
  );
  let dayGaps = 0;
  for (const p of dayPairs) {
    const reg = { customerNumber: p.customer_number, registerId: p.register_id };
    if (!wanted(reg)) continue;
    for (let d = addDays(p.prev_day, 1); d < p.business_day && dayGaps < GAPS_SHOWN; d = addDays(d, 1)) {
      if (!meets(scope, d, d)) continue;
      gaps.push({ ...reg, kind: 'day', day: d, fromDay: d });
      dayGaps++;
    }
  }
  // Closings pair by number, not by day, so only the registers narrow them in SQL; the range is applied to the pairs.
  const zRegs = registerCondition(registers);
  const zRows = await read<{ customer_number: string; register_id: string; closing_number: number | string; prev_z: number | string; prev_day: string; business_day: string }>(
    q,
    `SELECT customer_number, register_id, closing_number, prev_z, prev_day, business_day FROM (
       SELECT customer_number, register_id, closing_number, business_day,
              LAG(closing_number) OVER (PARTITION BY customer_number, register_id ORDER BY closing_number) AS prev_z,
              LAG(business_day) OVER (PARTITION BY customer_number, register_id ORDER BY closing_number) AS prev_day
         FROM (SELECT customer_number, register_id, closing_number, MIN(business_day) AS business_day FROM packages
                WHERE closing_number IS NOT NULL AND ${zRegs.sql} GROUP BY customer_number, register_id, closing_number) closings) paired
      WHERE prev_z IS NOT NULL AND closing_number > prev_z + 1
      ORDER BY customer_number, register_id, closing_number`,
    zRegs.params,
  );
  let zGaps = 0;
  for (const z of zRows) {
    if (zGaps >= GAPS_SHOWN) break;
    const reg = { customerNumber: z.customer_number, registerId: z.register_id };
    if (!wanted(reg) || !meets(scope, z.prev_day, z.business_day)) continue;
    const prev = Number(z.prev_z);
    zGaps++;
    gaps.push({ ...reg, kind: 'z', first: prev + 1, last: Number(z.closing_number) - 1, before: prev, day: z.prev_day, fromDay: addDays(z.prev_day, 1) });
  }
  const receiptRows = await receiptNumberGaps(q, GAPS_SHOWN, scope);
  const quarantinedNos = new Map<string, Set<number>>();
  const quarantinedNo = async (reg: RegisterKey, day: string) => {
    const k = `${registerName(reg)}/${day}`;
    let set = quarantinedNos.get(k);
    if (!set) {
      set = new Set<number>();
      const rows = await read<{ record_json: string }>(
    q,
        "SELECT record_json FROM quarantined_records WHERE customer_number = ? AND register_id = ? AND business_day = ? AND source_entry = 'receipts'",
        [reg.customerNumber, reg.registerId, day],
      );
      for (const row of rows) {
        try {
          const no = (JSON.parse(row.record_json) as { record?: { receiptNo?: unknown }; receiptNo?: unknown }) ?? {};
          const value = no.receiptNo ?? no.record?.receiptNo;
          if (typeof value === 'number') set.add(value);
        } catch {
          // A quarantined record that is not even JSON holds no receipt number to rule out.
        }
      }
      quarantinedNos.set(k, set);
    }
    return set;
  };
  for (const r of receiptRows) {
    const reg = { customerNumber: r.customer_number, registerId: r.register_id };
    if (!wanted(reg)) continue;
    // A number the register sent but could not validate is in quarantine, not missing.
    const held = new Set([...(await quarantinedNo(reg, r.prev_day)), ...(await quarantinedNo(reg, r.business_day))]);
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

/**
 * Receipt numbers that skip, in (register, day, number) order, the first
 * `limit`: the same rows a LAG over every receipt gives, found from
 * receipt_number_days (one row per register and day, kept by a trigger) so
 * a year of a chain's receipts is not read for them. Between days the
 * previous day's last number meets the next day's first; inside a day only
 * a day whose distinct numbers do not fill its range is read, by index.
 */
export async function receiptNumberGaps(q: CentralQueries, limit: number, scope: GapScope = { registers: [] }): Promise<NumberGap[]> {
  const around = daysAround('receipt_number_days', scope);
  const source =
    scope.registers.length === 0 && scope.from === undefined
      ? 'receipt_number_days'
      : `receipt_number_days JOIN (${around.sql}) around USING (customer_number, register_id, business_day)`;
  // Only the days that start after a skip or do not fill their own range come back, not one row per day.
  const days = await read<{ customer_number: string; register_id: string; business_day: string; first_no: number | string; last_no: number | string; numbers: number | string; prev_last: number | string | null; prev_day: string | null }>(
    q,
    `SELECT customer_number, register_id, business_day, first_no, last_no, numbers, prev_last, prev_day FROM (
       SELECT customer_number, register_id, business_day, first_no, last_no, numbers,
              LAG(last_no) OVER (PARTITION BY customer_number, register_id ORDER BY business_day) AS prev_last,
              LAG(business_day) OVER (PARTITION BY customer_number, register_id ORDER BY business_day) AS prev_day
         FROM ${source}) paired
      WHERE (prev_last IS NOT NULL AND first_no > prev_last + 1) OR numbers <> last_no - first_no + 1
      ORDER BY customer_number, register_id, business_day`,
    source === 'receipt_number_days' ? [] : around.params,
  );
  const out: NumberGap[] = [];
  for (const d of days) {
    if (out.length >= limit) break;
    const first = Number(d.first_no);
    if (d.prev_last !== null && d.prev_day !== null && first > Number(d.prev_last) + 1 && meets(scope, d.prev_day, d.business_day)) {
      out.push({ customer_number: d.customer_number, register_id: d.register_id, business_day: d.business_day, receipt_no: first, prev_no: Number(d.prev_last), prev_day: d.prev_day });
    }
    if (Number(d.numbers) === Number(d.last_no) - first + 1 || !meets(scope, d.business_day, d.business_day)) continue;
    const inside = await read<{ receipt_no: number | string; prev_no: number | string }>(
    q,
      `SELECT receipt_no, prev_no FROM (
         SELECT receipt_no, LAG(receipt_no) OVER (ORDER BY receipt_no) AS prev_no
           FROM receipts WHERE customer_number = ? AND register_id = ? AND business_day = ?) numbered
        WHERE prev_no IS NOT NULL AND receipt_no > prev_no + 1 ORDER BY receipt_no`,
      [d.customer_number, d.register_id, d.business_day],
    );
    for (const x of inside) {
      out.push({ customer_number: d.customer_number, register_id: d.register_id, business_day: d.business_day, receipt_no: Number(x.receipt_no), prev_no: Number(x.prev_no), prev_day: d.business_day });
    }
  }
  return out.slice(0, limit);
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
