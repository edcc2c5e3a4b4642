import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { type BusinessDay, BusinessDaySchema } from '../host/business-day.js';
import type { LoggerPort } from '../host/ports.js';
import { BackupRefusedError } from '../package/backup-manifest.js';
import { knownHeadOfficeCustomerNumber, settleHeadOfficeCustomerNumber } from '../central/central-settings.js';
import { type CentralStore, CentralStoreError } from '../central/central-store.js';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { readIdentityFile } from '../package/age-file.js';
import {
  DEMO_AGE_IDENTITY_PATH,
  HEAD_OFFICE_AGE_IDENTITY_FILE,
  type HeadOfficeKeyPair,
  defaultKeyFolder,
  loadOrCreateHeadOfficeKey,
} from './head-office-keys.js';
import { importFolder } from './import-folder.js';
import type { ImportOptions } from './import-package.js';
import { isPostgresUrl, openCentralStore } from '../central/open-central-store.js';
import type { PostgresStoreOptions, RetryCause } from '../central/postgres-central-store.js';
import { type ListObserver, ProcessingList, type RunTally, type TextSink, addToTally, describeTally, emptyTally, tallyNeedsAttention } from './processing-list.js';
import type { ReconcileReport } from './reconcile.js';

const USAGE = `usage:
  daystick import PATH --central FILE|postgres://...   import every package under PATH once, then exit
  daystick import --central FILE|postgres://... [--stick-root DIR ...] [--backup-folder DIR]
                                                      watch for sticks (and the backup folder) until Ctrl-C
  daystick import --reconcile BACKUP_FOLDER --from YYYYMMDD --customer N --register R --central ... [--identity FILE] [--dry-run]
                                                      data synchronisation from a date, out of the register's signed
                                                      master-data backup (DAYSTICK/<C>-<R>/masterdata on its stick)

  --central FILE|URL          central journal: an SQLite file (created on first run) or a PostgreSQL connection string
  --keys DIR                  head office's signing key for acknowledgements (default: daystick-headoffice-keys
                              beside the SQLite file; required with PostgreSQL)
  --identity FILE             head office's age identity, which opens the encrypted data files and backups (default:
                              ${HEAD_OFFICE_AGE_IDENTITY_FILE} in the --keys folder, else the demo
                              shell's ${DEMO_AGE_IDENTITY_PATH})
  --head-office-customer N    head office's own customer number: given once, stored in the central journal, and every
                              import refuses packages carrying it (0010000 and 10000 are the same number)
  --without-stock-postings    leave merchandise-management (stock) postings out
  --accept-new-key C-R        register C-R was replaced: its next package may carry a new key (repeatable)
  --stick-root DIR            folder whose sub-folders are sticks (repeatable; default: the system's removable media)
  --backup-folder DIR         also import packages copied into this folder
  --backup-poll-ms N          how often the backup folder is looked at (default 5000)
  --settle-ms N               a stick is read once its files have not changed for N ms, and again when they
                              change (default 2000): a folder filled by a copy is imported when the copy is over
  --dry-run                   with --reconcile: check the backup and print what would be inserted; writes nothing

exit status: 0 all imported or already there; 1 something needs attention (a package refused or failed,
a conflict, an acknowledgement not written, a reconciliation it cannot fix, no package under PATH);
2 bad command line, PATH missing or not a folder, or central journal;
3 the central journal's PostgreSQL server cannot be reached (nothing imported; watching keeps trying instead)

PostgreSQL: what the connection string leaves out comes from PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE
(e.g. postgres:///central with PGHOST set); ?sslmode=verify-full (or no-verify) turns on TLS. A dropped connection, a deadlock
or a serialisation failure rolls the package back and runs it again (said on screen); no acknowledgement before it is in.
`;

