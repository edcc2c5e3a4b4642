import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { writeDayPackage } from '../src/export/index.js';
import { PRIVATE_KEY_FILE } from '../src/export/register-keys.js';
import { loadDay } from '../src/console/console-queries.js';
import { settleHeadOfficeCustomerNumber } from '../src/central/central-settings.js';
import { openCentralStore } from '../src/central/open-central-store.js';
import type { BusinessDay } from '../src/host/business-day.js';
import type { JournalPort, LoggerPort } from '../src/host/ports.js';
import { TseModulesSchema } from '../src/host/records.js';
import { createDemoJournalFile } from '../src/journal/demo-journal.js';
import { JOURNAL_SCHEMA_VERSION } from '../src/journal/journal-schema.js';
import { openJournalDatabase } from '../src/journal/open-journal.js';
import { SqliteJournalPort } from '../src/journal/sqlite-journal-port.js';
import { SqliteTimeRecordingPort } from '../src/journal/sqlite-time-recording-port.js';
import { readIdentityFile } from '../src/package/age-file.js';
import { listPackages, type PackageVerdict, signManifest, verifyPackage } from '../src/package/index.js';
import { activate } from '../src/plugin/activate.js';
import { createTestDatabase, describeWithPostgres, type TestDatabase } from './support/postgres.js';
import { runImport } from './support/run-import.js';
import { runDaystick, runShellScript } from './support/shell-session.js';
import {
  createTestHost,
  TEST_HEAD_OFFICE_IDENTITY,
  TEST_HEAD_OFFICE_RECIPIENT,
  testHeadOfficeIdentityFile,
} from './support/test-host.js';

/**
 * The day's closing names its security modules (docs/stick-format.md 5.1,
 * `tseModules`): from the register's journal (M_TSE) through the host's
 * optional JournalPort.tseModules into contents.json, checked by the reader,
 * stored by head office per package. Hosts without the method send none.
 */

const run = promisify(execFile);
const DAY = '20260105' as BusinessDay;
const ENTRY_ORDER = ['receipts.ndjson', 'receipt-lines.ndjson', 'payments.ndjson', 'stock-postings.ndjson', 'time-records.ndjson', 'quarantine.ndjson'];

type Module = { serialNumber: string; publicKey: string };
type Warning = { message: string; data: Record<string, unknown> | undefined };

/** The logger the plugin gets, keeping each warning's data (the reason), which the tests check by name. */
function recordingLogger(): LoggerPort & { warnings: Warning[] } {
  const warnings: Warning[] = [];
  return {
    warnings,
    debug: () => undefined,
    info: () => undefined,
    warn: (message, data) => warnings.push({ message, data }),
    error: (message, data) => warnings.push({ message: `error ${message}`, data }),
  };
}

async function demoJournal(dir: string, options: { tse?: boolean } = {}): Promise<{ db: Database.Database; journal: SqliteJournalPort }> {
  const path = join(dir, 'journal.sqlite');
  await createDemoJournalFile(path, { start: DAY, days: 1, receiptsPerDay: 120, seed: 'fiscal-closing', badRecords: 0, closedDays: 0, ...options });
  const db = openJournalDatabase(path, { readonly: false });
  return { db, journal: new SqliteJournalPort(db) };
}

/** The journal with `tseModules` replaced (or left out, `undefined`), everything else the real port's. */
function withModules(inner: SqliteJournalPort, tseModules: ((day: BusinessDay) => Promise<unknown>) | undefined): JournalPort {
  return {
    firstBusinessDay: () => inner.firstBusinessDay(),
    summary: (d) => inner.summary(d),
    receipts: (d, s) => inner.receipts(d, s),
    stockPostings: (d, s) => inner.stockPostings(d, s),
    bookedDays: () => inner.bookedDays(),
    closingNumber: (d) => inner.closingNumber(d),
    ...(tseModules ? { tseModules } : {}),
  };
}

/** Closes DAY through the plugin onto a folder stick; the verdict of the one package, decrypted with head office's identity. */
async function closeThroughPlugin(dir: string, db: Database.Database, journal: JournalPort) {
  const base = await createTestHost({ dir, days: {}, now: Date.UTC(2026, 0, 5, 21) });
  const logger = recordingLogger();
  const host = { ...base, journal, timeRecording: new SqliteTimeRecordingPort(db), logger };
  const stick = await host.media.insert('STICK1');
  const plugin = await activate(host);
  try {
    expect((await plugin.onDayClose({ businessDay: DAY, closingNumber: 1 })).outcome).toBe('sent');
  } finally {
    await plugin.dispose();
  }
  const [location] = await listPackages(stick.mountPath);
  const verdict = await verifyPackage(location!, { identities: [TEST_HEAD_OFFICE_IDENTITY] });
  return { stick: stick.mountPath, verdict, warnings: logger.warnings };
}

