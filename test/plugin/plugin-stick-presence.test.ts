import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Disposable, LoggerPort, RemovableMediaPort, StickInfo } from '../../src/host/ports.js';
import { createDemoJournalFile } from '../../src/journal/demo-journal.js';
import { type JournalReadReport, SqliteJournalPort } from '../../src/journal/sqlite-journal-port.js';
import { SqliteTimeRecordingPort } from '../../src/journal/sqlite-time-recording-port.js';
import { SIGNATURE_SUFFIX } from '../../src/package/layout.js';
import { activate } from '../../src/plugin/activate.js';
import { corruptReceiptPage } from '../support/corrupt-journal.js';
import { createTestHost, makeTestDir, removeTestDir, type TestHost, until } from '../support/test-host.js';
import { filesOn, manifestsOn, REGISTER_FOLDER } from './plugin-helpers.js';

/** A port that reports whatever sticks the test says, created or not: a host's bug or a stick gone meanwhile. */
class ReportedSticks implements RemovableMediaPort {
  constructor(public sticks: StickInfo[]) {}
  async list(): Promise<StickInfo[]> {
    return this.sticks;
  }
  onInserted(): Disposable {
    return { dispose: () => undefined };
  }
  onRemoved(): Disposable {
    return { dispose: () => undefined };
  }
}

/** Keeps what the plugin logs with its data, to see that raw error text goes there and only there. */
class DataLogger implements LoggerPort {
  readonly lines: string[] = [];
  private add(level: string, message: string, data?: Record<string, unknown>) {
    this.lines.push(`${level} ${message} ${data ? JSON.stringify(data) : ''}`);
  }
  debug(m: string, d?: Record<string, unknown>) {
    this.add('debug', m, d);
  }
  info(m: string, d?: Record<string, unknown>) {
    this.add('info', m, d);
  }
  warn(m: string, d?: Record<string, unknown>) {
    this.add('warn', m, d);
  }
  error(m: string, d?: Record<string, unknown>) {
    this.add('error', m, d);
  }
}

const statusText = async (plugin: Awaited<ReturnType<typeof activate>>, host: TestHost) => {
  await plugin.onCommand({ key: 'DAYSTICK_STATUS', digits: '' });
  return host.display.shown.at(-1)?.text ?? '';
};

