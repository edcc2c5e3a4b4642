import { execFile, spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createDeflateRaw } from 'node:zlib';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { DEFLATE_LEVEL, writeDayPackage } from '../export/write-day-package.js';
import { forEachEntry } from '../package/reader.js';
import { closeBenchSection, runJournalReadChild } from './close-bench.js';
import { consoleBenchSection } from './console-bench.js';
import { importBenchSection } from './import-bench.js';
import { stateBenchSection } from './state-bench.js';
import { createSyntheticJournal, type SyntheticDaySpec } from './synthetic-journal.js';
import { yearBenchSection } from './year-bench.js';

/**
 * `npm run bench`: every measured case runs in its own child process so its
 * peak RSS (getrusage maxRSS) is its own, and each figure is printed beside
 * baselines measured in the same run on the same machine. Sections are
 * independent; the head-office import adds its own section to SECTIONS.
 */

const run = promisify(execFile);
const SELF = fileURLToPath(import.meta.url);
const DAY = '20260601';

const LARGE_DAY: SyntheticDaySpec = { receipts: 100_000, stockPostings: 50_000, timeRecords: 500 };
const SMALL_DAY: SyntheticDaySpec = { receipts: 10_000, stockPostings: 5_000, timeRecords: 500 };
const ROUNDS = 5;

export interface CaseResult {
  wallMs: number;
  /** user + system CPU of the whole process (all threads, zlib's included) during the case. */
  cpuMs: number;
  maxRssMiB: number;
  records: number;
  ndjsonBytes: number;
  outputBytes: number;
}

type CaseName = 'export' | 'export-encrypted' | 'baseline-stringify';

// ---------------------------------------------------------------- child side

async function runCase(name: CaseName, spec: SyntheticDaySpec, outDir: string): Promise<CaseResult> {
  const { journal, timeRecording } = createSyntheticJournal({ days: { [DAY]: spec } });
  // A real journal answers these with a COUNT query; the generator has to walk the day once, which is not export work.
  const summary = await journal.summary(DAY);
  const timeCount = await timeRecording.count(DAY);
  const records = summary.receipts + summary.receiptLines + summary.payments + summary.stockPostings + timeCount;
  globalThis.gc?.();
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  let ndjsonBytes = 0;
  let outputBytes = 0;
  // Made before the clock starts: head office's key is not the register's work.
  const recipients = name === 'export-encrypted' ? [await identityToRecipient(await generateX25519Identity())] : undefined;
  if (name === 'export' || name === 'export-encrypted') {
    const written = await writeDayPackage({
      ...(recipients ? { recipients } : {}),
      stickPath: outDir,
      identity: { customerNumber: '90001', registerId: '1' },
      businessDay: DAY,
      closingNumber: 1,
      kind: 'day-close',
      includeTimeRecords: true,
      journal,
      timeRecording,
      keyDir: join(outDir, 'keys'),
      now: () => Date.now(),
      signal: new AbortController().signal,
    });
    outputBytes = written.bytes;
  } else {
    // Baseline (a): the floor of touching the data at all: stringify every journal record into one file, batched.
    const out = createWriteStream(join(outDir, 'baseline.ndjson'), { highWaterMark: 1 << 20 });
    let pending = '';
    const flush = async () => {
      const chunk = Buffer.from(pending);
      pending = '';
      ndjsonBytes += chunk.length;
      if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    };
    const sources = [journal.receipts(DAY), journal.stockPostings(DAY), timeRecording.records(DAY)];
    for (const source of sources) {
      for await (const record of source) {
        pending += `${JSON.stringify(record)}\n`;
        if (pending.length >= 256 * 1024) await flush();
      }
    }
    await flush();
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    outputBytes = ndjsonBytes;
  }
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  if (name === 'export') ndjsonBytes = await packageNdjsonBytes(outDir);
  return { wallMs, cpuMs, maxRssMiB: process.resourceUsage().maxRSS / 1024, records, ndjsonBytes, outputBytes };
}

async function packageZip(outDir: string): Promise<string> {
  const dir = join(outDir, 'DAYSTICK', '90001-1');
  const zip = (await readdir(dir)).find((n) => n.endsWith('.zip'));
  if (!zip) throw new Error(`no package was written under ${dir}`);
  return join(dir, zip);
}

async function packageNdjsonBytes(outDir: string): Promise<number> {
  let bytes = 0;
  await forEachEntry(await packageZip(outDir), async (_name, content) => {
    for await (const chunk of content) bytes += (chunk as Buffer).length;
  });
  return bytes;
}

/** Unpacks a package's entries as plain NDJSON files, the input of the `zip -1` baseline and the level sweep. */
async function unpackEntries(outDir: string, into: string): Promise<string[]> {
  await mkdir(into, { recursive: true });
  const files: string[] = [];
  await forEachEntry(await packageZip(outDir), async (name, content) => {
    const file = join(into, name);
    await pipeline(content, createWriteStream(file));
    files.push(file);
  });
  return files;
}

