import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import yauzl from 'yauzl';
import { ExportError, ensureRegisterKeyPair, estimatePackageBytes, writeDayPackage } from '../src/export/index.js';
import type { WriteDayRequest } from '../src/export/index.js';
import { ReceiptSchema, StockPostingSchema, TimeRecordSchema } from '../src/host/records.js';
import type { ManifestV1 } from '../src/package/manifest.js';
import { listPackages, parseManifest as parseStoredManifest, verifyPackage } from '../src/package/index.js';
import { createSyntheticJournal } from './support/synthetic-journal.js';

// These packages are written without head-office recipients: the writer's version-1 path, kept for tests.
const parseManifest = (bytes: Buffer) => parseStoredManifest(bytes) as ManifestV1;

const DAY = '20260314';
const identity = { customerNumber: '40123', registerId: '2' };

let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'daystick-export-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

function request(over: Partial<WriteDayRequest> & Pick<WriteDayRequest, 'journal' | 'timeRecording'>): WriteDayRequest {
  return {
    stickPath: join(work, 'stick'),
    identity,
    businessDay: DAY,
    closingNumber: 41,
    kind: 'day-close',
    includeTimeRecords: true,
    keyDir: join(work, 'plugin-storage'),
    now: () => Date.UTC(2026, 2, 14, 22, 5),
    signal: new AbortController().signal,
    ...over,
  };
}

/** Reads every entry of a zip with yauzl, an implementation independent of the writer's archiver. */
async function unzipAll(path: string): Promise<Map<string, string>> {
  const zip = await yauzl.openPromise(path);
  const out = new Map<string, string>();
  try {
    for await (const entry of zip.eachEntry()) {
      const chunks: Buffer[] = [];
      for await (const c of await zip.openReadStreamPromise(entry)) chunks.push(c as Buffer);
      out.set(entry.fileName, Buffer.concat(chunks).toString('utf8'));
    }
  } finally {
    zip.close();
  }
  return out;
}

const rows = (ndjson: string | undefined): unknown[] =>
  (ndjson ?? '')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l));

async function collect(iterable: AsyncIterable<unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const r of iterable) out.push(r);
  return out;
}