describe('the plugin writes only onto a stick that is really there', () => {
  let dir: string;
  let host: TestHost;
  beforeEach(async () => {
    dir = await makeTestDir('presence');
    host = await createTestHost({ dir, days: { '20260105': { receipts: 40 } } });
  });
  afterEach(async () => removeTestDir(dir));

  test('a port reporting a path that does not exist: stick pulled, nothing created, the day pending', async () => {
    const ghost = join(dir, 'sticks', 'GONE');
    const media = new ReportedSticks([
      { id: 'ghost', mountPath: ghost, label: 'GONE', fsType: 'vfat', readOnly: false, freeBytes: 1e9 },
    ]);
    const plugin = await activate({ ...host, media });
    try {
      const cancel = new AbortController();
      const closing = plugin.onDayClose({ businessDay: '20260105', closingNumber: 1 }, cancel.signal);
      // Still listed, the vanished stick is not taken again: the cashier is asked for one.
      await until(() => host.display.ids().includes('INSERT_STICK'), 10_000, 'insert prompt');
      cancel.abort();
      expect(await closing).toMatchObject({ outcome: 'postponed', sentDays: [], pendingDays: ['20260105'] });
      expect(host.display.ids()).toEqual(['PLAN_DAYS', 'STICK_USED', 'STICK_PULLED', 'INSERT_STICK', 'POSTPONED']);
      expect(host.display.shown.find((p) => p.id === 'STICK_PULLED')?.text).toBe(
        'The USB stick was removed while the data of 5 Jan 2026 was being written. That day was not saved. Please insert the stick again: the day is written again from the start.',
      );
      expect(existsSync(ghost)).toBe(false);
      expect(await readdir(join(dir, 'sticks'))).toEqual([]);
      expect(await statusText(plugin, host)).toMatch(/^5 Jan 2026: pending/);
    } finally {
      await plugin.dispose();
    }
  });

  test('a port whose device id no longer matches the path (an unmounted stick’s folder): stick pulled, nothing made there', async () => {
    const folder = join(dir, 'sticks', 'LEFT');
    const media = new ReportedSticks([]);
    const plugin = await activate({ ...host, media });
    try {
      const real = await host.media.insert('LEFT');
      // What the port listed was another file system at this path: the stick, before it was unmounted.
      media.sticks = [{ ...real, id: 'mount:99:LEFT', deviceId: 0xdead }];
      const cancel = new AbortController();
      const closing = plugin.onDayClose({ businessDay: '20260105', closingNumber: 1 }, cancel.signal);
      await until(() => host.display.ids().includes('INSERT_STICK'), 10_000, 'insert prompt');
      cancel.abort();
      expect(await closing).toMatchObject({ outcome: 'postponed', pendingDays: ['20260105'] });
      expect(host.display.ids()).toContain('STICK_PULLED');
      expect(await readdir(folder)).toEqual([]);
    } finally {
      await plugin.dispose();
    }
  });

  test('the port stops listing the stick just before the commit: no manifest, stick pulled, the day pending', async () => {
    const stick = await host.media.insert('STICK1');
    const folder = join(stick.mountPath, REGISTER_FOLDER);
    const media = new ReportedSticks([stick]);
    // The mount entry goes once the signature is on the stick, i.e. between it and the manifest's rename.
    media.list = async () => ((await filesOn(stick.mountPath)).some((f) => f.endsWith(SIGNATURE_SUFFIX)) ? [] : [stick]);
    const plugin = await activate({ ...host, media });
    try {
      const cancel = new AbortController();
      const closing = plugin.onDayClose({ businessDay: '20260105', closingNumber: 1 }, cancel.signal);
      await until(() => host.display.ids().includes('STICK_PULLED'), 10_000, 'removal prompt');
      cancel.abort();
      expect(await closing).toMatchObject({ outcome: 'postponed', sentDays: [], pendingDays: ['20260105'] });
      expect(host.display.ids()).not.toContain('DAY_WRITTEN');
      expect(await manifestsOn(stick.mountPath)).toEqual([]);
      expect(await readdir(folder)).toEqual(['register.pub']);
      expect(await statusText(plugin, host)).toMatch(/^5 Jan 2026: pending/);
    } finally {
      await plugin.dispose();
    }
  });
});

describe('a cancelled close hands control back only once its host work has ended', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await makeTestDir('in-flight');
  });
  afterEach(async () => removeTestDir(dir));

  test('cancelled while the stick check reads the journal: the close resolves after that read, not before', async () => {
    const host = await createTestHost({ dir, days: { '20260105': { receipts: 40 } } });
    const order: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const summary = host.journal.summary.bind(host.journal);
    let calls = 0;
    // The first read is the plan's count (this journal has no booked-days list); the second is the stick check's estimate.
    host.journal.summary = async (day) => {
      if (++calls === 1) return summary(day);
      order.push('summary started');
      await gate;
      order.push('summary finished');
      return summary(day);
    };
    await host.media.insert('STICK1');
    const plugin = await activate(host);
    try {
      const cancel = new AbortController();
      const closing = plugin.onDayClose({ businessDay: '20260105', closingNumber: 1 }, cancel.signal).then((r) => {
        order.push('close resolved');
        return r;
      });
      await until(() => order.includes('summary started'), 10_000, 'the stick check reading the journal');
      cancel.abort();
      // Time for a close that does not wait to resolve; it must not.
      await new Promise((r) => setTimeout(r, 200));
      expect(order).toEqual(['summary started']);
      release();
      expect(await closing).toMatchObject({ outcome: 'postponed', sentDays: [], pendingDays: ['20260105'] });
      expect(order).toEqual(['summary started', 'summary finished', 'close resolved']);
    } finally {
      release();
      await plugin.dispose();
    }
  });

  test('cancelled while planning: the day the planner marked pending is reported pending, not "nothing pending"', async () => {
    const host = await createTestHost({ dir, days: { '20260105': { receipts: 40 } } });
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let planning = false;
    const summary = host.journal.summary.bind(host.journal);
    // This journal has no booked-days list, so the plan counts each day by its summary, after marking it pending.
    host.journal.summary = async (day) => {
      planning = true;
      await gate;
      return summary(day);
    };
    await host.media.insert('STICK1');
    const plugin = await activate(host);
    try {
      const cancel = new AbortController();
      const closing = plugin.onDayClose({ businessDay: '20260105', closingNumber: 1 }, cancel.signal);
      await until(() => planning, 10_000, 'the plan counting the day');
      cancel.abort();
      setTimeout(release, 100);
      expect(await closing).toMatchObject({ outcome: 'postponed', sentDays: [], pendingDays: ['20260105'] });
      expect(await statusText(plugin, host)).toMatch(/^5 Jan 2026: pending/);
    } finally {
      release();
      await plugin.dispose();
    }
  });
});

