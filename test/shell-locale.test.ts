import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDemoJournalFile } from '../src/journal/demo-journal.js';
import { PROMPTS, type PromptId } from '../src/prompts/catalog.js';
import { fillTemplate, renderPrompt, showDay, showDays, showInstant } from '../src/prompts/render.js';
import { killLiveShells, ShellSession } from './support/shell-session.js';

/** English words that must never reach a German screen (typed keys like `close` are the cashier's own input). */
const ENGLISH =
  /\b(the|is|not|no|was|were|of|and|or|to|has|have|day|days|postponed|sent|failed|pending|queued|please|receipts?|bookings?|attempts?|nothing|command|error|unknown)\b|\bstick\b/;
const ISO_INSTANT = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}|\d{2}:\d{2}(:\d{2})?(\.\d+)?Z\b/;
const ISO_DAY = /\b\d{4}-\d{2}-\d{2}\b/;

/** Screen text without the `[PROMPT_ID]` prefixes, the typed inputs it echoes, and the folder paths. */
function screenText(stdout: string, typed: readonly string[], dir: string): string {
  let text = stdout
    .replace(/^\[[A-Z0-9_:]+\] /gm, '')
    .split(dir)
    .join('');
  for (const t of typed) text = text.split(t).join('');
  return text;
}

describe('daystick shell --lang de: every word German, every date local', () => {
  let dir: string;
  const long = 'x'.repeat(5000);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'daystick-locale-'));
    await createDemoJournalFile(join(dir, 'journal.sqlite'), {
      start: '20260101',
      days: 5,
      receiptsPerDay: 10,
      seed: 'locale',
      badRecords: 0,
      closedDays: 4,
    });
    await createDemoJournalFile(join(dir, 'journal-en.sqlite'), {
      start: '20260101',
      days: 5,
      receiptsPerDay: 10,
      seed: 'locale',
      badRecords: 0,
      closedDays: 4,
    });
    mkdirSync(join(dir, 'sticks', 'S1'), { recursive: true });
  });
  afterEach(() => killLiveShells());
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a whole session in German: close, status, help, refusals, a 5,000-character line, reports, queue and unqueue', async () => {
    // What the refusals echo of the typed lines.
    const typed = ['"2026"', '"abc"', '20230229'];
    const lines = [
      'help',
      'status',
      'close',
      'status',
      'close',
      'close 2026',
      'close abc',
      'close 20230229',
      long,
      '20260103 reports',
      'ja',
      'queue',
      'status',
      'unqueue 20260103',
      'unqueue 20260104',
      'unqueue',
      'quit',
    ];
    const session = ShellSession.start(
      [
        '--lang',
        'de',
        '--journal',
        'journal.sqlite',
        '--data',
        'data',
        '--stick-root',
        'sticks',
        '--wait-stick',
        '20',
        '--backup',
        'off',
      ],
      dir,
      { ...process.env, TZ: 'Europe/Berlin' },
    );
    session.send(...lines);
    session.end();
    const run = await session.finished(60_000);
    // The session went through every branch the test means to look at.
    for (const id of [
      'SHELL_HELP',
      'SHELL_STATUS',
      'SHELL_CLOSING',
      'PLAN_DAYS',
      'DAY_WRITTEN',
      'NOTE_2',
      'SHELL_CLOSE_RESULT',
      'STATUS_SENT',
      'SHELL_DATE_WRONG_LENGTH',
      'SHELL_DATE_NOT_DIGITS',
      'SHELL_DATE_IMPOSSIBLE',
      'SHELL_UNKNOWN_KEY',
      'QUEUE_ENTRY',
      'STATUS_QUEUED',
      'UNQUEUE_DONE',
      'UNQUEUE_NOT_FOUND',
      'SHELL_UNQUEUE_NEEDS_DAY',
      'SHELL_BYE',
    ]) {
      expect(run.promptIds).toContain(id);
    }
    const screen = screenText(run.stdout, typed, dir);
    expect(screen).not.toMatch(ENGLISH);
    expect(screen).not.toMatch(ISO_INSTANT);
    expect(screen).not.toMatch(ISO_DAY);
    // YYYYMMDD only where the cashier typed it (removed above) or as the format the cashier is to type.
    expect(screen).not.toMatch(/\b20\d{6}\b/);
    expect(run.stdout).toContain('Tagesabschluss 05.01.2026 beendet: gesendet; gesendet: 05.01.2026; offen: -.');
    expect(run.stdout).toContain('Tagesabschluss: 1 Tag wird auf den USB-Stick geschrieben: 05.01.2026');
    expect(run.stdout).toMatch(
      /\[STATUS_SENT\] 05\.01\.2026: gesendet \(Tagesabschluss\) auf Stick "S1" am \d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}, /,
    );
    expect(run.stdout).toMatch(
      /\[QUEUE_ENTRY\] Vorgemerkt: 03\.01\.2026, .* vorgemerkt am \d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}\./,
    );
    // The 5,000-character line is echoed as its first 40 characters and an ellipsis, not whole.
    expect(run.stdout).toContain(`Unbekannte Taste "${'x'.repeat(40)}…"`);
    expect(run.stdout).not.toContain('x'.repeat(41));
    expect(run.stdout).toMatch(/\[SHELL_BYE\] Kasse beendet; \d+ von \d+ Befehlen nicht erfolgreich\./);
  });

  it('in English the same dates read 5 Jan 2026 and counts read naturally', async () => {
    const session = ShellSession.start(
      [
        '--lang',
        'en',
        '--journal',
        'journal-en.sqlite',
        '--data',
        'data-en',
        '--stick-root',
        'sticks',
        '--wait-stick',
        '20',
        '--backup',
        'off',
      ],
      dir,
      { ...process.env, TZ: 'Europe/Berlin' },
    );
    session.send('status', 'close 2026', 'quit');
    session.end();
    const run = await session.finished(60_000);
    expect(run.stdout).toContain('[SHELL_STATUS] Open business day: 5 Jan 2026; last closing: 4 Jan 2026 (Z 4)');
    expect(run.stdout).toContain(
      '[SHELL_DATE_WRONG_LENGTH] "2026" is not a date: type 8 digits YYYYMMDD. Nothing was done.',
    );
    expect(run.stdout).not.toMatch(/\(s\)|\(e\)/);
  });
});

