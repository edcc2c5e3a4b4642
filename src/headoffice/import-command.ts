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
import type { PostgresStoreOptions } from '../central/postgres-central-store.js';
import { type ListObserver, ProcessingList, type RunTally, type TextSink, addToTally, describeTally, emptyTally, tallyNeedsAttention } from './processing-list.js';
import type { ReconcileReport } from './reconcile.js';
import type { Language } from '../prompts/catalog.js';
import { LanguageOptionError, languageFromEnv, takeLanguageOption } from '../prompts/language.js';
import { HeadOfficeIdentityError } from '../central/central-settings.js';
import { AgeIdentityError } from '../package/age-file.js';
import { ClerkError, type ClerkTextKey, clerkDay, clerkText, errorLines, problemText } from './clerk-text.js';
import { importUsage } from './import-usage.js';


/** The arguments' schema, its messages in the clerk's language. */
/**
 * A command-line option holding a whole number: digits only (no sign,
 * fraction or exponent, which Number would accept), then its range, each
 * with the clerk's own message; `fallback` when it is not given.
 */
export function wholeNumberOption(notWhole: string, inRange: (n: number) => boolean, outOfRange: string, fallback: number) {
  return z.string().regex(/^\d+$/, notWhole).transform(Number).refine(inRange, outOfRange).default(fallback);
}

function argsSchema(lang: Language) {
  const t = (key: ClerkTextKey) => clerkText(lang, key);
  return z.strictObject({
    central: z.string({ error: t('arg.central') }).min(1, t('arg.centralEmpty')),
    keys: z.string().min(1).optional(),
    identity: z.string().min(1).optional(),
    'head-office-customer': z.string().min(1, t('arg.customerEmpty')).optional(),
    'without-stock-postings': z.boolean().default(false),
    'accept-new-key': z.array(z.string().regex(/^[^-]+-.+$/, t('arg.acceptNewKey'))).default([]),
    'stick-root': z.array(z.string().min(1)).optional(),
    'backup-folder': z.string().min(1).optional(),
    'backup-poll-ms': wholeNumberOption(t('arg.pollWhole'), (n) => n >= 50, t('arg.pollMin'), 5000),
    'settle-ms': wholeNumberOption(t('arg.settleWhole'), (n) => n >= 100 && n <= 600_000, t('arg.settleRange'), 2000),
    reconcile: z.string().min(1).optional(),
    from: BusinessDaySchema.optional(),
    customer: z.string().min(1).optional(),
    register: z.string().min(1).optional(),
    'dry-run': z.boolean().default(false),
  });
}

type ImportArgs = z.infer<ReturnType<typeof argsSchema>> & { path: string | null; lang: Language };

class UsageError extends Error {}

/** node:util's parseArgs says a wrong call in English with its code: the clerk's words for the usual ones. */
function parseArgsMessage(err: Error & { code?: string }, lang: Language): string {
  if (lang === 'en') return err.message;
  const option = /'(-[^' ]+)/.exec(err.message)?.[1] ?? '';
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return clerkText(lang, 'arg.unknownOption', { option });
  if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return clerkText(lang, 'arg.missingValue', { option });
  return `${clerkText(lang, 'arg.badCall', { message: err.message })}: ${err.message}`;
}

/**
 * The import's arguments; `--lang` is taken out first (and decides the messages'
 * language when `lang` is not given), a bad one is a UsageError like any other.
 */
export function parseImportArgs(allArgs: string[], given?: Language): ImportArgs {
  let lang = given ?? languageFromEnv();
  let args: string[];
  try {
    const taken = takeLanguageOption(allArgs);
    args = taken.rest;
    lang = given ?? taken.lang;
  } catch (err) {
    if (err instanceof LanguageOptionError) throw new UsageError(clerkText(lang, 'arg.lang', { value: err.value }));
    throw err;
  }
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
    throw new UsageError(parseArgsMessage(err as Error, lang));
  }
  const parsed = argsSchema(lang).safeParse(parsedArgs.values);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path[0];
    if (issue.message.startsWith('--') || field === undefined) throw new UsageError(issue.message);
    // The schemas below this room (the business day's) speak English: German names the field and what it takes.
    const reason = field === 'from' ? clerkText(lang, 'arg.fromReason', { message: issue.message }) : issue.message;
    throw new UsageError(
      field === 'from' ? clerkText(lang, 'arg.from', { reason }) : lang === 'en' ? `--${String(field)}: ${issue.message}` : clerkText(lang, 'arg.invalid', { field: String(field) }),
    );
  }
  const positionals = parsedArgs.positionals;
  if (positionals.length > 1) throw new UsageError(clerkText(lang, 'arg.onePath', { n: positionals.length, paths: positionals.join(' ') }));
  const a = { ...parsed.data, path: positionals[0] ?? null, lang };
  if (a.reconcile !== undefined) {
    if (a.path !== null) throw new UsageError(clerkText(lang, 'arg.reconcilePath'));
    for (const name of ['from', 'customer', 'register'] as const) {
      if (a[name] === undefined) throw new UsageError(clerkText(lang, 'arg.reconcileNeeds', { name }));
    }
  } else {
    for (const name of ['from', 'customer', 'register'] as const) {
      if (a[name] !== undefined) throw new UsageError(clerkText(lang, 'arg.belongsToReconcile', { name }));
    }
    if (a['dry-run']) throw new UsageError(clerkText(lang, 'arg.dryRun'));
  }
  if (a.path !== null && (a['stick-root'] !== undefined || a['backup-folder'] !== undefined)) {
    throw new UsageError(clerkText(lang, 'arg.watchOnly'));
  }
  return a;
}