// ---------------------------------------------------------------- parent side

function runChild(name: CaseName, spec: SyntheticDaySpec, outDir: string): Promise<CaseResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', SELF, '--case', name, '--receipts', String(spec.receipts), '--out', outDir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`bench case ${name} exited with ${code}`));
      else resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as CaseResult);
    });
  });
}

const mib = (bytes: number) => bytes / (1024 * 1024);
const fmt = (n: number, digits = 1) => n.toFixed(digits);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function describeCase(label: string, r: CaseResult): string {
  const seconds = r.wallMs / 1000;
  return [
    label.padEnd(34),
    `${fmt(r.wallMs, 0).padStart(6)} ms (CPU ${fmt(r.cpuMs, 0).padStart(5)} ms)`,
    `${fmt(r.records / seconds / 1000, 0).padStart(5)}k rec/s`,
    `${fmt(mib(r.ndjsonBytes) / seconds).padStart(6)} MB/s NDJSON`,
    `out ${fmt(mib(r.outputBytes)).padStart(6)} MiB`,
    `peak RSS ${fmt(r.maxRssMiB).padStart(6)} MiB`,
  ].join('  ');
}

async function timeCommand(cmd: string, args: string[], cwd: string): Promise<number> {
  const started = process.hrtime.bigint();
  await run(cmd, args, { cwd, maxBuffer: 1 << 20 });
  return Number(process.hrtime.bigint() - started) / 1e6;
}

interface BenchSection {
  title: string;
  run(work: string): Promise<void>;
}

const exportSection: BenchSection = {
  title: 'Export: day package vs. baselines (synthetic day, local folder)',
  async run(work) {
    const largeA: CaseResult[] = [];
    const largeExport: CaseResult[] = [];
    const largeEncrypted: CaseResult[] = [];
    const ratios: number[] = [];
    const encryptionRatios: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const dirA = join(work, `a-${round}`);
      const dirE = join(work, `e-${round}`);
      await mkdir(dirA);
      await mkdir(dirE);
      const a = await runChild('baseline-stringify', LARGE_DAY, dirA);
      const e = await runChild('export', LARGE_DAY, dirE);
      const dirX = join(work, `x-${round}`);
      await mkdir(dirX);
      const x = await runChild('export-encrypted', LARGE_DAY, dirX);
      await rm(dirX, { recursive: true, force: true });
      largeA.push(a);
      largeExport.push(e);
      largeEncrypted.push(x);
      ratios.push(e.wallMs / a.wallMs);
      encryptionRatios.push(x.wallMs / e.wallMs);
      console.log(`  round ${round}: ${describeCase('export encrypted to head office (age, format 2)', x)}  = ${fmt(x.wallMs / e.wallMs, 2)}x export in the clear`);
      console.log(`  round ${round}: ${describeCase('baseline (a) JSON.stringify → file', a)}`);
      console.log(`  round ${round}: ${describeCase(`export (deflate level ${DEFLATE_LEVEL})`, e)}  = ${fmt(e.wallMs / a.wallMs, 2)}x (a)`);
      if (round < ROUNDS) await rm(dirA, { recursive: true, force: true });
      if (round < ROUNDS) await rm(dirE, { recursive: true, force: true });
    }

    const lastExport = join(work, `e-${ROUNDS}`);
    const unpacked = join(work, 'ndjson');
    const files = await unpackEntries(lastExport, unpacked);
    const zipMs: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      await rm(join(work, 'b.zip'), { force: true });
      zipMs.push(await timeCommand('zip', ['-1', '-q', '-j', join(work, 'b.zip'), ...files], work));
    }
    const zipBytes = (await stat(join(work, 'b.zip'))).size;

    const smallDir = join(work, 'small');
    await mkdir(smallDir);
    const small = await runChild('export', SMALL_DAY, smallDir);

    const a = median(largeA.map((r) => r.wallMs));
    const e = median(largeExport.map((r) => r.wallMs));
    const aCpu = median(largeA.map((r) => r.cpuMs));
    const eCpu = median(largeExport.map((r) => r.cpuMs));
    const peak = Math.max(...largeExport.map((r) => r.maxRssMiB));
    console.log('');
    console.log(`  large day: ${LARGE_DAY.receipts} receipts, ${largeExport[0]!.records} records, ${fmt(mib(largeExport[0]!.ndjsonBytes))} MiB NDJSON`);
    console.log(`  baseline (a) stringify → file   median ${fmt(a, 0)} ms`);
    console.log(`  baseline (b) zip -1 over NDJSON median ${fmt(median(zipMs), 0)} ms (${fmt(median(zipMs) / a, 2)}x (a)), ${fmt(mib(zipBytes), 2)} MiB`);
    // Each round runs (a) and the export back to back, so the per-round ratio cancels the machine's drift.
    console.log(`  export                          median ${fmt(e, 0)} ms; median of per-round ratios ${fmt(median(ratios), 2)}x (a) [target ≤ 1.30x]`);
    console.log(`                                  per round ${ratios.map((r) => fmt(r, 2)).join(', ')}; ratio of medians ${fmt(e / a, 2)}x`);
    console.log(
      `  encryption (age) cost           median ${fmt(median(largeEncrypted.map((r) => r.wallMs)), 0)} ms; median of per-round ratios ${fmt(median(encryptionRatios), 2)}x export in the clear [target ≤ 1.10x]; CPU ${fmt(median(largeEncrypted.map((r) => r.cpuMs)) / eCpu, 2)}x; peak RSS ${fmt(Math.max(...largeEncrypted.map((r) => r.maxRssMiB)))} MiB`,
    );
    console.log(`  CPU (all threads)               export ${fmt(eCpu, 0)} ms vs (a) ${fmt(aCpu, 0)} ms = ${fmt(eCpu / aCpu, 2)}x`);
    console.log(`  package size                    ${fmt(mib(largeExport[0]!.outputBytes), 2)} MiB (${fmt((100 * largeExport[0]!.outputBytes) / largeExport[0]!.ndjsonBytes, 1)}% of NDJSON)`);
    console.log(`  peak RSS large export           ${fmt(peak)} MiB [target < 200 MiB]; baseline (a) ${fmt(Math.max(...largeA.map((r) => r.maxRssMiB)))} MiB`);
    console.log(`  ${describeCase(`small day (${SMALL_DAY.receipts} receipts) export`, small)}`);
    console.log(`  peak RSS large / small          ${fmt(peak / small.maxRssMiB, 2)}x [target ≤ 1.50x]`);

    console.log('\n  deflate level trade-off on the same NDJSON (node zlib, single stream, + time to land on a 10 MB/s USB 2.0 stick):');
    for (const level of [0, 1, 3, 6, 9]) {
      const started = process.hrtime.bigint();
      let bytes = 0;
      for (const file of files) {
        const deflate = createDeflateRaw({ level });
        deflate.on('data', (c: Buffer) => {
          bytes += c.length;
        });
        await pipeline(createReadStream(file), deflate);
      }
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const stickMs = (bytes / 10e6) * 1000;
      console.log(
        `    level ${level}: ${fmt(ms, 0).padStart(5)} ms CPU, ${fmt(mib(bytes), 2).padStart(6)} MiB, stick ${fmt(stickMs, 0).padStart(5)} ms, total ${fmt(ms + stickMs, 0).padStart(5)} ms`,
      );
    }
  },
};