function serialsOfReceipts(db: Database.Database): string[] {
  return db.prepare("SELECT DISTINCT tse_serial_number FROM F_RECEIPT WHERE business_day = ? AND tse_serial_number IS NOT NULL").pluck().all(DAY) as string[];
}

describe('the reference shell: a demo close names the module, verify accepts it, head office stores it', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'daystick-fiscal-closing-shell-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  test('close → contents.json tseModules = M_TSE → daystick verify OK → import stores serial and key once, a second import adds nothing', async () => {
    await mkdir(join(dir, 'sticks', 'STICK1'), { recursive: true });
    await createDemoJournalFile(join(dir, 'journal.sqlite'), { start: '20260101', days: 3, receiptsPerDay: 20, seed: 'fiscal-shell', badRecords: 0, closedDays: 2 });
    const close = await runShellScript(['--journal', 'journal.sqlite', '--stick-root', 'sticks', '--wait-stick', '10'], ['close'], dir);
    expect(close.code).toBe(0);
    expect(close.promptIds).toContain('NOTE_2');

    const journal = new Database(join(dir, 'journal.sqlite'), { readonly: true });
    const modules = journal.prepare('SELECT serial_number AS serialNumber, public_key AS publicKey FROM M_TSE').all() as Module[];
    journal.close();
    expect(modules).toHaveLength(1);
    // The simulated module's serial is what BSI TR-03153 makes it: the SHA-256 of its public key (brainpoolP384r1, uncompressed).
    const key = Buffer.from(modules[0]!.publicKey, 'base64');
    expect(key).toHaveLength(97);
    expect(key[0]).toBe(4);
    expect(modules[0]!.serialNumber).toBe(createHash('sha256').update(key).digest('hex'));

    const identity = join(dir, '.daystick', 'headoffice-age-identity.txt');
    const stick = join(dir, 'sticks', 'STICK1');
    const verified = runDaystick(['verify', '--identity', identity, stick], dir);
    expect(verified.stderr).toBe('');
    expect(verified.stdout).toMatch(/1 package checked: 1 whole, 0 with problems/);
    expect(verified.code).toBe(0);
    const [location] = await listPackages(stick);
    const verdict = await verifyPackage(location!, { identities: await readIdentityFile(identity) });
    expect(verdict.ok).toBe(true);
    expect(verdict.manifest!.tseModules).toEqual(modules);

    for (const round of [1, 2]) {
      const imported = runDaystick(['import', stick, '--central', 'central.sqlite', '--head-office-customer', '10000'], dir);
      expect(imported.stderr).toBe('');
      expect(imported.code).toBe(0);
      expect(imported.stdout).toMatch(round === 1 ? / day-close +\d+ imported +100%$/m : / day-close +\d+ already-imported +100%$/m);
      const central = new Database(join(dir, 'central.sqlite'), { readonly: true });
      try {
        expect(central.prepare('SELECT package_id, position, business_day, serial_number, public_key FROM package_tse_modules').all()).toEqual([
          { package_id: location!.packageId, position: 0, business_day: location!.businessDay, serial_number: modules[0]!.serialNumber, public_key: modules[0]!.publicKey },
        ]);
      } finally {
        central.close();
      }
    }
  });
});

