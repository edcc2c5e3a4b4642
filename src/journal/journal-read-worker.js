// @ts-check
/**
 * The journal port's reading thread. better-sqlite3 builds every value of
 * every row as a JavaScript value on the thread that steps the statement,
 * one V8 call per value: on the main thread that was a third of a day
 * close. Here SQLite itself writes each record as JSON text (json_object,
 * json_group_array: C, no JavaScript value per field), this thread joins
 * the records of a batch into one string and posts it; the main thread
 * parses each record only when its consumer asks for it, while this thread
 * already reads the next one and the package writer works on the last.
 *
 * JSON carries text, safe integers and null exactly. A record holding
 * anything else (a BLOB, a REAL, an integer beyond 2^53, text that is not
 * valid UTF-8, which better-sqlite3 would show as U+FFFD) is flagged by the
 * query and read again here by rowid with its text as bytes and its
 * integers as bigints; it travels beside the batch by structured clone, and
 * the main thread turns those raw rows into the record as exact-rows.ts
 * does. So a record is the same whichever thread read it.
 *
 * Plain JavaScript on purpose: a worker is started from a file, and this one
 * has to run unchanged from the sources (tests) and from dist (the package).
 *
 * Messages in:  { op: 'open', id, stream: 'receipts' | 'stock-postings', day }
 *               { op: 'more', id, bytes }  (the main thread is done with a batch, whose buffer comes back: one more may be read)
 *               { op: 'close', id }    (stop early; the statements are released)
 * Messages out: { op: 'rows', id, bytes, ends, exact } bytes: the records' JSON (UTF-8) one after the other,
 *                                                      each ending where `ends` says; `null` where exact[k][0] says
 *                                                      exact: [index, receiptRow, lineRows, paymentRows] or [index, postingRow]
 *               { op: 'end', id }
 *               { op: 'failed', id, message, code }
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
const { path } = /** @type {{ path: string }} */ (workerData);

/** A batch is posted once its JSON passes this many characters: a message costs a thread wake-up each. */
const BATCH_CHARS = 256 * 1024;
/** Batches read ahead of the main thread. */
const AHEAD = 2;
const MAX_SAFE = '9007199254740991';

/** @type {[string, string][]} */
const TSE = [
  ['serialNumber', 'tse_serial_number'],
  ['transactionNumber', 'tse_transaction_number'],
  ['signatureCounter', 'tse_signature_counter'],
  ['startedAt', 'tse_started_at'],
  ['finishedAt', 'tse_finished_at'],
  ['processType', 'tse_process_type'],
  ['signature', 'tse_signature'],
  ['signatureAlgorithm', 'tse_signature_algorithm'],
  ['timeFormat', 'tse_time_format'],
  ['error', 'tse_error'],
];
/** @type {[string, string][]} */
const RECEIPT = [
  ['receiptId', 'receipt_id'],
  ['receiptNo', 'receipt_no'],
  ['businessDay', 'business_day'],
  ['openedAt', 'opened_at'],
  ['closedAt', 'closed_at'],
  ['cashierId', 'cashier_id'],
  ['kind', 'kind'],
  ['currency', 'currency'],
  ['grossMinor', 'gross_minor'],
];
/** @type {[string, string][]} */
const LINE = [
  ['lineNo', 'line_no'],
  ['articleId', 'article_id'],
  ['description', 'description'],
  ['quantityMilli', 'quantity_milli'],
  ['unitPriceMinor', 'unit_price_minor'],
  ['grossMinor', 'gross_minor'],
  ['vatRateId', 'vat_rate_id'],
  ['vatRateBasisPoints', 'vat_rate_basis_points'],
];
/** @type {[string, string][]} */
const PAYMENT = [
  ['paymentNo', 'payment_no'],
  ['paymentTypeId', 'payment_type_id'],
  ['paymentTypeName', 'payment_type_name'],
  ['amountMinor', 'amount_minor'],
];
/** @type {[string, string][]} */
const POSTING = [
  ['postingId', 'posting_id'],
  ['businessDay', 'business_day'],
  ['postedAt', 'posted_at'],
  ['articleId', 'article_id'],
  ['quantityMilli', 'quantity_milli'],
  ['reason', 'reason'],
  ['receiptId', 'receipt_id'],
];

