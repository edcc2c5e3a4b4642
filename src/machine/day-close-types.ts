import type { StickConflict } from '../export/export-contract.js';
import type { DayCloseOutcome } from '../host/plugin-api.js';
import type { StickInfo } from '../host/ports.js';
import type { PromptId } from '../prompts/catalog.js';
import type { PromptParams } from '../prompts/render.js';
import type { JournalCounts, PlannedDay } from '../state/plugin-state.js';

export interface PlanResult {
  plan: PlannedDay[];
  /** Bookings (receipts) across the planned days, for the cashier's overview. */
  bookings: number;
}

export type StickCheck =
  /** `dropDays`: planned re-sends that head office's receipts on this stick made unnecessary. */
  | { ok: true; dropDays?: string[] }
  | { ok: false; problem: 'read-only' }
  /** The stick's root is not the file system the port listed (unmounted, vanished): nothing was made on it. */
  | { ok: false; problem: 'gone' }
  | { ok: false; problem: 'full'; freeBytes: number; neededBytes: number }
  | { ok: false; problem: 'file-limit'; day: string; fsType: string }
  | { ok: false; problem: 'conflict'; conflict: StickConflict };

export interface DayWritten {
  packageId: string;
  receipts: number;
  quarantined: number;
  /** The journal's counts read before writing; what the day is accounted for with. */
  journal?: JournalCounts;
  bytes?: number;
  /** Fingerprints of the rows of no valid day the package's quarantine carries. */
  strays?: string[];
  /** Quarantined records kept with `exact` originals (bytes as base64, big integers as digits). */
  quarantinedExact?: number;
  /** Receipts whose lines or payments do not add up to their gross; sent unchanged, the cashier is told. */
  unbalancedReceipts?: number;
}

/** What went wrong while writing one day, as the machine needs to route it. */
export type WriteFailure =
  | 'stick-gone'
  | 'stick-full'
  | 'read-only'
  | 'write-error'
  | 'verify-failed'
  | 'aborted'
  | 'stick-conflict'
  /** The register's journal failed: the close ends failed, the stick is not asked for again. */
  | 'journal-error';

export interface DayCloseContext {
  plan: PlannedDay[];
  index: number;
  reminderMs: number;
  backupEnabled: boolean;
  stick: StickInfo | null;
  /** A stick that failed (read-only, full, broken) is not taken again until it has been removed. */
  excludedStickId: string | null;
  sentDays: string[];
  /** A cancel that arrived while a verified day was being recorded: honoured once the record is on disk. */
  cancelRequested: boolean;
  outcome: DayCloseOutcome | null;
  finalPromptId: PromptId | null;
}

export interface DayCloseInput {
  reminderMs: number;
  backupEnabled: boolean;
}

export type DayCloseEvent =
  | { type: 'CANCEL' }
  | { type: 'STICK_REMOVED' }
  /** From the stick wait: no usable stick is present, the cashier is asked for one. */
  | { type: 'STICK_WANTED' }
  /** From the stick wait: several usable sticks, the cashier is asked to pick one. */
  | { type: 'STICK_CHOOSING' }
  | { type: 'STICK_FOUND'; stick: StickInfo }
  | { type: 'STICK_CHOICE_CANCELLED' }
  | { type: 'STICK_WAIT_FAILED'; error: unknown };

export type DayCloseEmitted = { type: 'prompt'; id: PromptId; params: PromptParams };

export interface DayCloseOutput {
  outcome: DayCloseOutcome;
  sentDays: string[];
  pendingDays: string[];
  finalPromptId: PromptId | null;
}
