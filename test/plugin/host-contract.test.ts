import { TEST_HEAD_OFFICE_RECIPIENT } from '../support/test-host.js';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { BusinessDayError } from '../../src/host/business-day.js';
import { HostRequestError } from '../../src/host/host-request-error.js';
import type { LoggerPort } from '../../src/host/ports.js';
import { createDemoJournalFile } from '../../src/journal/demo-journal.js';
import { openJournalDatabase } from '../../src/journal/open-journal.js';
import { SqliteJournalPort } from '../../src/journal/sqlite-journal-port.js';
import { SqliteTimeRecordingPort } from '../../src/journal/sqlite-time-recording-port.js';
import { activate } from '../../src/plugin/activate.js';
import {
  checkedTimeRecording,
  JOURNAL_SUMMARY_MISMATCH,
  TIME_RECORD_COUNT_MISMATCH,
} from '../../src/plugin/journal-summary-check.js';
import { manifestDefaults, readManifest } from '../../src/plugin/manifest.js';
import { parseSettings, SettingsError, SettingsSchema } from '../../src/settings/settings.js';
import { createTestHost, makeTestDir, removeTestDir } from '../support/test-host.js';
import { manifestsOn } from './plugin-helpers.js';

const MANIFEST = fileURLToPath(new URL('../../plugin.manifest.json', import.meta.url));

/** The error a call rejected with, so a test can look at its class and fields rather than only its text. */
async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to be refused');
}

describe('settings from the manifest', () => {
  test('a host passing only some settings gets the manifest defaults for the rest', async () => {
    const manifest = await readManifest(MANIFEST);
    const given = {
      saveTransactionsForCentral: true,
      customerNumber: '10001',
      headOfficeCustomerNumber: '10000',
      headOfficeRecipients: TEST_HEAD_OFFICE_RECIPIENT,
    };
    expect(parseSettings(given, manifestDefaults(manifest))).toEqual({
      ...given,
      registerId: '1',
      masterDataBackup: true,
      backupStallSeconds: 60,
      includeTimeRecords: true,
      stickReminderSeconds: 60,
      unconfirmedResendAfterCloses: 3,
      keepConfirmedDays: 7,
      language: 'en',
    });
    // A host with nothing stored yet: the plugin is loaded and off, as the manifest's default says.
    expect(parseSettings(undefined, manifestDefaults(manifest)).saveTransactionsForCentral).toBe(false);
    // Undefined is "not stored"; a stored wrong value (null here) is refused by name, never replaced.
    expect(parseSettings({ ...given, language: undefined }, manifestDefaults(manifest)).language).toBe('en');
    const refused = (() => {
      try {
        parseSettings({ ...given, stickReminderSeconds: null }, manifestDefaults(manifest));
      } catch (err) {
        return err;
      }
    })();
    expect(refused).toBeInstanceOf(SettingsError);
    expect((refused as SettingsError).fields).toEqual([expect.stringMatching(/^stickReminderSeconds: /)]);
  });

  test('activate fills the settings a host leaves out and closes a day with them', async () => {
    const dir = await makeTestDir('contract-defaults');
    try {
      const host = await createTestHost({ dir, days: { '20260105': { receipts: 3 } } });
      const partial = {
        saveTransactionsForCentral: true,
        customerNumber: '10002',
        headOfficeCustomerNumber: '10000',
        headOfficeRecipients: TEST_HEAD_OFFICE_RECIPIENT,
      };
      const plugin = await activate({ ...host, settings: partial });
      await host.media.insert('STICK1');
      const result = await plugin.onDayClose({ businessDay: '20260105', closingNumber: 1 });
      await plugin.dispose();
      expect(result.outcome).toBe('sent');
      // registerId "1" from the manifest names the folder; the backup (default on) ran.
      expect(host.backup.runs).toBe(1);
      const registerDir = join(host.media.root, 'STICK1', 'DAYSTICK', '10002-1');
      const manifestName = (await readdir(registerDir)).find((n) => n.endsWith('.manifest.json'))!;
      const folder = JSON.parse(await readFile(join(registerDir, manifestName), 'utf8'));
      expect(folder).toMatchObject({ customerNumber: '10002', registerId: '1', formatVersion: 2 });
    } finally {
      await removeTestDir(dir);
    }
  });

  test('the manifest declares every range and pattern the settings schema enforces, and nothing else', async () => {
    const manifest = await readManifest(MANIFEST);
    const json = z.toJSONSchema(SettingsSchema) as { properties: Record<string, Record<string, unknown>> };
    expect(Object.keys(manifest.settings).sort()).toEqual(Object.keys(json.properties).sort());
    for (const [key, declared] of Object.entries(manifest.settings)) {
      const prop = json.properties[key]!;
      // A nullable setting is `anyOf: [the value, null]` in JSON Schema.
      // (zod writes a plain nullable string as `type: ["string", "null"]`).
      const plain: Record<string, unknown> = Array.isArray(prop.type)
        ? { ...prop, type: (prop.type as string[]).find((t) => t !== 'null') }
        : prop;
      const value = (prop.anyOf as Record<string, unknown>[] | undefined)?.find((p) => p.type !== 'null') ?? plain;
      const expected: Record<string, unknown> = { key };
      const found: Record<string, unknown> = { key };
      if (declared.type === 'integer') {
        Object.assign(expected, { type: 'integer', min: value.minimum, max: value.maximum });
        Object.assign(found, { type: value.type, min: declared.min, max: declared.max });
      } else if (declared.type === 'string') {
        Object.assign(expected, { type: 'string', pattern: value.pattern });
        Object.assign(found, { type: value.type, pattern: declared.pattern });
      } else if (declared.type === 'enum') {
        Object.assign(expected, { values: value.enum });
        Object.assign(found, { values: declared.values });
      } else {
        Object.assign(expected, { type: 'boolean' });
        Object.assign(found, { type: value.type });
      }
      expect(found).toEqual(expected);
    }
    // Every declared default is one the plugin accepts.
    expect(() => parseSettings(manifestDefaults(manifest))).not.toThrow();
  });
});

