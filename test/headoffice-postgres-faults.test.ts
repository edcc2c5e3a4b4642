import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { type AddressInfo, type Server, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { writeDayPackage } from '../src/export/index.js';
import type { BusinessDay } from '../src/host/business-day.js';
import { settleHeadOfficeCustomerNumber } from '../src/central/central-settings.js';
import { loadOrCreateHeadOfficeKey } from '../src/headoffice/head-office-keys.js';
import { importPackage } from '../src/headoffice/import-package.js';
import { openCentralStore } from '../src/central/open-central-store.js';
import { PostgresCentralStore } from '../src/central/postgres-central-store.js';
import { readAcknowledgements } from '../src/package/acknowledgement.js';
import { listPackages } from '../src/package/reader.js';
import { createTestDatabase, describeWithPostgres, type TestDatabase } from './support/postgres.js';
import { DAYSTICK_BIN } from './support/shell-session.js';
import { createSyntheticJournal } from './support/synthetic-journal.js';

// Faults of the PostgreSQL central journal, with a real server, real child processes and real dropped connections.

const CUSTOMER = '40123';
const REGISTER = '5';
const HEAD_OFFICE = '99999';
const BIG = '20260301' as BusinessDay;
const SMALL = '20260302' as BusinessDay;
const DAYS = { [BIG]: { receipts: 6000, badRecords: 2 }, [SMALL]: { receipts: 40 } };

interface Child {
  process: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
  waitFor(text: string, ms?: number): Promise<void>;
}

function startImport(args: string[], cwd: string): Child {
  const child = spawn(process.execPath, [DAYSTICK_BIN, 'import', ...args], { cwd, stdio: 'pipe' });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    err += c;
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    process: child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async waitFor(text, ms = 60_000) {
      const start = Date.now();
      while (!out.includes(text)) {
        if (Date.now() - start > ms) throw new Error(`no "${text}" within ${ms} ms; stdout:\n${out}\nstderr:\n${err}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}

/** A port nothing listens on right now (taken from the kernel, then released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A plain TCP relay to the test server: PostgreSQL "coming up" on a port where nothing answered before. */
async function relay(port: number, target: URL): Promise<{ server: Server; stop(): Promise<void> }> {
  const open = new Set<{ destroy(): void }>();
  const server = createServer((socket) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    open.add(socket);
    open.add(upstream);
    socket.pipe(upstream).pipe(socket);
    const end = () => {
      socket.destroy();
      upstream.destroy();
    };
    socket.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    server,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describeWithPostgres('PostgreSQL central journal faults', () => {
  let work: string;
  let database: TestDatabase;
  let stick: string;
  let admin: pg.Client;
  const synthetic = createSyntheticJournal({ days: DAYS, seed: 29 });

  beforeAll(async () => {
    // The packages are only read by the imports, so one stick serves every test (each test copies it).
    work = await mkdtemp(join(tmpdir(), 'daystick-pg-faults-'));
    stick = join(work, 'written');
    await mkdir(stick);
    for (const day of [BIG, SMALL]) {
      await writeDayPackage({
        stickPath: stick,
        identity: { customerNumber: CUSTOMER, registerId: REGISTER },
        businessDay: day,
        closingNumber: 3,
        kind: 'day-close',
        includeTimeRecords: true,
        journal: synthetic.journal,
        timeRecording: synthetic.timeRecording,
        keyDir: join(work, 'register-keys'),
        now: () => Date.UTC(2026, 2, 2, 21),
        signal: new AbortController().signal,
      });
    }
  }, 120_000);

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  beforeEach(async () => {
    database = await createTestDatabase();
    const store = await openCentralStore(database.url);
    await settleHeadOfficeCustomerNumber(store, HEAD_OFFICE);
    await store.close();
    admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
  });

  afterEach(async () => {
    await admin.end();
    await database.drop();
  });

  async function count(table: string): Promise<number> {
    return Number((await admin.query(`SELECT COUNT(*) AS n FROM ${table}`)).rows[0].n);
  }

  /** Kills the backend of another connection to this database once it is staging receipts (COPY); returns how many it killed. */
  async function terminateWhileInserting(until: Promise<unknown>): Promise<number> {
    let done = false;
    void until.finally(() => {
      done = true;
    });
    while (!done) {
      const r = await admin.query(
        `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL
           AND query ILIKE 'COPY receipts (%'`,
      );
      if (r.rows.some((row: { killed: boolean }) => row.killed)) return r.rows.length;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return 0;
  }

  async function expectAllIn(registerDir: string): Promise<void> {
    const big = synthetic.expected(BIG);
    const small = synthetic.expected(SMALL);
    expect(await count('receipts')).toBe(big.receipts - big.badReceipts + small.receipts - small.badReceipts);
    // Every stored receipt carries exactly its own lines and payments: nothing of a killed attempt is left beside the retried one.
    const sums = await admin.query('SELECT SUM(line_count) AS lines, SUM(payment_count) AS payments FROM receipts');
    expect(await count('receipt_lines')).toBe(Number(sums.rows[0].lines));
    expect(await count('payments')).toBe(Number(sums.rows[0].payments));
    expect(await count('packages')).toBe(2);
    const acks = await readAcknowledgements(registerDir);
    expect(acks.filter((a) => a.valid).map((a) => a.businessDay).sort()).toEqual([BIG, SMALL]);
  }

  test('the connection dropped mid-package: that package is rolled back and run again, said on screen, acknowledged only once it is in', async () => {
    const copy = join(work, `stick-${Date.now()}`);
    await cp(stick, copy, { recursive: true });
    const child = startImport([copy, '--central', database.url, '--keys', join(work, 'keys')], work);
    const killed = await terminateWhileInserting(child.exited);
    const code = await child.exited;
    expect(killed).toBe(1);
    expect(child.stderr()).toBe('');
    expect(code).toBe(0);
    expect(child.stdout()).toMatch(
      new RegExp(`central journal: the connection to the server was lost while importing for register ${CUSTOMER}-${REGISTER}; rolled back, nothing of it stored; trying again in [\\d.]+ s \\(attempt 2 of 8\\)`),
    );
    expect(child.stdout()).toContain('2 package(s): 2 imported, 0 already imported, 0 with conflicts, 0 refused, 0 failed');
    await expectAllIn(join(copy, 'DAYSTICK', `${CUSTOMER}-${REGISTER}`));
  }, 180_000);

  test('a connection that keeps dropping: the package is reported failed by name, nothing of it stored, no acknowledgement', async () => {
    const copy = join(work, `stick-${Date.now()}`);
    await cp(stick, copy, { recursive: true });
    const packages = (await listPackages(copy)).filter((p) => p.stem.includes(BIG));
    expect(packages).toHaveLength(1);
    const notices: string[] = [];
    const store = await PostgresCentralStore.open(database.url, { maxAttempts: 2, onRetry: (n) => notices.push(n.cause) });
    const key = await loadOrCreateHeadOfficeKey(join(work, 'keys'));
    try {
      let stop = false;
      // Every attempt is killed while it writes, until the import gives up.
      const killer = (async () => {
        // Backends, not kill calls: one still exiting can be seen (and killed) twice.
        const killed = new Set<number>();
        while (!stop) {
          const r = await admin.query(
            `SELECT pid, pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE datname = current_database()
             AND pid <> pg_backend_pid() AND xact_start IS NOT NULL AND query ILIKE 'COPY receipts (%'`,
          );
          for (const row of r.rows as { pid: number; killed: boolean }[]) if (row.killed) killed.add(row.pid);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        return killed.size;
      })();
      const result = await importPackage(store, packages[0]!, {
        withoutStockPostings: false,
        headOfficeCustomerNumber: HEAD_OFFICE,
        headOfficeKey: key,
      });
      stop = true;
      const kills = await killer;
      expect({ status: result.status, refusals: result.refusals }).toEqual({ status: 'failed', refusals: [expect.anything()] });
      expect({ message: result.refusals[0]!.message, notices }).toEqual({ message: expect.stringContaining('kept failing'), notices: ['connection-lost'] });
      // Each attempt ended by the server (the notices say two ran); a reused backend pid can make two kills look like one.
      expect(kills).toBeGreaterThanOrEqual(1);
      expect(result.manifest?.businessDay).toBe(BIG);
      expect(result.refusals.map((r) => r.code)).toEqual(['import-failed']);
      expect(result.refusals[0]!.message).toContain('the connection to the central journal kept failing');
      expect(result.acknowledgement).toEqual({ state: 'not-written' });
      expect(notices).toEqual(['connection-lost']);
    } finally {
      await store.close();
    }
    for (const table of ['receipts', 'receipt_lines', 'payments', 'stock_postings', 'time_records', 'packages', 'conflicts', 'quarantined_records']) {
      expect({ table, rows: await count(table) }).toEqual({ table, rows: 0 });
    }
    expect(await readAcknowledgements(join(copy, 'DAYSTICK', `${CUSTOMER}-${REGISTER}`))).toEqual([]);
  }, 180_000);

  test('a server that does not answer: a one-off import says so and ends with exit status 3, nothing written', async () => {
    const port = await freePort();
    const url = `postgres://postgres@127.0.0.1:${port}/nothing`;
    const child = startImport([stick, '--central', url, '--keys', join(work, 'keys-down')], work);
    expect(await child.exited).toBe(3);
    expect(child.stderr()).toBe(
      `daystick import: the central journal ${url} cannot be reached: nothing answers at that host and port (is the PostgreSQL server running, are host and port right?) [connect ECONNREFUSED 127.0.0.1:${port}]\n`,
    );
    expect(child.stdout()).toBe('');
    expect(await readAcknowledgements(join(stick, 'DAYSTICK', `${CUSTOMER}-${REGISTER}`))).toEqual([]);
  }, 60_000);

  test('watching keeps trying a server that does not answer yet, with a growing pause, and imports once it does', async () => {
    const port = await freePort();
    const target = new URL(database.url);
    const url = new URL(database.url);
    url.host = `127.0.0.1:${port}`;
    const sticks = join(work, `sticks-${Date.now()}`);
    await mkdir(sticks);
    const child = startImport(['--central', url.toString(), '--keys', join(work, 'keys'), '--stick-root', sticks], work);
    let server: Awaited<ReturnType<typeof relay>> | null = null;
    try {
      await child.waitFor('watching waits and tries again in 1 s');
      await child.waitFor('watching waits and tries again in 2 s');
      expect(await count('packages')).toBe(0);
      server = await relay(port, target);
      await child.waitFor('watching for sticks');
      await cp(stick, join(sticks, '..', 'INCOMING'), { recursive: true });
      await rename(join(sticks, '..', 'INCOMING'), join(sticks, 'USBSTICK'));
      await child.waitFor('it can be pulled now', 120_000);
    } finally {
      child.process.kill('SIGTERM');
    }
    expect(await child.exited).toBe(0);
    await server?.stop();
    expect(child.stdout()).toMatch(/cannot be reached: nothing answers at that host and port/);
    expect(child.stdout()).toMatch(/stick "USBSTICK" done: 2 package\(s\): 2 imported/);
    await expectAllIn(join(sticks, 'USBSTICK', 'DAYSTICK', `${CUSTOMER}-${REGISTER}`));
    expect(await readdir(sticks)).toEqual(['USBSTICK']);
  }, 180_000);
});
