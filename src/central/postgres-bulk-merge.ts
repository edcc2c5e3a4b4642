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

export interface BulkRecord {
  /** Parent row values in `columns` order (content_sha256 included). */
  values: SqlValue[];
  /** Per child table, in `children` order. */
  children: SqlValue[][][];
  /**
   * The record as JSON for `conflicts`, only where the caller already knows it
   * differs from the stored one (or from its first copy in the package):
   * stringifying and shipping every record for the rare conflict cost more
   * than the rest of the merge.
   */
  json: string | null;
}

export interface BulkMergeResult {
  inserted: number;
  alreadyPresent: number;
  conflicts: number;
  samples: { recordId: string; businessDay: string; existingSha256: string; incomingSha256: string }[];
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

const SAMPLES = 20;

const stage = (table: string) => `daystick_stage_${table}`;

/** What the caller saw while staging, from the stored hashes it looked up batch by batch. */
export interface StagedFacts {
  /** Some id came twice in the package: only then must the merge tell a first copy from a repeat. */
  repeatedIds: boolean;
  /** Records the caller judged conflicting (their JSON staged); the merge must find exactly as many. */
  conflicts: number;
}

/**
 * Stages the records of one kind with COPY into temporary tables dropped at
 * commit (`stage`, as often as the caller likes, in arrival order), then
 * decides in one statement (`merge`) what is new (inserted with its
 * children), what is already there with the same content hash (counted) and
 * what differs (recorded in `conflicts`, left out), exactly as RecordMerger
 * decides row by row: a record repeated within the package is judged against
 * the stored one, or against its first copy when nothing is stored.
 *
 * A batch's COPY runs on the server while the caller reads and checks the
 * next batch: `stage` returns once the rows are handed over, and the next
 * `stage` (or `merge`) waits for the server to have them.
 */
export class BulkMerge {
  private prepared = false;
  private staged = 0;
  /** The COPYs of the batch before, still running on the server; rejections are kept for whoever awaits it. */
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    private readonly session: BulkSession,
    private readonly kind: BulkKind,
    private readonly provenance: { customerNumber: string; registerId: string; source: string; importedAt: string },
  ) {}

  /** The stored content hash of each of `ids` the journal already holds for this register: one indexed lookup per batch. */
  async storedHashes(ids: readonly string[]): Promise<Map<string, string>> {
    const stored = new Map<string, string>();
    if (ids.length === 0) return stored;
    const { kind, provenance: p } = this;
    const rows = await this.session.query<{ id: string; sha: string }>(
      `SELECT ${kind.idColumn} AS id, content_sha256 AS sha FROM ${kind.table}
       WHERE customer_number = $1 AND register_id = $2 AND ${kind.idColumn} = ANY($3::text[])`,
      [p.customerNumber, p.registerId, ids as unknown as SqlValue],
    );
    for (const row of rows) stored.set(row.id, row.sha);
    return stored;
  }

  private async prepare(): Promise<void> {
    const { kind, session } = this;
    // Both for this transaction only. JIT compiling the merge cost more than running it (its row estimates over
    // temporary tables are far too high); the merge's sorts and hashes of a large day fit in memory instead of on disk.
    await session.query(`SET LOCAL jit = off`);
    await session.query(`SET LOCAL work_mem = '64MB'`);
    for (const t of [kind.table, ...kind.children.map((c) => c.table)]) {
      // LIKE copies the journal's columns, so a column added to the schema is staged without a change here.
      await session.query(`CREATE TEMP TABLE IF NOT EXISTS ${stage(t)} (LIKE ${t}) ON COMMIT DROP`);
      await session.query(`ALTER TABLE ${stage(t)} ADD COLUMN IF NOT EXISTS stage_ord integer`);
      await session.query(`TRUNCATE ${stage(t)}`);
    }
    await session.query(`ALTER TABLE ${stage(kind.table)} ADD COLUMN IF NOT EXISTS stage_json text`);
    this.prepared = true;
  }

