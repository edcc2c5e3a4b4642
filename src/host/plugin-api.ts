import type { BusinessDay } from './business-day.js';
import type {
  ClockPort,
  DisplayPort,
  JournalPort,
  LoggerPort,
  MasterDataBackupPort,
  RemovableMediaPort,
  StoragePort,
  TimeRecordingPort,
} from './ports.js';

/** Everything a register shell hands to `activate`. */
export interface Host {
  /** The host contract version this host speaks; must equal the manifest's `apiVersion`. */
  readonly apiVersion: string;
  /** The register shell's own version, checked against the manifest's `minHostVersion`. */
  readonly hostVersion: string;
  /** The plugin's settings as the host stores them; validated by the plugin. */
  readonly settings: unknown;
  readonly display: DisplayPort;
  readonly clock: ClockPort;
  readonly storage: StoragePort;
  readonly journal: JournalPort;
  readonly timeRecording: TimeRecordingPort;
  /** Absent when the register has no master-data backup. */
  readonly backup?: MasterDataBackupPort;
  readonly media: RemovableMediaPort;
  readonly logger: LoggerPort;
}

export interface DayCloseRequest {
  businessDay: BusinessDay;
  /** The host's Z number of this closing; travels into the package. */
  closingNumber: number;
}

export type DayCloseOutcome =
  /** The setting "Save transactions for the central" is off: nothing was done or shown. */
  | 'disabled'
  /** Every planned day is on the stick and verified (backup included when configured). */
  | 'sent'
  /** Bookings are sent, but the master-data backup did not complete. */
  | 'sent-backup-incomplete'
  /** The cashier cancelled or the stick never came: the days stay pending for the next close. */
  | 'postponed'
  /** Something failed; the days not sent stay pending for the next close. */
  | 'failed';

export interface DayCloseResult {
  outcome: DayCloseOutcome;
  sentDays: BusinessDay[];
  pendingDays: BusinessDay[];
  /** Id of the last prompt the cashier saw, for logs and tests. */
  finalPromptId: string | null;
}

/** Digits typed on the keypad followed by a function key, e.g. `20120123` + `REPORTS`. */
export interface CommandInput {
  key: string;
  digits: string;
}

export interface CommandResult {
  /** False: the plugin did not take this key, the host keeps its normal meaning. */
  handled: boolean;
  ok: boolean;
  promptId: string | null;
}

export interface PluginInstance {
  onDayClose(request: DayCloseRequest, signal?: AbortSignal): Promise<DayCloseResult>;
  onCommand(input: CommandInput): Promise<CommandResult>;
  /** Releases every timer, listener and actor. Idempotent. */
  dispose(): Promise<void>;
}

export type ActivateFn = (host: Host) => Promise<PluginInstance>;
