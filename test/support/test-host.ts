import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { BusinessDay } from '../../src/host/business-day.js';
import type { Host } from '../../src/host/plugin-api.js';
import type {
  ClockPort,
  Disposable,
  DisplayPort,
  LoggerPort,
  MasterDataBackupPort,
  ProgressUpdate,
  RemovableMediaPort,
  ShownPrompt,
  StickInfo,
} from '../../src/host/ports.js';
import { createSyntheticJournal, type SyntheticDaySpec } from './synthetic-journal.js';

/**
 * A register host for plugin tests: real folders for storage and sticks, the
 * synthetic journal, and fakes only where the real thing cannot exist here:
 * the cashier (scripted answers) and the USB bus (sticks appear when a test
 * says so; the real mount detection has its own tests).
 */
export class RecordingDisplay implements DisplayPort {
  readonly shown: ShownPrompt[] = [];
  readonly progressUpdates: ProgressUpdate[] = [];
  readonly questions: string[] = [];
  answers: boolean[] = [];
  throwOnShow = false;

  show(prompt: ShownPrompt): void {
    this.shown.push(prompt);
    if (this.throwOnShow) throw new Error('display broke');
  }
  /** The cashier cancels every question (as a typed cancel or end of input does in the shell). */
  cancelQuestions = false;
  async ask(question: ShownPrompt): Promise<boolean> {
    this.questions.push(question.id);
    if (this.cancelQuestions) throw new Error('question cancelled by the cashier');
    return this.answers.shift() ?? true;
  }
  /** The cashier's pick among sticks; the first option unless a test says otherwise (null: no answer). */
  choice: (options: readonly { value: string }[]) => string | null = (options) => options[0]?.value ?? null;
  async choose(_q: ShownPrompt, options: readonly { value: string }[]): Promise<string | null> {
    return this.choice(options);
  }
  progress(update: ProgressUpdate): void {
    this.progressUpdates.push(update);
  }
  clear(): void {}
  ids(): string[] {
    return this.shown.map((p) => p.id);
  }
}

export class FolderSticks implements RemovableMediaPort {
  private readonly present = new Map<string, StickInfo>();
  readonly inserted = new Set<(s: StickInfo) => void>();
  readonly removed = new Set<(s: StickInfo) => void>();

  constructor(readonly root: string) {}

  async list(): Promise<StickInfo[]> {
    return [...this.present.values()];
  }
  onInserted(listener: (s: StickInfo) => void): Disposable {
    this.inserted.add(listener);
    return { dispose: () => this.inserted.delete(listener) };
  }
  onRemoved(listener: (s: StickInfo) => void): Disposable {
    this.removed.add(listener);
    return { dispose: () => this.removed.delete(listener) };
  }
  async insert(label: string, extra: Partial<StickInfo> = {}): Promise<StickInfo> {
    const mountPath = join(this.root, label);
    await mkdir(mountPath, { recursive: true });
    const stick: StickInfo = {
      id: mountPath,
      mountPath,
      label,
      fsType: null,
      readOnly: false,
      freeBytes: null,
      ...extra,
    };
    this.present.set(stick.id, stick);
    for (const l of [...this.inserted]) l(stick);
    return stick;
  }
  /** The stick leaves; its folder stays on disk so a test can inspect what it held. */
  pull(label: string): void {
    const stick = this.present.get(join(this.root, label));
    if (!stick) throw new Error(`no stick ${label}`);
    this.present.delete(stick.id);
    for (const l of [...this.removed]) l(stick);
  }
  listenerCount(): number {
    return this.inserted.size + this.removed.size;
  }
}

export class FileBackup implements MasterDataBackupPort {
  runs = 0;
  failWith: Error | null = null;
  /** When set, the backup waits for this promise before finishing (lets a test pull the stick meanwhile). */
  gate: Promise<void> | null = null;
  async run(
    targetDir: string,
    signal: AbortSignal,
    _onProgress?: (done: number, total: number) => void,
    _workDir?: string,
    encrypt?: (plain: Readable) => Promise<Readable>,
  ) {
    this.runs++;
    if (this.failWith) throw this.failWith;
    const abort = new Promise<never>((_, reject) => {
      if (signal.aborted) reject(signal.reason);
      signal.addEventListener('abort', () => reject(signal.reason));
    });
    if (this.gate) await Promise.race([this.gate, abort]);
    // As a host must: only the plugin's encrypting stream reaches the stick.
    const plain = Readable.from([Buffer.from('master data backup\n')]);
    const file = encrypt ? 'masterdata.sqlite.age' : 'masterdata.sqlite';
    const bytes = Buffer.concat(await (encrypt ? await encrypt(plain) : plain).toArray());
    await writeFile(join(targetDir, file), bytes);
    return { files: [file], bytes: bytes.length };
  }
}