  async stage(records: readonly BulkRecord[]): Promise<void> {
    if (records.length === 0) return;
    const { kind, session } = this;
    const offset = this.staged;
    this.staged += records.length;
    // The text is made while the server still takes the batch before.
    const parent: string[] = new Array(records.length);
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      parent[i] = `${copyRow(r.values)}\t${offset + i}\t${r.json === null ? '\\N' : copyField(r.json)}\n`;
    }
    const children = kind.children.map((_, c) => {
      const lines: string[] = [];
      for (let i = 0; i < records.length; i++) {
        const tail = `\t${offset + i}\n`;
        for (const row of records[i]!.children[c]!) lines.push(copyRow(row) + tail);
      }
      return lines;
    });
    await this.inFlight;
    if (!this.prepared) await this.prepare();
    const copies = (async () => {
      await session.copyIn(stage(kind.table), [...kind.columns, 'stage_ord', 'stage_json'], (out) => writeLines(out, parent));
      for (let c = 0; c < kind.children.length; c++) {
        const child = kind.children[c]!;
        await session.copyIn(stage(child.table), [...child.columns, 'stage_ord'], (out) => writeLines(out, children[c]!));
      }
    })();
    // Seen as handled now, thrown where it is awaited: at the next batch or at the merge.
    copies.catch(() => undefined);
    this.inFlight = copies;
  }

  async merge(facts: StagedFacts): Promise<BulkMergeResult> {
    await this.inFlight;
    if (this.staged === 0) return { inserted: 0, alreadyPresent: 0, conflicts: 0, samples: [] };
    const { kind, session } = this;
    const parentStage = stage(kind.table);
    await session.query(`ANALYZE ${parentStage}`);
    const id = kind.idColumn;
    const join = `LEFT JOIN ${kind.table} t ON t.customer_number = s.customer_number AND t.register_id = s.register_id AND t.${id} = s.${id}`;
    // Without repeated ids (always so for a verified package) every staged row is its id's first copy: no window to sort for.
    const judged = facts.repeatedIds
      ? `
    judged AS (
      SELECT s.*, t.content_sha256 AS stored_sha,
             ROW_NUMBER() OVER (PARTITION BY s.${id} ORDER BY s.stage_ord) AS copy_no,
             FIRST_VALUE(s.content_sha256) OVER (PARTITION BY s.${id} ORDER BY s.stage_ord) AS first_sha
      FROM ${parentStage} s ${join}
    ),
    decided AS (
      SELECT j.*, (j.stored_sha IS NULL AND j.copy_no = 1) AS is_new, COALESCE(j.stored_sha, j.first_sha) AS existing_sha FROM judged j
    )`
      : `
    decided AS (
      SELECT s.*, t.content_sha256 IS NULL AS is_new, t.content_sha256 AS existing_sha FROM ${parentStage} s ${join}
    )`;
    const samples =
      facts.conflicts === 0
        ? []
        : await session.query<{ id: string; day: string; existing: string; incoming: string }>(
            `WITH ${judged}
     SELECT ${id} AS id, business_day AS day, existing_sha AS existing, content_sha256 AS incoming FROM decided
     WHERE NOT is_new AND existing_sha <> content_sha256 ORDER BY stage_ord LIMIT ${SAMPLES}`,
          );
    const cols = kind.columns.join(', ');
    const childInserts = kind.children.map(
      (child, c) => `,
    child_${c} AS (
      INSERT INTO ${child.table} (${child.columns.join(', ')})
      SELECT ${child.columns.map((col) => `l.${col}`).join(', ')} FROM ${stage(child.table)} l
      JOIN decided d ON d.is_new AND d.stage_ord = l.stage_ord
    )`,
    );
    const [tally] = await session.query<{ inserted: string; present: string; conflicts: string }>(
      `WITH ${judged},
    inserted AS (
      INSERT INTO ${kind.table} (${cols}) SELECT ${cols} FROM decided WHERE is_new RETURNING 1
    ),
    conflict_rows AS (
      INSERT INTO conflicts (customer_number, register_id, record_type, record_id, business_day, existing_sha256, incoming_sha256, incoming_json, source, detected_at)
      SELECT customer_number, register_id, $1, ${id}, business_day, existing_sha, content_sha256, stage_json, $2, $3
      FROM decided WHERE NOT is_new AND existing_sha <> content_sha256 ORDER BY stage_ord
      ON CONFLICT DO NOTHING
    )${childInserts.join('')}
    SELECT (SELECT COUNT(*) FROM inserted) AS inserted,
           (SELECT COUNT(*) FROM decided WHERE NOT is_new AND existing_sha = content_sha256) AS present,
           (SELECT COUNT(*) FROM decided WHERE NOT is_new AND existing_sha <> content_sha256) AS conflicts`,
      [kind.recordType, this.provenance.source, this.provenance.importedAt],
    );
    const conflicts = Number(tally!.conflicts);
    // Every writer of a register's rows holds its lock (import and reconcile alike), so the journal cannot have
    // changed between the lookups and the merge; if it did, the conflicts' JSON would be missing: fail, never guess.
    if (conflicts !== facts.conflicts) {
      throw new Error(`the ${kind.table} merge found ${conflicts} conflicts where the lookups found ${facts.conflicts}: the journal changed during the import`);
    }
    return {
      inserted: Number(tally!.inserted),
      alreadyPresent: Number(tally!.present),
      conflicts,
      samples: samples.map((s) => ({ recordId: s.id, businessDay: s.day, existingSha256: s.existing, incomingSha256: s.incoming })),
    };
  }
}