const ArgsSchema = z.strictObject({
  central: z.string({ error: '--central FILE|postgres://... is required' }).min(1, '--central must not be empty'),
  keys: z.string().min(1).optional(),
  identity: z.string().min(1).optional(),
  'head-office-customer': z.string().min(1, '--head-office-customer must not be empty').optional(),
  'without-stock-postings': z.boolean().default(false),
  'accept-new-key': z.array(z.string().regex(/^[^-]+-.+$/, '--accept-new-key takes <customerNumber>-<registerId>')).default([]),
  'stick-root': z.array(z.string().min(1)).optional(),
  'backup-folder': z.string().min(1).optional(),
  'backup-poll-ms': z
    .string()
    .regex(/^\d+$/, '--backup-poll-ms must be a whole number of milliseconds')
    .transform(Number)
    .refine((n) => n >= 50, '--backup-poll-ms must be at least 50')
    .default(5000),
  'settle-ms': z
    .string()
    .regex(/^\d+$/, '--settle-ms must be a whole number of milliseconds')
    .transform(Number)
    .refine((n) => n >= 100 && n <= 600_000, '--settle-ms must be between 100 and 600000')
    .default(2000),
  reconcile: z.string().min(1).optional(),
  from: BusinessDaySchema.optional(),
  customer: z.string().min(1).optional(),
  register: z.string().min(1).optional(),
  'dry-run': z.boolean().default(false),
});

type ImportArgs = z.infer<typeof ArgsSchema> & { path: string | null };

class UsageError extends Error {}