function pluginSuite(backend: 'sqlite' | 'postgres'): void {
  let work: string;
  let central: string;
  let database: TestDatabase | null = null;

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), `daystick-fiscal-closing-${backend}-`));
    if (backend === 'postgres') {
      database = await createTestDatabase();
      central = database.url;
    } else {
      central = join(work, 'central.sqlite');
    }
    const store = await openCentralStore(central);
    try {
      await settleHeadOfficeCustomerNumber(store, '10000');
    } finally {
      await store.close();
    }
  });
  afterEach(async () => {
    await database?.drop();
    database = null;
    await rm(work, { recursive: true, force: true });
  });

  /** Each package with its stored modules, NULL where it has none (the LEFT JOIN a report would use). */
  const storedModules = async () => {
    const store = await openCentralStore(central);
    try {
      return await store.all<Record<string, unknown>>(
        `SELECT p.package_id, m.serial_number, m.public_key FROM packages p
         LEFT JOIN package_tse_modules m ON m.package_id = p.package_id ORDER BY p.package_id, m.position`,
      );
    } finally {
      await store.close();
    }
  };
  const importStick = async (stick: string) => {
    const result = await runImport([stick, '--central', central, '--identity', testHeadOfficeIdentityFile(), '--keys', join(work, 'ho-keys')]);
    expect(result.err).toBe('');
    return result.out;
  };

  test('the SqliteJournalPort names the module, the package carries it, head office stores it; re-import and already-imported change nothing', async () => {
    const { db, journal } = await demoJournal(work);
    try {
      const { stick, verdict, warnings } = await closeThroughPlugin(join(work, 'register'), db, journal);
      expect(warnings).toEqual([]);
      expect(verdict.problems).toEqual([]);
      const serials = serialsOfReceipts(db);
      expect(serials).toHaveLength(1);
      const modules = verdict.manifest!.tseModules!;
      expect(modules.map((m) => m.serialNumber)).toEqual(serials);
      expect(TseModulesSchema.safeParse(modules).success).toBe(true);

      expect(await importStick(stick)).toContain('1 package(s): 1 imported');
      const expected = [{ package_id: verdict.location.packageId, serial_number: modules[0]!.serialNumber, public_key: modules[0]!.publicKey }];
      expect(await storedModules()).toEqual(expected);
      // Already imported (the fast path from manifest and signature alone): nothing is added or changed.
      expect(await importStick(stick)).toContain('0 imported, 1 already imported');
      expect(await storedModules()).toEqual(expected);
      // The console's day view reads them back.
      const store = await openCentralStore(central);
      try {
        const day = await loadDay(store, { customerNumber: '10001', registerId: '1' }, DAY);
        expect(day.tseModules).toEqual(modules);
      } finally {
        await store.close();
      }
    } finally {
      db.close();
    }
  });

  test('a host without tseModules writes none and head office stores null for the package', async () => {
    const { db, journal } = await demoJournal(work);
    try {
      const { stick, verdict, warnings } = await closeThroughPlugin(join(work, 'register'), db, withModules(journal, undefined));
      expect(warnings).toEqual([]);
      expect(verdict.ok).toBe(true);
      expect(verdict.manifest).not.toHaveProperty('tseModules');
      // The receipts still carry their own TSE data: the closing's list is the host's to give.
      expect(serialsOfReceipts(db)).toHaveLength(1);
      expect(await importStick(stick)).toContain('1 imported');
      expect(await storedModules()).toEqual([{ package_id: verdict.location.packageId, serial_number: null, public_key: null }]);
      const store = await openCentralStore(central);
      try {
        expect((await loadDay(store, { customerNumber: '10001', registerId: '1' }, DAY)).tseModules).toEqual([]);
      } finally {
        await store.close();
      }
    } finally {
      db.close();
    }
  });
}

describe('the closing module into a SQLite central journal', () => pluginSuite('sqlite'));
describeWithPostgres('the closing module into a PostgreSQL central journal', () => pluginSuite('postgres'));