describe('prompt rendering: plurals, dates, times, echoes', () => {
  it('picks the plural form by Intl.PluralRules, in both languages', () => {
    const plan = (count: number, language: 'en' | 'de') =>
      renderPrompt('PLAN_DAYS', { count, days: '2026-11-20', bookings: count * 1000 + 1 }, language).text;
    expect(plan(1, 'en')).toBe('Day close: 1 day goes to the USB stick: 20 Nov 2026 (1,001 bookings).');
    expect(plan(2, 'en')).toBe('Day close: 2 days go to the USB stick: 20 Nov 2026 (2,001 bookings).');
    expect(plan(1, 'de')).toBe(
      'Tagesabschluss: 1 Tag wird auf den USB-Stick geschrieben: 20.11.2026 (1.001 Buchungen).',
    );
    expect(plan(2, 'de')).toBe(
      'Tagesabschluss: 2 Tage werden auf den USB-Stick geschrieben: 20.11.2026 (2.001 Buchungen).',
    );
    expect(renderPrompt('STRAY_BOOKINGS', { count: 1, day: '20261120' }, 'de').text).toMatch(
      /^1 Buchung im Journal gehört /,
    );
    expect(renderPrompt('QUARANTINED', { count: 3, day: '20261120' }, 'de').text).toMatch(
      /^3 Datensätze vom 20\.11\.2026 haben /,
    );
    expect(renderPrompt('QUARANTINED', { count: 1, day: '20261120' }, 'en').text).toMatch(
      /^1 record of 20 Nov 2026 failed /,
    );
    expect(renderPrompt('RESEND_WRONG_LENGTH', { input: '2', length: 1 }, 'en').text).toContain('"2" has 1 character.');
    expect(fillTemplate('{n:plural:0=no days|one=# day|other=# days}', { n: 0 }, { language: 'en' })).toBe('no days');
  });

  it('no catalog text still says (s), (e) or (en) for a count', () => {
    for (const id of Object.keys(PROMPTS) as PromptId[]) {
      for (const language of ['en', 'de'] as const)
        expect(PROMPTS[id][language]).not.toMatch(/\w\((s|e|en|n)\)|\/Datensätze/);
    }
  });

  it('shows a business day as a calendar date, independent of the time zone, and lists with "and"', () => {
    expect(showDay('20261120', 'de')).toBe('20.11.2026');
    expect(showDay('2026-11-20', 'en')).toBe('20 Nov 2026');
    expect(showDays('2026-11-19, 2026-11-20, 20261121', 'de')).toBe('19.11.2026, 20.11.2026 und 21.11.2026');
    expect(showDays('20261120,20261121', 'en')).toBe('20 Nov 2026 and 21 Nov 2026');
    expect(showDay('abc', 'de')).toBe('abc');
  });

  it('shows an instant in the register time zone, never with Z', () => {
    const at = '2026-11-20T13:03:00.000Z';
    expect(showInstant(at, { language: 'de', timeZone: 'Europe/Berlin' })).toBe('20.11.2026, 14:03');
    expect(showInstant(at, { language: 'en', timeZone: 'Europe/Berlin' })).toBe('20 Nov 2026, 14:03');
    expect(showInstant(at, { language: 'de', timeZone: 'America/New_York' })).toBe('20.11.2026, 08:03');
    // Across midnight the local date is the one shown.
    expect(showInstant('2026-11-20T23:30:00Z', { language: 'de', timeZone: 'Europe/Berlin' })).toBe(
      '21.11.2026, 00:30',
    );
    expect(showInstant('2026-11-20T23:30:00+01:00', { language: 'de', timeZone: 'Europe/Berlin' })).toBe(
      '20.11.2026, 23:30',
    );
  });

  it('shortens an echoed input to 40 characters and an ellipsis', () => {
    const text = renderPrompt('RESEND_NOT_DIGITS', { input: 'a'.repeat(5000) }, 'de').text;
    expect(text).toBe(
      `Das Datum darf nur Ziffern enthalten (JJJJMMTT); "${'a'.repeat(40)}…" enthält andere Zeichen. Nichts wurde vorgemerkt.`,
    );
    expect(renderPrompt('RESEND_NOT_DIGITS', { input: 'ab' }, 'en').text).toContain('"ab" does not');
  });

  it('a raw error message never reaches the screen through a reason parameter', () => {
    const raw = 'EIO: i/o error, write';
    expect(renderPrompt('WRITE_FAILED', { day: '20261120', label: 'S', reason: raw }, 'de').text).not.toContain('EIO');
    expect(renderPrompt('WRITE_FAILED', { day: '20261120', label: 'S', reason: 'stick-full' }, 'de').text).toContain(
      'fehlgeschlagen: der USB-Stick ist voll.',
    );
    expect(renderPrompt('DAY_CLOSE_FAILED', { reason: raw }, 'de').text).not.toContain('EIO');
    expect(renderPrompt('STATUS_PENDING', { day: '20261120', attempts: 2, lastError: 'stick-gone' }, 'de').text).toBe(
      '20.11.2026: offen, geht mit dem nächsten Tagesabschluss (2 Versuche, letzter Versuch: der USB-Stick war nicht mehr erreichbar).',
    );
  });
});
