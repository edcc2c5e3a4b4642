import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExportError, writeDayPackage } from '../src/export/index.js';
import { toExportError } from '../src/export/fs-failure.js';
import type { JournalPort } from '../src/host/ports.js';
import { createSyntheticJournal } from './support/synthetic-journal.js';

// Which cause the cashier is told. Real stick failures are in export-stick.test.ts; EIO has no
// real source in a container, so its classification is checked on errors shaped as Node raises them.

const DAY = '20260707';
let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'daystick-causes-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

const errno = (code: string) => Object.assign(new Error(`${code}: simulated by the kernel`), { code });

test.each([
  ['EIO', 'write-error'],
  ['ENOSPC', 'stick-full'],
  ['EFBIG', 'stick-full'],
  ['ENOTCONN', 'stick-gone'],
  ['ENODEV', 'stick-gone'],
  ['ENOENT', 'write-error'],
  ['EPERM', 'stick-full'],
] as const)('%s while the stick is still mounted and writable is "%s"', async (code, cause) => {
  await mkdir(join(work, 'DAYSTICK'));
  const failure = await toExportError(errno(code), work, 'writing the data file');
  expect([failure.failure, failure.code]).toEqual([cause, code]);
  expect(failure.message).toMatch(/while writing the data file/);
});

test.each(['EIO', 'ENOENT', 'EPERM'])('%s after the mount point vanished is "stick-gone"', async (code) => {
  const failure = await toExportError(errno(code), join(work, 'unmounted'), 'syncing');
  expect(failure.failure).toBe('stick-gone');
});

test('a journal that fails mid-day is a journal error naming the journal, and leaves no package', async () => {
  await mkdir(join(work, 'stick'));
  const synthetic = createSyntheticJournal({ days: { [DAY]: { receipts: 5000 } } });
  const failing: JournalPort = {
    ...synthetic.journal,
    async *receipts(day, signal) {
      let n = 0;
      for await (const r of synthetic.journal.receipts(day, signal)) {
        if (++n === 3000) throw new Error('database disk image is malformed');
        yield r;
      }
    },
  };
  const failure = await writeDayPackage({
    stickPath: join(work, 'stick'),
    identity: { customerNumber: '40123', registerId: '1' },
    businessDay: DAY,
    closingNumber: 1,
    kind: 'day-close',
    includeTimeRecords: false,
    journal: failing,
    timeRecording: synthetic.timeRecording,
    keyDir: join(work, 'keys'),
    now: () => 0,
    signal: new AbortController().signal,
  }).catch((e: unknown) => e);
  expect(failure).toBeInstanceOf(ExportError);
  expect((failure as ExportError).failure).toBe('journal-error');
  expect((failure as ExportError).message).toBe(
    "reading receipts from the register's journal failed: database disk image is malformed",
  );
  expect(await readdir(join(work, 'stick', 'DAYSTICK', '40123-1'))).toEqual(['register.pub']);
});
