import type Database from 'better-sqlite3';
import type { BusinessDay } from '../host/business-day.js';
import type { TimeRecordingPort } from '../host/ports.js';
import { EXACT_ROWID, ExactRows } from './exact-rows.js';
import { type OpenedRows, streamRows } from './stream-rows.js';

interface TimeRecordRow {
  record_id: unknown;
  business_day: unknown;
  employee_id: unknown;
  kind: unknown;
  at: unknown;
}

/** Clock-in/out records of the register's `F_TIME_RECORD` table, in the order they happened. */
export class SqliteTimeRecordingPort implements TimeRecordingPort {
  private readonly statements;
  private readonly exact;

  constructor(private readonly db: Database.Database) {
    this.exact = new ExactRows(db, 'F_TIME_RECORD');
    this.statements = {
      count: db.prepare('SELECT COUNT(*) AS n FROM F_TIME_RECORD WHERE business_day = ?').pluck(),
    };
  }

  async count(day: BusinessDay): Promise<number> {
    return this.statements.count.get(day) as number;
  }

  records(day: BusinessDay, signal?: AbortSignal): AsyncIterable<unknown> {
    return streamRows(() => this.open(day), signal);
  }

  private open(day: BusinessDay): OpenedRows<unknown> {
    // Prepared per stream: a statement runs one iteration at a time.
    const rows = this.db
      .prepare(`SELECT rowid AS ${EXACT_ROWID}, * FROM F_TIME_RECORD WHERE business_day = ? ORDER BY at, record_id`)
      .iterate(day) as Iterator<TimeRecordRow>;
    const produce = (): unknown => {
      const step = rows.next();
      if (step.done) return undefined;
      const t = this.exact.of(step.value);
      return { recordId: t.record_id, businessDay: t.business_day, employeeId: t.employee_id, kind: t.kind, at: t.at };
    };
    return { iterators: [rows], produce };
  }
}
