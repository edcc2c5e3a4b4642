import { createECDH, createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { addDays, type BusinessDay } from '../host/business-day.js';
import {
  DEMO_ARTICLES,
  DEMO_EMPLOYEES,
  DEMO_PAYMENT_TYPES,
  DEMO_VAT_RATES,
  type DemoArticle,
} from './demo-master-data.js';
import { applyJournalSchema } from './journal-schema.js';
import { registerInstant } from './register-local-time.js';
import { SeededRandom } from './seeded-random.js';

export interface DemoJournalOptions {
  start: BusinessDay;
  days: number;
  receiptsPerDay: number;
  seed: string;
  /** Extra records on the last day that fail the host contract's schemas, to show quarantine. */
  badRecords: number;
  /** How many of the first days already have a closing (Z number); the rest are open. */
  closedDays: number;
  /** Sign receipts with a simulated security module (TSE, German KassenSichV); on unless false. */
  tse?: boolean;
}

export interface DemoJournalStats {
  firstDay: BusinessDay;
  lastDay: BusinessDay;
  receipts: number;
  receiptLines: number;
  payments: number;
  stockPostings: number;
  timeRecords: number;
  badRecords: number;
  closings: number;
}

export class DemoJournalError extends Error {
  override name = 'DemoJournalError';
}

const CURRENCY = 'EUR';
const HOUR = 3600;

const pad = (n: number, width: number) => String(n).padStart(width, '0');
const vatBasisPoints = (id: string) => DEMO_VAT_RATES.find((v) => v.vatRateId === id)!.basisPoints;
const paymentTypeName = (id: string) => DEMO_PAYMENT_TYPES.find((p) => p.paymentTypeId === id)!.name;

/** The ways a demo bad record breaks the host contract; cycled so N bad records show N different faults. */
const BAD_RECORD_KINDS = [
  'receipt-float-amount',
  'receipt-missing-cashier',
  'time-record-without-offset',
  'stock-posting-unknown-reason',
  'line-float-unit-price',
  'receipt-tse-float-counter',
] as const;

/** How often the simulated module fails for a receipt (the receipt then carries its error text). */
const TSE_FAILURE_RATE = 0.01;
const TSE_ERRORS = [
  'TSE not reachable: timeout after 5000 ms',
  'TSE storage full: export required',
  'TSE self test failed',
];

/**
 * A simulated security module: its own seeded stream (so switching it off
 * leaves the journal's other rows as they were), a transaction number that
 * counts up per receipt, a signature counter that counts the start and the
 * finish of each transaction, and a 96-byte signature as ecdsa-plain-SHA384
 * gives, in Base64.
 */
class SimulatedTse {
  private readonly random: SeededRandom;
  readonly serialNumber: string;
  /** Base64 of the module's brainpoolP384r1 public key, the uncompressed point as a module exports it. */
  readonly publicKey: string;
  private transactionNumber = 0;
  private signatureCounter = 0;

  constructor(seed: string) {
    this.random = new SeededRandom(`${seed}:tse`);
    // A real key pair from the seed, so the serial is what BSI TR-03153 makes it: the SHA-256 of the public key.
    const secret = createHash('sha384').update(`daystick demo tse ${seed}`).digest();
    secret[0] = (secret[0]! & 0x7f) | 0x01; // below the curve's order (0x8cb9…), never zero
    const ecdh = createECDH('brainpoolP384r1');
    ecdh.setPrivateKey(secret);
    const point = ecdh.getPublicKey();
    this.publicKey = point.toString('base64');
    this.serialNumber = createHash('sha256').update(point).digest('hex');
  }

  /** The F_RECEIPT TSE columns (journal-schema.ts TSE_COLUMNS order) of one receipt. */
  sign(startedAt: string, finishedAt: string): unknown[] {
    this.transactionNumber++;
    if (this.random.chance(TSE_FAILURE_RATE)) {
      const error = this.random.pick(TSE_ERRORS);
      return [this.serialNumber, null, null, null, null, null, null, null, null, error];
    }
    this.signatureCounter += 2;
    const signature = Buffer.alloc(96);
    for (let i = 0; i < signature.length; i++) signature[i] = this.random.int(0, 255);
    return [
      this.serialNumber,
      this.transactionNumber,
      this.signatureCounter,
      startedAt,
      finishedAt,
      'Kassenbeleg-V1',
      signature.toString('base64'),
      'ecdsa-plain-SHA384',
      'unixTime',
      null,
    ];
  }
}

const NO_TSE = [null, null, null, null, null, null, null, null, null, null];

const OPENING_FROM = 7 * HOUR;
const OPENING_TO = 20 * HOUR;

/**
 * The day's receipt openings in ascending order, drawn as `count` seconds
 * between 7:00 and 20:00. Counted per second instead of kept in an array, so
 * a day of a million receipts costs one small table, not the day; the draws
 * are the same as sorting them, so a seed still gives the same journal.
 */
function* sortedOpenings(random: SeededRandom, count: number): Generator<number> {
  const perSecond = new Uint32Array(OPENING_TO - OPENING_FROM + 1);
  for (let n = 0; n < count; n++) perSecond[random.int(OPENING_FROM, OPENING_TO) - OPENING_FROM]!++;
  for (let s = 0; s < perSecond.length; s++) {
    for (let k = perSecond[s]!; k > 0; k--) yield OPENING_FROM + s;
  }
}

/**
 * Fills an empty register database with a realistic, deterministic journal:
 * the same options give the same rows in the same order, hence the same file.
 */
export function writeDemoJournal(db: Database.Database, options: DemoJournalOptions): DemoJournalStats {
  applyJournalSchema(db);
  const insert = {
    vat: db.prepare('INSERT INTO M_VAT_RATE VALUES (?, ?, ?)'),
    paymentType: db.prepare('INSERT INTO M_PAYMENT_TYPE VALUES (?, ?)'),
    article: db.prepare('INSERT INTO M_ARTICLE VALUES (?, ?, ?, ?, ?)'),
    employee: db.prepare('INSERT INTO M_EMPLOYEE VALUES (?, ?)'),
    receipt: db.prepare('INSERT INTO F_RECEIPT VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'),
    line: db.prepare('INSERT INTO F_RECEIPT_LINE VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'),
    payment: db.prepare('INSERT INTO F_PAYMENT VALUES (?, ?, ?, ?, ?)'),
    posting: db.prepare('INSERT INTO F_STOCK_POSTING VALUES (?, ?, ?, ?, ?, ?, ?)'),
    time: db.prepare('INSERT INTO F_TIME_RECORD VALUES (?, ?, ?, ?, ?)'),
    closing: db.prepare('INSERT INTO F_CLOSING VALUES (?, ?, ?)'),
  };
  const random = new SeededRandom(options.seed);
  const tse = options.tse === false ? null : new SimulatedTse(options.seed);
  const signed = (startedAt: string, finishedAt: string) => tse?.sign(startedAt, finishedAt) ?? NO_TSE;
  const stats: DemoJournalStats = {
    firstDay: options.start,
    lastDay: addDays(options.start, options.days - 1),
    receipts: 0,
    receiptLines: 0,
    payments: 0,
    stockPostings: 0,
    timeRecords: 0,
    badRecords: 0,
    closings: 0,
  };
  let receiptNo = 0;

  const writeAll = db.transaction(() => {
    for (const v of DEMO_VAT_RATES) insert.vat.run(v.vatRateId, v.name, v.basisPoints);
    for (const p of DEMO_PAYMENT_TYPES) insert.paymentType.run(p.paymentTypeId, p.name);
    for (const a of DEMO_ARTICLES)
      insert.article.run(a.articleId, a.name, a.unitPriceMinor, a.vatRateId, a.soldByWeight ? 1 : 0);
    for (const e of DEMO_EMPLOYEES) insert.employee.run(e.employeeId, e.name);
    if (tse) db.prepare('INSERT INTO M_TSE VALUES (?, ?)').run(tse.serialNumber, tse.publicKey);

    for (let d = 0; d < options.days; d++) {
      const day = addDays(options.start, d);
      let postingSeq = 0;
      let timeSeq = 0;
      const posting = (
        second: number,
        articleId: unknown,
        quantityMilli: unknown,
        reason: string,
        receiptId: string | null,
      ) => {
        insert.posting.run(
          `P${day}-${pad(++postingSeq, 5)}`,
          day,
          registerInstant(day, second),
          articleId,
          quantityMilli,
          reason,
          receiptId,
        );
        stats.stockPostings++;
      };
      const timeRecord = (employeeId: string, kind: string, at: string) => {
        insert.time.run(`T${day}-${pad(++timeSeq, 3)}`, day, employeeId, kind, at);
        stats.timeRecords++;
      };

      const staff = random.shuffle(DEMO_EMPLOYEES).slice(0, random.int(2, 3));
      for (const e of staff) {
        const inAt = 6 * HOUR + random.int(0, 60) * 60;
        const outAt = random.int(14, 20) * HOUR + random.int(0, 59) * 60;
        timeRecord(e.employeeId, 'clock-in', registerInstant(day, inAt));
        if (random.chance(0.6)) {
          const breakAt = 11 * HOUR + random.int(0, 120) * 60;
          timeRecord(e.employeeId, 'break-start', registerInstant(day, breakAt));
          timeRecord(e.employeeId, 'break-end', registerInstant(day, breakAt + 30 * 60));
        }
        timeRecord(e.employeeId, 'clock-out', registerInstant(day, outAt));
      }

      for (let g = random.int(1, 2); g > 0; g--) {
        posting(6 * HOUR + 15 * 60, random.pick(DEMO_ARTICLES).articleId, random.int(10, 60) * 1000, 'goods-in', null);
      }

      for (const openedSecond of sortedOpenings(random, options.receiptsPerDay)) {
        const no = ++receiptNo;
        const receiptId = `R${day}-${pad(no, 6)}`;
        const closedSecond = openedSecond + random.int(20, 240);
        const cashier = random.pick(staff).employeeId;
        const roll = random.next();
        const kind = roll < 0.04 ? 'void' : roll < 0.09 ? 'refund' : 'sale';
        const lines: { article: DemoArticle; quantityMilli: number; grossMinor: number; voided: boolean }[] = [];
        if (kind === 'refund') {
          const article = random.pick(DEMO_ARTICLES.filter((a) => !a.soldByWeight));
          lines.push({ article, quantityMilli: -1000, grossMinor: -article.unitPriceMinor, voided: false });
        } else {
          for (let n = random.int(1, 4); n > 0; n--) {
            const article = random.pick(DEMO_ARTICLES);
            const quantityMilli = article.soldByWeight
              ? random.int(150, 1200)
              : random.pick([1, 1, 1, 2, 2, 3, 6]) * 1000;
            const grossMinor = Math.round((quantityMilli * article.unitPriceMinor) / 1000);
            lines.push({ article, quantityMilli, grossMinor, voided: kind === 'void' || random.chance(0.06) });
          }
        }
        const gross = lines.filter((l) => !l.voided).reduce((sum, l) => sum + l.grossMinor, 0);
        const openedAt = registerInstant(day, openedSecond);
        const closedAt = registerInstant(day, closedSecond);
        insert.receipt.run(
          receiptId,
          no,
          day,
          openedAt,
          closedAt,
          cashier,
          kind,
          CURRENCY,
          gross,
          ...signed(openedAt, closedAt),
        );
        stats.receipts++;
        lines.forEach((l, i) => {
          insert.line.run(
            receiptId,
            i + 1,
            l.article.articleId,
            l.article.name,
            l.quantityMilli,
            l.article.unitPriceMinor,
            l.grossMinor,
            l.article.vatRateId,
            vatBasisPoints(l.article.vatRateId),
            l.voided ? 1 : 0,
          );
          stats.receiptLines++;
        });
        const payments: [string, number][] = [];
        if (kind === 'refund') payments.push(['CASH', gross]);
        else if (gross > 0) {
          const how = random.next();
          if (how < 0.55) payments.push(['CASH', gross]);
          else if (how < 0.9) payments.push(['CARD', gross]);
          else {
            const voucher = Math.min(gross, random.pick([500, 1000]));
            payments.push(['VOUCHER', voucher]);
            if (gross > voucher) payments.push(['CASH', gross - voucher]);
          }
        }
        payments.forEach(([typeId, amount], i) => {
          insert.payment.run(receiptId, i + 1, typeId, paymentTypeName(typeId), amount);
          stats.payments++;
        });
        for (const l of lines.filter((x) => !x.voided)) {
          posting(
            closedSecond,
            l.article.articleId,
            -l.quantityMilli,
            kind === 'refund' ? 'refund' : 'sale',
            receiptId,
          );
        }
      }

      if (random.chance(0.5)) posting(20 * HOUR + 30 * 60, 'A1001', -random.int(1, 10) * 1000, 'waste', null);

      if (d === options.days - 1) {
        for (let b = 0; b < options.badRecords; b++) {
          const fault = BAD_RECORD_KINDS[b % BAD_RECORD_KINDS.length]!;
          const second = 20 * HOUR + 45 * 60 + b;
          if (fault === 'time-record-without-offset') {
            timeRecord('E01', 'clock-out', registerInstant(day, second).slice(0, 19));
          } else if (fault === 'stock-posting-unknown-reason') {
            posting(second, 'A1002', -1000, 'theft', null);
          } else {
            const no = ++receiptNo;
            const receiptId = `R${day}-${pad(no, 6)}`;
            const at = registerInstant(day, second);
            const cashier = fault === 'receipt-missing-cashier' ? null : 'E01';
            const gross = fault === 'receipt-float-amount' ? 280.5 : 280;
            const tseColumns = [...signed(at, at)];
            // A module's counter is an integer: a float there must be quarantined with the receipt, never rounded.
            if (fault === 'receipt-tse-float-counter') tseColumns[2] = 12.5;
            insert.receipt.run(receiptId, no, day, at, at, cashier, 'sale', CURRENCY, gross, ...tseColumns);
            const unitPrice = fault === 'line-float-unit-price' ? 2.8 : 280;
            insert.line.run(receiptId, 1, 'A2001', 'Coffee to go', 1000, unitPrice, 280, 'V19', 1900, 0);
            insert.payment.run(receiptId, 1, 'CASH', 'Cash', 280);
            stats.receipts++;
            stats.receiptLines++;
            stats.payments++;
          }
          stats.badRecords++;
        }
      }

      if (d < options.closedDays) {
        insert.closing.run(d + 1, day, registerInstant(day, 21 * HOUR + 30 * 60));
        stats.closings++;
      }
    }
  });
  writeAll();
  return stats;
}

/**
 * Writes a demo journal to `path` all or nothing: built in a temporary file
 * beside it, flushed, then renamed, so an interrupted run never leaves a
 * half-filled journal that a shell would take for real bookings.
 */
export async function createDemoJournalFile(path: string, options: DemoJournalOptions): Promise<DemoJournalStats> {
  if (existsSync(path)) throw new DemoJournalError(`${path} already exists; choose another --out or remove it first`);
  if (!existsSync(dirname(path))) throw new DemoJournalError(`folder ${dirname(path)} does not exist`);
  const temporary = `${path}.${randomBytes(4).toString('hex')}.partial`;
  try {
    const db = new Database(temporary);
    let stats: DemoJournalStats;
    try {
      db.pragma('journal_mode = DELETE');
      stats = writeDemoJournal(db, options);
    } finally {
      db.close();
    }
    const handle = await open(temporary, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
    return stats;
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
}