export class MemoryLogger implements LoggerPort {
  readonly lines: string[] = [];
  debug(m: string) {
    this.lines.push(`debug ${m}`);
  }
  info(m: string) {
    this.lines.push(`info ${m}`);
  }
  warn(m: string) {
    this.lines.push(`warn ${m}`);
  }
  error(m: string) {
    this.lines.push(`error ${m}`);
  }
}

/** Real timers, with a count of the ones still armed (dispose must leave none). */
export class CountingClock implements ClockPort {
  private readonly armed = new Set<unknown>();
  constructor(private nowMs: number | null = null) {}
  now(): number {
    return this.nowMs ?? Date.now();
  }
  setTimeout(fn: (...args: unknown[]) => void, ms: number): unknown {
    const id = setTimeout(() => {
      this.armed.delete(id);
      fn();
    }, ms);
    this.armed.add(id);
    return id;
  }
  clearTimeout(id: unknown): void {
    this.armed.delete(id);
    clearTimeout(id as NodeJS.Timeout);
  }
  armedCount(): number {
    return this.armed.size;
  }
}

/** Head office's age key pair for tests (a test key, never used elsewhere): registers get the recipient, readers the identity. */
export const TEST_HEAD_OFFICE_IDENTITY = 'AGE-SECRET-KEY-1P53DCW9LH29ZSUE8XA2R2SHLEXKX4Q5MUYTPQDXSDFPSL6Z3ASRSEMDXNL';
export const TEST_HEAD_OFFICE_RECIPIENT = 'age1xp9xlytnt0vevyjnft97xf6sau0ldkxwlvk6jyd652yzn8l2m5lsgkjga4';

export const REGISTER_SETTINGS = {
  saveTransactionsForCentral: true,
  customerNumber: '10001',
  registerId: '1',
  headOfficeCustomerNumber: '10000',
  headOfficeRecipients: TEST_HEAD_OFFICE_RECIPIENT,
  masterDataBackup: false,
  backupStallSeconds: 60,
  includeTimeRecords: true,
  stickReminderSeconds: 60,
  unconfirmedResendAfterCloses: 3,
  keepConfirmedDays: 7,
  language: 'en',
};

export interface TestHost extends Host {
  display: RecordingDisplay;
  media: FolderSticks;
  backup: FileBackup;
  logger: MemoryLogger;
  clock: CountingClock;
  dir: string;
}

export async function makeTestDir(name: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `daystick-${name}-`));
}

export async function createTestHost(options: {
  dir: string;
  days: Record<BusinessDay, SyntheticDaySpec>;
  settings?: Partial<typeof REGISTER_SETTINGS>;
  apiVersion?: string;
  now?: number;
}): Promise<TestHost> {
  const { journal, timeRecording } = createSyntheticJournal({ days: options.days, seed: 7 });
  await mkdir(join(options.dir, 'storage'), { recursive: true });
  await mkdir(join(options.dir, 'sticks'), { recursive: true });
  return {
    apiVersion: options.apiVersion ?? '1.0',
    hostVersion: '1.0.0',
    settings: { ...REGISTER_SETTINGS, ...options.settings },
    display: new RecordingDisplay(),
    clock: new CountingClock(options.now ?? Date.UTC(2026, 0, 5, 20)),
    storage: { dir: join(options.dir, 'storage') },
    journal,
    timeRecording,
    backup: new FileBackup(),
    media: new FolderSticks(join(options.dir, 'sticks')),
    logger: new MemoryLogger(),
    dir: options.dir,
  };
}

export async function removeTestDir(dir: string): Promise<void> {
  // Retries ENOTEMPTY: once, in CI, a writer's late temp-file cleanup raced this teardown (note, stop 19).
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
}

/** Waits until `predicate` holds, polling; fails the test after `timeoutMs` instead of hanging. */
export async function until(predicate: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

let identityFile: string | undefined;
/** TEST_HEAD_OFFICE_IDENTITY in a 0600 file, as head office keeps it, for `--identity`. */
export function testHeadOfficeIdentityFile(): string {
  if (!identityFile) {
    identityFile = join(tmpdir(), `daystick-test-identity-${process.pid}.txt`);
    writeFileSync(identityFile, `${TEST_HEAD_OFFICE_IDENTITY}\n`, { mode: 0o600 });
  }
  return identityFile;
}
