import { execFile, spawn } from 'node:child_process';
import { chmod, copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import type { BusinessDay } from '../host/business-day.js';
import { createDemoJournalFile } from '../journal/demo-journal.js';
import { SqliteJournalPort } from '../journal/sqlite-journal-port.js';

/**
 * The close as a register runs it, timed from outside: `daystick shell` as a
 * child process over an SQLite journal, against what a user could script
 * instead (`sqlite3 -json` of the day's F_ tables piped into `zip -1`), and
 * the reference journal port alone against `sqlite3 -json` of the same rows.
 * Every comparison runs its two sides back to back in each round, so the
 * per-round ratio cancels the shared machine's drift.
 */

const run = promisify(execFile);
const DAY: BusinessDay = '20260601';
const LARGE = 100_000;
const SMALL = 10_000;
const ROUNDS = 5;
const DAYSTICK_BIN = fileURLToPath(new URL('../../bin/daystick.js', import.meta.url));
const SELF = fileURLToPath(new URL('./run.js', import.meta.url));

const fmt = (n: number, digits = 0) => n.toFixed(digits);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e6;

/** The day's rows as the port reads them: receipts, their lines, their payments, then the stock postings. */
const RECEIPT_QUERIES = [
  `SELECT * FROM F_RECEIPT WHERE business_day = '${DAY}' ORDER BY receipt_no, receipt_id;`,
  `SELECT l.* FROM F_RECEIPT r JOIN F_RECEIPT_LINE l ON l.receipt_id = r.receipt_id WHERE r.business_day = '${DAY}' ORDER BY r.receipt_no, r.receipt_id, l.line_no;`,
  `SELECT p.* FROM F_RECEIPT r JOIN F_PAYMENT p ON p.receipt_id = r.receipt_id WHERE r.business_day = '${DAY}' ORDER BY r.receipt_no, r.receipt_id, p.payment_no;`,
];
const STOCK_QUERIES = [`SELECT * FROM F_STOCK_POSTING WHERE business_day = '${DAY}' ORDER BY posting_id;`];
const TIME_QUERIES = [`SELECT * FROM F_TIME_RECORD WHERE business_day = '${DAY}' ORDER BY at, record_id;`];

export interface JournalReadResult {
  receiptsMs: number;
  stockMs: number;
  records: number;
  maxRssMiB: number;
}

/** Child side: the reference port reads the day, receipts (with lines and payments) then stock postings. */
export async function runJournalReadChild(path: string): Promise<JournalReadResult> {
  const db = new Database(path, { readonly: true });
  try {
    const journal = new SqliteJournalPort(db);
    let records = 0;
    let started = process.hrtime.bigint();
    for await (const _ of journal.receipts(DAY)) records++;
    const receiptsMs = ms(started);
    started = process.hrtime.bigint();
    for await (const _ of journal.stockPostings(DAY)) records++;
    const stockMs = ms(started);
    return { receiptsMs, stockMs, records, maxRssMiB: process.resourceUsage().maxRSS / 1024 };
  } finally {
    db.close();
  }
}

function journalReadChild(path: string): Promise<JournalReadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SELF, '--journal-read', path], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`journal read child exited with ${code}`));
      else resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as JournalReadResult);
    });
  });
}

async function sqliteDump(journal: string, queries: string[], out: string): Promise<number> {
  const started = process.hrtime.bigint();
  await run('sh', [
    '-c',
    `sqlite3 -json -readonly "$1" < "$2" > "$3"`,
    'dump',
    journal,
    await sqlFile(queries, out),
    out,
  ]);
  return ms(started);
}

async function sqlFile(queries: string[], next: string): Promise<string> {
  const file = `${next}.sql`;
  await writeFile(file, `${queries.join('\n')}\n`);
  return file;
}

async function hasSqlite3(): Promise<boolean> {
  return run('sqlite3', ['-version']).then(
    () => true,
    () => false,
  );
}

interface CloseRun {
  wallMs: number;
  ok: boolean;
  phases: ClosePhases;
  maxRssMiB: number;
}

interface ClosePhases {
  startup: number;
  zRecord: number;
  count: number;
  planning: number;
  stickAndSetup: number;
  read: number;
  write: number;
  readBack: number;
  finish: number;
  /** From the key to the first prompt of the day close (PLAN_DAYS). */
  firstPrompt: number;
}

interface LogLine {
  at: string;
  message: string;
  data?: Record<string, unknown>;
}

