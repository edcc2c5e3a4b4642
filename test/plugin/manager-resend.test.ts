import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { activate } from '../../src/plugin/activate.js';
import { createTestHost, makeTestDir, removeTestDir, type TestHost } from '../support/test-host.js';
import { manifestsOn } from './plugin-helpers.js';

type M = { businessDay: string; kind: string; includesTimeRecords: boolean; entries: { name: string; sha256: string }[] };

// The register clock stands at 2026-01-05 20:00 UTC; the journal holds 2026-01-02 .. 2026-01-05, 2026-01-03 empty.
const DAYS = {
  '20260102': { receipts: 12 },
  '20260103': { receipts: 0, stockPostings: 0, timeRecords: 0 },
  '20260104': { receipts: 25 },
  '20260105': { receipts: 30 },
};

describe('manager command: YYYYMMDD + REPORTS re-queues a day', () => {
  let dir: string;
  let host: TestHost;
  beforeEach(async () => {
    dir = await makeTestDir('resend');
    host = await createTestHost({ dir, days: DAYS });
  });
  afterEach(async () => removeTestDir(dir));

  test.each([
    ['2012012', 'RESEND_WRONG_LENGTH', /has 7/],
    ['201201234', 'RESEND_WRONG_LENGTH', /has 9/],
    ['2012O123', 'RESEND_NOT_DIGITS', /only digits/],
    ['20121340', 'RESEND_IMPOSSIBLE_DATE', /not a calendar date/],
    ['20230229', 'RESEND_IMPOSSIBLE_DATE', /not a calendar date/],
    ['20260106', 'RESEND_FUTURE_DATE', /in the future/],
    ['20251231', 'RESEND_BEFORE_JOURNAL', /before the first business day in the journal \(2 Jan 2026\)/],
    ['20260103', 'RESEND_NO_DATA', /no bookings and no time records/],
  ])('%s is refused with %s and queues nothing', async (digits, promptId, text) => {
    const plugin = await activate(host);
    const result = await plugin.onCommand({ key: 'REPORTS', digits });
    expect(result).toEqual({ handled: true, ok: false, promptId });
    expect(host.display.shown.at(-1)?.text).toMatch(text);
    expect(host.display.shown.at(-1)?.text).toMatch(/Nothing was queued/);
    expect(host.display.questions).toEqual([]);
    await plugin.onCommand({ key: 'DAYSTICK_QUEUE', digits: '' });
    expect(host.display.ids().at(-1)).toBe('QUEUE_EMPTY');
    await plugin.dispose();
  });

  test('a time-data question left without an answer (cancelled) queues nothing and says so', async () => {
    const plugin = await activate(host);
    host.display.answers = [];
    host.display.cancelQuestions = true;
    const r = await plugin.onCommand({ key: 'REPORTS', digits: '20260102' });
    expect(r).toEqual({ handled: true, ok: false, promptId: 'RESEND_CANCELLED' });
    expect(host.display.shown.at(-1)?.text).toBe(
      'The question was not answered: 2 Jan 2026 was not queued. Nothing was changed.',
    );
    await plugin.onCommand({ key: 'DAYSTICK_QUEUE', digits: '' });
    expect(host.display.ids().at(-1)).toBe('QUEUE_EMPTY');
    await plugin.dispose();
  });

  test('REPORTS without digits is left to the register', async () => {
    const plugin = await activate(host);
    expect(await plugin.onCommand({ key: 'REPORTS', digits: '' })).toEqual({ handled: false, ok: false, promptId: null });
    expect(host.display.shown).toEqual([]);
    await plugin.dispose();
  });

  test('a valid day asks about time data, confirms, and the queue survives a restart; entering it again updates the choice', async () => {
    let plugin = await activate(host);
    host.display.answers = [true];
    const r = await plugin.onCommand({ key: 'REPORTS', digits: '20260102' });
    expect(r).toEqual({ handled: true, ok: true, promptId: 'RESEND_QUEUED' });
    expect(host.display.questions).toEqual(['RESEND_ASK_TIME_DATA']);
    expect(host.display.shown.at(-1)?.text).toBe(
      'The data of 2 Jan 2026 will be saved to the USB stick again at the next day close (cash balance), with time-recording data.',
    );
    await plugin.dispose();

    plugin = await activate(host); // a restart: a new activation on the same storage folder
    host.display.answers = [false];
    const again = await plugin.onCommand({ key: 'REPORTS', digits: '20260102' });
    expect(again.promptId).toBe('RESEND_UPDATED');
    await plugin.onCommand({ key: 'REPORTS', digits: '20260104' });
    const state = JSON.parse(await readFile(join(host.storage.dir, 'state', 'state.json'), 'utf8'));
    expect(state.queue.map((q: { day: string; includeTimeRecords: boolean }) => [q.day, q.includeTimeRecords])).toEqual([
      ['20260102', false],
      ['20260104', true],
    ]);
    await plugin.onCommand({ key: 'DAYSTICK_QUEUE', digits: '' });
    expect(host.display.shown.slice(-2).map((p) => p.text)).toEqual([
      expect.stringMatching(/^Queued: 2 Jan 2026, time-recording data: no/),
      expect.stringMatching(/^Queued: 4 Jan 2026, time-recording data: yes/),
    ]);
    expect(await plugin.onCommand({ key: 'DAYSTICK_UNQUEUE', digits: '20260104' })).toMatchObject({ ok: true });
    expect(await plugin.onCommand({ key: 'DAYSTICK_UNQUEUE', digits: '20260104' })).toMatchObject({
      ok: false,
      promptId: 'UNQUEUE_NOT_FOUND',
    });
    await plugin.dispose();
  });

  test('without time recording in the settings the question is not asked', async () => {
    host = await createTestHost({ dir, days: DAYS, settings: { includeTimeRecords: false } });
    const plugin = await activate(host);
    expect((await plugin.onCommand({ key: 'REPORTS', digits: '20260104' })).ok).toBe(true);
    expect(host.display.questions).toEqual([]);
    await plugin.dispose();
  });

  test('queued days are written as re-send packages at the next close, with and without time data, entries equal to the originals', async () => {
    const stick = await host.media.insert('STICK1');
    let plugin = await activate(host);
    expect((await plugin.onDayClose({ businessDay: '20260102', closingNumber: 1 })).outcome).toBe('sent');
    expect((await plugin.onDayClose({ businessDay: '20260104', closingNumber: 2 })).outcome).toBe('sent');
    host.display.answers = [true, false];
    await plugin.onCommand({ key: 'REPORTS', digits: '20260102' });
    await plugin.onCommand({ key: 'REPORTS', digits: '20260104' });
    await plugin.dispose();

    plugin = await activate(host);
    const result = await plugin.onDayClose({ businessDay: '20260105', closingNumber: 3 });
    expect(result).toMatchObject({ outcome: 'sent', sentDays: ['20260102', '20260104', '20260105'] });
    await plugin.onCommand({ key: 'DAYSTICK_QUEUE', digits: '' });
    expect(host.display.ids().at(-1)).toBe('QUEUE_EMPTY');

    const manifests = (await manifestsOn(stick.mountPath)) as M[];
    const of = (day: string, kind: string) => manifests.filter((m) => m.businessDay === day && m.kind === kind);
    const hashes = (m: M) => Object.fromEntries(m.entries.map((e) => [e.name, e.sha256]));
    const [orig2] = of('20260102', 'day-close');
    const [resend2] = of('20260102', 're-send');
    expect(resend2!.includesTimeRecords).toBe(true);
    expect(hashes(resend2!)).toEqual(hashes(orig2!));
    const [orig4] = of('20260104', 'day-close');
    const [resend4] = of('20260104', 're-send');
    expect(resend4!.includesTimeRecords).toBe(false);
    const { 'time-records.ndjson': _dropped, ...orig4WithoutTime } = hashes(orig4!);
    expect(hashes(resend4!)).toEqual(orig4WithoutTime);
    await plugin.dispose();
  });

  test('a close that is cancelled leaves the queued days queued', async () => {
    const plugin = await activate(host);
    await plugin.onCommand({ key: 'REPORTS', digits: '20260102' });
    const cancel = new AbortController();
    cancel.abort();
    expect((await plugin.onDayClose({ businessDay: '20260105', closingNumber: 1 }, cancel.signal)).outcome).toBe(
      'postponed',
    );
    await plugin.onCommand({ key: 'DAYSTICK_QUEUE', digits: '' });
    expect(host.display.ids().at(-1)).toBe('QUEUE_ENTRY');
    await plugin.dispose();
  });
});