test('round trip: every valid record comes back from the zip as a row, every bad one verbatim in quarantine', async () => {
  await mkdir(join(work, 'stick'));
  const synthetic = createSyntheticJournal({ days: { [DAY]: { receipts: 300, badRecords: 7, timeRecords: 12 } } });
  const written = await writeDayPackage(request(synthetic));

  const source = await collect(synthetic.journal.receipts(DAY));
  const validReceipts = source.filter((r) => ReceiptSchema.safeParse(r).success) as Array<
    Record<string, unknown> & { receiptId: string; lines: Record<string, unknown>[]; payments: Record<string, unknown>[] }
  >;
  const stock = await collect(synthetic.journal.stockPostings(DAY));
  const time = await collect(synthetic.timeRecording.records(DAY));
  const expectedCounts = synthetic.expected(DAY);

  const manifestBytes = await readFile(written.manifestPath);
  const manifest = parseManifest(manifestBytes);
  const entries = await unzipAll(join(work, 'stick', 'DAYSTICK', '40123-2', manifest.dataFile.name));

  expect([...entries.keys()]).toEqual([
    'receipts.ndjson',
    'receipt-lines.ndjson',
    'payments.ndjson',
    'stock-postings.ndjson',
    'time-records.ndjson',
    'quarantine.ndjson',
  ]);
  expect(rows(entries.get('receipts.ndjson'))).toEqual(
    validReceipts.map(({ lines, payments, ...head }) => ({ ...head, lineCount: lines.length, paymentCount: payments.length })),
  );
  expect(rows(entries.get('receipt-lines.ndjson'))).toEqual(
    validReceipts.flatMap((r) => r.lines.map((l) => ({ receiptId: r.receiptId, ...l }))),
  );
  expect(rows(entries.get('payments.ndjson'))).toEqual(
    validReceipts.flatMap((r) => r.payments.map((p) => ({ receiptId: r.receiptId, ...p }))),
  );
  expect(rows(entries.get('stock-postings.ndjson'))).toEqual(stock.filter((s) => StockPostingSchema.safeParse(s).success));
  expect(rows(entries.get('time-records.ndjson'))).toEqual(time.filter((t) => TimeRecordSchema.safeParse(t).success));

  const quarantine = rows(entries.get('quarantine.ndjson')) as Array<{ source: string; index: number; reason: string; record: unknown }>;
  const badSource = [
    ...source.map((r, i) => ['receipts', i, r, ReceiptSchema.safeParse(r).success] as const),
    ...stock.map((r, i) => ['stock-postings', i, r, StockPostingSchema.safeParse(r).success] as const),
    ...time.map((r, i) => ['time-records', i, r, TimeRecordSchema.safeParse(r).success] as const),
  ].filter(([, , , ok]) => !ok);
  expect(quarantine.map((q) => [q.source, q.index, q.record])).toEqual(badSource.map(([s, i, r]) => [s, i, r]));
  expect(quarantine.every((q) => q.reason.length > 0)).toBe(true);
  expect(quarantine).toHaveLength(7);

  expect(written.quarantined).toBe(7);
  expect(written.receipts).toBe(expectedCounts.receipts - expectedCounts.badReceipts);
  expect(manifest.quarantined).toBe(7);
  expect(manifest.closingNumber).toBe(41);
  expect(manifest.createdAt).toBe('2026-03-14T22:05:00.000Z');
  expect(manifest.controlTotals.receipts).toBe(validReceipts.length);
  expect(manifest.controlTotals.firstReceiptId).toBe(validReceipts[0]!.receiptId);
  expect(manifest.controlTotals.lastReceiptId).toBe(validReceipts.at(-1)!.receiptId);
  const paid = validReceipts.flatMap((r) => r.payments).reduce((sum, p) => sum + (p.amountMinor as number), 0);
  expect(manifest.controlTotals.byPaymentType.reduce((sum, t) => sum + t.amountMinor, 0)).toBe(paid);
  const vatGross = validReceipts
    .flatMap((r) => r.lines)
    .filter((l) => !l.voided)
    .reduce((sum, l) => sum + (l.grossMinor as number), 0);
  expect(manifest.controlTotals.byVatRate.reduce((sum, t) => sum + t.grossMinor, 0)).toBe(vatGross);

  // Info-ZIP checks every entry's CRC-32, which archiver computed through the native CRC shim.
  const tested = await promisify(execFile)('unzip', ['-t', join(work, 'stick', 'DAYSTICK', '40123-2', manifest.dataFile.name)]);
  expect(tested.stdout).toMatch(/No errors detected/);

  const [location] = await listPackages(join(work, 'stick'));
  const verdict = await verifyPackage(location!);
  expect(verdict.problems).toEqual([]);
  expect(verdict.ok).toBe(true);
});

test('writing the same day twice gives identical entries and data file; only id, kind and time differ', async () => {
  await mkdir(join(work, 'stick'));
  const synthetic = createSyntheticJournal({ days: { [DAY]: { receipts: 500, badRecords: 3 } } });
  const first = await writeDayPackage(request(synthetic));
  const second = await writeDayPackage(request({ ...synthetic, kind: 're-send', now: () => Date.UTC(2026, 2, 20) }));
  const a = parseManifest(await readFile(first.manifestPath));
  const b = parseManifest(await readFile(second.manifestPath));
  expect(b.packageId).not.toBe(a.packageId);
  expect(b.kind).toBe('re-send');
  expect(b.entries).toEqual(a.entries);
  expect(b.controlTotals).toEqual(a.controlTotals);
  expect(b.dataFile.sha256).toBe(a.dataFile.sha256);
  const { packageId: _a, kind: _ak, createdAt: _at, dataFile: da, ...restA } = a;
  const { packageId: _b, kind: _bk, createdAt: _bt, dataFile: db, ...restB } = b;
  expect(restB).toEqual(restA);
  expect(db.bytes).toBe(da.bytes);
  const verdicts = await Promise.all((await listPackages(join(work, 'stick'))).map((l) => verifyPackage(l)));
  expect(verdicts.map((v) => v.ok)).toEqual([true, true]);
});

