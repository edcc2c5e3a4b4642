import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { activate } from 'daystick';
import type {
  BookedDay,
  BusinessDay,
  DayCloseResult,
  DaySummary,
  DisplayPort,
  Host,
  JournalPort,
  LoggerPort,
  MasterDataBackupPort,
  ShownPrompt,
  TimeRecordingPort,
} from 'daystick/host';
import { createRemovableMedia } from 'daystick/stick';

/**
 * A minimal register host for daystick: every port of the host contract over
 * a register database with the F_ tables of daystick's demo journal. A real
 * register puts its own UI, database and logging behind the same ports.
 */
export interface MinimalHostOptions {
  databasePath: string;
  /** A folder that belongs to the plugin alone and survives restarts. */
  storageDir: string;
  /** Folders in which every sub-folder (or mount point) is a stick. */
  stickRoots: string[];
  /** The plugin's settings as this register stores them; missing ones take the manifest's defaults. */
  settings: Record<string, unknown>;
  /** Where the cashier's screen and the log go; both default to the console. */
  print?: (line: string) => void;
  log?: (level: string, message: string, data?: Record<string, unknown>) => void;
}

/** How many rows a stream hands out before timers and I/O (a pulled stick, a cancel) get a turn. */
const ROWS_PER_TURN = 256;

