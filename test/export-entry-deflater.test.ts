import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { crc32 } from 'node:zlib';
import yauzl from 'yauzl';
import { type DeflatedEntry, EntryDeflater } from '../src/export/entry-deflater.js';
import { ExportError } from '../src/export/export-contract.js';
import { NdjsonSink } from '../src/export/ndjson-sink.js';
import { PackageZipArchive } from '../src/export/package-zip.js';

// The export's worker path on its own: batches leave the main thread, come back as deflated
// spool files with their hashes, and archiver packs them without compressing them again.

let work: string;
let deflater: EntryDeflater | null = null;
const live = new AbortController().signal;

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'daystick-deflater-'));
});
afterEach(async () => {
  await deflater?.close();
  deflater = null;
  await rm(work, { recursive: true, force: true });
});

function linesOf(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => JSON.stringify({ n: i, text: `${prefix} ${i} Grüße \u{1f9fe}` }));
}

async function deflate(name: string, lines: string[]): Promise<{ entry: DeflatedEntry; records: number }> {
  deflater ??= new EntryDeflater(1);
  const sink = new NdjsonSink(deflater.entry(name, join(work, `${name}.deflate`)), live);
  for (const line of lines) if (sink.add(line)) await sink.flush();
  const entry = await sink.end();
  return { entry, records: sink.records };
}

async function zipEntries(path: string): Promise<Map<string, Buffer>> {
  const zip = await promisify<string, yauzl.Options, yauzl.ZipFile>(yauzl.open)(path, { lazyEntries: true });
  const out = new Map<string, Buffer>();
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (e: yauzl.Entry) => {
      zip.openReadStream(e, async (err, stream) => {
        if (err) return reject(err);
        const chunks: Buffer[] = [];
        for await (const c of stream) chunks.push(c as Buffer);
        out.set(e.fileName, Buffer.concat(chunks));
        zip.readEntry();
      });
    });
    zip.on('end', () => resolve());
    zip.on('error', reject);
    zip.readEntry();
  });
  return out;
}

async function pack(entries: DeflatedEntry[], path: string): Promise<void> {
  const archive = new PackageZipArchive();
  for (const e of entries) archive.appendDeflated(e, new Date(Date.UTC(2026, 5, 1)));
  const done = pipeline(archive, createWriteStream(path));
  // finalize() settles only when the archive ends, which an archive error prevents; the pipeline tells.
  archive.finalize().catch(() => undefined);
  await done;
}

test('entries deflated on the worker come back with the hash, size and CRC of their NDJSON, and pack into a zip unzip accepts', async () => {
  // Several batches of 256 KiB and more, plus an empty entry.
  const big = linesOf('line', 40_000);
  const small = linesOf('payment', 3);
  const [a, b, c] = await Promise.all([deflate('a.ndjson', big), deflate('b.ndjson', small), deflate('c.ndjson', [])]);
  const bigBytes = Buffer.from(big.map((l) => `${l}\n`).join(''), 'utf8');
  expect(a.records).toBe(40_000);
  expect(a.entry.bytes).toBe(bigBytes.length);
  expect(a.entry.sha256).toBe(createHash('sha256').update(bigBytes).digest('hex'));
  expect(a.entry.crc32).toBe(crc32(bigBytes));
  expect(a.entry.compressedBytes).toBeLessThan(bigBytes.length / 3);
  expect(c.entry).toMatchObject({ bytes: 0, crc32: 0, sha256: createHash('sha256').digest('hex') });

  const zipPath = join(work, 'out.zip');
  await pack([a.entry, b.entry, c.entry], zipPath);
  const tested = await promisify(execFile)('unzip', ['-t', zipPath]);
  expect(tested.stdout).toMatch(/No errors detected/);
  const read = await zipEntries(zipPath);
  expect([...read.keys()]).toEqual(['a.ndjson', 'b.ndjson', 'c.ndjson']);
  expect(read.get('a.ndjson')?.equals(bigBytes)).toBe(true);
  expect(read.get('b.ndjson')?.toString('utf8')).toBe(small.map((l) => `${l}\n`).join(''));
  expect(read.get('c.ndjson')?.length).toBe(0);
});

test('the same lines give the same deflated bytes, whatever else the worker has open', async () => {
  const lines = linesOf('same', 20_000);
  const first = await deflate('x.ndjson', lines);
  const [second] = await Promise.all([deflate('y.ndjson', lines), deflate('z.ndjson', linesOf('other', 5000))]);
  expect(second.entry.compressedSha256).toBe(first.entry.compressedSha256);
  expect(await readFile(second.entry.spoolPath)).toEqual(await readFile(first.entry.spoolPath));
});