test('time records stay out when not included, and the manifest says so', async () => {
  await mkdir(join(work, 'stick'));
  const synthetic = createSyntheticJournal({ days: { [DAY]: { receipts: 20 } } });
  const written = await writeDayPackage(request({ ...synthetic, includeTimeRecords: false }));
  const manifest = parseManifest(await readFile(written.manifestPath));
  expect(manifest.includesTimeRecords).toBe(false);
  expect(manifest.entries.map((e) => e.name)).not.toContain('time-records.ndjson');
  const entries = await unzipAll(join(work, 'stick', 'DAYSTICK', '40123-2', manifest.dataFile.name));
  expect(entries.has('time-records.ndjson')).toBe(false);
  const [location] = await listPackages(join(work, 'stick'));
  expect((await verifyPackage(location!)).problems).toEqual([]);
});

test('an empty day is still a whole package with zero totals', async () => {
  await mkdir(join(work, 'stick'));
  const synthetic = createSyntheticJournal({ days: { [DAY]: { receipts: 0, stockPostings: 0, timeRecords: 0 } } });
  const written = await writeDayPackage(request(synthetic));
  const manifest = parseManifest(await readFile(written.manifestPath));
  expect(manifest.controlTotals).toEqual({
    receipts: 0,
    firstReceiptId: null,
    lastReceiptId: null,
    grossMinor: 0,
    byPaymentType: [],
    byVatRate: [],
  });
  const [location] = await listPackages(join(work, 'stick'));
  expect((await verifyPackage(location!)).ok).toBe(true);
});

test('aborting mid-stream leaves no package, no temporary file and no data file behind', async () => {
  await mkdir(join(work, 'stick'));
  const synthetic = createSyntheticJournal({ days: { [DAY]: { receipts: 20_000 } } });
  const controller = new AbortController();
  let progressCalls = 0;
  const failure = await writeDayPackage(
    request({
      ...synthetic,
      signal: controller.signal,
      onProgress: () => {
        progressCalls++;
        if (progressCalls === 2) controller.abort();
      },
    }),
  ).catch((e: unknown) => e);
  expect(failure).toBeInstanceOf(ExportError);
  expect((failure as ExportError).failure).toBe('aborted');
  expect(progressCalls).toBe(2);
  const left = await readdir(join(work, 'stick', 'DAYSTICK', '40123-2'));
  expect(left).toEqual(['register.pub']);
  expect(await listPackages(join(work, 'stick'))).toEqual([]);
});

test('an already aborted signal writes nothing at all', async () => {
  await mkdir(join(work, 'stick'));
  const controller = new AbortController();
  controller.abort();
  const synthetic = createSyntheticJournal({ days: { [DAY]: { receipts: 5 } } });
  await expect(writeDayPackage(request({ ...synthetic, signal: controller.signal }))).rejects.toMatchObject({
    failure: 'aborted',
  });
  expect(await readdir(join(work, 'stick'))).toEqual([]);
});

test('a missing mount path is "stick-gone" and creates nothing', async () => {
  const synthetic = createSyntheticJournal({ days: { [DAY]: { receipts: 5 } } });
  await expect(writeDayPackage(request({ ...synthetic, stickPath: join(work, 'nothing-mounted') }))).rejects.toMatchObject({
    failure: 'stick-gone',
  });
  await expect(stat(join(work, 'nothing-mounted'))).rejects.toMatchObject({ code: 'ENOENT' });
});