describe('a journal that cannot be read is the register’s problem, not the stick’s', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await makeTestDir('journal-fails');
  });
  afterEach(async () => removeTestDir(dir));

  for (const language of ['en', 'de'] as const) {
    test(`a real SQLite journal damaged where the export reads (${language}): its own prompt, failed at once, nothing on the stick`, async () => {
      const file = join(dir, 'journal.sqlite');
      await createDemoJournalFile(file, {
        start: '20260105',
        days: 1,
        receiptsPerDay: 300,
        seed: 'damaged',
        badRecords: 0,
        closedDays: 0,
      });
      corruptReceiptPage(file);
      const db = new Database(file, { fileMustExist: true });
      const reads: JournalReadReport[] = [];
      const base = await createTestHost({ dir, days: {}, settings: { language } });
      const logger = new DataLogger();
      const host: TestHost = {
        ...base,
        logger: logger as unknown as TestHost['logger'],
        journal: new SqliteJournalPort(db, { onRead: (r) => reads.push(r) }),
        timeRecording: new SqliteTimeRecordingPort(db),
      };
      const stick = await host.media.insert('STICK1');
      const plugin = await activate(host);
      try {
        const result = await plugin.onDayClose({ businessDay: '20260105', closingNumber: 5 });
        expect(result).toEqual({
          outcome: 'failed',
          sentDays: [],
          pendingDays: ['20260105'],
          finalPromptId: 'JOURNAL_READ_FAILED',
        });
        // Read part of the day, then the damaged page: a failure mid-read, not at the start.
        const receipts = reads.find((r) => r.stream === 'receipts' && r.day === '20260105');
        expect(receipts?.complete).toBe(false);
        expect(receipts?.records).toBeGreaterThan(0);
        expect(host.display.ids()).toEqual(['PLAN_DAYS', 'STICK_USED', 'JOURNAL_READ_FAILED']);
        const shown = host.display.shown.at(-1)!;
        expect(shown.text).toBe(
          language === 'en'
            ? "The register's journal could not be read while the data of 5 Jan 2026 was being written. This is a fault of the register, not of the USB stick: nothing was saved on the stick, and the days stay pending for the next day close. Please tell support: journal damaged."
            : 'Das Journal der Kasse konnte beim Schreiben der Daten vom 05.01.2026 nicht gelesen werden. Das ist ein Fehler der Kasse, nicht des USB-Sticks: Auf dem Stick wurde nichts gespeichert, und die Tage bleiben für den nächsten Tagesabschluss vorgemerkt. Bitte melden Sie dem Support: Journal beschädigt.',
        );
        expect(shown.text).not.toMatch(/malformed|SQLITE/);
        expect(logger.lines.some((l) => l.includes('database disk image is malformed'))).toBe(true);
        // Nothing half-written: no package, no temporary file; only the register's public key.
        expect(await readdir(join(stick.mountPath, REGISTER_FOLDER))).toEqual(['register.pub']);
        expect(await statusText(plugin, host)).toMatch(/5 Jan 2026|05\.01\.2026/);
      } finally {
        await plugin.dispose();
        db.close();
      }
    });
  }
});
