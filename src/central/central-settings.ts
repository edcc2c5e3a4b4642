import { CustomerNumber, sameCustomerNumber } from '../settings/customer-number.js';
import type { CentralQueries, CentralStore } from './central-store.js';

const HEAD_OFFICE_CUSTOMER_NUMBER = 'head_office_customer_number';

export type HeadOfficeIdentityProblem = 'not-set' | 'differs' | 'malformed';

export class HeadOfficeIdentityError extends Error {
  override name = 'HeadOfficeIdentityError';
  constructor(
    readonly problem: HeadOfficeIdentityProblem,
    message: string,
  ) {
    super(message);
  }
}

/** Head office's own customer number as stored in the central journal, or null before it was ever given. */
export async function storedHeadOfficeCustomerNumber(q: CentralQueries): Promise<string | null> {
  const rows = await q.all<{ value: string }>('SELECT value FROM central_settings WHERE name = ?', [HEAD_OFFICE_CUSTOMER_NUMBER]);
  return rows[0]?.value ?? null;
}

/**
 * The customer number every import of this central journal refuses. Given
 * once (`--head-office-customer`) it is stored in the journal itself, so a
 * later run without the flag, or on another head-office machine sharing the
 * journal, still checks it; a run naming another number is refused, because
 * one central journal belongs to one head office.
 */
export async function settleHeadOfficeCustomerNumber(
  store: CentralStore,
  given: string | null,
  now: () => Date = () => new Date(),
): Promise<string> {
  if (given !== null && !CustomerNumber.safeParse(given).success) {
    throw new HeadOfficeIdentityError('malformed', `--head-office-customer ${given}: a customer number is 1 to 12 digits`);
  }
  return store.transaction('central-settings', async (tx) => {
    const stored = await storedHeadOfficeCustomerNumber(tx);
    if (stored === null) {
      if (given === null) {
        throw new HeadOfficeIdentityError(
          'not-set',
          `the central journal ${store.description} does not know head office's own customer number yet: ` +
            'give it once with --head-office-customer N; it is stored there and every import refuses packages carrying it',
        );
      }
      await tx.insertMany('central_settings', ['name', 'value', 'set_at'], [[HEAD_OFFICE_CUSTOMER_NUMBER, given, now().toISOString()]], 'fail');
      return given;
    }
    if (given !== null && !sameCustomerNumber(given, stored)) {
      throw new HeadOfficeIdentityError(
        'differs',
        `--head-office-customer ${given} is not head office's customer number ${stored} stored in the central journal ` +
          `${store.description}: one central journal belongs to one head office; nothing imported`,
      );
    }
    return stored;
  });
}

/**
 * The same answer as `settleHeadOfficeCustomerNumber` without writing: a dry
 * run checks against the stored number, or against the one given when none
 * is stored yet, and leaves storing it to the first real run.
 */
export async function knownHeadOfficeCustomerNumber(store: CentralStore, given: string | null): Promise<string> {
  if (given !== null && !CustomerNumber.safeParse(given).success) {
    throw new HeadOfficeIdentityError('malformed', `--head-office-customer ${given}: a customer number is 1 to 12 digits`);
  }
  const stored = await storedHeadOfficeCustomerNumber(store);
  if (stored === null) {
    if (given === null) {
      throw new HeadOfficeIdentityError(
        'not-set',
        `the central journal ${store.description} does not know head office's own customer number yet: give it with --head-office-customer N`,
      );
    }
    return given;
  }
  if (given !== null && !sameCustomerNumber(given, stored)) {
    throw new HeadOfficeIdentityError(
      'differs',
      `--head-office-customer ${given} is not head office's customer number ${stored} stored in the central journal ${store.description}`,
    );
  }
  return stored;
}
