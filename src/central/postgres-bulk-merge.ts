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
  /** The record as JSON, kept in `conflicts` should it turn out to differ from the stored one. */
  json: string;
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

/** COPY text format: backslash, tab, newline and carriage return escaped, NULL as \N. */
export function copyField(v: SqlValue): string {
  if (v === null) return '\\N';
  if (typeof v === 'number') return String(v);
  return /[\\\t\n\r]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r') : v;
}

const COPY_CHUNK = 256 * 1024;

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

/**
 * Stages the records of one kind with COPY into temporary tables dropped at
 * commit (`stage`, as often as the caller likes, in arrival order), then
 * decides in one statement (`merge`) what is new (inserted with its
 * children), what is already there with the same content hash (counted) and
 * what differs (recorded in `conflicts`, left out), exactly as RecordMerger
 * decides row by row: a record repeated within the package is judged against
 * the stored one, or against its first copy when nothing is stored.
 */
export class BulkMerge {
  private prepared = false;
  private staged = 0;

  constructor(
    private readonly session: BulkSession,
    private readonly kind: BulkKind,
    private readonly provenance: { source: string; importedAt: string },
  ) {}

  private async prepare(): Promise<void> {
    const { kind, session } = this;
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
    if (!this.prepared) await this.prepare();
    const { kind, session } = this;
    const offset = this.staged;
    this.staged += records.length;
    await session.copyIn(stage(kind.table), [...kind.columns, 'stage_ord', 'stage_json'], (out) =>
      writeLines(
        out,
        (function* () {
          for (let i = 0; i < records.length; i++) {
            const r = records[i]!;
            yield `${r.values.map(copyField).join('\t')}\t${offset + i}\t${copyField(r.json)}\n`;
          }
        })(),
      ),
    );
    for (let c = 0; c < kind.children.length; c++) {
      const child = kind.children[c]!;
      await session.copyIn(stage(child.table), [...child.columns, 'stage_ord'], (out) =>
        writeLines(
          out,
          (function* () {
            for (let i = 0; i < records.length; i++) {
              for (const row of records[i]!.children[c]!) yield `${row.map(copyField).join('\t')}\t${offset + i}\n`;
            }
          })(),
        ),
      );
    }
  }

  async merge(): Promise<BulkMergeResult> {
    if (this.staged === 0) return { inserted: 0, alreadyPresent: 0, conflicts: 0, samples: [] };
    const { kind, session } = this;
    const parentStage = stage(kind.table);
    await session.query(`ANALYZE ${parentStage}`);
    const id = kind.idColumn;
    const judged = `
    judged AS (
      SELECT s.*, t.content_sha256 AS stored_sha,
             ROW_NUMBER() OVER (PARTITION BY s.${id} ORDER BY s.stage_ord) AS copy_no,
             FIRST_VALUE(s.content_sha256) OVER (PARTITION BY s.${id} ORDER BY s.stage_ord) AS first_sha
      FROM ${parentStage} s
      LEFT JOIN ${kind.table} t ON t.customer_number = s.customer_number AND t.register_id = s.register_id AND t.${id} = s.${id}
    ),
    decided AS (
      SELECT j.*, (j.stored_sha IS NULL AND j.copy_no = 1) AS is_new, COALESCE(j.stored_sha, j.first_sha) AS existing_sha FROM judged j
    )`;
    const samples = await session.query<{ id: string; day: string; existing: string; incoming: string }>(
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
    return {
      inserted: Number(tally!.inserted),
      alreadyPresent: Number(tally!.present),
      conflicts: Number(tally!.conflicts),
      samples: samples.map((s) => ({ recordId: s.id, businessDay: s.day, existingSha256: s.existing, incomingSha256: s.incoming })),
    };
  }
}
