import type { Writable } from 'node:stream';
import type { CentralTable } from './central-schema.js';
import type { SqlValue } from './central-store.js';

/**
 * One kind of record as the bulk merge sees it: the parent table keyed by
 * `idColumn` (receipts, stock postings, time records) and child tables whose
 * rows go in exactly when their parent does (a receipt's lines, payments).
 * Column lists come from central-rows.ts, so columns added there flow through.
 */
export interface BulkKind {
  recordType: string;
  table: CentralTable;
  idColumn: string;
  columns: readonly string[];
  children: { table: CentralTable; columns: readonly string[] }[];
}

/** One record's rows for COPY: the parent row in `columns` order (content_sha256 included), then per child table its rows. */
export interface BulkRows {
  values: SqlValue[];
  children: SqlValue[][][];
}

/** What the PostgreSQL store lends a bulk merge inside the package's transaction. */
export interface BulkSession {
  query<T>(sql: string, params?: SqlValue[]): Promise<T[]>;
  /** A `COPY … FROM STDIN` stream (text format) into `table (columns)`; resolves when the server has every row. */
  copyIn(table: string, columns: readonly string[], write: (out: Writable) => Promise<void>): Promise<void>;
}

const NEEDS_ESCAPE = /[\\\t\n\r]/;

/** COPY text format: backslash, tab, newline and carriage return escaped, NULL as \N. */
export function copyField(v: SqlValue): string {
  if (v === null) return '\\N';
  if (typeof v === 'number') return String(v);
  return NEEDS_ESCAPE.test(v) ? v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r') : v;
}

/** One row in COPY text format, without its line end; a loop, not map/join: it runs once per record. */
export function copyRow(values: readonly SqlValue[]): string {
  let line = copyField(values[0]!);
  for (let i = 1; i < values.length; i++) line += `\t${copyField(values[i]!)}`;
  return line;
}

const COPY_CHUNK = 1 << 20;

/** Rows into a COPY stream in chunks of about a mebibyte, waiting whenever the socket asks for it. */
export async function writeLines(out: Writable, lines: Iterable<string>): Promise<void> {
  let buffer = '';
  const push = async (text: string) => {
    if (!out.write(text)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  };
  for (const line of lines) {
    buffer += line;
    if (buffer.length >= COPY_CHUNK) {
      await push(buffer);
      buffer = '';
    }
  }
  if (buffer.length > 0) await push(buffer);
}

/**
 * Writes the records of one kind that the caller decided are new straight
 * into the journal's tables with COPY, inside the package's transaction:
 * the caller looked up every id under the register's lock (every writer of a
 * register's rows holds it, import and reconcile alike), so nothing can have
 * arrived in between; should it have, the tables' unique keys make the COPY
 * fail and the transaction roll back, so a stored record is never
 * overwritten or doubled. A failed check later in the package rolls the rows
 * back with everything else: nothing is stored unless the whole package is.
 *
 * A batch's COPY runs on the server while the caller reads and checks the
 * next batch: `insert` returns once the rows are handed over, and the next
 * `insert` (or `finish`) waits for the server to have them.
 */
export class BulkWriter {
  /** The COPYs of the batch before, still running on the server; rejections are kept for whoever awaits it. */
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    private readonly session: BulkSession,
    private readonly kind: BulkKind,
    private readonly provenance: { customerNumber: string; registerId: string },
  ) {}

  /**
   * The stored content hash of each of `ids` the journal already holds for this register: one indexed lookup per batch.
   * Queued behind the COPY in flight, so it sees those rows.
   */
  async storedHashes(ids: readonly string[]): Promise<Map<string, string>> {
    const stored = new Map<string, string>();
    if (ids.length === 0) return stored;
    const { kind, provenance: p } = this;
    const rows = await this.behindCopies(() =>
      this.session.query<{ id: string; sha: string }>(
        `SELECT ${kind.idColumn} AS id, content_sha256 AS sha FROM ${kind.table}
         WHERE customer_number = $1 AND register_id = $2 AND ${kind.idColumn} = ANY($3::text[])`,
        [p.customerNumber, p.registerId, ids as unknown as SqlValue],
      ),
    );
    for (const row of rows) stored.set(row.id, row.sha);
    return stored;
  }

  /**
   * A statement of this transaction issued while a COPY may still run (the connection queues it behind):
   * when the COPY failed, the statement fails only because the transaction is aborted, and the COPY's
   * error (a unique key, a lost connection: what decides a retry) is the one to report.
   */
  async behindCopies<R>(work: () => Promise<R>): Promise<R> {
    try {
      return await work();
    } catch (err) {
      await this.inFlight;
      throw err;
    }
  }

  /** Hands the new records' rows to COPY, one stream per table. */
  async insert(records: readonly BulkRows[]): Promise<void> {
    if (records.length === 0) return;
    const { kind, session } = this;
    // The text is made while the server still takes the batch before.
    const parent: string[] = new Array(records.length);
    for (let i = 0; i < records.length; i++) parent[i] = `${copyRow(records[i]!.values)}\n`;
    const children = kind.children.map((_, c) => {
      const lines: string[] = [];
      for (const r of records) for (const row of r.children[c]!) lines.push(`${copyRow(row)}\n`);
      return lines;
    });
    await this.inFlight;
    const copies = (async () => {
      await session.copyIn(kind.table, kind.columns, (out) => writeLines(out, parent));
      for (let c = 0; c < kind.children.length; c++) {
        const child = kind.children[c]!;
        if (children[c]!.length > 0) await session.copyIn(child.table, child.columns, (out) => writeLines(out, children[c]!));
      }
    })();
    // Seen as handled now, thrown where it is awaited: at the next batch or at `finish`.
    copies.catch(() => undefined);
    this.inFlight = copies;
  }

  /** Waits until the server has every row handed over. */
  async finish(): Promise<void> {
    await this.inFlight;
  }
}
