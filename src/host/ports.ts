import type { Readable } from 'node:stream';
import type { BusinessDay } from './business-day.js';

/**
 * The ports a register shell provides to daystick. Types only: a host
 * implements them, the plugin and its tests depend on nothing else of the
 * host. Modelled on Obsidian's plugin API: everything the plugin registers
 * comes back as a Disposable and is released on unload.
 */

export interface Disposable {
  dispose(): void;
}

/** A message for the person at the register. `id` is stable; `text` is already rendered in the register's language. */
export interface ShownPrompt {
  id: string;
  params: Readonly<Record<string, string | number>>;
  text: string;
  severity: 'info' | 'warning' | 'error' | 'success';
}

export interface ProgressUpdate {
  /** Stable id of the activity, e.g. `WRITING_DAY`. */
  id: string;
  label: string;
  done: number;
  total: number;
}

export interface DisplayPort {
  show(prompt: ShownPrompt): void;
  /**
   * A yes/no question; resolves true for yes. Rejects (or resolves false) when `signal` aborts, and rejects
   * when the cashier cancels the question or no answer can come: the plugin then changes nothing.
   */
  ask(question: ShownPrompt, signal: AbortSignal): Promise<boolean>;
  /**
   * Pick one of several options (e.g. two sticks present); resolves to the chosen option's `value`, or null
   * when cancelled or no answer can come (a day close then ends postponed). Never waits past either.
   */
  choose(question: ShownPrompt, options: readonly { value: string; label: string }[], signal: AbortSignal): Promise<string | null>;
  progress(update: ProgressUpdate): void;
  clear(): void;
}

/**
 * Compatible with XState's `Clock` (setTimeout/clearTimeout), so a test can
 * hand the plugin a `SimulatedClock` and the machine's timers follow it.
 */
export interface ClockPort {
  now(): number;
  setTimeout(fn: (...args: unknown[]) => void, timeoutMs: number): unknown;
  clearTimeout(id: unknown): void;
}

export interface StoragePort {
  /** A folder that belongs to the plugin alone and survives restarts. */
  readonly dir: string;
}

export interface DaySummary {
  receipts: number;
  receiptLines: number;
  payments: number;
  stockPostings: number;
}

/** One business-day value of the journal that holds bookings, exactly as the journal stores it. */
export interface BookedDay {
  /** YYYYMMDD for a sound row; anything else (null, `2026-01-05`, `20261332`) marks rows that belong to no valid day. */
  day: string | null;
  receipts: number;
  stockPostings: number;
}

/**
 * The register's journal, one business day at a time, as async iterables so
 * a day of any size streams in constant memory. Records are `unknown` on
 * purpose: the plugin validates every one (see `records.ts`) and quarantines
 * what fails instead of trusting the host.
 */
export interface JournalPort {
  /** The first business day the journal holds, or null when it is empty. */
  firstBusinessDay(): Promise<BusinessDay | null>;
  summary(day: BusinessDay): Promise<DaySummary>;
  /** Receipts of the day, each with its `lines` and `payments`, ordered by receipt number. */
  receipts(day: BusinessDay, signal?: AbortSignal): AsyncIterable<unknown>;
  /** Merchandise-management (stock) postings of the day, ordered by posting id. */
  stockPostings(day: BusinessDay, signal?: AbortSignal): AsyncIterable<unknown>;
  /**
   * Every business-day value that holds receipts or stock postings, valid or
   * not, so the plugin can find days it never sent and rows of no valid day.
   * `receipts` and `stockPostings` then accept each value it reports, null
   * included, and stream the rows held under exactly that value. Optional:
   * without it the plugin sends only the days it plans and says so in the log.
   */
  bookedDays?(): Promise<BookedDay[]>;
  /**
   * The register's Z (closing) number of `day`, or null when the day has no
   * closing. Optional: a re-send asks it so the package carries the day's Z
   * number even when the plugin never wrote that day's closing itself.
   */
  closingNumber?(day: BusinessDay): Promise<unknown>;
  /**
   * The security modules (TSE, German KassenSichV) of `day`'s closing:
   * `[{ serialNumber, publicKey }]`, one per module whose serial the day's
   * receipts carry in `tse.serialNumber` (`publicKey` canonical Base64 of the
   * key as the module exports it), or null when the day had none. Optional:
   * a register outside Germany leaves it out and its packages carry no
   * `tseModules`. The answer is checked; one that breaks the format's rules
   * is logged and left out of the package, never sent half right.
   */
  tseModules?(day: BusinessDay): Promise<unknown>;
}

export interface TimeRecordingPort {
  count(day: BusinessDay): Promise<number>;
  records(day: BusinessDay, signal?: AbortSignal): AsyncIterable<unknown>;
}

export interface BackupResult {
  /** Files the backup wrote below the target folder, relative to it. */
  files: string[];
  bytes: number;
}

/** The register's own master-data backup, run by the host onto a folder of the plugin's choosing. */
export interface MasterDataBackupPort {
  /**
   * `onProgress` is the plugin's sign of life: a backup that reports nothing
   * for the plugin's stall timeout is abandoned. `workDir`, when given, is the
   * only local folder the backup may keep working copies in; it lies in the
   * plugin's storage and is emptied at every start, so a killed register
   * leaves no copy of its database behind in a shared temp folder.
   *
   * `encrypt`, when given, wraps the stream of the backup's bytes: only its
   * output may reach `targetDir` (a lost stick must reveal nothing, so the
   * clear bytes never touch it, not even as a `.part`), and the file is
   * named with `.age` appended. The plugin always gives it.
   */
  run(
    targetDir: string,
    signal: AbortSignal,
    onProgress?: (done: number, total: number) => void,
    workDir?: string,
    encrypt?: (plain: Readable) => Promise<Readable>,
  ): Promise<BackupResult>;
}

export interface StickInfo {
  /** Stable while the stick stays plugged in (device or mount path). */
  id: string;
  mountPath: string;
  label: string;
  fsType: string | null;
  readOnly: boolean;
  /** Free bytes when the file system tells, else null. */
  freeBytes: number | null;
  /**
   * `stat(mountPath).dev` when the stick was listed. The plugin writes only
   * while the path still has this device id: an unmounted stick leaves its
   * mount point behind as a folder of the register's own disk, with another id.
   * Without it the plugin takes the id it finds when it starts writing.
   */
  deviceId?: number;
}

export interface RemovableMediaPort {
  /** Sticks present right now. */
  list(): Promise<StickInfo[]>;
  onInserted(listener: (stick: StickInfo) => void): Disposable;
  onRemoved(listener: (stick: StickInfo) => void): Disposable;
  /** Ask the platform to eject; optional, and a refusal never matters to the data. */
  eject?(stick: StickInfo): Promise<void>;
}

export interface LoggerPort {
  debug(message: string, data?: Record<string, unknown>): void;
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
}
