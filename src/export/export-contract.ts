import type { BusinessDay } from '../host/business-day.js';
import type { DaySummary, JournalPort, TimeRecordingPort } from '../host/ports.js';
import type { TseModule } from '../host/records.js';

/**
 * What the day-close machine needs from the package writer. The machine maps
 * each failure cause to its own prompt, so a cause must say what happened to
 * the stick, not which syscall failed.
 */
export type ExportFailureCause =
  /** The stick disappeared (pulled) while writing or verifying. */
  | 'stick-gone'
  /** ENOSPC, or the package would exceed the file system's file-size limit. */
  | 'stick-full'
  /** EROFS / EACCES on the stick. */
  | 'read-only'
  /** Any other I/O error (EIO, ...). */
  | 'write-error'
  /** The package was written but reading it back did not match. */
  | 'verify-failed'
  /** The AbortSignal fired (the machine left the writing state). */
  | 'aborted'
  /** The stick holds something in this register's folder that the writer must not change (StickConflict). */
  | 'stick-conflict'
  /** The register's journal could not be read (JournalReadError): the stick is not to blame. */
  | 'journal-error';

/**
 * Why a stick was refused before anything was written: a name the writer
 * needs is taken by something else (`blocked-name`), or the folder carries
 * another register's key (`foreign-register`). Paths are relative to the
 * stick root with `/`, for the cashier's prompt.
 */
export interface StickConflict {
  kind: 'blocked-name' | 'foreign-register';
  /** `DAYSTICK/<customerNumber>-<registerId>` */
  folder: string;
  entry: string;
}

export class ExportError extends Error {
  constructor(
    readonly failure: ExportFailureCause,
    message: string,
    /** The errno code behind it, when there was one (ENOSPC, EIO, ...). */
    readonly code?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ExportError';
  }
}

export interface RegisterIdentity {
  customerNumber: string;
  registerId: string;
}

export type PackageKind = 'day-close' | 're-send';

export interface WriteDayRequest {
  /** Mount path of the stick (its root folder). */
  stickPath: string;
  /** The root's device id as the removable-media port listed it (StickInfo.deviceId); else the one found at the start. */
  stickDeviceId?: number;
  /** Whether the port still lists the stick; asked before writing and before the manifest's rename. */
  stickListed?: () => Promise<boolean>;
  identity: RegisterIdentity;
  businessDay: BusinessDay;
  /** The host's Z number; null for a re-send of a day whose Z number is not known. */
  closingNumber: number | null;
  kind: PackageKind;
  includeTimeRecords: boolean;
  /**
   * The closing's security modules, already checked against TseModulesSchema
   * (the host's `JournalPort.tseModules`); written into contents.json only
   * when they name every serial the day's receipts carry (version 2 only).
   */
  tseModules?: readonly TseModule[];
  journal: JournalPort;
  timeRecording: TimeRecordingPort;
  /** Folder holding the register's signing key pair (the plugin's storage). */
  keyDir: string;
  /**
   * Head office's age X25519 recipients (`age1…`): the data file is
   * encrypted to each of them (format version 2). Absent, the writer writes
   * a version-1 package in the clear: only tests do that (version-1 damage
   * tests and fixtures); the plugin always passes them and refuses to close
   * without (settings field `headOfficeRecipients`).
   */
  recipients?: readonly string[];
  now: () => number;
  signal: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /**
   * Journal rows that belong to no valid business day, carried in this
   * package's quarantine: `days` are the journal's values for them (null
   * included), read with `journal.receipts` / `journal.stockPostings`; `take`
   * gives the quarantine reason for a row, or null to leave it out (an
   * earlier package carried it already).
   */
  strays?: {
    days: readonly (string | null)[];
    take(source: 'receipts' | 'stock-postings', record: unknown): string | null;
  };
  /** Told how long each step took, so a host can log where a close's time goes. */
  onTiming?: (step: WriteDayStep, ms: number) => void;
}

/** The timed steps of writing a package: the data zip (journal read included), its read-back, signature and manifest. */
export type WriteDayStep = 'data' | 'read-back' | 'manifest';

export interface WrittenPackage {
  packageId: string;
  /** Absolute path of the package's manifest on the stick. */
  manifestPath: string;
  receipts: number;
  /** Records that failed their schema and went into the quarantine entry. */
  quarantined: number;
  /** Of those, records holding values JSON cannot carry (bytes, big integers), kept exactly beside a stand-in. */
  quarantinedExact: number;
  /** Receipts whose lines or payments do not add up to their gross; they travel unchanged. */
  unbalancedReceipts: number;
  bytes: number;
  /** Why the request's tseModules were left out of the package (a receipt's serial they do not name), for the log. */
  tseModulesLeftOut?: string;
}

export type WriteDayPackage = (request: WriteDayRequest) => Promise<WrittenPackage>;

/** A package this register wrote: the journal's counts behind it and its bytes on the stick. */
export interface PackageSizeSeen {
  journal: DaySummary & { timeRecords: number };
  bytes: number;
}

/** Upper estimate of a package's size on the stick, for the free-space check before writing; `recent` tells how this register's data packs. */
export type EstimatePackageBytes = (summary: DaySummary, timeRecords: number, recent?: readonly PackageSizeSeen[]) => number;
