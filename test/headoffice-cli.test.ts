import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDayPackage } from '../src/export/index.js';
import { DAYSTICK_BIN, runDaystick } from './support/shell-session.js';
import { createSyntheticJournal } from './support/synthetic-journal.js';

// `daystick import` as head office runs it: the built binary in a child process (needs `npm run build`, the pretest step).

const DAY = '20260210';
/** How the processing list shows DAY in English. */
const DAY_SHOWN = '10 Feb 2026';
const FOLDER = '40123-9';

let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'daystick-import-cli-'));
  const synthetic = createSyntheticJournal({ days: { [DAY]: { receipts: 50 } }, seed: 3 });
  await mkdir(join(work, 'written'));
  await writeDayPackage({
    stickPath: join(work, 'written'),
    identity: { customerNumber: '40123', registerId: '9' },
    businessDay: DAY,
    closingNumber: 2,
    kind: 'day-close',
    includeTimeRecords: true,
    journal: synthetic.journal,
    timeRecording: synthetic.timeRecording,
    keyDir: join(work, 'register-keys'),
    now: () => Date.UTC(2026, 1, 10, 21),
    signal: new AbortController().signal,
  });
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

test('import once from a folder: exit 0, the processing list, the head-office key created beside the central journal', async () => {
  const central = join(work, 'office', 'central.sqlite');
  await mkdir(join(work, 'office'));
  const run = runDaystick(['import', join(work, 'written'), '--central', central, '--head-office-customer', '10000'], work);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(/^REGISTER +DAY +KIND +RECEIPTS +STATUS +PROGRESS$/m);
  expect(run.stdout).toMatch(new RegExp(`^${FOLDER} +${DAY_SHOWN} +day-close +50 imported +100%$`, 'm'));
  expect(run.stdout).toContain('1 package(s): 1 imported');
  expect(await readdir(join(work, 'office', 'daystick-headoffice-keys'))).toEqual(['headoffice-ed25519.key']);
  const again = runDaystick(['import', join(work, 'written'), '--central', central], work);
  expect(again.code).toBe(0);
  expect(again.stdout).toMatch(new RegExp(`^${FOLDER} +${DAY_SHOWN} +day-close +50 already-imported +100%$`, 'm'));
});

test('watching ends cleanly on SIGTERM after importing a stick that appeared', async () => {
  const sticks = join(work, 'sticks');
  await mkdir(sticks);
  const child = spawn(process.execPath, [DAYSTICK_BIN, 'import', '--central', join(work, 'central.sqlite'), '--head-office-customer', '10000', '--stick-root', sticks], {
    cwd: work,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const waitFor = async (text: string) => {
    const start = Date.now();
    while (!stdout.includes(text)) {
      if (Date.now() - start > 20_000) throw new Error(`no "${text}" within 20 s; stdout:\n${stdout}\nstderr:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  try {
    await waitFor('watching for sticks');
    // Copied beside the root and moved in at once: a real stick appears with its files already on it.
    await cp(join(work, 'written'), join(work, 'USBSTICK'), { recursive: true });
    await rename(join(work, 'USBSTICK'), join(sticks, 'USBSTICK'));
    await waitFor('it can be pulled now');
  } finally {
    child.kill('SIGTERM');
  }
  expect(await exited).toBe(0);
  expect(stdout).toMatch(/stick "USBSTICK" done: 1 package\(s\): 1 imported/);
  expect(stdout.trimEnd().split('\n').at(-1)).toBe('1 package(s): 1 imported, 0 already imported, 0 with conflicts, 0 refused, 0 failed');
  expect(stderr).toBe('');
});
