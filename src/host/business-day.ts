import { z } from 'zod';

/**
 * A business day as the register's keypad types it: eight digits, YYYYMMDD.
 * One string form everywhere (journal, queue, stick names) so nothing is ever
 * converted twice and a day compares and sorts as plain text.
 */
export type BusinessDay = string & { readonly __brand?: 'BusinessDay' };

export type BusinessDayProblem = 'wrong-length' | 'not-digits' | 'impossible-date';

export class BusinessDayError extends Error {
  constructor(
    readonly problem: BusinessDayProblem,
    readonly input: string,
  ) {
    super(
      problem === 'wrong-length'
        ? `business day "${input}" must have exactly 8 digits (YYYYMMDD), it has ${input.length} characters`
        : problem === 'not-digits'
          ? `business day "${input}" may contain only digits (YYYYMMDD)`
          : `business day "${input}" is not a calendar date`,
    );
    this.name = 'BusinessDayError';
  }
}

/** Classifies a typed date without throwing; null means it is a real calendar day. */
export function businessDayProblem(input: string): BusinessDayProblem | null {
  if (!/^[0-9]*$/.test(input)) return 'not-digits';
  if (input.length !== 8) return 'wrong-length';
  const y = Number(input.slice(0, 4));
  const m = Number(input.slice(4, 6));
  const d = Number(input.slice(6, 8));
  if (y < 1900 || m < 1 || m > 12 || d < 1) return 'impossible-date';
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return 'impossible-date';
  return null;
}

export function parseBusinessDay(input: string): BusinessDay {
  const problem = businessDayProblem(input);
  if (problem) throw new BusinessDayError(problem, input);
  return input as BusinessDay;
}

export const BusinessDaySchema = z
  .string()
  .refine((s) => businessDayProblem(s) === null, { message: 'expected a real calendar day as YYYYMMDD' });

/** The business day that contains the instant `ms`, in the register's local time zone. */
export function businessDayOf(ms: number): BusinessDay {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getFullYear(), 4)}${p(d.getMonth() + 1)}${p(d.getDate())}` as BusinessDay;
}

export function addDays(day: BusinessDay, n: number): BusinessDay {
  const date = new Date(Date.UTC(Number(day.slice(0, 4)), Number(day.slice(4, 6)) - 1, Number(day.slice(6, 8)) + n));
  const p = (v: number, w = 2) => String(v).padStart(w, '0');
  return `${p(date.getUTCFullYear(), 4)}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}` as BusinessDay;
}