export function parseImportArgs(args: string[]): ImportArgs {
  let parsedArgs: ReturnType<typeof parseArgs>;
  try {
    parsedArgs = parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: {
        central: { type: 'string' },
        keys: { type: 'string' },
        identity: { type: 'string' },
        'head-office-customer': { type: 'string' },
        'without-stock-postings': { type: 'boolean' },
        'accept-new-key': { type: 'string', multiple: true },
        'stick-root': { type: 'string', multiple: true },
        'backup-folder': { type: 'string' },
        'backup-poll-ms': { type: 'string' },
        'settle-ms': { type: 'string' },
        reconcile: { type: 'string' },
        from: { type: 'string' },
        customer: { type: 'string' },
        register: { type: 'string' },
        'dry-run': { type: 'boolean' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const parsed = ArgsSchema.safeParse(parsedArgs.values);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path[0];
    throw new UsageError(issue.message.startsWith('--') || field === undefined ? issue.message : `--${String(field)}: ${issue.message}`);
  }
  const positionals = parsedArgs.positionals;
  if (positionals.length > 1) throw new UsageError(`one PATH at most, got ${positionals.length}: ${positionals.join(' ')}`);
  const a = { ...parsed.data, path: positionals[0] ?? null };
  if (a.reconcile !== undefined) {
    if (a.path !== null) throw new UsageError('--reconcile takes the register database, not a PATH');
    for (const name of ['from', 'customer', 'register'] as const) {
      if (a[name] === undefined) throw new UsageError(`--reconcile needs --${name}`);
    }
  } else {
    for (const name of ['from', 'customer', 'register'] as const) {
      if (a[name] !== undefined) throw new UsageError(`--${name} belongs to --reconcile`);
    }
    if (a['dry-run']) throw new UsageError('--dry-run belongs to --reconcile');
  }
  if (a.path !== null && (a['stick-root'] !== undefined || a['backup-folder'] !== undefined)) {
    throw new UsageError('--stick-root and --backup-folder are for watching; with a PATH the import runs once');
  }
  return a;
}

export interface ImportCommandIo {
  stdout: TextSink;
  stderr: TextSink;
  /** Ends watching (tests); the command also ends on SIGINT/SIGTERM. */
  signal?: AbortSignal;
  /** `daystick headoffice`: runs beside watching (the web console) and sees the processing list as it is written. */
  companion?: WatchCompanion;
}

export interface WatchCompanion {
  observer: ListObserver;
  /** Called once the central journal is open and head office's identity settled; a throw ends the command with exit 2. */
  start(central: string): Promise<{ stop(): Promise<void> }>;
}

function stderrLogger(stderr: TextSink): LoggerPort {
  const line = (level: string) => (message: string, data?: Record<string, unknown>) =>
    stderr.write(`daystick import: ${level}: ${message}${data ? ` ${JSON.stringify(data)}` : ''}\n`);
  return { debug: () => undefined, info: () => undefined, warn: line('warning'), error: line('error') };
}

export async function runImportCommand(
  args: string[],
  io: ImportCommandIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout.write(USAGE);
    return 0;
  }
  let a: ImportArgs;
  try {
    a = parseImportArgs(args);
  } catch (err) {
    io.stderr.write(`daystick import: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  // A PATH that is not there is a wrong call (as for verify), told before the central journal is touched.
  if (a.path !== null && !(await isFolder(a.path))) {
    io.stderr.write(`daystick import: cannot read ${a.path}: no such folder\n`);
    return 2;
  }
  const postgres = isPostgresUrl(a.central);
  const keyFolder = a.keys !== undefined ? resolve(a.keys) : defaultKeyFolder(a.central, postgres);
  if (keyFolder === null && a.reconcile === undefined) {
    io.stderr.write('daystick import: with a PostgreSQL central journal give --keys DIR for head office\'s acknowledgement key\n');
    return 2;
  }
  if (a['dry-run'] && !postgres && !existsSync(resolve(a.central))) {
    // A dry run must not even create the central journal it was pointed at.
    io.stderr.write(`daystick import --reconcile --dry-run: the central journal ${a.central} does not exist; nothing was created\n`);
    return 2;
  }
  const list = new ProcessingList(io.stdout, io.companion?.observer);
  const postgresOptions: PostgresStoreOptions = {
    onRetry: (n) =>
      list.note(
        `central journal: ${RETRY_WORDS[n.cause]} while importing for ${n.lockKey.replace(/^register:/, 'register ')}; ` +
          `rolled back, nothing of it stored; trying again in ${(n.delayMs / 1000).toFixed(1)} s (attempt ${n.attempt + 1} of ${n.maxAttempts})`,
      ),
  };
  let store: CentralStore;
  try {
    store = await openWithBackoff(a, postgresOptions, list, io);
  } catch (err) {
    io.stderr.write(`daystick import: ${(err as Error).message}\n`);
    return err instanceof CentralStoreError && err.problem === 'unreachable' ? 3 : 2;
  }
  try {
    let headOfficeCustomerNumber: string;
    try {
      headOfficeCustomerNumber = a['dry-run']
        ? await knownHeadOfficeCustomerNumber(store, a['head-office-customer'] ?? null)
        : await settleHeadOfficeCustomerNumber(store, a['head-office-customer'] ?? null);
    } catch (err) {
      io.stderr.write(`daystick import: ${(err as Error).message}\n`);
      return 2;
    }
    let identities: string[];
    try {
      identities = await headOfficeIdentities(a.identity, keyFolder);
    } catch (err) {
      io.stderr.write(`daystick import: ${(err as Error).message}\n`);
      return 2;
    }
    if (a.reconcile !== undefined) return await runReconcile(store, a, headOfficeCustomerNumber, identities, io);
    let key: HeadOfficeKeyPair;
    try {
      key = await loadOrCreateHeadOfficeKey(keyFolder!);
    } catch (err) {
      io.stderr.write(`daystick import: head-office key in ${keyFolder}: ${(err as Error).message}\n`);
      return 2;
    }
    const options: ImportOptions = {
      identities,
      withoutStockPostings: a['without-stock-postings'],
      headOfficeCustomerNumber,
      acceptNewKeyFor: a['accept-new-key'],
      headOfficeKey: key,
    };
    list.note(
      `central journal: ${store.description} (${store.dialect}), head office's customer number ${headOfficeCustomerNumber}; ` +
        `acknowledgements signed with key ${key.keyId.slice(0, 16)}…`,
    );
    let companion: { stop(): Promise<void> } | null = null;
    if (io.companion && a.path === null) {
      try {
        companion = await io.companion.start(a.central);
      } catch (err) {
        io.stderr.write(`daystick headoffice: ${(err as Error).message}\n`);
        return 2;
      }
    }
    let tally: RunTally;
    try {
      tally = a.path !== null ? await runOnce(store, a.path, options, list, io) : await runWatch(store, a, options, list, io);
    } finally {
      await companion?.stop();
    }
    list.note(describeTally(tally));
    // An empty stick imported once is not proof that a day arrived: it needs attention, as in `daystick verify`.
    if (a.path !== null && tally.packages === 0) return 1;
    return tallyNeedsAttention(tally) ? 1 : 0;
  } finally {
    await store.close();
  }
}

/** Given, else beside the central journal, else the demo shell's (run from the same folder); none found is no identity. */
async function headOfficeIdentities(given: string | undefined, keyFolder: string | null): Promise<string[]> {
  const exists = (path: string) => access(path).then(() => true, () => false);
  let identityFile: string | null =
    given !== undefined ? resolve(given) : keyFolder !== null ? join(keyFolder, HEAD_OFFICE_AGE_IDENTITY_FILE) : null;
  if (given === undefined && (identityFile === null || !(await exists(identityFile)))) {
    identityFile = (await exists(resolve(DEMO_AGE_IDENTITY_PATH))) ? resolve(DEMO_AGE_IDENTITY_PATH) : null;
  }
  return identityFile === null ? [] : readIdentityFile(identityFile);
}

async function isFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

const RETRY_WORDS: Record<RetryCause, string> = {
  'connection-lost': 'the connection to the server was lost',
  serialisation: 'PostgreSQL reported a serialisation failure with another importer',
  deadlock: 'PostgreSQL broke a deadlock with another importer',
  'concurrent-insert': 'another importer stored the same record at the same moment',
};

const OPEN_BACKOFF_MAX_MS = 60_000;

/**
 * Opens the central journal. Watching sticks is meant to run unattended, so
 * there a server that does not answer yet is tried again with a growing pause
 * (said each time) until it answers or watching is stopped; a one-off import
 * says so and ends with exit status 3.
 */
async function openWithBackoff(a: ImportArgs, options: PostgresStoreOptions, list: ProcessingList, io: ImportCommandIo): Promise<CentralStore> {
  const watching = a.path === null && a.reconcile === undefined;
  let delayMs = 1000;
  for (;;) {
    try {
      return await openCentralStore(a.central, options);
    } catch (err) {
      if (!watching || !(err instanceof CentralStoreError) || err.problem !== 'unreachable' || io.signal?.aborted) throw err;
      list.note(`${err.message}; watching waits and tries again in ${Math.round(delayMs / 1000)} s (Ctrl-C ends)`);
      const stopped = await abortableSleep(delayMs, io.signal);
      if (stopped) throw err;
      delayMs = Math.min(OPEN_BACKOFF_MAX_MS, delayMs * 2);
    }
  }
}

/** True when stopped (signal, SIGINT, SIGTERM) before the time was up. */
function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (stopped: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      process.off('SIGINT', onAbort);
      process.off('SIGTERM', onAbort);
      resolve(stopped);
    };
    const onAbort = () => done(true);
    const timer = setTimeout(() => done(false), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
    process.once('SIGINT', onAbort);
    process.once('SIGTERM', onAbort);
  });
}

