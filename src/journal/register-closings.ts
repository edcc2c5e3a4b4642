import type Database from 'better-sqlite3';
import type { BusinessDay } from '../host/business-day.js';

export interface Closing {
  zNumber: number;
  businessDay: BusinessDay;
  closedAt: string;
}

export type ClosingRefusal = 'not-begun' | 'already-closed' | 'before-last';

/** A refused closing: `refusal` and `params` let a shell say it in the cashier's language; the message is for the log. */
export class ClosingError extends Error {
  override name = 'ClosingError';
  constructor(
    readonly refusal: ClosingRefusal,
    readonly params: Readonly<Record<string, string | number>>,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The register's own day closings (Z reports) in `F_CLOSING`. The shell
 * records a closing before it hands the day to the plugin, exactly as a real
 * register writes its Z report before any export runs.
 */
export class RegisterClosings {
  private readonly statements;

  constructor(private readonly db: Database.Database) {
    this.statements = {
      byDay: db.prepare(
        'SELECT z_number AS zNumber, business_day AS businessDay, closed_at AS closedAt FROM F_CLOSING WHERE business_day = ?',
      ),
      last: db.prepare(
        'SELECT z_number AS zNumber, business_day AS businessDay, closed_at AS closedAt FROM F_CLOSING ORDER BY z_number DESC LIMIT 1',
      ),
      // A day after the last closing has no closing, so the first such day is the least of three index seeks;
      // a UNION of every booking's day would walk the whole journal (80 ms for one 100,000-receipt day).
      firstUnclosedBookingDay: db
        .prepare(`SELECT MIN(d) FROM (
          SELECT MIN(business_day) AS d FROM F_RECEIPT WHERE business_day > $after
          UNION ALL SELECT MIN(business_day) FROM F_STOCK_POSTING WHERE business_day > $after
          UNION ALL SELECT MIN(business_day) FROM F_TIME_RECORD WHERE business_day > $after)`)
        .pluck(),
      lastClosedDay: db.prepare(`SELECT COALESCE(MAX(business_day), '') FROM F_CLOSING`).pluck(),
      nextZ: db.prepare('SELECT COALESCE(MAX(z_number), 0) + 1 FROM F_CLOSING').pluck(),
      insert: db.prepare('INSERT INTO F_CLOSING (z_number, business_day, closed_at) VALUES (?, ?, ?)'),
    };
  }

  closingOf(day: BusinessDay): Closing | null {
    return (this.statements.byDay.get(day) as Closing | undefined) ?? null;
  }

  last(): Closing | null {
    return (this.statements.last.get() as Closing | undefined) ?? null;
  }

  /**
   * The day the next `close` closes: the first day with bookings after the
   * last closing, else `today` (a register closes its current day even when
   * nothing was sold). Never later than `today`: a day that has not begun
   * cannot be closed. Null when `today` is already closed or lies before
   * the last closing (a clock set back): then no day is open.
   */
  openDay(today: BusinessDay): BusinessDay | null {
    const after = this.statements.lastClosedDay.get() as string;
    const booked = this.statements.firstUnclosedBookingDay.get({ after }) as string | null;
    if (booked && booked < today) return booked;
    const last = this.last();
    return last && last.businessDay >= today ? null : today;
  }

  /** Records the closing with the next Z number; refuses a day already closed or one after `today`. */
  record(day: BusinessDay, today: BusinessDay, closedAt: string): Closing {
    if (day > today)
      throw new ClosingError('not-begun', { day, today }, `business day ${day} has not begun yet (today is ${today})`);
    const write = this.db.transaction((): Closing => {
      const existing = this.closingOf(day);
      if (existing) {
        throw new ClosingError(
          'already-closed',
          { day, zNumber: existing.zNumber, closedAt: existing.closedAt },
          `business day ${day} is already closed (Z ${existing.zNumber} at ${existing.closedAt})`,
        );
      }
      const last = this.last();
      if (last && last.businessDay > day) {
        throw new ClosingError(
          'before-last',
          { day, lastDay: last.businessDay, zNumber: last.zNumber },
          `business day ${day} lies before the last closing (${last.businessDay}, Z ${last.zNumber})`,
        );
      }
      const zNumber = this.statements.nextZ.get() as number;
      this.statements.insert.run(zNumber, day, closedAt);
      return { zNumber, businessDay: day, closedAt };
    });
    return write.immediate();
  }
}
