import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { applyJournalSchema } from '../src/journal/journal-schema.js';
import { RegisterClosings } from '../src/journal/register-closings.js';
import { readManifest } from '../src/plugin/manifest.js';
import { parseKeyLine } from '../src/shell/key-parser.js';
import { parseShellOptions } from '../src/shell/shell-options.js';
import { buildShellSettings, readSettingsFile } from '../src/shell/shell-settings.js';
import { parseYesNo } from '../src/shell/terminal-display.js';

describe('keypad lines', () => {
  it.each([
    ['close', null, { kind: 'close', day: null }],
    ['  CLOSE  20260105 ', null, { kind: 'close', day: '20260105' }],
    ['close 20230229', null, { kind: 'bad-date', input: '20230229', problem: 'impossible-date' }],
    ['close 2026', null, { kind: 'bad-date', input: '2026', problem: 'wrong-length' }],
    ['20120123 reports', null, { kind: 'plugin-command', key: 'REPORTS', digits: '20120123' }],
    ['2012x123 REPORTS', null, { kind: 'plugin-command', key: 'REPORTS', digits: '2012x123' }],
    ['20120123', null, { kind: 'digits', digits: '20120123' }],
    ['reports', '20120123', { kind: 'plugin-command', key: 'REPORTS', digits: '20120123' }],
    ['reports', null, { kind: 'plugin-command', key: 'REPORTS', digits: '' }],
    ['queue', null, { kind: 'plugin-command', key: 'DAYSTICK_QUEUE', digits: '' }],
    ['unqueue 20120123', null, { kind: 'plugin-command', key: 'DAYSTICK_UNQUEUE', digits: '20120123' }],
    ['unqueue', '20120123', { kind: 'plugin-command', key: 'DAYSTICK_UNQUEUE', digits: '20120123' }],
    ['unqueue 20121340', null, { kind: 'bad-date', input: '20121340', problem: 'impossible-date' }],
    ['status', null, { kind: 'status' }],
    ['help', null, { kind: 'help' }],
    ['quit', null, { kind: 'quit' }],
    ['cancel', null, { kind: 'cancel' }],
    ['Abbrechen', null, { kind: 'cancel' }],
    ['cancel close', null, { kind: 'unknown', input: 'cancel close' }],
    ['', null, { kind: 'empty' }],
    ['status now', null, { kind: 'unknown', input: 'status now' }],
    ['sell 3 pretzels', null, { kind: 'unknown', input: 'sell 3 pretzels' }],
  ])('%j (pending digits %j)', (line, pending, expected) => {
    expect(parseKeyLine(line, pending)).toEqual(expected);
  });

  it.each([
    ['y', true],
    ['YES', true],
    [' j ', true],
    ['Ja', true],
    ['n', false],
    ['no', false],
    ['NEIN', false],
    ['maybe', null],
    ['', null],
  ])('answer %j reads as %j', (answer, expected) => {
    expect(parseYesNo(answer)).toBe(expected);
  });
});

describe('shell options', () => {
  it('resolves paths against the current folder and repeats --stick-root', () => {
    const o = parseShellOptions(
      ['--stick-root', 'a', '--stick-root', '/b', '--wait-stick', '1.5', '--backup', 'off'],
      '/srv/reg',
    );
    expect(o).toEqual({
      journal: '/srv/reg/.daystick/journal.sqlite',
      data: '/srv/reg/.daystick/data',
      stickRoots: ['/srv/reg/a', '/b'],
      backup: false,
      waitStickSeconds: 1.5,
      lang: null,
      help: false,
    });
  });

  it.each([
    [['--backup', 'maybe'], /--backup must be "on" or "off"/],
    [['--lang', 'fr'], /--lang must be "en" or "de"/],
    [['--wait-stick', 'soon'], /--wait-stick must be a number of seconds/],
    [['--stick-root', ''], /--stick-root must not be empty/],
    [['--colour'], /colour/],
  ])('refuses %j by name', (args, message) => {
    expect(() => parseShellOptions(args, '/srv')).toThrow(message);
  });
});

describe('shell settings', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'daystick-settings-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('layers manifest defaults, demo register, settings file and command line', async () => {
    const manifest = await readManifest('plugin.manifest.json');
    writeFileSync(join(dir, 'settings.json'), JSON.stringify({ customerNumber: '20002', language: 'de' }));
    const settings = buildShellSettings(manifest, await readSettingsFile(manifest, dir), { backup: false, lang: null });
    expect(settings).toMatchObject({
      saveTransactionsForCentral: true,
      customerNumber: '20002',
      headOfficeCustomerNumber: '10000',
      masterDataBackup: false,
      language: 'de',
      stickReminderSeconds: 60,
    });
    expect(buildShellSettings(manifest, {}, { backup: null, lang: 'en' }).language).toBe('en');
  });

  it.each([
    ['{"customerNumber": 20002}', /customerNumber/],
    ['{"colour": "red"}', /unknown setting\(s\) colour/],
    ['{"language": "fr"}', /language/],
    ['not json', /is not JSON/],
  ])('refuses a settings file %s by name', async (text, message) => {
    const manifest = await readManifest('plugin.manifest.json');
    writeFileSync(join(dir, 'settings.json'), text);
    await expect(readSettingsFile(manifest, dir)).rejects.toThrow(message);
  });
});

describe('register closings', () => {
  let db: Database.Database;
  let closings: RegisterClosings;
  beforeEach(() => {
    db = new Database(':memory:');
    applyJournalSchema(db);
    const receipt = db.prepare('INSERT INTO F_RECEIPT (receipt_id, business_day) VALUES (?, ?)');
    receipt.run('r1', '20260103');
    receipt.run('r2', '20260104');
    closings = new RegisterClosings(db);
  });
  afterEach(() => db.close());

  it('closes the first booked day without a closing, then the next, then today', () => {
    expect(closings.openDay('20260110')).toBe('20260103');
    expect(closings.record('20260103', '20260110', 'x').zNumber).toBe(1);
    expect(closings.openDay('20260110')).toBe('20260104');
    expect(closings.record('20260104', '20260110', 'x').zNumber).toBe(2);
    expect(closings.openDay('20260110')).toBe('20260110');
    expect(closings.last()).toMatchObject({ zNumber: 2, businessDay: '20260104' });
  });

  it('refuses a day already closed, a day before the last closing and a day not begun, writing nothing', () => {
    closings.record('20260104', '20260110', 'x');
    expect(() => closings.record('20260104', '20260110', 'x')).toThrow(/already closed \(Z 1/);
    expect(() => closings.record('20260103', '20260110', 'x')).toThrow(/before the last closing/);
    expect(() => closings.record('20260111', '20260110', 'x')).toThrow(/has not begun yet/);
    expect(db.prepare('SELECT COUNT(*) FROM F_CLOSING').pluck().get()).toBe(1);
  });
});