export function createMinimalHost(options: MinimalHostOptions): { host: Host; close(): void } {
  const db = new Database(options.databasePath, { fileMustExist: true });
  const print = options.print ?? ((line: string) => console.log(line));
  const log = options.log ?? ((level, message, data) => console.error(JSON.stringify({ level, message, ...data })));
  const logger: LoggerPort = {
    debug: (message, data) => log('debug', message, data),
    info: (message, data) => log('info', message, data),
    warn: (message, data) => log('warn', message, data),
    error: (message, data) => log('error', message, data),
  };

  // This register has a screen but no keypad for questions: no answer is a cancel, and the plugin changes nothing.
  const display: DisplayPort = {
    show: (prompt: ShownPrompt) => print(`[${prompt.id}] ${prompt.text}`),
    ask: async (question) => {
      print(`[${question.id}] ${question.text}`);
      throw new Error('this register cannot answer questions');
    },
    choose: async (question, choices) => {
      print(`[${question.id}] ${question.text} ${choices.map((c) => c.label).join(' / ')}`);
      return null;
    },
    progress: (update) => print(`[${update.id}] ${update.label} ${update.done}/${update.total}`),
    clear: () => undefined,
  };

  // One async iterable per query: rows are read as the plugin asks for them, so a day of any size streams.
  async function* rows(sql: string, day: string | null, signal?: AbortSignal): AsyncGenerator<Record<string, unknown>> {
    let sinceYield = 0;
    for (const row of db.prepare(sql).iterate(day) as Iterable<Record<string, unknown>>) {
      signal?.throwIfAborted();
      yield row;
      if (++sinceYield === ROWS_PER_TURN) {
        sinceYield = 0;
        await yieldToEventLoop();
      }
    }
  }
  const linesOf = db.prepare('SELECT * FROM F_RECEIPT_LINE WHERE receipt_id = ? ORDER BY line_no');
  const paymentsOf = db.prepare('SELECT * FROM F_PAYMENT WHERE receipt_id = ? ORDER BY payment_no');
  // SQLite keeps booleans as 0/1; anything else goes on as it is, and the plugin's checks decide.
  const bool = (v: unknown) => (v === 0 ? false : v === 1 ? true : v);

  const journal: JournalPort = {
    async firstBusinessDay() {
      const sql = `SELECT MIN(d) AS day FROM (SELECT MIN(business_day) AS d FROM F_RECEIPT
        UNION ALL SELECT MIN(business_day) FROM F_STOCK_POSTING UNION ALL SELECT MIN(business_day) FROM F_TIME_RECORD)`;
      return (db.prepare(sql).get() as { day: BusinessDay | null }).day;
    },
    // The same rows the streams below yield, counted: the plugin warns when the two disagree.
    async summary(day) {
      const sql = `SELECT
        (SELECT COUNT(*) FROM F_RECEIPT WHERE business_day = $day) AS receipts,
        (SELECT COUNT(*) FROM F_RECEIPT r JOIN F_RECEIPT_LINE l USING (receipt_id) WHERE r.business_day = $day) AS receiptLines,
        (SELECT COUNT(*) FROM F_RECEIPT r JOIN F_PAYMENT p USING (receipt_id) WHERE r.business_day = $day) AS payments,
        (SELECT COUNT(*) FROM F_STOCK_POSTING WHERE business_day = $day) AS stockPostings`;
      return db.prepare(sql).get({ day }) as DaySummary;
    },
    // `IS`, not `=`: the plugin also asks for the rows held under a NULL day, to quarantine them.
    async *receipts(day, signal) {
      for await (const r of rows('SELECT * FROM F_RECEIPT WHERE business_day IS ? ORDER BY receipt_no', day, signal)) {
        yield {
          receiptId: r.receipt_id,
          receiptNo: r.receipt_no,
          businessDay: r.business_day,
          openedAt: r.opened_at,
          closedAt: r.closed_at,
          cashierId: r.cashier_id,
          kind: r.kind,
          currency: r.currency,
          grossMinor: r.gross_minor,
          lines: (linesOf.all(r.receipt_id) as Record<string, unknown>[]).map((l) => ({
            lineNo: l.line_no,
            articleId: l.article_id,
            description: l.description,
            quantityMilli: l.quantity_milli,
            unitPriceMinor: l.unit_price_minor,
            grossMinor: l.gross_minor,
            vatRateId: l.vat_rate_id,
            vatRateBasisPoints: l.vat_rate_basis_points,
            voided: bool(l.voided),
          })),
          payments: (paymentsOf.all(r.receipt_id) as Record<string, unknown>[]).map((p) => ({
            paymentNo: p.payment_no,
            paymentTypeId: p.payment_type_id,
            paymentTypeName: p.payment_type_name,
            amountMinor: p.amount_minor,
          })),
        };
      }
    },
    async *stockPostings(day, signal) {
      const sql = 'SELECT * FROM F_STOCK_POSTING WHERE business_day IS ? ORDER BY posting_id';
      for await (const s of rows(sql, day, signal)) {
        yield {
          postingId: s.posting_id,
          businessDay: s.business_day,
          postedAt: s.posted_at,
          articleId: s.article_id,
          quantityMilli: s.quantity_milli,
          reason: s.reason,
          receiptId: s.receipt_id,
        };
      }
    },
    // Every business-day value with bookings, valid or not: how the plugin finds days no stick has.
    async bookedDays() {
      const sql = `SELECT day, SUM(r) AS receipts, SUM(s) AS stockPostings FROM (
        SELECT business_day AS day, COUNT(*) AS r, 0 AS s FROM F_RECEIPT GROUP BY business_day
        UNION ALL SELECT business_day, 0, COUNT(*) FROM F_STOCK_POSTING GROUP BY business_day) GROUP BY day`;
      return (db.prepare(sql).all() as BookedDay[]).map((b) => ({ ...b, day: b.day === null ? null : String(b.day) }));
    },
  };

  const timeRecording: TimeRecordingPort = {
    async count(day) {
      return (db.prepare('SELECT COUNT(*) AS n FROM F_TIME_RECORD WHERE business_day = ?').get(day) as { n: number }).n;
    },
    async *records(day, signal) {
      const sql = 'SELECT * FROM F_TIME_RECORD WHERE business_day = ? ORDER BY at, record_id';
      for await (const t of rows(sql, day, signal)) {
        yield { recordId: t.record_id, businessDay: t.business_day, employeeId: t.employee_id, kind: t.kind, at: t.at };
      }
    },
  };

  // SQLite opens no file on the stick (its locks fail on FAT): the snapshot is taken locally, then copied over.
  const backup: MasterDataBackupPort = {
    async run(targetDir, signal, onProgress, workDir = options.storageDir, encrypt) {
      await mkdir(workDir, { recursive: true });
      const snapshot = join(workDir, 'register-backup.sqlite');
      try {
        await db.backup(snapshot, {
          progress: ({ totalPages, remainingPages }) => {
            signal.throwIfAborted();
            onProgress?.(totalPages - remainingPages, totalPages + 1);
            return 64;
          },
        });
        signal.throwIfAborted();
        await mkdir(targetDir, { recursive: true });
        // Only the plugin's encrypting stream reaches the stick: a lost stick reveals nothing.
        const name = encrypt ? 'register-backup.sqlite.age' : 'register-backup.sqlite';
        const plain = createReadStream(snapshot);
        await pipeline(encrypt ? await encrypt(plain) : plain, createWriteStream(join(targetDir, name)));
        onProgress?.(1, 1);
        return { files: [name], bytes: (await stat(join(targetDir, name))).size };
      } finally {
        await rm(snapshot, { force: true });
      }
    },
  };

  const media = createRemovableMedia({ stickRoots: options.stickRoots, logger });
  const host: Host = {
    apiVersion: '1.0',
    hostVersion: '1.0.0',
    settings: options.settings,
    display,
    clock: {
      now: () => Date.now(),
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
    },
    storage: { dir: options.storageDir },
    journal,
    timeRecording,
    backup,
    media,
    logger,
  };
  return {
    host,
    close() {
      media.dispose();
      db.close();
    },
  };
}

/** The register's day close: load the plugin, hand it the Z record's day and number, unload it. */
export async function closeDay(host: Host, businessDay: BusinessDay, closingNumber: number): Promise<DayCloseResult> {
  await mkdir(host.storage.dir, { recursive: true });
  const plugin = await activate(host);
  try {
    return await plugin.onDayClose({ businessDay, closingNumber });
  } finally {
    await plugin.dispose();
  }
}