const SECTIONS: BenchSection[] = [exportSection, closeBenchSection, importBenchSection, stateBenchSection, yearBenchSection, consoleBenchSection];

async function main(argv: string[]): Promise<number> {
  const readIndex = argv.indexOf('--journal-read');
  if (readIndex !== -1) {
    process.stdout.write(`${JSON.stringify(await runJournalReadChild(argv[readIndex + 1]!))}\n`);
    return 0;
  }
  const caseIndex = argv.indexOf('--case');
  if (caseIndex !== -1) {
    const name = argv[caseIndex + 1] as CaseName;
    const receipts = Number(argv[argv.indexOf('--receipts') + 1]);
    const outDir = argv[argv.indexOf('--out') + 1]!;
    const spec = receipts === LARGE_DAY.receipts ? LARGE_DAY : receipts === SMALL_DAY.receipts ? SMALL_DAY : { receipts };
    const result = await runCase(name, spec, outDir);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  }
  const work = await mkdtemp(join(tmpdir(), 'daystick-bench-'));
  try {
    // `npm run bench -- export` (or `close`, `import`, `year`, `console`) runs only the sections whose title mentions that word.
    const only = argv.filter((a) => !a.startsWith('-')).map((a) => a.toLowerCase());
    const chosen = SECTIONS.filter((s) => only.length === 0 || only.some((w) => s.title.toLowerCase().includes(w)));
    if (chosen.length === 0) {
      console.error(`no bench section matches ${only.join(', ')}; sections: ${SECTIONS.map((s) => s.title).join(' | ')}`);
      return 2;
    }
    console.log(`daystick bench: node ${process.version}, ${ROUNDS} rounds, cases in child processes`);
    for (const section of chosen) {
      console.log(`\n== ${section.title}`);
      const sectionDir = join(work, `section-${SECTIONS.indexOf(section)}`);
      await mkdir(sectionDir);
      await section.run(sectionDir);
    }
    return 0;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

process.exitCode = await main(process.argv.slice(2));