test('the next write removes what an interrupted write of this register left, and nothing else', async () => {
  const registerDir = join(work, 'stick', 'DAYSTICK', '40123-2');
  const otherRegister = join(work, 'stick', 'DAYSTICK', '40123-3');
  await mkdir(registerDir, { recursive: true });
  await mkdir(otherRegister, { recursive: true });
  const stale = '20260313_0b7e3f1c-3a55-4f0e-9a43-1d2e3f4a5b6c';
  await writeFile(join(registerDir, `${stale}.zip.part`), 'half');
  await writeFile(join(registerDir, `${stale}.manifest.sig`), 'orphan signature');
  const orphanZip = '20260312_1c8f4a2d-4b66-4a1f-8b54-2e3f4a5b6c7d.zip';
  await writeFile(join(registerDir, orphanZip), 'zip without manifest');
  await writeFile(join(registerDir, 'register.pub.part'), 'half a key');
  await writeFile(join(registerDir, 'notes.txt'), 'the cashier keeps notes here');
  await writeFile(join(otherRegister, `${stale}.zip.part`), 'another register, not ours');
  await writeFile(join(work, 'stick', 'holiday.jpg'), 'not ours either');

  const synthetic = createSyntheticJournal({ days: { [DAY]: { receipts: 5 } } });
  const written = await writeDayPackage(request(synthetic));
  const left = (await readdir(registerDir)).sort();
  expect(left).toEqual(
    [
      'notes.txt',
      'register.pub',
      `${DAY}_${written.packageId}.manifest.json`,
      `${DAY}_${written.packageId}.manifest.sig`,
      `${DAY}_${written.packageId}.zip`,
    ].sort(),
  );
  expect(await readdir(otherRegister)).toEqual([`${stale}.zip.part`]);
  expect(await readFile(join(work, 'stick', 'holiday.jpg'), 'utf8')).toBe('not ours either');
});

test('the register key pair is created once with an owner-only private key, reused, and beside the packages', async () => {
  const keyDir = join(work, 'plugin-storage');
  const first = await ensureRegisterKeyPair(keyDir);
  const again = await ensureRegisterKeyPair(keyDir);
  expect(again).toEqual(first);
  expect(first.keyId).toMatch(/^[0-9a-f]{64}$/);
  const files = await readdir(keyDir);
  const privateFile = files.find((f) => f.endsWith('.key'));
  expect(privateFile).toBeDefined();
  expect((await stat(join(keyDir, privateFile!))).mode & 0o777).toBe(0o600);

  await mkdir(join(work, 'stick'));
  const synthetic = createSyntheticJournal({ days: { [DAY]: { receipts: 3 } } });
  const written = await writeDayPackage(request(synthetic));
  expect(await readFile(join(work, 'stick', 'DAYSTICK', '40123-2', 'register.pub'), 'utf8')).toBe(first.publicKeyPem);
  expect(parseManifest(await readFile(written.manifestPath)).publicKeyId).toBe(first.keyId);
});

test('identities that cannot name a FAT folder are refused before anything is written', async () => {
  await mkdir(join(work, 'stick'));
  const synthetic = createSyntheticJournal({ days: { [DAY]: { receipts: 3 } } });
  await expect(
    writeDayPackage(request({ ...synthetic, identity: { customerNumber: '40123', registerId: 'A/B' } })),
  ).rejects.toThrow(/registerId "A\/B" cannot name a folder/);
  expect(await readdir(join(work, 'stick'))).toEqual([]);
});

test('the size estimate follows how the packages really pack: above the package, far below the uncompressed NDJSON', async () => {
  await mkdir(join(work, 'stick'));
  const synthetic = createSyntheticJournal({ days: { [DAY]: { receipts: 2000, timeRecords: 300 } } });
  const written = await writeDayPackage(request(synthetic));
  const manifest = parseManifest(await readFile(written.manifestPath));
  const ndjsonBytes = manifest.entries.reduce((sum, e) => sum + e.bytes, 0);
  const summary = await synthetic.journal.summary(DAY);
  const timeRecords = await synthetic.timeRecording.count(DAY);
  // No history yet: the default ratio still covers the package, but no longer the uncompressed bytes.
  const first = estimatePackageBytes(summary, timeRecords);
  expect(first).toBeGreaterThan(written.bytes);
  expect(first).toBeLessThan(ndjsonBytes);
  // With this register's own package as history, the estimate hugs the real size, margin included.
  const recent = [{ journal: { ...summary, timeRecords }, bytes: written.bytes }];
  const known = estimatePackageBytes(summary, timeRecords, recent);
  expect(known).toBeGreaterThan(written.bytes * 1.4);
  expect(known).toBeLessThan(first);
  expect(known).toBeLessThan(written.bytes * 1.5 + 256 * 1024 + 1);
});