describe("the host's answer is checked at the boundary", () => {
  let work: string;
  let db: Database.Database;
  let journal: SqliteJournalPort;
  let module: Module;
  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'daystick-fiscal-boundary-'));
    ({ db, journal } = await demoJournal(work));
    module = ((await journal.tseModules(DAY)) as Module[])[0]!;
  });
  afterEach(async () => {
    db.close();
    await rm(work, { recursive: true, force: true });
  });

  test.each([
    ['a key that is not Base64', () => [{ ...module, publicKey: 'not base64!' }], /^tseModules\[0\]\.publicKey: not canonical Base64$/],
    ['a serial twice', () => [module, { ...module }], /^tseModules\[1\]\.serialNumber: names a module listed before$/],
    ['no list', () => ({ serialNumber: module.serialNumber }), /^tseModules: /],
    ['an unknown field', () => [{ ...module, certificate: 'AAAA' }], /^tseModules\[0\]: /],
    ['an empty list', () => [], /^tseModules: /],
    ['seventeen modules', () => Array.from({ length: 17 }, (_, i) => ({ ...module, serialNumber: `${i}` })), /^tseModules: /],
  ])('%s: the close still goes, the package names no module, the log names the field', async (_name, answer, reason) => {
    const { verdict, warnings } = await closeThroughPlugin(join(work, 'register'), db, withModules(journal, async () => answer()));
    expect(verdict.ok).toBe(true);
    expect(verdict.manifest).not.toHaveProperty('tseModules');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toBe('the register reported no usable security modules');
    const text = String(warnings[0]!.data?.reason);
    expect(text).toMatch(reason);
    // Named, never zod's JSON dump.
    expect(text).not.toMatch(/[{[]\s*"/);
  });

  test("a list that misses a serial the receipts carry is left out, the log says which", async () => {
    const other = { serialNumber: 'ab'.repeat(32), publicKey: module.publicKey };
    const { verdict, warnings } = await closeThroughPlugin(join(work, 'register'), db, withModules(journal, async () => [other]));
    expect(verdict.ok).toBe(true);
    expect(verdict.manifest).not.toHaveProperty('tseModules');
    expect(warnings.map((w) => [w.message, w.data?.reason])).toEqual([
      ['the package names no security module', `receipts carry security module ${module.serialNumber}, which the register's tseModules does not name`],
    ]);
  });

  test('a method that throws is logged with its message; the close goes', async () => {
    const failing = withModules(journal, async () => {
      throw new Error('TSE admin interface not reachable');
    });
    const { verdict, warnings } = await closeThroughPlugin(join(work, 'register'), db, failing);
    expect(verdict.ok).toBe(true);
    expect(verdict.manifest).not.toHaveProperty('tseModules');
    expect(warnings.map((w) => [w.message, w.data?.reason])).toEqual([
      ['the register could not tell its security modules', 'TSE admin interface not reachable'],
    ]);
  });

  test('a listed module no receipt names is fine (a module replaced during the day, or one that signed only the closing)', async () => {
    const spare = { serialNumber: 'cd'.repeat(32), publicKey: Buffer.alloc(97, 4).toString('base64') };
    const { verdict, warnings } = await closeThroughPlugin(join(work, 'register'), db, withModules(journal, async () => [module, spare]));
    expect(warnings).toEqual([]);
    expect(verdict.problems).toEqual([]);
    expect(verdict.manifest!.tseModules).toEqual([module, spare]);
  });
});

describe('the journal keeps its modules in M_TSE', () => {
  let work: string;
  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'daystick-fiscal-journal-'));
  });
  afterEach(async () => rm(work, { recursive: true, force: true }));

  test('a register without a module, and a day without receipts, name none', async () => {
    const { db, journal } = await demoJournal(work, { tse: false });
    try {
      expect(db.prepare('SELECT COUNT(*) FROM M_TSE').pluck().get()).toBe(0);
      expect(await journal.tseModules(DAY)).toBeNull();
    } finally {
      db.close();
    }
    await rm(join(work, 'journal.sqlite'));
    const { db: db2, journal: journal2 } = await demoJournal(work);
    try {
      expect(await journal2.tseModules('20260106' as BusinessDay)).toBeNull();
      expect(await journal2.tseModules(DAY)).toHaveLength(1);
    } finally {
      db2.close();
    }
  });

  test('a version-2 journal gains M_TSE when the register opens it for writing', async () => {
    const { db } = await demoJournal(work);
    db.exec('DROP TABLE M_TSE');
    db.pragma('user_version = 2');
    db.close();
    const reopened = openJournalDatabase(join(work, 'journal.sqlite'), { readonly: false });
    try {
      expect(reopened.pragma('user_version', { simple: true })).toBe(JOURNAL_SCHEMA_VERSION);
      // The table is back, empty: the register fills it; a serial without its key then comes back without one.
      const answer = (await new SqliteJournalPort(reopened).tseModules(DAY)) as { publicKey: unknown }[];
      expect(answer).toHaveLength(1);
      expect(answer[0]!.publicKey).toBeNull();
      expect(TseModulesSchema.safeParse(answer).success).toBe(false);
    } finally {
      reopened.close();
    }
  });
});