/** Splits one scripted close's wall time by the shell's and the plugin's log lines. */
function closePhases(log: LogLine[], spawnedAt: number, exitedAt: number): { phases: ClosePhases; maxRssMiB: number } {
  const at = (message: string) => {
    const line = log.find((l) => l.message === message);
    if (!line) throw new Error(`the shell's log has no "${message}" line`);
    return Date.parse(line.at);
  };
  const num = (message: string, field: string) => Number(log.find((l) => l.message === message)?.data?.[field] ?? NaN);
  const steps = new Map(
    log.filter((l) => l.message === 'package step timed').map((l) => [l.data?.step as string, Number(l.data?.ms)]),
  );
  const read = log.filter((l) => l.message === 'journal read').reduce((sum, l) => sum + Number(l.data?.readMs), 0);
  const dataMs = steps.get('data') ?? NaN;
  const manifestAt = Date.parse(log.filter((l) => l.message === 'package step timed').at(-1)?.at ?? '');
  const dataStartedAt = manifestAt - dataMs - (steps.get('read-back') ?? 0) - (steps.get('manifest') ?? 0);
  const recordMs = num('closing recorded', 'recordMs');
  const countMs = num('closing recorded', 'countMs');
  return {
    phases: {
      startup: at('shell ready') - spawnedAt,
      zRecord: recordMs,
      count: countMs,
      planning: at('prompt PLAN_DAYS') - at('closing recorded'),
      stickAndSetup: dataStartedAt - at('prompt PLAN_DAYS'),
      read,
      write: dataMs - read,
      readBack: (steps.get('read-back') ?? NaN) + (steps.get('manifest') ?? NaN),
      finish: exitedAt - manifestAt,
      firstPrompt: at('prompt PLAN_DAYS') - at('key'),
    },
    maxRssMiB: num('shell finished', 'maxRssMiB'),
  };
}

