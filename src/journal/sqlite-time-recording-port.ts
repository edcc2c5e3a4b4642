import type Database from 'better-sqlite3';
import type { BusinessDay } from '../host/business-day.js';
import type { TimeRecordingPort } from '../host/ports.js';
import { ExactRows } from './exact-rows.js';
import { type OpenedRows, streamRows } from './stream-rows.js';

const TIME_RECORD_COLUMNS = ['record_id', 'business_day', 'employee_id', 'kind', 'at'];

/** Clock-in/out records of the register's `F_TIME_RECORD` table, in the order they happened. */
export class SqliteTimeRecordingPort implements TimeRecordingPort {
  private readonly statements;
  private readonly exact;

  constructor(private readonly db: Database.Database) {
    this.exact = new ExactRows(db, 'F_TIME_RECORD', TIME_RECORD_COLUMNS);
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
      .prepare(
        `SELECT ${TIME_RECORD_COLUMNS.join(', ')}, rowid FROM F_TIME_RECORD WHERE business_day = ? ORDER BY at, record_id`,
      )
      .raw()
      .iterate(day) as Iterator<unknown[]>;
    const produce = (): unknown => {
      const step = rows.next();
      if (step.done) return undefined;
      const t = this.exact.of(step.value);
      return { recordId: t[0], businessDay: t[1], employeeId: t[2], kind: t[3], at: t[4] };
    };
    return { iterators: [rows], produce };
  }
}
