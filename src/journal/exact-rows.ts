import type Database from 'better-sqlite3';

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * better-sqlite3 hands TEXT over as a JS string, replacing invalid UTF-8
 * with U+FFFD, and INTEGER as a double, rounding beyond 2^53: both lose the
 * journal's value before the plugin sees it. Reading every row as bigints
 * and bytes would cost the common case dearly, so only a row that shows a
 * trace of either (a U+FFFD, an integer the double cannot hold) is read
 * again by rowid with its text as bytes and its integers as bigints; the
 * record then carries a Buffer or a bigint, which the plugin quarantines
 * with the original kept exactly.
 */
export class ExactRows {
  private statement: Database.Statement | null = null;

  constructor(
    private readonly db: Database.Database,
    private readonly table: string,
    /** The columns of the raw rows handed to `of`, in order; each row ends in its rowid after them. */
    private readonly columns: readonly string[],
  ) {}

  /** The row as the journal holds it; `row` itself (the usual case) when nothing in it can have been changed. */
  of(row: unknown[]): unknown[] {
    if (!suspect(row)) return row;
    const rowid = row[this.columns.length];
    if (typeof rowid !== 'number' && typeof rowid !== 'bigint') return row;
    const raw = this.reread().get(rowid) as Record<string, unknown> | undefined;
    if (!raw) return row;
    // A BLOB was handed over as bytes already; only TEXT read as bytes may turn back into a string.
    return row.map((value, i) => {
      const column = this.columns[i];
      return column === undefined || Buffer.isBuffer(value) ? value : exactValue(raw[column]);
    });
  }

  private reread(): Database.Statement {
    if (this.statement) return this.statement;
    const columns = (this.db.prepare(`PRAGMA table_info(${this.table})`).all() as { name: string }[]).map(
      (c) => c.name,
    );
    const select = columns
      .map((c) => `CASE typeof("${c}") WHEN 'text' THEN CAST("${c}" AS BLOB) ELSE "${c}" END AS "${c}"`)
      .join(', ');
    this.statement = this.db.prepare(`SELECT ${select} FROM ${this.table} WHERE rowid = ?`).safeIntegers(true);
    return this.statement;
  }
}

/**
 * A row journal-read-worker.js read exactly: text as bytes, integers as
 * bigints, and last the storage class of each column as one letter. The
 * same values ExactRows gives: bytes that were valid UTF-8 text become the
 * string again, a BLOB stays bytes (structured clone hands it over as a
 * plain Uint8Array), a bigint that fits becomes a number.
 */
export function exactRowOf(raw: readonly unknown[]): unknown[] {
  const types = String(raw[raw.length - 1]);
  const row: unknown[] = [];
  for (let i = 0; i < raw.length - 1; i++) {
    const v = raw[i];
    const value =
      v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v;
    row.push(types[i] === 'b' ? value : exactValue(value));
  }
  return row;
}

function suspect(row: readonly unknown[]): boolean {
  for (const v of row) {
    if (typeof v === 'string') {
      if (v.includes('\uFFFD')) return true;
    } else if (typeof v === 'number' && (v > MAX_SAFE || v < -MAX_SAFE)) {
      return true;
    }
  }
  return false;
}

/** Text that is valid UTF-8 becomes a string again (a real U+FFFD stays one); bigints that fit become numbers. */
function exactValue(value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value <= BigInt(MAX_SAFE) && value >= -BigInt(MAX_SAFE) ? Number(value) : value;
  }
  if (Buffer.isBuffer(value)) {
    try {
      return strictUtf8.decode(value);
    } catch {
      return value;
    }
  }
  return value;
}
