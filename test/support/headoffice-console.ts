import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { cp, mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { writeDayPackage } from '../../src/export/index.js';
import { DAYSTICK_BIN } from './shell-session.js';
import { createSyntheticJournal } from './synthetic-journal.js';

// `daystick headoffice` in a child process and real packages for it, shared by the console's HTTP and browser tests.

export const REGISTER = { customerNumber: '40123', registerId: '9' };
export const FOLDER = '40123-9';
/** Three days sent, 20260212 never: a day gap, and Z numbers 1, 2, 4 (Z 3 missing). */
export const SENT = [
  { day: '20260210', z: 1 },
  { day: '20260211', z: 2 },
  { day: '20260213', z: 4 },
] as const;
export const RANGE = 'from=20260209&to=20260214';

export async function writePackages(
  work: string,
  target: string,
  days: readonly { day: string; z: number; kind?: 'day-close' | 're-send' }[],
  seed = 5,
): Promise<void> {
  const spec = Object.fromEntries(days.map((d) => [d.day, { receipts: 30, timeRecords: 2, badRecords: d.day === SENT[0].day ? 3 : 0 }]));
  const synthetic = createSyntheticJournal({ days: spec, seed });
  await mkdir(target, { recursive: true });
  for (const d of days) {
    await writeDayPackage({
      stickPath: target,
      identity: REGISTER,
      businessDay: d.day as never,
      closingNumber: d.z,
      kind: d.kind ?? 'day-close',
      includeTimeRecords: true,
      journal: synthetic.journal,
      timeRecording: synthetic.timeRecording,
      keyDir: join(work, 'register-keys'),
      now: () => Date.UTC(Number(d.day.slice(0, 4)), Number(d.day.slice(4, 6)) - 1, Number(d.day.slice(6, 8)), 20),
      signal: new AbortController().signal,
    });
  }
}

/** A stick as it really appears: copied beside the root, then moved in at once with its files already on it. */
export async function insertStick(work: string, from: string, sticks: string, label: string): Promise<void> {
  await cp(from, join(work, label), { recursive: true });
  await rename(join(work, label), join(sticks, label));
}

export class HeadOffice {
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  constructor(readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      this.stdout += c;
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      this.stderr += c;
    });
    this.exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));
  }
  static start(args: string[], cwd: string): HeadOffice {
    return new HeadOffice(spawn(process.execPath, [DAYSTICK_BIN, 'headoffice', ...args], { cwd, stdio: ['pipe', 'pipe', 'pipe'] }));
  }
  async waitFor(text: string | RegExp, count = 1): Promise<void> {
    const start = Date.now();
    const seen = () => (typeof text === 'string' ? this.stdout.split(text).length - 1 : (this.stdout.match(new RegExp(text, 'g')) ?? []).length);
    while (seen() < count) {
      if (Date.now() - start > 30_000) throw new Error(`no "${text}" within 30 s; stdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  url(): string {
    const m = /head-office console: (http:\/\/\S+\/)/.exec(this.stdout);
    if (!m) throw new Error(`no console address; stdout:\n${this.stdout}`);
    return m[1]!;
  }
  async stop(): Promise<number | null> {
    this.child.kill('SIGTERM');
    return this.exited;
  }
}

