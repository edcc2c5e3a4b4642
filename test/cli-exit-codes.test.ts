import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDayPackage } from '../src/export/index.js';
import { runDaystick } from './support/shell-session.js';
import { createSyntheticJournal } from './support/synthetic-journal.js';

// The exit-code table of README.md ("Exit codes"), row by row, against the built binary in a child process.

const DAY = '20260210';

let work: string;
let whole: string;
let broken: string;
let empty: string;
const missing = () => join(work, 'no-such-stick');
const central = () => join(work, 'office', 'central.sqlite');
const importArgs = (path: string) => ['import', path, '--central', central(), '--head-office-customer', '10000'];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'daystick-exit-codes-'));
  whole = join(work, 'whole');
  await mkdir(whole);
  const synthetic = createSyntheticJournal({ days: { [DAY]: { receipts: 20 } }, seed: 11 });
  await writeDayPackage({
    stickPath: whole,
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
  // The same package with one byte of its archive changed: a package with a problem.
  broken = join(work, 'broken');
  await cp(whole, broken, { recursive: true });
  const folder = join(broken, 'DAYSTICK', '40123-9');
  const zip = (await readdir(folder)).find((n) => n.endsWith('.zip'))!;
  const bytes = await readFile(join(folder, zip));
  const at = Math.floor(bytes.length / 2);
  bytes[at] = bytes[at]! ^ 0xff;
  await writeFile(join(folder, zip), bytes);
  empty = join(work, 'empty');
  await mkdir(join(empty, 'DAYSTICK'), { recursive: true });
  await mkdir(join(work, 'office'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('daystick without a command', () => {
  test('bare daystick prints the usage on stderr and exits 2', () => {
    const r = runDaystick([], work);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^usage: daystick <command>/);
    expect(r.stdout).toBe('');
  });
  test('help exits 0 with the usage on stdout; an unknown command exits 2', () => {
    expect(runDaystick(['help'], work)).toMatchObject({ code: 0, stdout: expect.stringMatching(/^usage: daystick/) });
    expect(runDaystick(['--help'], work).code).toBe(0);
    const unknown = runDaystick(['verfiy'], work);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "verfiy"');
  });
});

describe('daystick shell', () => {
  test('bad arguments exit 2 with the usage, --help exits 0', () => {
    const bad = runDaystick(['shell', '--lang', 'fr'], work);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('daystick shell:');
    expect(runDaystick(['shell', '--bogus'], work).code).toBe(2);
    expect(runDaystick(['shell', '--help'], work).code).toBe(0);
  });
});

describe('daystick verify', () => {
  test.each([
    ['every package whole', 0, () => [whole]],
    ['a package with a problem', 1, () => [broken]],
    ['an empty stick (no package)', 1, () => [empty]],
    ['a path that does not exist', 2, () => [missing()]],
    ['no path', 2, () => []],
    ['an unknown option', 2, () => ['--bogus', whole]],
    ['a --lang other than en or de', 2, () => ['--lang', 'fr', whole]],
    ['--lang de on every package whole', 0, () => ['--lang', 'de', whole]],
    ['--help', 0, () => ['--help']],
  ])('%s: exit %i', (_situation, code, args) => {
    const r = runDaystick(['verify', ...(args as () => string[])()], work);
    expect(r.code).toBe(code);
  });
});

describe('daystick import (once, PATH given)', () => {
  test('an empty stick exits 1 and says no package was there', () => {
    const r = runDaystick(importArgs(empty), work);
    expect(r.stdout).toContain(`no daystick packages under ${empty}`);
    expect(r.code).toBe(1);
  });
  test('a path that does not exist exits 2 before the central journal is created', async () => {
    const elsewhere = join(work, 'office-2', 'central.sqlite');
    const r = runDaystick(['import', missing(), '--central', elsewhere, '--head-office-customer', '10000'], work);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`cannot read ${missing()}`);
    await expect(readdir(join(work, 'office-2'))).rejects.toThrow();
  });
  test.each([
    ['an unknown option', 2, ['import', '--bogus']],
    ['a --lang other than en or de', 2, ['import', '--lang', 'fr']],
    ['no --central', 2, ['import', 'somewhere']],
    ['--help', 0, ['import', '--help']],
  ])('%s: exit %i', (_situation, code, args) => {
    expect(runDaystick(args as string[], work).code).toBe(code);
  });
  test('every package imported exits 0, a package with a problem exits 1', () => {
    // The damaged copy first: once the whole package is in, head office recognises the same signed
    // manifest without reading the data again (already imported), so a damaged data file would not show.
    const r = runDaystick(importArgs(broken), work);
    expect(r.code).toBe(1);
    expect(runDaystick(importArgs(whole), work).code).toBe(0);
    // Imported already is no problem either.
    expect(runDaystick(importArgs(whole), work).code).toBe(0);
  });
});
