// @ts-check
/**
 * The export's second thread. The main thread owns the journal and turns
 * records into NDJSON batches; everything after that (SHA-256 and CRC-32 of
 * the entry bytes, deflate, writing the compressed spool file) happens here,
 * so it runs beside serialisation instead of after or in between it.
 *
 * All of it runs on this one thread, synchronously per batch: zlib's async
 * API would put the compression on libuv's shared threads, which the
 * register's own file work needs too and which this thread cannot make
 * yield. This thread lowers its own priority instead (Linux), so on a
 * 2-core register the thread reading the journal, which sets the pace,
 * and the register's UI always come first.
 *
 * Each batch is deflated on its own and ended with a sync flush: a
 * sequence of such pieces, closed by one final empty block, is one valid
 * raw deflate stream (the technique of pigz). A batch loses only the
 * previous batch's 32 KiB of history, a fraction of a percent of size, and
 * the same batches always give the same bytes.
 *
 * Plain JavaScript on purpose: a worker is started from a file, and this one
 * has to run unchanged from the sources (tests) and from dist (the package).
 * It uses only Node built-ins.
 *
 * Messages in:  { op: 'open', id, path, level }
 *               { op: 'data', id, buffer, length }   (buffer transferred)
 *               { op: 'end', id }
 * Messages out: { op: 'taken', id }                  (one batch is compressed and spooled)
 *               { op: 'done', id, bytes, sha256, crc32, compressedBytes, compressedSha256 }
 *               { op: 'failed', id, message, code }
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readlinkSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import zlib from 'node:zlib';

/** @typedef {(data: Uint8Array, value?: number) => number} Crc32 */

/** Node 20.15+ has a native CRC-32; older Node 20 uses the crc-32 package archiver already depends on. */
const crc32 = /** @type {Crc32} */ (
  /** @type {{ crc32?: Crc32 }} */ (zlib).crc32 ??
    (() => {
      const { buf } = /** @type {{ buf: (d: Uint8Array, seed?: number) => number }} */ (
        createRequire(import.meta.url)('crc-32')
      );
      return (/** @type {Uint8Array} */ data, /** @type {number | undefined} */ value) =>
        buf(data, (value ?? 0) | 0) >>> 0;
    })()
);

/** Niceness of this thread: below the register's threads, still well above idle. */
const BACKGROUND_NICENESS = 10;

/** On Linux a thread has its own priority, set through its thread id; elsewhere this thread keeps the default. */
function runInBackground() {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, BACKGROUND_NICENESS);
  } catch {
    // not Linux, or not allowed: the work is the same, only its priority is not lowered
  }
}

/**
 * @typedef {object} OpenEntry
 * @property {number} fd
 * @property {number} level
 * @property {import('node:crypto').Hash} hash
 * @property {number} crc
 * @property {number} bytes
 * @property {import('node:crypto').Hash} compressedHash
 * @property {number} compressedBytes
 */

/** @type {Map<number, OpenEntry>} */
const entries = new Map();
const port = parentPort;
if (!port) throw new Error('entry-deflate-worker runs only as a worker thread');
runInBackground();

/**
 * @param {number} id
 * @param {unknown} err
 */
function fail(id, err) {
  const entry = entries.get(id);
  entries.delete(id);
  if (entry) {
    try {
      closeSync(entry.fd);
    } catch {
      // the failure being reported is the one that matters
    }
  }
  const e = /** @type {NodeJS.ErrnoException} */ (err instanceof Error ? err : new Error(String(err)));
  port?.postMessage({ op: 'failed', id, message: e.message, code: e.code });
}

/**
 * @param {OpenEntry} entry
 * @param {Buffer} compressed
 */
function spool(entry, compressed) {
  entry.compressedHash.update(compressed);
  entry.compressedBytes += compressed.length;
  let written = 0;
  while (written < compressed.length) written += writeSync(entry.fd, compressed, written);
}

/**
 * @param {number} id
 * @param {string} path
 * @param {number} level
 */
function open(id, path, level) {
  const fd = openSync(path, 'w', 0o600);
  entries.set(id, {
    fd,
    level,
    hash: createHash('sha256'),
    crc: 0,
    bytes: 0,
    compressedHash: createHash('sha256'),
    compressedBytes: 0,
  });
}

/**
 * @param {number} id
 * @param {ArrayBuffer} buffer
 * @param {number} length
 */
function data(id, buffer, length) {
  const entry = entries.get(id);
  if (!entry) return;
  const chunk = Buffer.from(buffer, 0, length);
  entry.hash.update(chunk);
  entry.crc = crc32(chunk, entry.crc);
  entry.bytes += length;
  spool(entry, zlib.deflateRawSync(chunk, { level: entry.level, finishFlush: zlib.constants.Z_SYNC_FLUSH }));
  // The main thread waits on these acknowledgements for backpressure.
  port?.postMessage({ op: 'taken', id });
}

/** @param {number} id */
function end(id) {
  const entry = entries.get(id);
  if (!entry) return;
  // The final empty block closes the stream of sync-flushed pieces.
  spool(entry, zlib.deflateRawSync(Buffer.alloc(0), { level: entry.level }));
  closeSync(entry.fd);
  entries.delete(id);
  port?.postMessage({
    op: 'done',
    id,
    bytes: entry.bytes,
    sha256: entry.hash.digest('hex'),
    crc32: entry.crc,
    compressedBytes: entry.compressedBytes,
    compressedSha256: entry.compressedHash.digest('hex'),
  });
}

port.on('message', (/** @type {any} */ m) => {
  try {
    if (m.op === 'open') open(m.id, m.path, m.level);
    else if (m.op === 'data') data(m.id, m.buffer, m.length);
    else if (m.op === 'end') end(m.id);
    else if (m.op === 'close') {
      // Ending on our own, between messages: terminate() while a synchronous deflate runs can abort the
      // whole process in Node 20's zlib cleanup ("close before init"), seen once in CI.
      for (const entry of entries.values()) {
        try {
          closeSync(entry.fd);
        } catch {
          // being closed because the package is abandoned: nothing to report
        }
      }
      entries.clear();
      port.close();
    }
  } catch (err) {
    fail(m.id, err);
  }
});
