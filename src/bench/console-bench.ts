import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { LiveProcessing } from '../console/console-live.js';
import { addDays } from '../console/console-queries.js';
import { buildConsoleServer } from '../console/console-server.js';
import { CONSOLE_INDEXES } from '../central/central-schema.js';
import type { CentralStore } from '../central/central-store.js';
import { loadOrCreateHeadOfficeKey } from '../headoffice/head-office-keys.js';
import { importPackage } from '../headoffice/import-package.js';
import { openCentralStore } from '../central/open-central-store.js';
import { listPackages } from '../package/reader.js';
import { type CentralJournalSpec, type GeneratedCentralJournal, fillCentralJournal } from './central-journal-generator.js';
import { writeLargeDay } from './import-bench.js';

/**
 * `npm run bench -- console`: the head-office console over a chain's year
 * (200 registers × 365 days, generated straight into the central journal):
 * a month's grid (with the gaps under it) in server time, the first paint in
 * Debian's Chromium, and how long the event loop stalls while a large day
 * (100,000 receipts) is imported in the same process, as `daystick
 * headoffice` imports and serves in one. On SQLite and, given a server,
 * PostgreSQL. Baselines in the same run: the same page before migration 7's
 * indexes, and a request's latency with no import running.
 */
const TARGET_GRID_MS = 300;
const TARGET_PAINT_MS = 1000;
const TARGET_STALL_MS = 200;
const ROUNDS = 15;
const CHROMIUM = '/usr/bin/chromium';
const PG_ENV = ['DAYSTICK_BENCH_PG', 'DAYSTICK_TEST_PG'];

function spec(): CentralJournalSpec {
  const receiptsPerDay = Number(process.env.DAYSTICK_BENCH_CONSOLE_RECEIPTS ?? 20);
  return { registers: 200, days: 365, lastDay: '20260630', receiptsPerDay };
}

const fmt = (n: number, digits = 0) => n.toFixed(digits);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const verdict = (value: number, target: number) => (value <= target ? 'met' : 'NOT MET');

function line(label: string, text: string): void {
  console.log(`  ${label.padEnd(58)} ${text}`);
}

interface Console {
  app: FastifyInstance;
  /** The same console as a new server: its grid cache empty, as after a start or an import. */
  fresh(): FastifyInstance;
  base: string;
  gridPath: string;
  dayPath: string;
  close(): Promise<void>;
}

async function startConsole(central: string, journal: GeneratedCentralJournal): Promise<Console> {
  const store = await openCentralStore(central);
  const live = new LiveProcessing();
  live.refusals.push(...journal.refusals);
  // Noon of the day after the last generated one: the last days are due, the next ones not yet.
  const now = new Date(`${journal.today.slice(0, 4)}-${journal.today.slice(4, 6)}-${journal.today.slice(6, 8)}T12:00:00`);
  const options = { store, central, live, checkToken: null, staleDays: 2, now: () => now };
  const app = buildConsoleServer(options);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const to = addDays(journal.today, 1);
  return {
    app,
    fresh: () => buildConsoleServer(options),
    base: `http://127.0.0.1:${port}`,
    gridPath: `/?from=${addDays(to, -29)}&to=${to}&lang=en`,
    dayPath: `/day/${journal.sampleDay.register}/${journal.sampleDay.day}?lang=en`,
    close: async () => {
      await app.close();
      await store.close();
    },
  };
}

/** The first request a console answers, its grid cache empty: what a page costs right after an import. */
async function coldMs(console_: Console, path: string, rounds: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const app = console_.fresh();
    try {
      const started = process.hrtime.bigint();
      const res = await app.inject({ method: 'GET', url: path });
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
      if (res.statusCode !== 200) throw new Error(`GET ${path} answered ${res.statusCode}`);
    } finally {
      await app.close();
    }
  }
  return median(times);
}

/** Server time as fastify measures it from the request: routing, queries and rendering, no socket. */
async function injectMs(app: FastifyInstance, path: string, rounds: number): Promise<{ median: number; max: number; bytes: number }> {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < rounds + 2; i++) {
    const started = process.hrtime.bigint();
    const res = await app.inject({ method: 'GET', url: path });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (res.statusCode !== 200) throw new Error(`GET ${path} answered ${res.statusCode}`);
    bytes = res.body.length;
    if (i >= 2) times.push(ms);
  }
  return { median: median(times), max: Math.max(...times), bytes };
}

