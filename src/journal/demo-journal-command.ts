import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { BusinessDaySchema, type BusinessDay } from '../host/business-day.js';
import { createDemoJournalFile, DemoJournalError, type DemoJournalOptions } from './demo-journal.js';

const USAGE = `usage: daystick demo-journal --out FILE --start YYYYMMDD --days N [options]

  --out FILE              journal to create (must not exist yet)
  --start YYYYMMDD        first business day
  --days N                number of business days (1-3660)
  --receipts-per-day N    receipts per day, 0-1000000 (default 80); a big day streams into the file
  --seed S                any text; the same seed gives the same journal (default "daystick")
  --bad-records N         extra records on the last day that fail the plugin's schemas (default 0)
  --closed-days N         how many of the first days already have a closing (default: all but the last)
`;

export const MAX_RECEIPTS_PER_DAY = 1_000_000;

const Count = (name: string, max: number) =>
  z
    .string({ error: `--${name} is required` })
    .regex(/^\d+$/, `--${name} must be a whole number`)
    .transform(Number)
    .refine((n) => n <= max, `--${name} must be at most ${max}`);

const ArgsSchema = z
  .strictObject({
    out: z.string({ error: '--out is required' }).min(1, '--out is required'),
    start: z.string({ error: '--start is required' }).pipe(BusinessDaySchema),
    days: Count('days', 3660).refine((n) => n >= 1, '--days must be at least 1'),
    // A store's busiest day at full size, so export and import can be measured where real registers are.
    'receipts-per-day': Count('receipts-per-day', MAX_RECEIPTS_PER_DAY).default(80),
    seed: z.string().min(1, '--seed must not be empty').default('daystick'),
    'bad-records': Count('bad-records', 10_000).default(0),
    'closed-days': Count('closed-days', 3660).optional(),
  })
  .refine((a) => a['closed-days'] === undefined || a['closed-days'] <= a.days, {
    message: '--closed-days cannot exceed --days',
  });

export type DemoJournalArgs = DemoJournalOptions & { out: string };

/** Parses and checks the command line; throws a message naming the bad option. */
export function parseDemoJournalArgs(args: string[]): DemoJournalArgs {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      out: { type: 'string' },
      start: { type: 'string' },
      days: { type: 'string' },
      'receipts-per-day': { type: 'string' },
      seed: { type: 'string' },
      'bad-records': { type: 'string' },
      'closed-days': { type: 'string' },
    },
  });
  const parsed = ArgsSchema.safeParse(values);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path[0];
    throw new DemoJournalError(
      issue.message.startsWith('--') || field === undefined ? issue.message : `--${String(field)}: ${issue.message}`,
    );
  }
  const a = parsed.data;
  return {
    out: resolve(a.out),
    start: a.start as BusinessDay,
    days: a.days,
    receiptsPerDay: a['receipts-per-day'],
    seed: a.seed,
    badRecords: a['bad-records'],
    closedDays: a['closed-days'] ?? a.days - 1,
  };
}

export async function runDemoJournalCommand(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  let options: DemoJournalArgs;
  try {
    options = parseDemoJournalArgs(args);
  } catch (err) {
    process.stderr.write(`daystick demo-journal: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  try {
    const stats = await createDemoJournalFile(options.out, options);
    process.stdout.write(
      `demo journal ${options.out}: business days ${stats.firstDay}-${stats.lastDay}, ${stats.receipts} receipts, ` +
        `${stats.receiptLines} lines, ${stats.payments} payments, ${stats.stockPostings} stock postings, ` +
        `${stats.timeRecords} time records, ${stats.closings} closings, ${stats.badRecords} bad records\n`,
    );
    return 0;
  } catch (err) {
    process.stderr.write(`daystick demo-journal: ${(err as Error).message}\n`);
    return 1;
  }
}