/**
 * A failure the command reports: English keeps the error's own sentence; German
 * says what it is by its problem, and the raw message follows on a detail line.
 */
export function failureLines(lang: Language, prefix: string, err: unknown): string {
  const message = (err as Error)?.message ?? String(err);
  if (lang === 'en') return `${prefix}: ${message}\n`;
  if (err instanceof ClerkError) return errorLines(lang, prefix, err.message, err.detail);
  let key: ClerkTextKey = 'error.other';
  if (err instanceof CentralStoreError) key = `error.store.${err.problem}`;
  else if (err instanceof HeadOfficeIdentityError) key = `error.identity.${err.problem}`;
  else if (err instanceof AgeIdentityError) key = 'error.ageIdentity';
  // By name: the reconcile module loads only when reconciling.
  else if ((err as Error)?.name === 'ReconcileError') key = 'error.reconcile';
  return errorLines(lang, prefix, clerkText(lang, key, { message }), message);
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
  const asked = askedLanguage(args);
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout.write(importUsage(asked));
    return 0;
  }
  let a: ImportArgs;
  try {
    a = parseImportArgs(args);
  } catch (err) {
    io.stderr.write(`daystick import: ${(err as Error).message}\n\n${importUsage(asked)}`);
    return 2;
  }
  const lang = a.lang;
  // A PATH that is not there is a wrong call (as for verify), told before the central journal is touched.
  if (a.path !== null && !(await isFolder(a.path))) {
    io.stderr.write(`daystick import: ${clerkText(lang, 'import.noFolder', { path: a.path })}\n`);
    return 2;
  }
  const postgres = isPostgresUrl(a.central);
  const keyFolder = a.keys !== undefined ? resolve(a.keys) : defaultKeyFolder(a.central, postgres);
  if (keyFolder === null && a.reconcile === undefined) {
    io.stderr.write(`daystick import: ${clerkText(lang, 'import.pgKeys')}\n`);
    return 2;
  }
  if (a['dry-run'] && !postgres && !existsSync(resolve(a.central))) {
    // A dry run must not even create the central journal it was pointed at.
    io.stderr.write(`daystick import --reconcile --dry-run: ${clerkText(lang, 'import.dryRunNoCentral', { central: a.central })}\n`);
    return 2;
  }
  const list = new ProcessingList(io.stdout, io.companion?.observer, { lang, detail: io.stderr });
  const postgresOptions: PostgresStoreOptions = {
    onRetry: (n) =>
      list.note(
        clerkText(lang, 'import.retry', {
          cause: clerkText(lang, `retry.${n.cause}`),
          lock: n.lockKey.startsWith('register:') ? clerkText(lang, 'import.retryRegister', { register: n.lockKey.slice('register:'.length) }) : n.lockKey,
          seconds: lang === 'en' ? (n.delayMs / 1000).toFixed(1) : new Intl.NumberFormat('de-DE', { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(n.delayMs / 1000),
          attempt: n.attempt + 1,
          max: n.maxAttempts,
        }),
      ),
  };
  let store: CentralStore;
  try {
    store = await openWithBackoff(a, postgresOptions, list, io);
  } catch (err) {
    io.stderr.write(failureLines(lang, 'daystick import', err));
    return err instanceof CentralStoreError && err.problem === 'unreachable' ? 3 : 2;
  }
  try {
    let headOfficeCustomerNumber: string;
    try {
      headOfficeCustomerNumber = a['dry-run']
        ? await knownHeadOfficeCustomerNumber(store, a['head-office-customer'] ?? null)
        : await settleHeadOfficeCustomerNumber(store, a['head-office-customer'] ?? null);
    } catch (err) {
      io.stderr.write(failureLines(lang, 'daystick import', err));
      return 2;
    }
    let identities: string[];
    try {
      identities = (await headOfficeIdentities(a.identity, keyFolder)).identities;
    } catch (err) {
      io.stderr.write(failureLines(lang, 'daystick import', err));
      return 2;
    }
    if (a.reconcile !== undefined) return await runReconcile(store, a, headOfficeCustomerNumber, identities, io);
    let key: HeadOfficeKeyPair;
    try {
      key = await loadOrCreateHeadOfficeKey(keyFolder!);
    } catch (err) {
      const raw = (err as Error).message;
      io.stderr.write(errorLines(lang, 'daystick import', clerkText(lang, 'import.keyFolder', { folder: keyFolder!, reason: raw }), raw));
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
      clerkText(lang, 'import.central', {
        description: store.description,
        dialect: store.dialect,
        number: headOfficeCustomerNumber,
        key: key.keyId.slice(0, 16),
      }),
    );
    let companion: { stop(): Promise<void> } | null = null;
    if (io.companion && a.path === null) {
      try {
        companion = await io.companion.start(a.central);
      } catch (err) {
        io.stderr.write(failureLines(lang, 'daystick headoffice', err));
        return 2;
      }
    }
    let tally: RunTally;
    try {
      if (identities.length === 0 && a.path === null) list.note(clerkText(lang, 'import.noIdentityYet', { places: identityPlaces(keyFolder) }));
      tally =
        a.path !== null
          ? await runOnce(store, a.path, options, list, io)
          : await runWatch(store, a, optionsForNextStick(a, keyFolder, options, list), list, io);
    } finally {
      await companion?.stop();
    }
    list.note(describeTally(tally, lang));
    // An empty stick imported once is not proof that a day arrived: it needs attention, as in `daystick verify`.
    if (a.path !== null && tally.packages === 0) return 1;
    return tallyNeedsAttention(tally) ? 1 : 0;
  } finally {
    await store.close();
  }
}

/** Given, else beside the central journal, else the demo shell's (run from the same folder); none found is no identity. */
async function headOfficeIdentities(given: string | undefined, keyFolder: string | null): Promise<{ file: string | null; identities: string[] }> {
  const exists = (path: string) => access(path).then(() => true, () => false);
  let identityFile: string | null =
    given !== undefined ? resolve(given) : keyFolder !== null ? join(keyFolder, HEAD_OFFICE_AGE_IDENTITY_FILE) : null;
  if (given === undefined && (identityFile === null || !(await exists(identityFile)))) {
    identityFile = (await exists(resolve(DEMO_AGE_IDENTITY_PATH))) ? resolve(DEMO_AGE_IDENTITY_PATH) : null;
  }
  return { file: identityFile, identities: identityFile === null ? [] : await readIdentityFile(identityFile) };
}

/** Where an identity is looked for when none is given, for telling the clerk. */
function identityPlaces(keyFolder: string | null): string {
  return [...(keyFolder !== null ? [join(keyFolder, HEAD_OFFICE_AGE_IDENTITY_FILE)] : []), resolve(DEMO_AGE_IDENTITY_PATH)].join(', ');
}

/**
 * The options for the next stick. In the demo (`npm run headoffice`, then
 * `npm start`) the shell makes head office's identity on its first start,
 * after head office started watching; so while none was given or found,
 * watching looks for it again before every stick instead of refusing every
 * encrypted package until a restart.
 */
function optionsForNextStick(
  a: ImportArgs,
  keyFolder: string | null,
  options: ImportOptions,
  list: ProcessingList,
): () => Promise<ImportOptions> {
  let current = options;
  return async () => {
    if (a.identity !== undefined || (current.identities?.length ?? 0) > 0) return current;
    try {
      const found = await headOfficeIdentities(undefined, keyFolder);
      if (found.identities.length > 0) {
        current = { ...current, identities: found.identities };
        list.note(clerkText(a.lang, 'import.identityFound', { file: found.file! }));
      }
    } catch (err) {
      const raw = (err as Error).message;
      list.note(clerkText(a.lang, 'error.ageIdentity', { message: raw }));
      list.rawDetail('identity', raw);
    }
    return current;
  };
}

async function isFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** The language asked for, for the usage text: a bad --lang is told in the environment's. */
function askedLanguage(args: string[]): Language {
  try {
    return takeLanguageOption(args).lang;
  } catch {
    return languageFromEnv();
  }
}

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
      list.note(clerkText(a.lang, 'import.openWait', { reason: err.message, seconds: Math.round(delayMs / 1000) }));
      list.rawDetail('central journal', err.message);
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
    const raw = (err as Error).message;
    io.stderr.write(errorLines(list.lang, 'daystick import', clerkText(list.lang, 'import.cannotRead', { path, reason: raw }), raw));
    tally.failed++;
  }
  if (tally.packages === 0 && tally.failed === 0) list.note(clerkText(list.lang, 'import.noPackages', { path }));
  return tally;
}