describe('requests from the host', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await makeTestDir('contract-requests');
  });
  afterEach(async () => removeTestDir(dir));

  test('a bad business day is a BusinessDayError with its problem, a bad request a HostRequestError by field; nothing changes', async () => {
    const host = await createTestHost({ dir, days: { '20260105': { receipts: 3 } } });
    const plugin = await activate(host);
    await host.media.insert('STICK1');
    const stateFile = join(host.storage.dir, 'state', 'state.json');
    const stateBefore = await readFile(stateFile, 'utf8').catch(() => null);

    const cases: [unknown, string, Record<string, unknown>][] = [
      [
        { businessDay: '2026-01-05', closingNumber: 1 },
        'BusinessDayError',
        { problem: 'not-digits', input: '2026-01-05' },
      ],
      [{ businessDay: '20260230', closingNumber: 1 }, 'BusinessDayError', { problem: 'impossible-date' }],
      [{ businessDay: '2026015', closingNumber: 1 }, 'BusinessDayError', { problem: 'wrong-length' }],
      [
        { businessDay: '20260105', closingNumber: -1 },
        'HostRequestError',
        { call: 'onDayClose', problem: 'invalid-request', fields: [expect.stringMatching(/^closingNumber: /)] },
      ],
      [
        { businessDay: 20260105, closingNumber: 1.5, zNumber: 3 },
        'HostRequestError',
        {
          fields: [
            expect.stringMatching(/^businessDay: .*string/),
            expect.stringMatching(/^closingNumber: .*int/),
            'zNumber: not part of the request',
          ],
        },
      ],
      [null, 'HostRequestError', { fields: [expect.stringMatching(/^\(request\): /)] }],
    ];
    for (const [request, name, fields] of cases) {
      const err = await rejection(plugin.onDayClose(request as never));
      expect({ name: err.name, ...fields }).toEqual({ name, ...fields });
      expect(err).toBeInstanceOf(name === 'BusinessDayError' ? BusinessDayError : HostRequestError);
      // Never zod's JSON dump of issues.
      expect(err.message).not.toMatch(/"code"|\[\s*\{/);
    }
    const command = await rejection(plugin.onCommand({ key: 'REPORTS', digits: 20260105 } as never));
    expect(command).toBeInstanceOf(HostRequestError);
    expect((command as HostRequestError).fields).toEqual([expect.stringMatching(/^digits: /)]);

    expect(host.display.shown).toEqual([]);
    expect(await manifestsOn(join(host.media.root, 'STICK1'))).toEqual([]);
    expect(await readFile(stateFile, 'utf8').catch(() => null)).toBe(stateBefore);
    await plugin.dispose();
    const late = await rejection(plugin.onDayClose({ businessDay: '20260105', closingNumber: 1 }));
    expect(late).toMatchObject({ name: 'HostRequestError', problem: 'disposed' });
  });

  test('the plugin switched off refuses a bad request the same way', async () => {
    const host = await createTestHost({
      dir,
      days: {},
      settings: { saveTransactionsForCentral: false, customerNumber: null as never },
    });
    const plugin = await activate(host);
    await expect(plugin.onDayClose({ businessDay: '202601', closingNumber: 1 })).rejects.toBeInstanceOf(
      BusinessDayError,
    );
    await expect(plugin.onCommand({ key: 7 } as never)).rejects.toBeInstanceOf(HostRequestError);
    await plugin.dispose();
  });
});