async function runOnce(store: CentralStore, path: string, options: ImportOptions, list: ProcessingList, io: ImportCommandIo): Promise<RunTally> {
  const tally = emptyTally();
  try {
    for (const r of await importFolder(store, resolve(path), options, list)) addToTally(tally, r);
  } catch (err) {
    io.stderr.write(`daystick import: cannot read ${path}: ${(err as Error).message}\n`);
    tally.failed++;
  }
  if (tally.packages === 0 && tally.failed === 0) list.note(`no daystick packages under ${path}`);
  return tally;
}

async function runWatch(store: CentralStore, a: ImportArgs, options: ImportOptions, list: ProcessingList, io: ImportCommandIo): Promise<RunTally> {
  const logger = stderrLogger(io.stderr);
  // Watching and reconciling load their modules when used: a run over one stick starts without them.
  const [{ createRemovableMedia }, { watchAndImport }] = await Promise.all([import('../stick/index.js'), import('./watch.js')]);
  const media = createRemovableMedia({
    logger,
    ...(a['stick-root'] === undefined ? {} : { stickRoots: a['stick-root'].map((d) => resolve(d)) }),
  });
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  io.signal?.addEventListener('abort', onSignal, { once: true });
  if (io.signal?.aborted) stop.abort();
  list.note(
    `watching for sticks${a['stick-root'] ? ` under ${a['stick-root'].join(', ')}` : ''}` +
      `${a['backup-folder'] ? ` and the backup folder ${a['backup-folder']}` : ''}; Ctrl-C ends`,
  );
  try {
    return await watchAndImport({
      store,
      importOptions: options,
      list,
      media,
      backupFolder: a['backup-folder'] === undefined ? null : resolve(a['backup-folder']),
      backupPollMs: a['backup-poll-ms'],
      settleMs: a['settle-ms'],
      logger,
      signal: stop.signal,
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    media.dispose();
  }
}

async function runReconcile(
  store: CentralStore,
  a: ImportArgs,
  headOfficeCustomerNumber: string,
  identities: readonly string[],
  io: ImportCommandIo,
): Promise<number> {
  let report: ReconcileReport;
  const { reconcileRegister } = await import('./reconcile.js');
  try {
    report = await reconcileRegister(store, {
      registerDatabase: resolve(a.reconcile!),
      from: a.from as BusinessDay,
      customerNumber: a.customer!,
      registerId: a.register!,
      withoutStockPostings: a['without-stock-postings'],
      headOfficeCustomerNumber,
      identities,
      dryRun: a['dry-run'],
    });
  } catch (err) {
    if (err instanceof BackupRefusedError) {
      io.stderr.write(`daystick import --reconcile: backup refused (${err.problem}): ${err.message}\n`);
      return 1;
    }
    io.stderr.write(`daystick import --reconcile: ${(err as Error).message}\n`);
    return 2;
  }
  const out = io.stdout;
  const b = report.backup;
  out.write(
    `${report.dryRun ? 'DRY RUN (nothing is written): ' : ''}data synchronisation of register ${b.customerNumber}-${b.registerId} ` +
      `from ${a.from} into ${store.description}\n`,
  );
  out.write(
    `backup of business day ${b.businessDay}, ${b.file.name}, ${b.file.bytes} bytes, signed by the register's pinned key ${b.publicKeyId.slice(0, 16)}…\n`,
  );
  out.write(
    `DAY       REGISTER  CENTRAL-BEFORE  ${report.dryRun ? 'WOULD-INSERT' : 'INSERTED'}  ALREADY  CONFLICTS  ONLY-CENTRAL  UNREADABLE  RESULT\n`,
  );
  const insertedWidth = report.dryRun ? 12 : 8;
  for (const d of report.days) {
    out.write(
      `${d.businessDay}  ${String(d.register.receipts).padStart(8)}  ${String(d.centralBefore.receipts).padStart(14)}  ` +
        `${String(d.inserted.receipts).padStart(insertedWidth)}  ${String(d.alreadyPresent.receipts).padStart(7)}  ${String(d.conflicts).padStart(9)}  ` +
        `${String(d.onlyCentralReceipts.length).padStart(12)}  ${String(d.register.unreadable).padStart(10)}  ${report.dryRun ? 'dry-run' : d.matches ? 'matches' : 'DIFFERS'}\n`,
    );
    for (const x of d.conflictSamples) {
      out.write(`    CONFLICT ${x.recordType} ${x.recordId}: central holds different content, kept central, not fixed\n`);
    }
    if (d.onlyCentralReceipts.length > 0) {
      out.write(`    ONLY IN CENTRAL: ${d.onlyCentralReceipts.slice(0, 10).join(', ')}${d.onlyCentralReceipts.length > 10 ? ', …' : ''}\n`);
    }
    if (d.unexplainedDifference) {
      out.write(
        `    central holds ${d.centralAfter.receipts} receipts totalling ${d.centralAfter.grossMinor}, the register ${d.register.receipts} totalling ${d.register.grossMinor}: rows changed centrally?\n`,
      );
    }
    if (d.register.unreadable > 0) out.write(`    ${d.register.unreadable} register record(s) fail the record schemas and cannot be imported\n`);
    if (d.inserted.stockPostings + d.inserted.timeRecords > 0) {
      out.write(
        `    also ${report.dryRun ? 'would insert' : 'inserted'}: ${d.inserted.stockPostings} stock postings, ${d.inserted.timeRecords} time records\n`,
      );
    }
  }
  out.write(
    `${report.days.length} day(s), ${report.inserted} record(s) ${report.dryRun ? 'would be inserted (dry run: nothing written)' : 'inserted'}, ` +
      `${report.unfixable} thing(s) it cannot fix\n`,
  );
  return report.unfixable > 0 ? 1 : 0;
}
