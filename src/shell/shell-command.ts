import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type Database from 'better-sqlite3';
import { addDays, businessDayOf } from '../host/business-day.js';
import type { Host, PluginInstance } from '../host/plugin-api.js';
import type { ClockPort, Disposable, RemovableMediaPort } from '../host/ports.js';
import { createDemoJournalFile } from '../journal/demo-journal.js';
import { openJournalDatabase } from '../journal/open-journal.js';
import { RegisterClosings } from '../journal/register-closings.js';
import { SqliteJournalPort } from '../journal/sqlite-journal-port.js';
import { SqliteMasterDataBackup } from '../journal/sqlite-master-data-backup.js';
import { SqliteTimeRecordingPort } from '../journal/sqlite-time-recording-port.js';
import { AGE_IDENTITY_FILE, loadOrCreateIdentityFile } from '../package/age-file.js';
import { activate, checkHostCompatibility, readManifest } from '../plugin/index.js';
import { createRemovableMedia } from '../stick/index.js';
import { LineInput } from './line-input.js';
import { RegisterShell } from './register-shell.js';
import { parseShellOptions, SHELL_USAGE, type ShellOptions } from './shell-options.js';
import { ShellLogger } from './shell-logger.js';
import { shellMessage } from './shell-messages.js';
import { buildShellSettings, readSettingsFile } from './shell-settings.js';
import { TerminalDisplay } from './terminal-display.js';

/** The host contract this shell implements, and its own version as a register shell. */
export const SHELL_API_VERSION = '1.0';
export const SHELL_HOST_VERSION = '1.0.0';

const MANIFEST_PATH = new URL('../../plugin.manifest.json', import.meta.url).pathname;

/** The demo journal a fresh clone gets: 30 days ending yesterday, all closed but yesterday. */
const FRESH_JOURNAL = { days: 30, receiptsPerDay: 80, seed: 'daystick', badRecords: 0 };

const systemClock: ClockPort = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
};

class StartupError extends Error {
  override name = 'StartupError';
}

/**
 * `daystick shell`: a register that hosts the plugin exactly as a vendor's
 * register would (manifest, version check, settings, ports, activate), with
 * an SQLite journal, folder sticks and a terminal for screen and keypad.
 */
export async function runShellCommand(args: string[]): Promise<number> {
  let options: ShellOptions;
  try {
    options = parseShellOptions(args);
  } catch (err) {
    process.stderr.write(`daystick shell: ${(err as Error).message}\n\n${SHELL_USAGE}`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(SHELL_USAGE);
    return 0;
  }
  const cleanups: (() => unknown)[] = [];
  try {
    return await runShell(options, cleanups);
  } catch (err) {
    process.stderr.write(`daystick shell: ${(err as Error).message}\n`);
    return 2;
  } finally {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (err) {
        process.stderr.write(`daystick shell: cleanup failed: ${(err as Error).message}\n`);
      }
    }
  }
}

async function runShell(options: ShellOptions, cleanups: (() => unknown)[]): Promise<number> {
  const scripted = !process.stdin.isTTY;
  const out = process.stdout;
  await mkdir(options.data, { recursive: true });
  for (const root of options.stickRoots) await mkdir(root, { recursive: true });
  const logger = new ShellLogger(join(options.data, 'daystick-shell.log'), scripted);
  logger.info('shell starting', { options: { ...options } });

  const manifest = await readManifest(MANIFEST_PATH);
  checkHostCompatibility(manifest, { apiVersion: SHELL_API_VERSION, hostVersion: SHELL_HOST_VERSION });
  const settings = buildShellSettings(manifest, await readSettingsFile(manifest, options.data), options);
  if (settings.headOfficeRecipients === null || settings.headOfficeRecipients === undefined) {
    // The demo's head office: its identity beside the data (never on a stick), its recipient in the demo settings.
    settings.headOfficeRecipients = await loadOrCreateIdentityFile(join(dirname(options.data), AGE_IDENTITY_FILE));
  }
  const language = settings.language === 'de' ? 'de' : 'en';

  const lines = createInterface({ input: process.stdin, output: scripted ? undefined : out, terminal: !scripted });
  cleanups.push(() => lines.close());
  const input = new LineInput(lines);
  const display = new TerminalDisplay({ out, input, scripted, language, logger });
  const say = (id: Parameters<typeof shellMessage>[0], params: Record<string, string | number>) =>
    display.show(shellMessage(id, language, params));

  if (!existsSync(options.journal)) {
    await mkdir(dirname(options.journal), { recursive: true });
    const yesterday = addDays(businessDayOf(Date.now()), -1);
    const start = addDays(yesterday, -(FRESH_JOURNAL.days - 1));
    const stats = await createDemoJournalFile(options.journal, {
      ...FRESH_JOURNAL,
      start,
      closedDays: FRESH_JOURNAL.days - 1,
    });
    say('SHELL_JOURNAL_CREATED', {
      journal: options.journal,
      days: FRESH_JOURNAL.days,
      first: stats.firstDay,
      last: stats.lastDay,
    });
  }
  // The register writes closings through one connection; the plugin reads through another, so its streams never block a write.
  const registerDb = openJournalDatabase(options.journal, { readonly: false });
  cleanups.push(() => registerDb.close());
  const readerDb: Database.Database = openJournalDatabase(options.journal, { readonly: true });
  cleanups.push(() => readerDb.close());
  const closings = new RegisterClosings(registerDb);
  const journal = new SqliteJournalPort(readerDb, {
    onRead: (report) => logger.info('journal read', { ...report, readMs: Math.round(report.readMs) }),
  });
  cleanups.push(() => journal.close());

  const media: RemovableMediaPort & Disposable = createRemovableMedia({ stickRoots: options.stickRoots, logger });
  cleanups.push(() => media.dispose());

  const host: Host = {
    apiVersion: SHELL_API_VERSION,
    hostVersion: SHELL_HOST_VERSION,
    settings,
    display,
    clock: systemClock,
    storage: { dir: options.data },
    journal,
    timeRecording: new SqliteTimeRecordingPort(readerDb),
    backup: new SqliteMasterDataBackup(registerDb),
    media,
    logger,
  };
  let plugin: PluginInstance;
  try {
    plugin = await activate(host);
  } catch (err) {
    throw new StartupError(`the daystick plugin refused to load: ${(err as Error).message}`);
  }
  cleanups.push(() => plugin.dispose());

  const shell = new RegisterShell({
    plugin,
    display,
    watchDisplay: (watcher) => display.onActivity(watcher),
    input,
    closings,
    journal,
    countReceipts: (day) => journal.receiptCount(day),
    media,
    clock: systemClock,
    logger,
    language,
    stickRoots: options.stickRoots,
    waitStickSeconds: options.waitStickSeconds,
    onIdle: scripted ? undefined : () => lines.prompt(),
  });
  // Ctrl+C cancels a running close; at the idle prompt it ends the shell like end of input.
  const onSignal = () => {
    if (!shell.interrupt()) lines.close();
  };
  lines.on('SIGINT', onSignal);
  process.on('SIGINT', onSignal);
  cleanups.push(() => process.off('SIGINT', onSignal));

  shell.greet({
    register: String(settings.registerId),
    customer: String(settings.customerNumber),
    journal: options.journal,
  });
  // Since the process started, node's own start-up and module loading included.
  logger.info('shell ready', { startupMs: Math.round(performance.now()) });
  const allSucceeded = await shell.run();
  logger.info('shell finished', { allSucceeded, maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) });
  return allSucceeded ? 0 : 1;
}