async function scriptedClose(pristine: string, dir: string): Promise<CloseRun> {
  await mkdir(join(dir, 'sticks', 'STICK'), { recursive: true });
  const journal = join(dir, 'journal.sqlite');
  await copyFile(pristine, journal);
  await chmod(journal, 0o644);
  const data = join(dir, 'data');
  const args = [DAYSTICK_BIN, 'shell', '--journal', journal, '--data', data, '--stick-root', join(dir, 'sticks')];
  const spawnedAt = Date.now();
  const started = process.hrtime.bigint();
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [...args, '--backup', 'off'], { stdio: ['pipe', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (c) => resolve(c));
    child.stdin.end('close\n');
  });
  const wallMs = ms(started);
  const exitedAt = Date.now();
  const log = (await readFile(join(data, 'daystick-shell.log'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as LogLine);
  return { wallMs, ok: code === 0, ...closePhases(log, spawnedAt, exitedAt) };
}

async function scriptedDump(journal: string, dir: string): Promise<number> {
  await mkdir(dir, { recursive: true });
  const sql = await sqlFile([...RECEIPT_QUERIES, ...STOCK_QUERIES, ...TIME_QUERIES], join(dir, 'dump'));
  const started = process.hrtime.bigint();
  await run('sh', [
    '-c',
    `sqlite3 -json -readonly "$1" < "$2" | zip -1 -q "$3" -`,
    'dump',
    journal,
    sql,
    join(dir, 'day.zip'),
  ]);
  return ms(started);
}

const PHASES: [keyof ClosePhases, string][] = [
  ['startup', 'start-up (spawn → prompt)'],
  ['zRecord', 'Z record'],
  ['count', 'count for the Z line'],
  ['planning', 'planning (→ PLAN_DAYS)'],
  ['stickAndSetup', 'stick check, keys, folders'],
  ['read', 'journal read (SQLite → records)'],
  ['write', 'write (checks, NDJSON, deflate wait)'],
  ['readBack', 'read-back (data, manifest)'],
  ['finish', 'finish (state, exit)'],
];

export const closeBenchSection = {
  title: 'Close: scripted day close (daystick shell, SQLite journal) vs. sqlite3 -json | zip -1',
  async run(work: string): Promise<void> {
    const sqlite3 = await hasSqlite3();
    if (!sqlite3) {
      console.log(
        '  !!! sqlite3 CLI not found (Debian: apt-get install sqlite3): the sqlite3 baselines are SKIPPED !!!',
      );
    }
    const large = join(work, 'large.sqlite');
    const small = join(work, 'small.sqlite');
    for (const [path, receiptsPerDay] of [
      [large, LARGE],
      [small, SMALL],
    ] as const) {
      await createDemoJournalFile(path, {
        start: DAY,
        days: 1,
        receiptsPerDay,
        seed: 'bench',
        badRecords: 0,
        closedDays: 0,
      });
    }

    console.log(
      `\n  journal read, ${LARGE} receipts: reference port (child process) vs. sqlite3 -json of the same rows`,
    );
    const portRec: number[] = [];
    const portStock: number[] = [];
    const cliRec: number[] = [];
    const cliStock: number[] = [];
    const recRatios: number[] = [];
    const stockRatios: number[] = [];
    let readRss = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      const port = await journalReadChild(large);
      readRss = Math.max(readRss, port.maxRssMiB);
      portRec.push(port.receiptsMs);
      portStock.push(port.stockMs);
      let line = `  round ${round}: port receipts ${fmt(port.receiptsMs).padStart(5)} ms, stock ${fmt(port.stockMs).padStart(5)} ms`;
      if (sqlite3) {
        const rec = await sqliteDump(large, RECEIPT_QUERIES, join(work, 'receipts.json'));
        const stock = await sqliteDump(large, STOCK_QUERIES, join(work, 'stock.json'));
        cliRec.push(rec);
        cliStock.push(stock);
        recRatios.push(port.receiptsMs / rec);
        stockRatios.push(port.stockMs / stock);
        line += ` | sqlite3 -json receipts+lines+payments ${fmt(rec).padStart(5)} ms, stock ${fmt(stock).padStart(5)} ms`;
        line += ` | ${fmt(port.receiptsMs / rec, 2)}x, ${fmt(port.stockMs / stock, 2)}x`;
      }
      console.log(line);
    }
    const smallRead = await journalReadChild(small);
    console.log(`  port median: receipts ${fmt(median(portRec))} ms, stock postings ${fmt(median(portStock))} ms`);
    if (sqlite3) {
      console.log(
        `  sqlite3 median: receipts ${fmt(median(cliRec))} ms, stock postings ${fmt(median(cliStock))} ms; ` +
          `median per-round ratio receipts ${fmt(median(recRatios), 2)}x, stock ${fmt(median(stockRatios), 2)}x [target ≤ 1.50x]`,
      );
    }
    console.log(
      `  peak RSS of the read: ${LARGE} receipts ${fmt(readRss, 1)} MiB, ${SMALL} receipts ${fmt(smallRead.maxRssMiB, 1)} MiB ` +
        `= ${fmt(readRss / smallRead.maxRssMiB, 2)}x [constant in the day's size]`,
    );

    console.log(`\n  whole close, ${LARGE} receipts, backup off: daystick shell (child) vs. sqlite3 -json | zip -1`);
    const closes: CloseRun[] = [];
    const dumps: number[] = [];
    const ratios: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const close = await scriptedClose(large, join(work, `close-${round}`));
      if (!close.ok) throw new Error(`round ${round}: the scripted close did not succeed`);
      closes.push(close);
      let line = `  round ${round}: close ${fmt(close.wallMs).padStart(5)} ms (peak RSS ${fmt(close.maxRssMiB)} MiB, key → PLAN_DAYS ${fmt(close.phases.firstPrompt)} ms)`;
      if (sqlite3) {
        const dump = await scriptedDump(large, join(work, `dump-${round}`));
        dumps.push(dump);
        ratios.push(close.wallMs / dump);
        line += ` | dump ${fmt(dump).padStart(5)} ms | ${fmt(close.wallMs / dump, 2)}x`;
      }
      console.log(line);
    }
    const closeMedian = median(closes.map((c) => c.wallMs));
    console.log(`  close median ${fmt(closeMedian)} ms`);
    if (sqlite3) {
      console.log(
        `  dump median ${fmt(median(dumps))} ms; median per-round ratio ${fmt(median(ratios), 2)}x [target ≤ 1.50x]; ` +
          `per round ${ratios.map((r) => fmt(r, 2)).join(', ')}`,
      );
    }
    console.log(`  peak RSS of the close ${fmt(Math.max(...closes.map((c) => c.maxRssMiB)))} MiB [target ≤ 200 MiB]`);
    console.log(
      `  key → first prompt of the close (PLAN_DAYS) median ${fmt(median(closes.map((c) => c.phases.firstPrompt)))} ms [target ≤ 200 ms]`,
    );
    console.log('  where the time goes (median of the rounds, ms):');
    for (const [key, label] of PHASES) {
      const value = median(closes.map((c) => c.phases[key]));
      console.log(
        `    ${label.padEnd(38)} ${fmt(value).padStart(6)}  ${fmt((100 * value) / closeMedian, 1).padStart(5)}%`,
      );
    }
  },
};
