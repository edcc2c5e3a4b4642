import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import type { BusinessDay } from '../host/business-day.js';
import { ReceiptSchema, StockPostingSchema, TimeRecordSchema } from '../host/records.js';
import { openJournalDatabase } from '../journal/open-journal.js';
import { SqliteJournalPort } from '../journal/sqlite-journal-port.js';
import { SqliteTimeRecordingPort } from '../journal/sqlite-time-recording-port.js';
import { DecryptError, decryptFile } from '../package/age-file.js';
import {
  type BackupManifest,
  BackupRefusedError,
  openCheckedBackup,
  type PinnedRegisterKey,
} from '../package/backup-manifest.js';
import { sameCustomerNumber } from '../settings/customer-number.js';
import type { ReceiptBundle } from '../central/central-rows.js';
import { storedHeadOfficeCustomerNumber } from '../central/central-settings.js';
import type { CentralQueries, CentralStore } from '../central/central-store.js';
import { type CentralDaySummary, centralDaySummary } from '../central/central-summary.js';
import { LICENCE_MESSAGE } from './import-package.js';
import {
  type ConflictReport,
  type MergeTally,
  RECEIPTS,
  RecordMerger,
  STOCK_POSTINGS,
  TIME_RECORDS,
} from './record-merger.js';

export interface ReconcileOptions {
  /** The register's master-data backup folder (`masterdata/`, manifest inside), or the backup file in it. */
  registerDatabase: string;
  from: BusinessDay;
  customerNumber: string;
  registerId: string;
  withoutStockPostings: boolean;
  headOfficeCustomerNumber: string | null;
  /** Head office's age identities: the backup file is ciphertext to them (docs/stick-format.md 10). */
  identities: readonly string[];
  /** Compare and count only: the central journal is read, never written. */
  dryRun?: boolean;
  now?: () => Date;
}

export interface RegisterDayFigures {
  receipts: number;
  grossMinor: number;
  stockPostings: number;
  timeRecords: number;
  /** Records in the register database that fail the host schemas: cannot be imported, reported. */
  unreadable: number;
}

export interface DayReconciliation {
  businessDay: string;
  register: RegisterDayFigures;
  centralBefore: CentralDaySummary;
  centralAfter: CentralDaySummary;
  inserted: { receipts: number; stockPostings: number; timeRecords: number };
  alreadyPresent: { receipts: number; stockPostings: number; timeRecords: number };
  conflicts: number;
  conflictSamples: ConflictReport[];
  /** Receipt ids the central journal holds for this day that the register database does not. */
  onlyCentralReceipts: string[];
  /** True when central now holds exactly the register's receipts, gross total, and (when compared) stock postings and time records. */
  matches: boolean;
  /** Counts or totals differ although no conflict, unreadable or central-only record explains it (e.g. a row edited centrally). */
  unexplainedDifference: boolean;
}

export interface ReconcileReport {
  source: string;
  /** The signed backup manifest the register database was taken from. */
  backup: BackupManifest;
  dryRun: boolean;
  days: DayReconciliation[];
  inserted: number;
  /** Conflicts, unreadable records, central-only receipts and unexplained differences: what reconciliation cannot fix by itself. */
  unfixable: number;
}

export class ReconcileError extends Error {
  override name = 'ReconcileError';
}

/** The key head office pinned at the register's first imported package: the only key a backup is checked against. */
async function pinnedRegisterKey(
  store: CentralQueries,
  customerNumber: string,
  registerId: string,
): Promise<PinnedRegisterKey | null> {
  const rows = await store.all<{ public_key_id: string; public_key_pem: string }>(
    'SELECT public_key_id, public_key_pem FROM registers WHERE customer_number = ? AND register_id = ?',
    [customerNumber, registerId],
  );
  const row = rows[0];
  return row ? { publicKeyId: row.public_key_id, publicKeyPem: row.public_key_pem } : null;
}

/** Reads pass through, writes are counted as done and dropped: a dry run takes the very path a real run takes. */
function readOnly(store: CentralQueries): CentralQueries {
  return {
    all: (sql, params) => store.all(sql, params),
    run: async () => 0,
    insertMany: async (_table, _columns, rows) => rows.length,
  };
}