describe('damaged packages are refused by name', () => {
  let work: string;
  let good: string;
  let keyDir: string;
  let copies = 0;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'daystick-fiscal-damaged-'));
    good = join(work, 'good');
    keyDir = join(work, 'register-keys');
    await mkdir(good);
    const { db, journal } = await demoJournal(work);
    try {
      await writeDayPackage({
        stickPath: good,
        identity: { customerNumber: '40123', registerId: '2' },
        businessDay: DAY,
        closingNumber: 1,
        kind: 'day-close',
        includeTimeRecords: true,
        tseModules: TseModulesSchema.parse(await journal.tseModules(DAY)),
        journal,
        timeRecording: new SqliteTimeRecordingPort(db),
        keyDir,
        recipients: [TEST_HEAD_OFFICE_RECIPIENT],
        now: () => Date.UTC(2026, 0, 5, 21),
        signal: new AbortController().signal,
      });
    } finally {
      db.close();
    }
  });
  afterAll(async () => rm(work, { recursive: true, force: true }));

  const verdictOf = async (stick: string): Promise<PackageVerdict> => {
    const [location] = await listPackages(stick);
    return verifyPackage(location!, { identities: [TEST_HEAD_OFFICE_IDENTITY] });
  };
  const codes = (v: PackageVerdict) => v.problems.map((p) => (p.entry ? `${p.code}:${p.entry}` : p.code));

  /** A copy of the good package whose contents.json `change` rewrote: decrypted and re-encrypted with the age CLI, re-signed. */
  async function withContents(change: (contents: Record<string, unknown> & { tseModules: Module[] }) => void): Promise<string> {
    const stick = join(work, `copy-${copies++}`);
    await run('cp', ['-r', good, stick]);
    const dir = join(stick, 'DAYSTICK', '40123-2');
    const stem = (await readdir(dir)).find((n) => n.endsWith('.zip.age'))!.slice(0, -'.zip.age'.length);
    const data = join(dir, `${stem}.zip.age`);
    const plain = join(work, `plain-${copies}`);
    await run('age', ['-d', '-i', testHeadOfficeIdentityFile(), '-o', `${plain}.zip`, data]);
    await run('unzip', ['-q', `${plain}.zip`, '-d', plain]);
    const contents = JSON.parse(await readFile(join(plain, 'contents.json'), 'utf8'));
    change(contents);
    await writeFile(join(plain, 'contents.json'), `${JSON.stringify(contents, null, 2)}\n`);
    await run('zip', ['-q', '-X', '-D', `${plain}.re.zip`, ...ENTRY_ORDER, 'contents.json'], { cwd: plain });
    await rm(data);
    await run('age', ['-r', TEST_HEAD_OFFICE_RECIPIENT, '-o', data, `${plain}.re.zip`]);
    const manifestPath = join(dir, `${stem}.manifest.json`);
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
    const bytes = await readFile(data);
    manifest.dataFile.bytes = bytes.length;
    manifest.dataFile.sha256 = createHash('sha256').update(bytes).digest('hex');
    const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
    await writeFile(manifestPath, manifestBytes);
    await writeFile(join(dir, `${stem}.manifest.sig`), signManifest(manifestBytes, await readFile(join(keyDir, PRIVATE_KEY_FILE), 'utf8')));
    return stick;
  }

  test('the package as written is whole and lists the module last in contents.json', async () => {
    const v = await verdictOf(good);
    expect(v.problems).toEqual([]);
    expect(v.manifest!.tseModules).toHaveLength(1);
    // The repacking itself changes nothing the reader minds.
    expect(codes(await verdictOf(await withContents((c) => expect(Object.keys(c).at(-1)).toBe('tseModules'))))).toEqual([]);
  });

  test("unknown-tse-module: the receipts' serial is not the closing's module", async () => {
    const stick = await withContents((c) => {
      c.tseModules[0]!.serialNumber = 'ef'.repeat(32);
    });
    const v = await verdictOf(stick);
    expect(v.ok).toBe(false);
    // Every receipt names the module; at most three are reported.
    expect(codes(v)).toEqual(['unknown-tse-module:receipts.ndjson', 'unknown-tse-module:receipts.ndjson', 'unknown-tse-module:receipts.ndjson']);
    expect(v.problems[0]!.message).toMatch(/^receipts\.ndjson record \d+: signed by security module [0-9a-f]{64}, which the closing's tseModules does not list$/);
    const printed = runDaystick(['verify', '--identity', testHeadOfficeIdentityFile(), stick], work);
    expect(printed.code).toBe(1);
    expect(printed.stdout).toContain('unknown-tse-module [receipts.ndjson]');
  });

  test.each([
    ['a public key that is not canonical Base64', (c: { tseModules: Module[] }) => {
      c.tseModules[0]!.publicKey = c.tseModules[0]!.publicKey.replace(/=*$/, '');
    }, /^contents\.json field tseModules\.0\.publicKey: not canonical Base64$/],
    ['a serial listed twice', (c: { tseModules: Module[] }) => {
      c.tseModules.push({ ...c.tseModules[0]! });
    }, /^contents\.json field tseModules\.1\.serialNumber: names a module listed before$/],
    ['an empty list', (c: { tseModules: Module[] }) => {
      c.tseModules.length = 0;
    }, /^contents\.json field tseModules: /],
    ['a module with an unknown field', (c: { tseModules: Module[] }) => {
      Object.assign(c.tseModules[0]!, { certificate: 'AAAA' });
    }, /^contents\.json field tseModules\.0: /],
  ])('bad-contents: %s', async (_name, change, message) => {
    const v = await verdictOf(await withContents(change));
    expect(codes(v)).toEqual(['bad-contents']);
    expect(v.problems[0]!.message).toMatch(message);
  });
});