async function runWatch(
  store: CentralStore,
  a: ImportArgs,
  options: () => Promise<ImportOptions>,
  list: ProcessingList,
  io: ImportCommandIo,
): Promise<RunTally> {
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
    clerkText(a.lang, 'import.watching', {
      roots: a['stick-root'] ? clerkText(a.lang, 'import.watchingRoots', { roots: a['stick-root'].join(', ') }) : '',
      backup: a['backup-folder'] ? clerkText(a.lang, 'import.watchingBackup', { folder: a['backup-folder'] }) : '',
    }),
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
    const raw = (err as Error).message;
    if (err instanceof BackupRefusedError) {
      const reason = problemText(a.lang, err.problem, raw);
      io.stderr.write(errorLines(a.lang, 'daystick import --reconcile', clerkText(a.lang, 'import.backupRefused', { problem: err.problem, reason }), raw));
      return 1;
    }
    io.stderr.write(failureLines(a.lang, 'daystick import --reconcile', err));
    return 2;
  }
  const lang = a.lang;
  const t = (key: ClerkTextKey, params: Record<string, string | number> = {}) => clerkText(lang, key, params);
  const out = io.stdout;
  const b = report.backup;
  out.write(
    `${report.dryRun ? t('reconcile.dryRun') : ''}${t('reconcile.head', { register: `${b.customerNumber}-${b.registerId}`, from: a.from!, central: store.description })}\n`,
  );
  out.write(`${t('reconcile.backup', { day: b.businessDay, file: b.file.name, bytes: b.file.bytes, key: b.publicKeyId.slice(0, 16) })}\n`);
  // Each count is right-aligned under its heading, whose length sets the column (as the headings differ by language).
  const heads = [
    t('reconcile.col.register'),
    t('reconcile.col.centralBefore'),
    t(report.dryRun ? 'reconcile.col.wouldInsert' : 'reconcile.col.inserted'),
    t('reconcile.col.already'),
    t('reconcile.col.conflicts'),
    t('reconcile.col.onlyCentral'),
    t('reconcile.col.unreadable'),
  ];
  const dayWidth = Math.max(11, t('reconcile.col.day').length);
  out.write(`${t('reconcile.col.day').padEnd(dayWidth)}  ${heads.join('  ')}  ${t('reconcile.col.result')}\n`);
  for (const d of report.days) {
    const counts = [
      d.register.receipts,
      d.centralBefore.receipts,
      d.inserted.receipts,
      d.alreadyPresent.receipts,
      d.conflicts,
      d.onlyCentralReceipts.length,
      d.register.unreadable,
    ].map((n, i) => String(n).padStart(heads[i]!.length));
    const result = t(report.dryRun ? 'reconcile.result.dry-run' : d.matches ? 'reconcile.result.matches' : 'reconcile.result.differs');
    out.write(`${clerkDay(lang, d.businessDay).padEnd(dayWidth)}  ${counts.join('  ')}  ${result}\n`);
    for (const x of d.conflictSamples) {
      out.write(`    ${t('reconcile.conflict', { type: t(`record.${x.recordType}`), id: x.recordId })}\n`);
    }
    if (d.onlyCentralReceipts.length > 0) {
      out.write(`    ${t('reconcile.onlyCentral', { ids: `${d.onlyCentralReceipts.slice(0, 10).join(', ')}${d.onlyCentralReceipts.length > 10 ? ', …' : ''}` })}\n`);
    }
    if (d.unexplainedDifference) {
      out.write(
        `    ${t('reconcile.unexplained', {
          centralReceipts: d.centralAfter.receipts,
          centralGross: d.centralAfter.grossMinor,
          registerReceipts: d.register.receipts,
          registerGross: d.register.grossMinor,
        })}\n`,
      );
    }
    if (d.register.unreadable > 0) out.write(`    ${t('reconcile.unreadable', { n: d.register.unreadable })}\n`);
    if (d.inserted.stockPostings + d.inserted.timeRecords > 0) {
      out.write(`    ${t(report.dryRun ? 'reconcile.alsoDry' : 'reconcile.also', { stock: d.inserted.stockPostings, time: d.inserted.timeRecords })}\n`);
    }
  }
  out.write(`${t(report.dryRun ? 'reconcile.summaryDry' : 'reconcile.summary', { days: report.days.length, inserted: report.inserted, unfixable: report.unfixable })}\n`);
  return report.unfixable > 0 ? 1 : 0;
}
