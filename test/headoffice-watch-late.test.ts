import { spawn } from 'node:child_process';
import { appendFile, copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDayPackage } from '../src/export/index.js';
import type { BusinessDay } from '../src/host/business-day.js';
import { openCentralStore } from '../src/central/open-central-store.js';
import { readAcknowledgements } from '../src/package/acknowledgement.js';
import { DAYSTICK_BIN } from './support/shell-session.js';
import { createSyntheticJournal } from './support/synthetic-journal.js';

/**
 * Issue 13, item 3: `daystick import` watching a stick root (the built binary
 * in a child process) while a stick's content arrives late, in stages: a
 * folder made first and filled afterwards, the manifest copied last or first,
 * and a stick that gets another package while it stays plugged in. Every
 * stage is waited for by the line the watcher prints, never by a timer.
 */
const CUSTOMER = '40123';
const REGISTER = '8';
const FOLDER = `${CUSTOMER}-${REGISTER}`;
const DAYS = ['20260302', '20260303', '20260304'] as BusinessDay[];
const RECEIPTS = [40, 55, 30];

let work: string;
let written: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'daystick-watch-late-'));
  written = join(work, 'written');
  await mkdir(written);
  const synthetic = createSyntheticJournal({
    days: Object.fromEntries(DAYS.map((d, i) => [d, { receipts: RECEIPTS[i]! }])),
    seed: 8,
  });
  for (const day of DAYS) {
    await writeDayPackage({
      stickPath: written,
      identity: { customerNumber: CUSTOMER, registerId: REGISTER },
      businessDay: day,
      closingNumber: 1,
      kind: 'day-close',
      includeTimeRecords: true,
      journal: synthetic.journal,
      timeRecording: synthetic.timeRecording,
      keyDir: join(work, 'register-keys'),
      now: () => Date.UTC(2026, 2, 4, 21),
      signal: new AbortController().signal,
    });
  }
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function packageFiles(day: string): Promise<{ manifest: string; signature: string; data: string; key: string }> {
  const dir = join(written, 'DAYSTICK', FOLDER);
  const names = await readdir(dir);
  const find = (suffix: string) => join(dir, names.find((n) => n.startsWith(day) && n.endsWith(suffix))!);
  return { manifest: find('.manifest.json'), signature: find('.manifest.sig'), data: find('.zip'), key: join(dir, 'register.pub') };
}

const copyInto = (file: string, dir: string) => copyFile(file, join(dir, file.split('/').at(-1)!));