test('a spool file that changed between deflating and packing fails the zip with that cause', async () => {
  const { entry } = await deflate('a.ndjson', linesOf('line', 2000));
  const spooled = await readFile(entry.spoolPath);
  spooled[10] = spooled[10]! ^ 0xff;
  await writeFile(entry.spoolPath, spooled);
  await expect(pack([entry], join(work, 'out.zip'))).rejects.toThrow(
    /local spool of a\.ndjson changed between writing and packing/,
  );
});

test('a spool file the worker cannot create fails the entry with a named write error', async () => {
  deflater = new EntryDeflater(1);
  const sink = new NdjsonSink(deflater.entry('a.ndjson', join(work, 'missing-folder', 'a.deflate')), live);
  for (const line of linesOf('line', 5000)) if (sink.add(line)) await sink.flush().catch(() => undefined);
  const failure = await sink.end().catch((err: unknown) => err);
  expect(failure).toBeInstanceOf(ExportError);
  expect(failure).toMatchObject({ failure: 'write-error', message: expect.stringMatching(/local spool file failed: .*ENOENT/) });
});

test('an abort stops the writer handing batches over, and close() stops the worker', async () => {
  deflater = new EntryDeflater(1);
  const controller = new AbortController();
  const entry = deflater.entry('a.ndjson', join(work, 'a.deflate'));
  let handedOver = 0;
  const writing = (async () => {
    for (let i = 0; i < 64; i++) {
      const batch = Buffer.alloc(1 << 20, 0x41);
      const write = entry.write(batch.buffer as ArrayBuffer, batch.length, controller.signal);
      if (i === 10) controller.abort(new Error('cashier cancelled'));
      await write;
      handedOver++;
    }
  })();
  await expect(writing).rejects.toThrow('cashier cancelled');
  expect(handedOver).toBeLessThanOrEqual(11);
  await deflater.close();
  await expect(entry.end()).rejects.toMatchObject({ failure: 'aborted' });
  deflater = null;
});

test('a worker that dies fails every open entry instead of leaving the writer waiting', async () => {
  deflater = new EntryDeflater(1);
  const a = deflater.entry('a.ndjson', join(work, 'a.deflate'));
  const b = deflater.entry('b.ndjson', join(work, 'b.deflate'));
  await (deflater as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
  await expect(a.end()).rejects.toMatchObject({ failure: 'write-error', message: expect.stringMatching(/deflate worker stopped/) });
  await expect(b.end()).rejects.toBeInstanceOf(ExportError);
  expect(() => deflater?.entry('c.ndjson', join(work, 'c.deflate'))).toThrow(/deflate worker stopped/);
});

const linux = process.platform === 'linux' ? test : test.skip;
linux('the worker lowers its own priority, so the journal thread and the register come first on a busy CPU', async () => {
  deflater = new EntryDeflater(1);
  const { readdir, readFile: read } = await import('node:fs/promises');
  const niceness = async () => {
    const out: number[] = [];
    for (const tid of await readdir('/proc/self/task')) {
      const stat = await read(`/proc/self/task/${tid}/stat`, 'utf8').catch(() => '');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields.length > 16) out.push(Number(fields[16]));
    }
    return out;
  };
  // The worker sets its priority as it starts; an entry that round-trips proves it has started.
  const { records } = await deflate('a.ndjson', linesOf('line', 10));
  expect(records).toBe(10);
  const values = await niceness();
  expect(values).toContain(10);
  expect(values.filter((n) => n === 10)).toHaveLength(1);
});

// Node closes the file descriptors a worker opened when the worker is terminated; this holds the export to that.
linux('closing the deflater mid-entry leaves no spool file open in the process', async () => {
  const { readdir, readlink } = await import('node:fs/promises');
  const spoolsOpen = async () => {
    const targets = await Promise.all(
      (await readdir('/proc/self/fd')).map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')),
    );
    return targets.filter((t) => t.startsWith(work));
  };
  deflater = new EntryDeflater(1);
  const a = deflater.entry('a.ndjson', join(work, 'a.deflate'));
  const b = deflater.entry('b.ndjson', join(work, 'b.deflate'));
  const batch = Buffer.alloc(1 << 18, 0x41);
  await a.write(batch.buffer as ArrayBuffer, batch.length, live);
  // The worker opens the spools in message order; wait (bounded) until it has.
  let open = await spoolsOpen();
  for (let tries = 0; open.length < 2 && tries < 100; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    open = await spoolsOpen();
  }
  expect(open.sort()).toEqual([join(work, 'a.deflate'), join(work, 'b.deflate')]);
  await deflater.close();
  deflater = null;
  expect(await spoolsOpen()).toEqual([]);
  await expect(b.end()).rejects.toMatchObject({ failure: 'aborted' });
});