function registerDays(db: Database.Database, from: string): string[] {
  return db
    .prepare(
      `SELECT business_day FROM F_RECEIPT WHERE business_day >= ?
       UNION SELECT business_day FROM F_STOCK_POSTING WHERE business_day >= ?
       UNION SELECT business_day FROM F_TIME_RECORD WHERE business_day >= ? ORDER BY 1`,
    )
    .pluck()
    .all(from, from, from) as string[];
}

/**
 * Data synchronisation from a date: compares, day by day, the register's
 * full database (read-only, through the journal ports) with the central
 * journal, inserts what central lacks (one transaction per day), and reports
 * what it cannot fix: conflicting ids, records the register itself cannot
 * validate, and receipts only central has. Nothing stored is ever changed.
 */
export async function reconcileRegister(store: CentralStore, options: ReconcileOptions): Promise<ReconcileReport> {
  for (const own of [options.headOfficeCustomerNumber, await storedHeadOfficeCustomerNumber(store)]) {
    if (own !== null && sameCustomerNumber(options.customerNumber, own)) {
      throw new ReconcileError(
        `customer number ${options.customerNumber} is head office's own (${own}): ${LICENCE_MESSAGE}`,
      );
    }
  }
  const now = options.now ?? (() => new Date());
  const dryRun = options.dryRun ?? false;
  // Head office's own folder for the checked copy: the clerk's stick is only read.
  const scratch = await mkdtemp(join(tmpdir(), 'daystick-reconcile-'));
  let db: Database.Database | null = null;
  try {
    const checked = await openCheckedBackup({
      path: options.registerDatabase,
      customerNumber: options.customerNumber,
      registerId: options.registerId,
      pinnedKey: (customer, register) => pinnedRegisterKey(store, customer, register),
      copyTo: join(scratch, 'register-backup.age'),
    });
    const clear = join(scratch, 'register-backup.sqlite');
    await decryptBackup(checked.copyPath, clear, options.identities);
    // Opened for writing so a backup of a register on an older journal schema is brought up to this one:
    // the copy is head office's own, in its scratch folder, and goes when the run ends.
    db = openJournalDatabase(clear, { readonly: false });
    return await reconcileDatabase(store, db, checked.manifest, options, now, dryRun);
  } finally {
    db?.close();
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The checked ciphertext, decrypted into head office's private folder; refused by name when it does not open. */
async function decryptBackup(from: string, to: string, identities: readonly string[]): Promise<void> {
  if (identities.length === 0) {
    throw new BackupRefusedError(
      'decrypt-failed',
      "the backup is encrypted to head office and no identity was found (--identity FILE); nothing was imported",
    );
  }
  try {
    await decryptFile(from, to, identities);
  } catch (err) {
    if (err instanceof DecryptError) {
      throw new BackupRefusedError(
        'decrypt-failed',
        `the backup does not open with head office's identity (${err.message}); nothing was imported`,
      );
    }
    throw err;
  }
}

async function reconcileDatabase(
  store: CentralStore,
  db: Database.Database,
  backup: BackupManifest,
  options: ReconcileOptions,
  now: () => Date,
  dryRun: boolean,
): Promise<ReconcileReport> {
  // The signed manifest's identity, which openCheckedBackup has found equal to what was typed.
  const c = backup.customerNumber;
  const r = backup.registerId;
  const journal = new SqliteJournalPort(db);
  const timeRecording = new SqliteTimeRecordingPort(db);
  const source = `reconcile:${randomUUID()}`;
  const report: ReconcileReport = { source, backup, dryRun, days: [], inserted: 0, unfixable: 0 };
  const inDay = <T>(work: (tx: CentralQueries) => Promise<T>): Promise<T> =>
    dryRun ? work(readOnly(store)) : store.transaction(`register:${c}-${r}`, work);
  const centralDays = await store.all<{ business_day: string }>(
    `SELECT business_day FROM receipts WHERE customer_number = ? AND register_id = ? AND business_day >= ?
       UNION SELECT business_day FROM time_records WHERE customer_number = ? AND register_id = ? AND business_day >= ?`,
    [c, r, options.from, c, r, options.from],
  );
  const days = [...new Set([...registerDays(db, options.from), ...centralDays.map((d) => d.business_day)])].sort();
  for (const day of days) {
    const importedAt = now().toISOString();
    const provenance = { customerNumber: c, registerId: r, source, importedAt };
    const dayReport = await inDay(async (tx) => {
      const centralBefore = await centralDaySummary(tx, c, r, day);
      const figures: RegisterDayFigures = {
        receipts: 0,
        grossMinor: 0,
        stockPostings: 0,
        timeRecords: 0,
        unreadable: 0,
      };
      const registerReceiptIds = new Set<string>();

      const receipts = new RecordMerger(tx, RECEIPTS, provenance);
      for await (const raw of journal.receipts(day)) {
        const parsed = ReceiptSchema.safeParse(raw);
        if (!parsed.success) {
          figures.unreadable++;
          continue;
        }
        const { lines, payments, ...head } = parsed.data;
        const bundle: ReceiptBundle = {
          receipt: { ...head, lineCount: lines.length, paymentCount: payments.length },
          lines: lines.map((l) => ({ receiptId: head.receiptId, ...l })),
          payments: payments.map((p) => ({ receiptId: head.receiptId, ...p })),
        };
        figures.receipts++;
        figures.grossMinor += head.grossMinor;
        registerReceiptIds.add(head.receiptId);
        await receipts.add(bundle);
      }
      const receiptTally = await receipts.finish();

      const stock = new RecordMerger(tx, STOCK_POSTINGS, provenance);
      if (!options.withoutStockPostings) {
        for await (const raw of journal.stockPostings(day)) {
          const parsed = StockPostingSchema.safeParse(raw);
          if (!parsed.success) {
            figures.unreadable++;
            continue;
          }
          figures.stockPostings++;
          await stock.add(parsed.data);
        }
      }
      const stockTally = await stock.finish();

      const time = new RecordMerger(tx, TIME_RECORDS, provenance);
      for await (const raw of timeRecording.records(day)) {
        const parsed = TimeRecordSchema.safeParse(raw);
        if (!parsed.success) {
          figures.unreadable++;
          continue;
        }
        figures.timeRecords++;
        await time.add(parsed.data);
      }
      const timeTally = await time.finish();

      const centralIds = await tx.all<{ id: string }>(
        'SELECT receipt_id AS id FROM receipts WHERE customer_number = ? AND register_id = ? AND business_day = ? ORDER BY receipt_id',
        [c, r, day],
      );
      const onlyCentralReceipts = centralIds.map((x) => x.id).filter((id) => !registerReceiptIds.has(id));
      const centralAfter = await centralDaySummary(tx, c, r, day);
      const tallies: MergeTally[] = [receiptTally, stockTally, timeTally];
      const conflicts = tallies.reduce((n, t) => n + t.conflicts, 0);
      const matches =
        !dryRun &&
        conflicts === 0 &&
        onlyCentralReceipts.length === 0 &&
        centralAfter.receipts === figures.receipts &&
        centralAfter.grossMinor === figures.grossMinor &&
        (options.withoutStockPostings || centralAfter.stockPostings === figures.stockPostings) &&
        centralAfter.timeRecords === figures.timeRecords;
      const result: DayReconciliation = {
        businessDay: day,
        register: figures,
        centralBefore,
        centralAfter,
        inserted: {
          receipts: receiptTally.inserted,
          stockPostings: stockTally.inserted,
          timeRecords: timeTally.inserted,
        },
        alreadyPresent: {
          receipts: receiptTally.alreadyPresent,
          stockPostings: stockTally.alreadyPresent,
          timeRecords: timeTally.alreadyPresent,
        },
        conflicts,
        conflictSamples: tallies.flatMap((t) => t.conflictSamples),
        onlyCentralReceipts,
        matches,
        unexplainedDifference:
          !dryRun && !matches && conflicts === 0 && onlyCentralReceipts.length === 0 && figures.unreadable === 0,
      };
      return result;
    });
    report.days.push(dayReport);
    report.inserted += dayReport.inserted.receipts + dayReport.inserted.stockPostings + dayReport.inserted.timeRecords;
    report.unfixable +=
      dayReport.conflicts +
      dayReport.register.unreadable +
      dayReport.onlyCentralReceipts.length +
      (dayReport.unexplainedDifference ? 1 : 0);
  }
  return report;
}
