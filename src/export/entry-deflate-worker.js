// @ts-check
/**
 * The export's second thread. The main thread owns the journal and turns
 * records into NDJSON batches; everything after that (SHA-256 and CRC-32 of
 * the entry bytes, deflate, writing the compressed spool file) happens here,
 * so it runs beside serialisation instead of after or in between it.
 *
 * Plain JavaScript on purpose: a worker is started from a file, and this one
 * has to run unchanged from the sources (tests) and from dist (the package).
 * It uses only Node built-ins.
 *
 * Messages in:  { op: 'open', id, path, level }
 *               { op: 'data', id, buffer, length }   (buffer transferred)
 *               { op: 'end', id }
 * Messages out: { op: 'taken', id }                  (deflate consumed one batch)
 *               { op: 'done', id, bytes, sha256, crc32, compressedBytes, compressedSha256 }
 *               { op: 'failed', id, message, code }
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { createRequire } from 'node:module';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
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

/**
 * @typedef {object} OpenEntry
 * @property {import('node:zlib').DeflateRaw} deflate
 * @property {import('node:crypto').Hash} hash
 * @property {number} crc
 * @property {number} bytes
 * @property {Promise<{ compressedBytes: number, compressedSha256: string }>} written
 */

/** @type {Map<number, OpenEntry>} */
const entries = new Map();
const port = parentPort;
if (!port) throw new Error('entry-deflate-worker runs only as a worker thread');

/**
 * @param {number} id
 * @param {unknown} err
 */
function fail(id, err) {
  entries.delete(id);
  const e = /** @type {NodeJS.ErrnoException} */ (err instanceof Error ? err : new Error(String(err)));
  port?.postMessage({ op: 'failed', id, message: e.message, code: e.code });
}

/**
 * @param {number} id
 * @param {string} path
 * @param {number} level
 */
function open(id, path, level) {
  // One main-thread-side callback per 256 KiB of output instead of per 16 KiB.
  const deflate = zlib.createDeflateRaw({ level, chunkSize: 256 * 1024 });
  const compressedHash = createHash('sha256');
  let compressedBytes = 0;
  const meter = new Transform({
    transform(chunk, _enc, done) {
      compressedHash.update(chunk);
      compressedBytes += chunk.length;
      done(null, chunk);
    },
  });
  const written = pipeline(deflate, meter, createWriteStream(path, { highWaterMark: 1 << 20 })).then(() => ({
    compressedBytes,
    compressedSha256: compressedHash.digest('hex'),
  }));
  written.catch((err) => fail(id, err));
  entries.set(id, { deflate, hash: createHash('sha256'), crc: 0, bytes: 0, written });
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
  // The acknowledgement goes once zlib has taken the batch; the main thread waits on these for backpressure.
  deflateInTurn(entry, chunk, () => port?.postMessage({ op: 'taken', id }));
}

/**
 * Every entry's chunks go through zlib one at a time, in arrival order.
 * With several entries compressing at once, zlib would run on several of
 * libuv's threads together; beside this worker and the thread reading the
 * journal that is more busy threads than a register's two cores, and the
 * scheduler would then take time from the journal thread, which sets the
 * pace. One chunk at a time keeps the export to two busy threads.
 * @type {{ entry: OpenEntry, chunk: Buffer | null, taken: () => void }[]}
 */
const turns = [];
let deflating = false;

/**
 * @param {OpenEntry} entry
 * @param {Buffer | null} chunk null ends the entry's deflate stream once its chunks before are in
 * @param {() => void} taken
 */
function deflateInTurn(entry, chunk, taken) {
  turns.push({ entry, chunk, taken });
  nextTurn();
}

function nextTurn() {
  if (deflating) return;
  const turn = turns.shift();
  if (!turn) return;
  if (turn.chunk === null) {
    turn.entry.deflate.end();
    turn.taken();
    nextTurn();
    return;
  }
  deflating = true;
  turn.entry.deflate.write(turn.chunk, () => {
    deflating = false;
    turn.taken();
    nextTurn();
  });
}

/** @param {number} id */
async function end(id) {
  const entry = entries.get(id);
  if (!entry) return;
  deflateInTurn(entry, null, () => undefined);
  try {
    const { compressedBytes, compressedSha256 } = await entry.written;
    if (!entries.has(id)) return;
    entries.delete(id);
    port?.postMessage({
      op: 'done',
      id,
      bytes: entry.bytes,
      sha256: entry.hash.digest('hex'),
      crc32: entry.crc,
      compressedBytes,
      compressedSha256,
    });
  } catch {
    // reported by the pipeline's own catch
  }
}

port.on('message', (/** @type {any} */ m) => {
  try {
    if (m.op === 'open') open(m.id, m.path, m.level);
    else if (m.op === 'data') data(m.id, m.buffer, m.length);
    else if (m.op === 'end') void end(m.id);
  } catch (err) {
    fail(m.id, err);
  }
});
