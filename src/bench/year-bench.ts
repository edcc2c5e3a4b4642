import { execFile } from 'node:child_process';
import { link, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { writeDayPackage } from '../export/index.js';
import { loadOrCreateHeadOfficeKey } from '../headoffice/head-office-keys.js';
import { type ImportOptions, importPackage } from '../headoffice/import-package.js';
import { knownPackageIndex } from '../headoffice/known-package.js';
import type { CentralStore } from '../central/central-store.js';
import { openCentralStore } from '../central/open-central-store.js';
import type { BusinessDay } from '../host/business-day.js';
import { type AcknowledgementReading, readAcknowledgements } from '../package/acknowledgement.js';
import { ACKS_FOLDER, STICK_ROOT_FOLDER } from '../package/layout.js';
import { listPackages } from '../package/reader.js';
import { createSyntheticJournal } from './synthetic-journal.js';
import { simulateYearOfRoundTrips } from './year-round-trips.js';

/**
 * `npm run bench -- year` (issue 13, item 5): one store's stick after a year
 * of daily round trips, 365 small days and the large days of the season on
 * it, taken to head office again and again. What matters is that a visit
 * costs what is new on the stick, not the stick's whole history: re-insertion
 * of a stick whose every package is already imported is timed as the whole
 * `daystick import` process, beside a bare `node` start-up and a plain walk
 * reading every manifest and signature, measured in the same run.
 */
const DAYSTICK_BIN = fileURLToPath(new URL('../../bin/daystick.js', import.meta.url));
const run = promisify(execFile);
const CUSTOMER = '90003';
const REGISTER = '1';
const FOLDER = `${CUSTOMER}-${REGISTER}`;
const HEAD_OFFICE = '10000';
const SMALL_DAYS = 365;
const SMALL_RECEIPTS = 80;
const LARGE_RECEIPTS = 100_000;
/** The issue asks for 30; each costs a full export and a full first import, so a quick run may ask for fewer. */
const LARGE_DAYS_ENV = 'DAYSTICK_BENCH_LARGE_DAYS';
/** The simulated year's length in days (default 365): each day is a real close and a real import, so a quick run may ask for fewer. */
const YEAR_DAYS_ENV = 'DAYSTICK_BENCH_YEAR_DAYS';
/**
 * `1`: only the small days: write them, import them once, then time their
 * re-insertion beside the same CLI on an empty stick (a few minutes, where the
 * whole section with 30 large days and a simulated year takes half an hour).
 */
const QUICK_ENV = 'DAYSTICK_BENCH_YEAR_QUICK';
const KEEP_CONFIRMED_DAYS = 7;
const SMALL_SPEC = { receipts: SMALL_RECEIPTS, stockPostings: 40, timeRecords: 8 };
const met = (ok: boolean) => (ok ? 'MET' : 'NOT MET');
const ROUNDS = 5;

const fmt = (n: number, digits = 0) => n.toFixed(digits);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mib = (bytes: number) => bytes / (1024 * 1024);

function daysFrom(start: string, count: number): BusinessDay[] {
  const first = Date.UTC(Number(start.slice(0, 4)), Number(start.slice(4, 6)) - 1, Number(start.slice(6, 8)));
  return Array.from({ length: count }, (_, i) => new Date(first + i * 86_400_000).toISOString().slice(0, 10).replaceAll('-', '') as BusinessDay);
}

const load = () => loadavg().map((n) => n.toFixed(2)).join(' ');

/** `okCodes`: exit statuses that are the expected answer (an empty stick's import ends with 1: nothing arrived). */
async function timedCommand(cmd: string, args: string[], okCodes: readonly number[] = [0]): Promise<{ ms: number; stdout: string }> {
  const started = process.hrtime.bigint();
  try {
    const { stdout } = await run(cmd, args, { maxBuffer: 64 << 20 });
    return { ms: Number(process.hrtime.bigint() - started) / 1e6, stdout };
  } catch (err) {
    const e = err as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof e.code === 'number' && okCodes.includes(e.code)) return { ms: Number(process.hrtime.bigint() - started) / 1e6, stdout: e.stdout ?? '' };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${(err as Error).message}\n${e.stderr ?? ''}`);
  }
}

/**
 * The CLI on a stick of `packages` packages all already imported, beside the
 * same CLI on an empty stick in the same rounds: the empty stick's run is the
 * fixed cost (node start-up, loading, argument checks, opening the central
 * journal, keys), and what the full stick costs beyond it, per package, is
 * what each already-imported package adds.
 */
async function reinsertionFigures(
  label: string,
  packages: number,
  times: { full: number[]; empty: number[] },
): Promise<{ fullMs: number; emptyMs: number; perPackageMs: number }> {
  const fullMs = median(times.full);
  const emptyMs = median(times.empty);
  const perPackageMs = (fullMs - emptyMs) / packages;
  console.log(
    `  ${label}: whole process ${fmt(fullMs)} ms = fixed cost ${fmt(emptyMs)} ms (same CLI, empty stick) + ${packages} × ` +
      `${fmt(perPackageMs, 2)} ms; whole ÷ fixed ${fmt(fullMs / emptyMs, 2)}x (medians of ${times.full.length}; load ${load()})`,
  );
  return { fullMs, emptyMs, perPackageMs };
}

async function treeBytes(dir: string): Promise<{ bytes: number; files: number }> {
  let bytes = 0;
  let files = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const sub = await treeBytes(path);
      bytes += sub.bytes;
      files += sub.files;
    } else {
      bytes += (await stat(path)).size;
      files++;
    }
  }
  return { bytes, files };
}

/** A stick holding only the given days of `source`, packages and acks hard-linked: the same files, no copy. */
async function stickOf(source: string, target: string, days: ReadonlySet<string>): Promise<void> {
  const from = join(source, STICK_ROOT_FOLDER, FOLDER);
  const to = join(target, STICK_ROOT_FOLDER, FOLDER);
  await mkdir(join(to, ACKS_FOLDER), { recursive: true });
  for (const sub of ['', ACKS_FOLDER]) {
    for (const name of await readdir(join(from, sub))) {
      if (name === ACKS_FOLDER) continue;
      const isDayFile = /^[0-9]{8}_/.test(name);
      if (isDayFile && !days.has(name.slice(0, 8))) continue;
      await link(join(from, sub, name), join(to, sub, name));
    }
  }
}

/** The median already-imported package's importPackage, inside one process (median of 3 passes' medians). */
async function perPackageInProcess(store: CentralStore, path: string, options: ImportOptions): Promise<number> {
  const pass = async () => {
    const times: number[] = [];
    const acknowledgements = new Map<string, AcknowledgementReading[]>();
    const locations = await listPackages(path);
    // What one pass of the import asks once, before its first package: not part of any one package's cost.
    const knownIndex = await knownPackageIndex(store, locations);
    const registerKeys = new Map<string, Promise<string | null>>();
    // The folder's acks are read once per pass, before the first package: not part of any one package's cost.
    for (const dir of new Set(locations.map((l) => l.registerDir))) acknowledgements.set(dir, await readAcknowledgements(dir));
    for (const location of locations) {
      const started = process.hrtime.bigint();
      const r = await importPackage(store, location, { ...options, acknowledgements, knownIndex, registerKeys });
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
      if (r.status !== 'already-imported') throw new Error(`year bench: ${location.stem} re-imported as ${r.status}`);
    }
    return median(times);
  };
  return median([await pass(), await pass(), await pass()]);
}

export const yearBenchSection = {
  title: 'A year on a stick: 365 small days and the large days, re-insertion at head office',
  async run(work: string): Promise<void> {
    const quick = process.env[QUICK_ENV] === '1';
    const largeCount = quick ? 0 : Number(process.env[LARGE_DAYS_ENV] ?? 30);
    if (!quick && (!Number.isSafeInteger(largeCount) || largeCount < 1)) throw new Error(`${LARGE_DAYS_ENV} must be a whole number ≥ 1`);
    const yearDays = Number(process.env[YEAR_DAYS_ENV] ?? SMALL_DAYS);
    if (!Number.isSafeInteger(yearDays) || yearDays < 2) throw new Error(`${YEAR_DAYS_ENV} must be a whole number ≥ 2`);
    const smallDays = daysFrom('20250101', SMALL_DAYS);
    const largeDays = daysFrom('20260101', largeCount);
    if (quick) console.log(`  NOTE: ${QUICK_ENV}=1: the ${SMALL_DAYS} small days only, no large days, no simulated year`);
    else if (largeCount !== 30) console.log(`  NOTE: ${largeCount} large days instead of the issue's 30 (${LARGE_DAYS_ENV})`);
    const synthetic = createSyntheticJournal({
      days: Object.fromEntries([
        ...smallDays.map((d) => [d, SMALL_SPEC]),
        ...largeDays.map((d) => [d, { receipts: LARGE_RECEIPTS, stockPostings: 50_000, timeRecords: 500 }]),
      ]),
      seed: 365,
    });
    const stick = join(work, 'stick');
    await mkdir(stick);
    // Format 2, encrypted to head office, as the plugin writes every package: the fast path must hold for what real sticks carry.
    const headOfficeIdentity = await generateX25519Identity();
    const recipients = [await identityToRecipient(headOfficeIdentity)];
    const identityFile = join(work, 'headoffice-age-identity.txt');
    await writeFile(identityFile, `${headOfficeIdentity}\n`, { mode: 0o600 });
    // Every package by the real writer: the format forbids reusing one day's data under another day (each row names its day).
    const writeStarted = process.hrtime.bigint();
    for (const day of [...smallDays, ...largeDays]) {
      await writeDayPackage({
        stickPath: stick,
        recipients,
        identity: { customerNumber: CUSTOMER, registerId: REGISTER },
        businessDay: day,
        closingNumber: 1,
        kind: 'day-close',
        includeTimeRecords: true,
        journal: synthetic.journal,
        timeRecording: synthetic.timeRecording,
        keyDir: join(work, 'register-keys'),
        now: () => Date.now(),
        signal: new AbortController().signal,
      });
    }
    const onStick = await treeBytes(stick);
    console.log(
      `  stick written: ${SMALL_DAYS} days of ${SMALL_RECEIPTS} receipts + ${largeCount} days of ${LARGE_RECEIPTS} receipts, ` +
        `${onStick.files} files, ${fmt(mib(onStick.bytes), 1)} MiB (${fmt(Number(process.hrtime.bigint() - writeStarted) / 1e9, 1)} s to write)`,
    );

    const central = join(work, 'central.sqlite');
    const keys = join(work, 'ho-keys');
    const importArgs = (path: string) => [DAYSTICK_BIN, 'import', path, '--central', central, '--keys', keys, '--identity', identityFile];
    const first = await timedCommand(process.execPath, [...importArgs(stick), '--head-office-customer', HEAD_OFFICE]);
    const firstTally = first.stdout.trim().split('\n').at(-1);
    console.log(`  first import (whole process)                      ${fmt(first.ms).padStart(7)} ms  ${firstTally}`);
    const emptyStick = join(work, 'stick-empty');
    await mkdir(join(emptyStick, STICK_ROOT_FOLDER), { recursive: true });
    const emptyRun = async () => (await timedCommand(process.execPath, importArgs(emptyStick), [1])).ms;

    if (quick) {
      const startup: number[] = [];
      const times = { full: [] as number[], empty: [] as number[] };
      let tally = '';
      for (let round = 1; round <= ROUNDS; round++) {
        startup.push((await timedCommand(process.execPath, ['-e', ''])).ms);
        times.empty.push(await emptyRun());
        const a = await timedCommand(process.execPath, importArgs(stick));
        times.full.push(a.ms);
        tally = a.stdout.trim().split('\n').at(-1) ?? '';
      }
      console.log(`  baseline: node start-up (node -e '')              ${fmt(median(startup)).padStart(7)} ms (median of ${ROUNDS})`);
      const r = await reinsertionFigures(`re-insertion of the ${SMALL_DAYS} small days`, SMALL_DAYS, times);
      console.log(`    ${tally} [target ≤ 1000 ms: ${met(r.fullMs <= 1000)}]`);
      const store = await openCentralStore(central);
      try {
        const key = await loadOrCreateHeadOfficeKey(keys);
        const inProcess = await perPackageInProcess(store, stick, { withoutStockPostings: false, headOfficeCustomerNumber: HEAD_OFFICE, headOfficeKey: key });
        console.log(`  per already-imported package, in-process median ${fmt(inProcess, 2)} ms; the CLI's ${fmt(r.perPackageMs, 2)} ms = ${fmt(r.perPackageMs / inProcess, 2)}x`);
      } finally {
        await store.close();
      }
      return;
    }

    const smallStick = join(work, 'stick-small');
    const largeStick = join(work, 'stick-large');
    // As many small days as large ones: the same package count, so the same fixed per-run cost in both.
    const fewSmallStick = join(work, 'stick-few-small');
    await stickOf(stick, smallStick, new Set(smallDays));
    await stickOf(stick, largeStick, new Set(largeDays));
    await stickOf(stick, fewSmallStick, new Set(smallDays.slice(0, largeCount)));
    const walker = join(work, 'walk.mjs');
    // The floor of knowing a stick again: list it and read every manifest and signature, nothing else.
    await writeFile(
      walker,
      `import { readdir, readFile } from 'node:fs/promises';\nimport { join } from 'node:path';\n` +
        `const dir = join(process.argv[2], 'DAYSTICK', '${FOLDER}');\nlet n = 0;\n` +
        `for (const name of await readdir(dir)) if (name.endsWith('.manifest.json') || name.endsWith('.manifest.sig')) { await readFile(join(dir, name)); n++; }\n` +
        'console.log(n);\n',
    );

    const startup: number[] = [];
    const walkAll: number[] = [];
    const again: number[] = [];
    const againSmall: number[] = [];
    const againLarge: number[] = [];
    const againFewSmall: number[] = [];
    const empty: number[] = [];
    let againTally = '';
    for (let round = 1; round <= ROUNDS; round++) {
      startup.push((await timedCommand(process.execPath, ['-e', ''])).ms);
      empty.push(await emptyRun());
      walkAll.push((await timedCommand(process.execPath, [walker, stick])).ms);
      const a = await timedCommand(process.execPath, importArgs(stick));
      again.push(a.ms);
      againTally = a.stdout.trim().split('\n').at(-1) ?? '';
      againSmall.push((await timedCommand(process.execPath, importArgs(smallStick))).ms);
      againLarge.push((await timedCommand(process.execPath, importArgs(largeStick))).ms);
      againFewSmall.push((await timedCommand(process.execPath, importArgs(fewSmallStick))).ms);
    }
    const base = median(startup);
    const smallAgain = median(againSmall);
    console.log(`  baseline: node start-up (node -e '')              ${fmt(base).padStart(7)} ms (median of ${ROUNDS})`);
    console.log(`  baseline: plain walk reading every manifest + sig ${fmt(median(walkAll)).padStart(7)} ms`);
    console.log(
      `  re-insertion, all ${SMALL_DAYS + largeCount} already imported (whole process)  ${fmt(median(again)).padStart(7)} ms = ` +
        `${fmt(median(again) / median(walkAll), 2)}x the walk; ${againTally}`,
    );
    console.log(
      `  re-insertion of the ${SMALL_DAYS} small days (whole process)    ${fmt(smallAgain).padStart(7)} ms` +
        ` = ${fmt(smallAgain / base, 1)}x start-up [target ≤ 1000 ms: ${met(smallAgain <= 1000)}]`,
    );
    await reinsertionFigures(`re-insertion of the ${SMALL_DAYS} small days`, SMALL_DAYS, { full: againSmall, empty });
    console.log(`  re-insertion of the ${largeCount} large days (whole process)     ${fmt(median(againLarge)).padStart(7)} ms`);
    console.log(`  re-insertion of ${largeCount} small days (whole process)         ${fmt(median(againFewSmall)).padStart(7)} ms`);
    const perFewSmall = (median(againFewSmall) - base) / largeCount;
    const perLargeProcess = (median(againLarge) - base) / largeCount;
    console.log(
      `  per already-imported package, whole process less start-up, ${largeCount} of each: small ${fmt(perFewSmall, 2)} ms, ` +
        `large ${fmt(perLargeProcess, 2)} ms = ${fmt(perLargeProcess / perFewSmall, 2)}x (the run's fixed cost shared alike)`,
    );

    // The same per package, timed inside one process: no start-up or fixed per-run cost in it.
    const store = await openCentralStore(central);
    try {
      const key = await loadOrCreateHeadOfficeKey(keys);
      const options = { withoutStockPostings: false, headOfficeCustomerNumber: HEAD_OFFICE, headOfficeKey: key };
      const small = await perPackageInProcess(store, smallStick, options);
      const large = await perPackageInProcess(store, largeStick, options);
      console.log(
        `  per already-imported package, in-process median: small ${fmt(small, 2)} ms, large ${fmt(large, 2)} ms = ` +
          `${fmt(large / small, 2)}x [target ≤ 2.00x: ${met(large / small <= 2)}]`,
      );
    } finally {
      await store.close();
    }

    const kept = await treeBytes(stick);
    console.log(`  stick now, nothing released (every package kept): ${fmt(mib(kept.bytes), 1)} MiB in ${kept.files} files`);

    if (yearDays !== SMALL_DAYS) console.log(`  NOTE: a simulated year of ${yearDays} days instead of ${SMALL_DAYS} (${YEAR_DAYS_ENV})`);
    const yearStarted = process.hrtime.bigint();
    const year = await simulateYearOfRoundTrips(join(work, 'year'), daysFrom('20250101', yearDays), SMALL_SPEC, KEEP_CONFIRMED_DAYS);
    const bound = KEEP_CONFIRMED_DAYS + year.final.unconfirmed;
    console.log(
      `  stick after a simulated year (${year.days} daily close → import → close, real plugin and import, keepConfirmedDays=${KEEP_CONFIRMED_DAYS}, ` +
        `${fmt(Number(process.hrtime.bigint() - yearStarted) / 1e9, 0)} s):`,
    );
    console.log(
      `    ${year.final.packages} packages (${year.final.unconfirmed} unconfirmed), ${year.final.backups} master-data backup, ` +
        `${year.final.files} files, ${fmt(year.final.bytes / 1024, 0)} KiB; most packages after any close: ${year.maxPackages}`,
    );
    console.log(
      `    [target ≤ kept ${KEEP_CONFIRMED_DAYS} + unconfirmed ${year.final.unconfirmed} = ${bound} packages and 1 backup, after every close: ` +
        `${met(year.overBound === null)}${year.overBound === null ? '' : `, first over at the close of ${year.overBound}`}]`,
    );
    console.log(
      `    median register close ${fmt(year.medianCloseMs)} ms, median head-office visit ${fmt(year.medianVisitMs)} ms (in process, ` +
        `${KEEP_CONFIRMED_DAYS + 1} packages on the stick, format 2)`,
    );
  },
};
