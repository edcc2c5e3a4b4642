import { z } from 'zod';

/**
 * Customer numbers on their own, apart from the register's settings: head
 * office compares them on every import and must not load what checking a
 * register's settings needs (the age library among it) to do so.
 */
export const CustomerNumber = z.string().regex(/^[0-9]{1,12}$/, 'a customer number is 1 to 12 digits');

const DIGITS = /^[0-9]+$/;
const LEADING_ZEROS = /^0+(?=[0-9])/;

/**
 * Whether two customer numbers name the same customer. Where both are digits
 * they compare as numbers: ERP exports and hand-typed settings pad or drop
 * leading zeros, so `0010000` and `10000` are one customer, and a register
 * must not slip past the licence rule (or head office's check) by a zero.
 */
export function sameCustomerNumber(a: string, b: string): boolean {
  if (DIGITS.test(a) && DIGITS.test(b)) return a.replace(LEADING_ZEROS, '') === b.replace(LEADING_ZEROS, '');
  return a === b;
}