const db = new Database(path, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 5000');

/** Each F_ column's declared type, by name; a name the tables share has the same type in each (journal-schema.ts). */
const DECLARED = new Map();
for (const table of ['F_RECEIPT', 'F_RECEIPT_LINE', 'F_PAYMENT', 'F_STOCK_POSTING']) {
  for (const c of /** @type {{ name: string, type: string }[]} */ (db.pragma(`table_info(${table})`))) {
    const type = c.type.toUpperCase();
    DECLARED.set(c.name, DECLARED.has(c.name) && DECLARED.get(c.name) !== type ? 'MIXED' : type);
  }
}

/** The F_ columns declared INTEGER; every other one is TEXT (journal-schema.ts). */
const INTEGER_COLUMNS = new Set([
  'receipt_no',
  'gross_minor',
  'tse_transaction_number',
  'tse_signature_counter',
  'line_no',
  'quantity_milli',
  'unit_price_minor',
  'vat_rate_basis_points',
  'voided',
  'payment_no',
  'amount_minor',
]);

/**
 * True in SQL when a column may hold what JSON cannot carry exactly; text is checked for U+FFFD afterwards.
 * Comparisons, not typeof(): a function call per column and row cost more than the JSON itself. A TEXT
 * column holds text, BLOB or NULL, and only a BLOB sorts at or above X''. An INTEGER column holds an
 * integer, a REAL only when it has a fraction or is beyond the integers (an integral one is stored as an
 * integer), text or a BLOB; the check flags REALs, BLOBs, integers beyond 2^53 and also text, which is
 * rare there and is then read exactly, just more slowly.
 */
const odd = (/** @type {string} */ c) => {
  const column = c.slice(c.indexOf('.') + 1);
  const declared = DECLARED.get(column);
  if (declared === 'INTEGER' && INTEGER_COLUMNS.has(column)) {
    return `${c} NOT BETWEEN -${MAX_SAFE} AND ${MAX_SAFE} OR CAST(${c} AS INTEGER) <> ${c}`;
  }
  if (declared === 'TEXT' && !INTEGER_COLUMNS.has(column)) return `${c} >= X''`;
  // A journal whose column is declared otherwise than ours: the storage class says it.
  return `typeof(${c}) IN ('blob', 'real') OR (typeof(${c}) = 'integer' AND ${c} NOT BETWEEN -${MAX_SAFE} AND ${MAX_SAFE})`;
};
const anyOdd = (/** @type {string[]} */ columns) => `(${columns.map(odd).join(' OR ')})`;
const pairs = (/** @type {[string, string][]} */ fields, /** @type {string} */ alias) =>
  fields.map(([key, column]) => `'${key}', ${alias}.${column}`).join(', ');

const LINE_ODD = anyOdd([...LINE.map(([, c]) => `l.${c}`), 'l.voided']);
// SQLite keeps booleans as 0/1; anything else goes on unchanged, for the plugin's schema to judge (as
// sqliteBoolean). The INTEGER column's comparison with 0 and 1 is true only for those integers.
const VOIDED = `CASE l.voided WHEN 0 THEN json('false') WHEN 1 THEN json('true') ELSE l.voided END`;
const PAYMENT_ODD = anyOdd(PAYMENT.map(([, c]) => `p.${c}`));
const HEAD_ODD = anyOdd(RECEIPT.map(([, c]) => `r.${c}`));
const TSE_ODD = anyOdd(TSE.map(([, c]) => `r.${c}`));
/** What the TSE column says for an odd TSE record: not JSON, so never a TSE record's text. */
const ODD = '!';

// A receipt's lines and payments come as one JSON array each, in the merge join's order (line number, then
// rowid); an odd row is a null element there (oddElement()), which makes the whole receipt odd. Odd values
// never reach json_object, which would refuse a BLOB. The TSE object leaves out its NULL columns: the
// complete record (the usual case) as it is, any other through json_patch, which drops null members.
const RECEIPTS_SQL = `SELECT
  CASE WHEN ${HEAD_ODD} THEN NULL ELSE json_object(${pairs(RECEIPT, 'r')}) END,
  (SELECT json_group_array(CASE WHEN ${LINE_ODD} THEN NULL ELSE
     json_object(${pairs(LINE, 'l')}, 'voided', ${VOIDED}) END ORDER BY l.line_no, l.rowid)
   FROM F_RECEIPT_LINE l WHERE l.receipt_id = r.receipt_id),
  (SELECT json_group_array(CASE WHEN ${PAYMENT_ODD} THEN NULL ELSE
     json_object(${pairs(PAYMENT, 'p')}) END ORDER BY p.payment_no, p.rowid)
   FROM F_PAYMENT p WHERE p.receipt_id = r.receipt_id),
  CASE WHEN ${TSE_ODD} THEN '${ODD}'
    WHEN r.tse_error IS NULL AND ${TSE.slice(0, -1)
      .map(([, c]) => `r.${c} IS NOT NULL`)
      .join(' AND ')}
      THEN json_object(${pairs(TSE.slice(0, -1), 'r')})
    WHEN coalesce(${TSE.map(([, c]) => `r.${c}`).join(', ')}) IS NULL THEN NULL
    ELSE json_patch('{}', json_object(${pairs(TSE, 'r')})) END,
  r.rowid
  FROM F_RECEIPT r WHERE r.business_day IS ? ORDER BY r.receipt_no, r.receipt_id, r.rowid`;
const POSTINGS_SQL = `SELECT
  CASE WHEN ${anyOdd(POSTING.map(([, c]) => `s.${c}`))} THEN NULL ELSE json_object(${pairs(POSTING, 's')}) END,
  s.rowid
  FROM F_STOCK_POSTING s WHERE s.business_day IS ? ORDER BY s.posting_id`;

/**
 * Text as bytes, integers as bigints (safeIntegers), and last the storage class of each column as one letter
 * (t, i, r, b, n): bytes that were text may become a string again on the main thread, a BLOB stays bytes.
 */
const exactColumns = (/** @type {string[]} */ columns, /** @type {string} */ alias) =>
  [
    ...columns.map(
      (c) => `CASE typeof(${alias}.${c}) WHEN 'text' THEN CAST(${alias}.${c} AS BLOB) ELSE ${alias}.${c} END`,
    ),
    columns.map((c) => `substr(typeof(${alias}.${c}), 1, 1)`).join(' || '),
  ].join(', ');
// The same columns, in the same order, as the main thread's own queries (sqlite-journal-port.ts).
const EXACT_RECEIPT_SQL = `SELECT ${exactColumns(
  [...RECEIPT, ...TSE].map(([, c]) => c),
  'r',
)} FROM F_RECEIPT r WHERE r.rowid = ?`;
const EXACT_LINES_SQL = `SELECT ${exactColumns(['receipt_id', ...LINE.map(([, c]) => c), 'voided'], 'l')}
  FROM F_RECEIPT r JOIN F_RECEIPT_LINE l ON l.receipt_id = r.receipt_id WHERE r.rowid = ? ORDER BY l.line_no, l.rowid`;
const EXACT_PAYMENTS_SQL = `SELECT ${exactColumns(['receipt_id', ...PAYMENT.map(([, c]) => c)], 'p')}
  FROM F_RECEIPT r JOIN F_PAYMENT p ON p.receipt_id = r.receipt_id WHERE r.rowid = ? ORDER BY p.payment_no, p.rowid`;
const EXACT_POSTING_SQL = `SELECT ${exactColumns(
  POSTING.map(([, c]) => c),
  's',
)} FROM F_STOCK_POSTING s WHERE s.rowid = ?`;

const exact = {
  receipt: db.prepare(EXACT_RECEIPT_SQL).raw().safeIntegers(true),
  lines: db.prepare(EXACT_LINES_SQL).raw().safeIntegers(true),
  payments: db.prepare(EXACT_PAYMENTS_SQL).raw().safeIntegers(true),
  posting: db.prepare(EXACT_POSTING_SQL).raw().safeIntegers(true),
};

/**
 * @typedef {{ id: number, rows: Iterator<unknown[]>, receipts: boolean, credit: number, spare: ArrayBuffer[] }} Stream
 * @type {Map<number, Stream>}
 */
const streams = new Map();
let scheduled = false;

/** Reads and posts one batch of a stream; false once the stream has ended. */
function readBatch(/** @type {Stream} */ s) {
  /** @type {string[]} */
  const parts = [];
  /** @type {unknown[]} */
  const exactRecords = [];
  let chars = 0;
  let ended = false;
  while (chars < BATCH_CHARS) {
    const step = s.rows.next();
    if (step.done) {
      ended = true;
      break;
    }
    const row = step.value;
    const text = s.receipts ? receiptJson(row) : /** @type {string | null} */ (row[0]);
    if (text === null || text.includes('\uFFFD')) {
      const rowid = row[row.length - 1];
      exactRecords.push(
        s.receipts
          ? [parts.length, exact.receipt.get(rowid), exact.lines.all(rowid), exact.payments.all(rowid)]
          : [parts.length, exact.posting.get(rowid)],
      );
      parts.push('null');
      chars += 4;
    } else {
      parts.push(text);
      chars += text.length;
    }
  }
  if (parts.length > 0) {
    // UTF-8 bytes in a buffer handed over whole: a string message would be copied into the main thread's
    // heap, where V8 keeps it until a full collection, tens of MiB over a large day.
    const spare = s.spare.pop();
    const bytes = spare && spare.byteLength >= chars * 3 ? Buffer.from(spare) : Buffer.allocUnsafeSlow(chars * 3);
    const offsets = new Int32Array(parts.length);
    let used = 0;
    for (let i = 0; i < parts.length; i++) {
      used += bytes.write(/** @type {string} */ (parts[i]), used);
      offsets[i] = used;
    }
    port.postMessage({ op: 'rows', id: s.id, bytes: bytes.buffer, ends: offsets, exact: exactRecords }, [
      bytes.buffer,
      offsets.buffer,
    ]);
    s.credit--;
  }
  if (ended) {
    streams.delete(s.id);
    port.postMessage({ op: 'end', id: s.id });
  }
  return !ended;
}

/** The receipt's JSON with its lines, payments and TSE record in the record's key order; null when odd. */
function receiptJson(/** @type {unknown[]} */ row) {
  const [head, lines, payments, tse] = /** @type {[string | null, string | null, string | null, string | null]} */ (
    row
  );
  if (head === null || lines === null || payments === null || tse === ODD) return null;
  if (oddElement(lines) || oddElement(payments)) return null;
  const tail = tse === null ? '}' : `,"tse":${tse}}`;
  return `${head.slice(0, -1)},"lines":${lines},"payments":${payments}${tail}`;
}

/**
 * Whether a JSON array of objects holds a null element (an odd row). The first null follows the `[` or an
 * object's `}`; `},null` inside a string value is a false alarm, which only reads that receipt exactly.
 */
function oddElement(/** @type {string} */ array) {
  return array.startsWith('[null') || array.includes('},null');
}

/** Serves the streams with credit left, one batch each in turn, then lets messages in. */
function pump() {
  scheduled = false;
  for (const s of streams.values()) {
    if (s.credit <= 0) continue;
    try {
      readBatch(s);
    } catch (err) {
      fail(s, err);
    }
  }
  if ([...streams.values()].some((s) => s.credit > 0)) schedule();
}

function schedule() {
  if (scheduled) return;
  scheduled = true;
  setImmediate(pump);
}

function fail(/** @type {Stream} */ s, /** @type {unknown} */ err) {
  streams.delete(s.id);
  s.rows.return?.();
  const e = /** @type {{ message?: unknown, code?: unknown }} */ (err ?? {});
  port.postMessage({ op: 'failed', id: s.id, message: String(e.message ?? err), code: e.code ?? null });
}

port.on(
  'message',
  (/** @type {{ op: string, id: number, stream?: string, day?: unknown, bytes?: ArrayBuffer }} */ m) => {
    if (m.op === 'open') {
      const receipts = m.stream === 'receipts';
      /** @type {Stream} */
      const s = {
        id: m.id,
        rows: /** @type {Iterator<unknown[]>} */ ([].values()),
        receipts,
        credit: AHEAD,
        spare: [],
      };
      try {
        // Prepared per stream: a statement runs one iteration at a time, and two streams may be open at once.
        s.rows = /** @type {Iterator<unknown[]>} */ (
          db
            .prepare(receipts ? RECEIPTS_SQL : POSTINGS_SQL)
            .raw()
            .iterate(m.day)
        );
        streams.set(m.id, s);
      } catch (err) {
        fail(s, err);
        return;
      }
      schedule();
    } else if (m.op === 'more') {
      const s = streams.get(m.id);
      if (s) {
        // The buffer of the batch the main thread has finished comes back to be filled again: memory stays put.
        if (m.bytes) s.spare.push(m.bytes);
        s.credit++;
        schedule();
      }
    } else if (m.op === 'close') {
      const s = streams.get(m.id);
      streams.delete(m.id);
      s?.rows.return?.();
    }
  },
);
