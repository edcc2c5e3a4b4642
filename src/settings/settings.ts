import { z } from 'zod';
import { recipientProblem } from '../package/age-recipient.js';
import { CustomerNumber, sameCustomerNumber } from './customer-number.js';

export { CustomerNumber, sameCustomerNumber };

export const SettingsSchema = z
  .strictObject({
    saveTransactionsForCentral: z.boolean(),
    customerNumber: CustomerNumber.nullable(),
    registerId: z.string().regex(/^[A-Za-z0-9_]{1,16}$/, 'a register id is 1 to 16 letters, digits or _'),
    headOfficeCustomerNumber: CustomerNumber.nullable(),
    /**
     * Head office's age X25519 recipients (`age1…`), separated by spaces,
     * commas or line breaks; several while head office rotates its key. The
     * register holds only these, never a key that decrypts.
     */
    headOfficeRecipients: z.union([z.string(), z.null()]),
    masterDataBackup: z.boolean(),
    backupStallSeconds: z.number().int().min(1).max(3600),
    includeTimeRecords: z.boolean(),
    stickReminderSeconds: z.number().int().min(5).max(3600),
    unconfirmedResendAfterCloses: z.number().int().min(1).max(365),
    /** Confirmed days whose packages stay on the stick; older confirmed packages are removed (docs/stick-format.md 9.3). */
    keepConfirmedDays: z.number().int().min(0).max(366).default(7),
    language: z.enum(['en', 'de']),
  })
  .superRefine((s, ctx) => {
    if (!s.saveTransactionsForCentral) return;
    if (s.customerNumber === null) {
      ctx.addIssue({
        code: 'custom',
        path: ['customerNumber'],
        message: 'is required when "Save transactions for the central" is on',
      });
    }
    for (const r of recipientList(s.headOfficeRecipients)) {
      const problem = recipientProblem(r);
      if (problem) ctx.addIssue({ code: 'custom', path: ['headOfficeRecipients'], message: `"${r}" ${problem}` });
    }
    if (recipientList(s.headOfficeRecipients).length === 0) {
      // Without a recipient the day would travel in the clear: refused, not written unencrypted.
      ctx.addIssue({
        code: 'custom',
        path: ['headOfficeRecipients'],
        message: 'is required when "Save transactions for the central" is on: the day is written only encrypted to head office',
      });
    }
    if (s.headOfficeCustomerNumber === null) {
      ctx.addIssue({
        code: 'custom',
        path: ['headOfficeCustomerNumber'],
        message: 'is required when "Save transactions for the central" is on',
      });
    }
  });

export type Settings = z.infer<typeof SettingsSchema>;

/** The recipients of the setting, separated by spaces, commas or line breaks. */
export function recipientList(text: string | null): string[] {
  return (text ?? '').split(/[\s,]+/).filter((r) => r !== '');
}

export class SettingsError extends Error {
  override name = 'SettingsError';
  constructor(
    message: string,
    /** One entry per offending field, `field: problem`. */
    readonly fields: string[],
  ) {
    super(message);
  }
}

/**
 * A host stores what its clerk changed, not every setting a newer plugin
 * knows: a missing (or undefined) setting takes the manifest's default. A
 * setting the host did store is checked as it is, null included, so a wrong
 * value is refused by name instead of quietly replaced.
 */
function withDefaults(raw: unknown, defaults: Readonly<Record<string, unknown>>): unknown {
  if (raw === undefined) return { ...defaults };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const stored = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined));
  return { ...defaults, ...stored };
}

/**
 * Validates the host's stored settings, missing ones filled from `defaults`
 * (the manifest's). The customer-number rule is the
 * vendor's licence rule: an offline register sharing head office's number
 * would mix its data with head office's in every portal transfer and update.
 */
export function parseSettings(raw: unknown, defaults: Readonly<Record<string, unknown>> = {}): Settings {
  const result = SettingsSchema.safeParse(withDefaults(raw, defaults));
  if (!result.success) {
    const fields = result.error.issues.map((i) => `${i.path.join('.') || '(settings)'}: ${i.message}`);
    throw new SettingsError(`daystick settings are invalid: ${fields.join('; ')}`, fields);
  }
  const s = result.data;
  if (
    s.saveTransactionsForCentral &&
    s.customerNumber !== null &&
    s.headOfficeCustomerNumber !== null &&
    sameCustomerNumber(s.customerNumber, s.headOfficeCustomerNumber)
  ) {
    const field = `customerNumber: equals the head office's customer number ${s.headOfficeCustomerNumber}`;
    throw new SettingsError(
      `daystick refuses to activate: this register's customer number ${s.customerNumber} is the head office's` +
        `${s.customerNumber === s.headOfficeCustomerNumber ? '' : ` (${s.headOfficeCustomerNumber})`}. ` +
        'Every offline register needs its own customer number: sharing one is a licence violation, and head office ' +
        "could not tell this register's bookings from its own or from other registers'.",
      [field],
    );
  }
  return s;
}