describe('a journal whose summary disagrees with its records', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await makeTestDir('contract-summary');
  });
  afterEach(async () => removeTestDir(dir));

  interface Logged {
    level: string;
    message: string;
    data?: Record<string, unknown>;
  }
  const recordingLogger = (into: Logged[]): LoggerPort => ({
    debug: (message, data) => into.push({ level: 'debug', message, ...(data ? { data } : {}) }),
    info: (message, data) => into.push({ level: 'info', message, ...(data ? { data } : {}) }),
    warn: (message, data) => into.push({ level: 'warn', message, ...(data ? { data } : {}) }),
    error: (message, data) => into.push({ level: 'error', message, ...(data ? { data } : {}) }),
  });

  /**
   * A real SQLite journal where a sale lands between the count and the stream: another connection commits one
   * receipt (a line, a payment) right before the plugin reads the day's receipts, so summary() said one less.
   */
  async function closeWithSqliteJournal(lateSale: boolean) {
    const path = join(dir, 'journal.sqlite');
    await createDemoJournalFile(path, {
      start: '20260105',
      days: 1,
      receiptsPerDay: 12,
      seed: 'summary',
      badRecords: 0,
      closedDays: 0,
    });
    const db = openJournalDatabase(path, { readonly: false });
    const till = new Database(path);
    let sold = false;
    class LateSaleJournal extends SqliteJournalPort {
      override receipts(day: string, signal?: AbortSignal): AsyncIterable<unknown> {
        if (lateSale && !sold && day === '20260105') {
          sold = true;
          till.exec(`INSERT INTO F_RECEIPT (receipt_id, receipt_no, business_day, opened_at, closed_at, cashier_id, kind, currency, gross_minor)
              SELECT 'LATE-1', 9999, business_day, opened_at, closed_at, cashier_id, kind,
              currency, gross_minor FROM F_RECEIPT WHERE business_day = '20260105' LIMIT 1;
            INSERT INTO F_RECEIPT_LINE VALUES ('LATE-1', 1, 'A1', 'late sale', 1000, 100, 100, 'V1', 1900, 0);
            INSERT INTO F_PAYMENT VALUES ('LATE-1', 1, 'CASH', 'Cash', 100);`);
        }
        return super.receipts(day, signal);
      }
    }
    const logged: Logged[] = [];
    const base = await createTestHost({ dir, days: {} });
    const host = {
      ...base,
      journal: new LateSaleJournal(db),
      timeRecording: new SqliteTimeRecordingPort(db),
      logger: recordingLogger(logged),
    };
    try {
      const plugin = await activate(host);
      await base.media.insert('STICK1');
      const result = await plugin.onDayClose({ businessDay: '20260105', closingNumber: 1 });
      await plugin.dispose();
      return { result, warnings: logged.filter((l) => l.level === 'warn') };
    } finally {
      till.close();
      db.close();
    }
  }

  test('is warned about by name, with the day, the stream and both counts', async () => {
    const { result, warnings } = await closeWithSqliteJournal(true);
    expect(result.outcome).toBe('sent');
    const mismatch = warnings.filter((w) => w.data?.warning === JOURNAL_SUMMARY_MISMATCH);
    expect(mismatch).toHaveLength(1);
    expect(mismatch[0]!.message).toMatch(/^JOURNAL_SUMMARY_MISMATCH: .*20260105/);
    expect(mismatch[0]!.data).toMatchObject({
      day: '20260105',
      stream: 'receipts',
      fields: ['receipts', 'receiptLines', 'payments'],
      counted: { receipts: 12 },
      streamed: { receipts: 13 },
    });
  });

  test('an honest summary gives no such warning', async () => {
    const { result, warnings } = await closeWithSqliteJournal(false);
    expect(result.outcome).toBe('sent');
    expect(warnings.map((w) => w.message)).toEqual([]);
  });

  test('a time-recording count that disagrees with its records is warned about by its own name', async () => {
    const path = join(dir, 'journal.sqlite');
    await createDemoJournalFile(path, {
      start: '20260105',
      days: 1,
      receiptsPerDay: 3,
      seed: 'time',
      badRecords: 0,
      closedDays: 0,
    });
    const db = openJournalDatabase(path, { readonly: false });
    try {
      const logged: Logged[] = [];
      const port = checkedTimeRecording(new SqliteTimeRecordingPort(db), recordingLogger(logged));
      const counted = await port.count('20260105');
      // A clock-out booked after the count, through another connection: the stream now holds one more.
      const till = new Database(path);
      till.exec(
        `INSERT INTO F_TIME_RECORD VALUES ('LATE-T', '20260105', 'E1', 'clock-out', '2026-01-05T23:59:00+01:00')`,
      );
      till.close();
      let streamed = 0;
      for await (const _ of port.records('20260105')) streamed++;
      expect(streamed).toBe(counted + 1);
      expect(logged.filter((l) => l.level === 'warn').map((l) => l.data)).toEqual([
        {
          warning: TIME_RECORD_COUNT_MISMATCH,
          day: '20260105',
          stream: 'time-records',
          fields: ['timeRecords'],
          counted: { timeRecords: counted },
          streamed: { timeRecords: counted + 1 },
        },
      ]);
      // A stream stopped early says nothing: its count means nothing.
      logged.length = 0;
      await port.count('20260105');
      for await (const _ of port.records('20260105')) break;
      expect(logged).toEqual([]);
    } finally {
      db.close();
    }
  });
});