async function firstPaint(url: string): Promise<{ fcp: number[]; load: number[] } | null> {
  if (!existsSync(CHROMIUM)) return null;
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const fcp: number[] = [];
    const load: number[] = [];
    for (let i = 0; i < 6; i++) {
      const page = await browser.newPage();
      await page.goto(url, { waitUntil: 'load' });
      // A string: the page's own globals (DOM timing types), not Node's, are what runs there.
      const t = (await page.evaluate(`(() => {
        const paint = performance.getEntriesByName('first-contentful-paint')[0];
        const nav = performance.getEntriesByType('navigation')[0];
        return { fcp: paint ? paint.startTime : -1, load: nav ? nav.loadEventEnd : -1 };
      })()`)) as { fcp: number; load: number };
      await page.close();
      // The first round warms the browser's own caches and processes, as an operator's open browser has them.
      if (i === 0) continue;
      fcp.push(t.fcp);
      load.push(t.load);
    }
    return { fcp, load };
  } finally {
    await browser.close();
  }
}

async function requestMs(url: string): Promise<number> {
  const started = process.hrtime.bigint();
  const res = await fetch(url);
  await res.text();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** Requests the grid every 250 ms while `work` runs; the event loop's worst delay over the same time. */
async function underLoad(url: string, work: () => Promise<unknown>): Promise<{ stallMs: number; p99Ms: number; requests: number[]; workMs: number }> {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  const requests: number[] = [];
  let running = true;
  const poller = (async () => {
    while (running) {
      requests.push(await requestMs(url));
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  histogram.enable();
  const started = process.hrtime.bigint();
  const outcome = await work().then(
    () => null,
    (err: unknown) => err,
  );
  const workMs = Number(process.hrtime.bigint() - started) / 1e6;
  histogram.disable();
  running = false;
  await poller;
  if (outcome !== null) throw outcome;
  return { stallMs: histogram.max / 1e6, p99Ms: histogram.percentile(99) / 1e6, requests, workMs };
}

async function backend(label: string, central: string, work: string, largeDay: Awaited<ReturnType<typeof writeLargeDay>>): Promise<void> {
  const s = spec();
  const startedFill = process.hrtime.bigint();
  const journal = await fillCentralJournal(central, s);
  const fillMs = Number(process.hrtime.bigint() - startedFill) / 1e6;
  const r = journal.rows;
  line(
    `${label}: generated ${s.registers} registers × ${s.days} days`,
    `${fmt(fillMs / 1000, 1)} s: ${r.packages} packages, ${r.receipts} receipts (${s.receiptsPerDay}/day ±30 %), ${r.receipt_lines} lines, ${r.payments} payments, ` +
      `${r.quarantined_records} quarantined, ${r.conflicts} conflicts, ${journal.refusals.length} refusals`,
  );
  const console_ = await startConsole(central, journal);
  try {
    const cold = await coldMs(console_, console_.gridPath, 7);
    line(`${label}: month's grid + gaps, cold (new server, empty cache, median of 7)`, `${fmt(cold)} ms [target ≤ ${TARGET_GRID_MS} ms: ${verdict(cold, TARGET_GRID_MS)}]`);
    const grid = await injectMs(console_.app, console_.gridPath, ROUNDS);
    line(
      `${label}: month's grid + gaps, warm (journal unchanged, median of ${ROUNDS})`,
      `${fmt(grid.median)} ms (max ${fmt(grid.max)} ms, ${fmt(grid.bytes / 1024)} KiB) = ${fmt(grid.median / cold, 2)}x cold [target ≤ ${TARGET_GRID_MS} ms: ${verdict(grid.median, TARGET_GRID_MS)}]`,
    );
    const day = await injectMs(console_.app, console_.dayPath, ROUNDS);
    line(`${label}: day view, server time (median of ${ROUNDS})`, `${fmt(day.median, 1)} ms (max ${fmt(day.max, 1)} ms)`);
    const csv = await injectMs(console_.app, console_.gridPath.replace('/?', '/grid.csv?'), 5);
    line(`${label}: month's grid as CSV (median of 5)`, `${fmt(csv.median)} ms`);
    const paint = await firstPaint(console_.base + console_.gridPath);
    if (paint === null) {
      line(`${label}: first paint`, `SKIPPED, no ${CHROMIUM}`);
    } else {
      const fcp = median(paint.fcp);
      line(
        `${label}: first contentful paint in Chromium (median of ${paint.fcp.length})`,
        `${fmt(fcp)} ms, load event ${fmt(median(paint.load))} ms [target ≤ ${TARGET_PAINT_MS} ms: ${verdict(fcp, TARGET_PAINT_MS)}]`,
      );
    }

    const idle: number[] = [];
    for (let i = 0; i < 5; i++) idle.push(await requestMs(console_.base + console_.gridPath));
    const idleStall = await underLoad(console_.base + console_.gridPath, () => new Promise((resolve) => setTimeout(resolve, 3000)));
    line(`${label}: baseline, console idle 3 s (grid requested every 250 ms)`, `event-loop max ${fmt(idleStall.stallMs)} ms; grid over HTTP median ${fmt(median(idle))} ms`);
    const key = await loadOrCreateHeadOfficeKey(join(work, 'ho-keys'));
    const dir = join(work, `stick-${randomBytes(3).toString('hex')}`);
    await cp(join(largeDay.location.registerDir, '..', '..'), dir, { recursive: true });
    const [location] = await listPackages(dir);
    const importStore: CentralStore = await openCentralStore(central);
    try {
      let status = '';
      const during = await underLoad(console_.base + console_.gridPath, async () => {
        const result = await importPackage(importStore, location!, { withoutStockPostings: false, headOfficeCustomerNumber: null, headOfficeKey: key });
        status = result.status;
      });
      if (status !== 'imported') throw new Error(`the large day's import ended ${status}`);
      line(
        `${label}: importing the large day (${largeDay.receipts} receipts) meanwhile`,
        `${fmt(during.workMs / 1000, 1)} s; event-loop max stall ${fmt(during.stallMs)} ms, p99 ${fmt(during.p99Ms)} ms [target ≤ ${TARGET_STALL_MS} ms: ${verdict(during.stallMs, TARGET_STALL_MS)}]`,
      );
      line(
        `${label}: grid over HTTP during the import (${during.requests.length} requests)`,
        `median ${fmt(median(during.requests))} ms, max ${fmt(Math.max(...during.requests))} ms = ${fmt(median(during.requests) / median(idle), 2)}x idle`,
      );
    } finally {
      await importStore.close();
    }

    // Baseline: the same page on the same journal without migration 7's indexes (the receipt-number table stays).
    const baseline = await openCentralStore(central);
    try {
      for (const name of CONSOLE_INDEXES) await baseline.run(`DROP INDEX ${name}`);
      await baseline.run('CREATE INDEX receipts_by_day ON receipts (customer_number, register_id, business_day)');
      await baseline.run('ANALYZE');
    } finally {
      await baseline.close();
    }
    const without = { median: await coldMs(console_, console_.gridPath, 5) };
    const dayWithout = await injectMs(console_.app, console_.dayPath, 5);
    line(`${label}: baseline, the same grid without migration 7's indexes`, `${fmt(without.median)} ms cold; with them ${fmt(cold / without.median, 2)}x of that`);
    line(`${label}: baseline, the same day view without them`, `${fmt(dayWithout.median, 1)} ms; with them ${fmt(day.median / dayWithout.median, 2)}x of that`);
  } finally {
    await console_.close();
  }
}

async function postgresServer(): Promise<string | null> {
  for (const name of PG_ENV) {
    const url = process.env[name];
    if (url) return url;
  }
  return null;
}

export const consoleBenchSection = {
  title: 'Head-office console: 200 registers × 365 days, grid server time, first paint, event-loop stall while importing a large day',
  async run(work: string): Promise<void> {
    const largeDir = join(work, 'large');
    await mkdir(largeDir);
    const largeDay = await writeLargeDay(largeDir);
    await backend('SQLite', join(work, 'console.sqlite'), work, largeDay);
    const server = await postgresServer();
    if (server === null) {
      line('PostgreSQL', `SKIPPED, no server given (set ${PG_ENV.join(' or ')} to a connection string)`);
      return;
    }
    const database = `daystick_bench_console_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: server });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`).finally(() => admin.end());
    const url = new URL(server);
    url.pathname = `/${database}`;
    try {
      await backend('PostgreSQL', url.toString(), work, largeDay);
    } finally {
      const client = new pg.Client({ connectionString: server });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).finally(() => client.end());
    }
  },
};

/** Run on its own: `node --expose-gc dist/bench/console-bench.js`. */
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const work = await mkdtemp(join(tmpdir(), 'daystick-console-bench-'));
  try {
    console.log(`== ${consoleBenchSection.title}`);
    await consoleBenchSection.run(work);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