test('a stick whose files arrive after its folder is imported once complete and quiet, never half-copied, and read again when it changes', async () => {
  const sticks = join(work, 'sticks');
  const central = join(work, 'central.sqlite');
  await mkdir(sticks);
  const child = spawn(
    process.execPath,
    [DAYSTICK_BIN, 'import', '--central', central, '--head-office-customer', '10000', '--stick-root', sticks, '--settle-ms', '400'],
    { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  /** Waits for `text` to appear after `from` characters of output; returns where it ended. */
  const waitFor = async (text: string | RegExp, from = 0): Promise<number> => {
    const start = Date.now();
    for (;;) {
      const rest = stdout.slice(from);
      const m = typeof text === 'string' ? (rest.includes(text) ? { index: rest.indexOf(text), length: text.length } : null) : (() => {
        const r = text.exec(rest);
        return r ? { index: r.index, length: r[0].length } : null;
      })();
      if (m) return from + m.index + m.length;
      if (Date.now() - start > 30_000) throw new Error(`no "${String(text)}" within 30 s; stdout:\n${stdout}\nstderr:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  try {
    await waitFor('watching for sticks');

    // 1. "Make a folder, then copy": the folder is there first, empty.
    const stick1 = join(sticks, 'STICK1');
    await mkdir(stick1);
    let at = await waitFor('stick "STICK1": no daystick packages on it (yet); watching it for files');
    // Then the copy, manifest last as the format asks; it pauses before the manifest, long enough to be looked at.
    const dir1 = join(stick1, 'DAYSTICK', FOLDER);
    await mkdir(dir1, { recursive: true });
    const day1 = await packageFiles(DAYS[0]!);
    await copyInto(day1.key, dir1);
    const bytes1 = await readFile(day1.data);
    await writeFile(join(dir1, day1.data.split('/').at(-1)!), bytes1.subarray(0, bytes1.length >> 1));
    await appendFile(join(dir1, day1.data.split('/').at(-1)!), bytes1.subarray(bytes1.length >> 1));
    await copyInto(day1.signature, dir1);
    at = await waitFor(/STICK1": 40123-8 20260302_\S+ is not complete \(no manifest yet\): not imported, waiting for its files/, at);
    at = await waitFor('stick "STICK1": 0 package(s): 0 imported, 0 already imported, 0 with conflicts, 0 refused, 0 failed; 1 package(s) not complete', at);
    await copyInto(day1.manifest, dir1);
    at = await waitFor('stick "STICK1" done: 1 package(s): 1 imported, 0 already imported, 0 with conflicts, 0 refused, 0 failed; it can be pulled now', at);

    // 2. Manifest first (as `cp -r` may order it), the data file arriving afterwards in pieces.
    const stick2 = join(sticks, 'STICK2');
    const dir2 = join(stick2, 'DAYSTICK', FOLDER);
    await mkdir(dir2, { recursive: true });
    const day2 = await packageFiles(DAYS[1]!);
    await copyInto(day2.manifest, dir2);
    await copyInto(day2.signature, dir2);
    await copyInto(day2.key, dir2);
    const bytes2 = await readFile(day2.data);
    const zip2 = join(dir2, day2.data.split('/').at(-1)!);
    await writeFile(zip2, bytes2.subarray(0, 1000));
    let at2 = await waitFor(`is not complete (data file has 1000 of ${bytes2.length} bytes so far)`, at);
    await appendFile(zip2, bytes2.subarray(1000));
    at2 = await waitFor('stick "STICK2" done: 1 package(s): 1 imported, 0 already imported, 0 with conflicts, 0 refused, 0 failed; it can be pulled now', at2);

    // 3. Stick 1 gets another day while it stays in: read again, the first day recognised, the new one imported.
    const day3 = await packageFiles(DAYS[2]!);
    await copyInto(day3.signature, dir1);
    await copyInto(day3.data, dir1);
    await copyInto(day3.manifest, dir1);
    await waitFor('stick "STICK1" done: 2 package(s): 1 imported, 1 already imported, 0 with conflicts, 0 refused, 0 failed; it can be pulled now', at2);
  } finally {
    child.kill('SIGTERM');
  }
  expect(await exited).toBe(0);
  expect(stderr).toBe('');
  expect(stdout).not.toContain('REFUSED');
  expect(stdout).not.toContain('FAILED');
  // "Can be pulled" only ever after a stick's packages were all in: never while one waited for its files.
  const doneLines = stdout.split('\n').filter((l) => l.includes('it can be pulled now'));
  expect(doneLines).toHaveLength(3);
  for (const line of doneLines) expect(line).not.toContain('not complete');

  const store = await openCentralStore(central);
  try {
    const packages = await store.all<{ business_day: string; status: string }>('SELECT business_day, status FROM packages ORDER BY business_day');
    expect(packages).toEqual(DAYS.map((d) => ({ business_day: d, status: 'imported' })));
    for (const [i, day] of DAYS.entries()) {
      const [n] = await store.all<{ n: number }>('SELECT COUNT(*) AS n FROM receipts WHERE business_day = ?', [day]);
      expect(Number(n!.n)).toBe(RECEIPTS[i]);
    }
  } finally {
    await store.close();
  }
  const acks1 = await readAcknowledgements(join(sticks, 'STICK1', 'DAYSTICK', FOLDER));
  expect(acks1.map((a) => a.valid && a.businessDay)).toEqual([DAYS[0], DAYS[2]]);
  const acks2 = await readAcknowledgements(join(sticks, 'STICK2', 'DAYSTICK', FOLDER));
  expect(acks2.map((a) => a.valid && a.businessDay)).toEqual([DAYS[1]]);
});
