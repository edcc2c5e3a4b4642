// @ts-check
/**
 * The SQLite central journal's own thread: the connection lives here, so
 * its statements (a batch of 500 receipts, a package's COMMIT with its WAL
 * fsync and checkpoint, a busy wait behind another writer) never hold the
 * main thread's event loop, which in `daystick headoffice` also serves the
 * console. better-sqlite3 is synchronous; on the main thread a large day's
 * COMMIT alone held the loop for 0.6 to 1.2 s.
 *
 * One message at a time, in order: the main thread sends the next statement
 * of a transaction only after the last one answered, so what the connection
 * does is exactly what it did on the main thread.
 *
 * Plain JavaScript on purpose: a worker is started from a file, and this one
 * has to run unchanged from the sources (tests) and from dist (the package).
 *
 * Messages in:  { id, op: 'all' | 'run', sql, params }
 *               { id, op: 'insertMany', sql, rows }   (one prepared statement, run once per row; answers rows changed)
 *               { id, op: 'exec', sql }
 *               { id, op: 'pragma', sql }
 *               { id, op: 'rollback' }                (only when a transaction is open)
 *               { id, op: 'close' }                   (closes the connection, then the thread ends itself)
 * Messages out: { op: 'opened' } or { op: 'open-failed', message } once at the start
 *               { id, ok: true, value } or { id, ok: false, message, code, name }
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
const { path } = /** @type {{ path: string }} */ (workerData);

/** @type {Database.Database} */
let db;
try {
  db = new Database(path);
  port.postMessage({ op: 'opened' });
} catch (err) {
  port.postMessage({ op: 'open-failed', message: /** @type {Error} */ (err).message });
  port.close();
}

/** @type {Map<string, Database.Statement>} */
const statements = new Map();

/** @param {string} sql */
function prepared(sql) {
  let statement = statements.get(sql);
  if (!statement) {
    statement = db.prepare(sql);
    statements.set(sql, statement);
  }
  return statement;
}

/** @param {any} m */
function answer(m) {
  switch (m.op) {
    case 'all':
      return prepared(m.sql).all(...m.params);
    case 'run':
      return prepared(m.sql).run(...m.params).changes;
    case 'insertMany': {
      const statement = prepared(m.sql);
      let changed = 0;
      for (const row of m.rows) changed += statement.run(...row).changes;
      return changed;
    }
    case 'exec':
      db.exec(m.sql);
      return null;
    case 'pragma':
      return db.pragma(m.sql);
    case 'rollback':
      if (db.inTransaction) db.exec('ROLLBACK');
      return null;
    default:
      throw new Error(`unknown central journal operation ${m.op}`);
  }
}

port.on('message', (/** @type {any} */ m) => {
  if (m.op === 'close') {
    try {
      db.close();
      port.postMessage({ id: m.id, ok: true, value: null });
    } catch (err) {
      port.postMessage({ id: m.id, ok: false, message: /** @type {Error} */ (err).message, code: null, name: 'Error' });
    }
    // Ending on our own between messages: terminate() is for a thread that no longer answers.
    port.close();
    return;
  }
  try {
    port.postMessage({ id: m.id, ok: true, value: answer(m) });
  } catch (err) {
    const e = /** @type {Error & { code?: unknown }} */ (err);
    port.postMessage({ id: m.id, ok: false, message: e.message, code: typeof e.code === 'string' ? e.code : null, name: e.name });
  }
});
