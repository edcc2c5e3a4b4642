import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { addDays, businessDayOf } from '../src/host/business-day.js';
import { createDemoJournalFile } from '../src/journal/demo-journal.js';
import { showDay } from '../src/prompts/render.js';
import { killLiveShells, runDaystick, runShellScript, ShellSession } from './support/shell-session.js';

/** Scripted sessions of `daystick shell` that need no stick: keys, refusals, start-up errors. */
describe('daystick shell, scripted keys', () => {
  let dir: string;
  let args: string[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'daystick-shell-keys-'));
    await createDemoJournalFile(join(dir, 'journal.sqlite'), {
      start: '20260101',
      days: 5,
      receiptsPerDay: 10,
      seed: 'keys',
      badRecords: 0,
      closedDays: 4,
    });
    args = ['--journal', 'journal.sqlite', '--data', 'data', '--stick-root', 'sticks', '--wait-stick', '1'];
  });
  afterEach(() => killLiveShells());
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('answers help and status and exits 0 when every command succeeded', async () => {
    const run = await runShellScript(args, ['help', 'status', 'quit', 'close'], dir);
    expect(run.promptIds).toEqual(['SHELL_READY', 'SHELL_HELP', 'SHELL_STATUS', 'STATUS_NONE', 'SHELL_BYE']);
    expect(run.stdout).toMatch(/Open business day: 5 Jan 2026; last closing: 4 Jan 2026 \(Z 4\); sticks present: -\./);
    expect(run.stdout).toContain(join(dir, 'sticks'));
    expect(run.code).toBe(0);
    // `quit` stops reading: the close after it never ran.
    const db = new Database(join(dir, 'journal.sqlite'), { readonly: true });
    expect(db.prepare('SELECT COUNT(*) FROM F_CLOSING').pluck().get()).toBe(4);
    db.close();
  });

  it('names an unknown key and a bad date, changes nothing and exits 1', async () => {
    const run = await runShellScript(args, ['sell 3 pretzels', 'close 20261340', 'unqueue 2026', 'status'], dir);
    expect(run.promptIds).toEqual([
      'SHELL_READY',
      'SHELL_UNKNOWN_KEY',
      'SHELL_DATE_IMPOSSIBLE',
      'SHELL_DATE_WRONG_LENGTH',
      'SHELL_STATUS',
      'STATUS_NONE',
      'SHELL_BYE',
    ]);
    expect(run.stdout).toContain('Unknown key "sell 3 pretzels"');
    expect(run.stdout).toContain('20261340 is not a calendar date. Nothing was done.');
    expect(run.stdout).toContain('last closing: 4 Jan 2026 (Z 4)');
    expect(run.stdout).toMatch(/3 of 4 commands did not succeed/);
    expect(run.code).toBe(1);
  });

  it('passes a refused REPORTS date on to the plugin, which names the problem', async () => {
    const run = await runShellScript(args, ['2026010 reports', '20251231', 'reports', 'queue'], dir);
    expect(run.promptIds).toEqual([
      'SHELL_READY',
      'RESEND_WRONG_LENGTH',
      'SHELL_DIGITS_PENDING',
      'RESEND_BEFORE_JOURNAL',
      'QUEUE_EMPTY',
      'SHELL_BYE',
    ]);
    expect(run.code).toBe(1);
  });

  it('refuses to close a day that is already closed', async () => {
    const run = await runShellScript(args, ['close 20260102'], dir);
    expect(run.promptIds).toEqual(['SHELL_READY', 'SHELL_CLOSE_ALREADY_CLOSED', 'SHELL_BYE']);
    expect(run.stdout).toContain('business day 2 Jan 2026 is already closed (Z 2 at ');
    expect(run.code).toBe(1);
  });

  it('exits 2 naming a bad option', async () => {
    const run = await runShellScript([...args, '--backup', 'sometimes'], [], dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--backup must be "on" or "off", not "sometimes"');
    expect(run.stdout).toBe('');
  });

  it("exits 2 naming a bad setting, and the plugin refusing head office's customer number", async () => {
    const data = join(dir, 'bad-settings');
    mkdirSync(data);
    writeFileSync(join(data, 'settings.json'), JSON.stringify({ stickReminderSeconds: 'often' }));
    const bad = await runShellScript(['--journal', 'journal.sqlite', '--data', data], [], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/settings file .*settings\.json is invalid: stickReminderSeconds/);

    writeFileSync(join(data, 'settings.json'), JSON.stringify({ customerNumber: '10000' }));
    const licence = await runShellScript(['--journal', 'journal.sqlite', '--data', data], [], dir);
    expect(licence.code).toBe(2);
    expect(licence.stderr).toMatch(/plugin refused to load: .*customer number 10000 is the head office's/);
  });

  it('exits 2 naming a journal that is not a register database', async () => {
    writeFileSync(join(dir, 'notes.sqlite'), 'just text');
    const run = await runShellScript(['--journal', 'notes.sqlite', '--data', 'data'], ['status'], dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/notes\.sqlite/);
  });

  it('creates a demo journal ending yesterday when none exists', async () => {
    const fresh = join(dir, 'fresh');
    mkdirSync(fresh);
    const run = await runShellScript(['--wait-stick', '1'], ['status'], fresh);
    expect(run.code).toBe(0);
    expect(run.promptIds.slice(0, 2)).toEqual(['SHELL_JOURNAL_CREATED', 'SHELL_READY']);
    expect(run.stdout).toMatch(/created a demo journal .*\.daystick\/journal\.sqlite with 30 business days/);
    expect(run.stdout).toMatch(/last closing: \d{1,2} [A-Z][a-z]{2} \d{4} \(Z 29\)/);
  });
});

describe('daystick shell, scripted questions', () => {
  let dir: string;
  const args = (data: string) => [
    '--journal',
    'journal.sqlite',
    '--data',
    data,
    '--stick-root',
    'sticks',
    '--wait-stick',
    '10',
  ];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'daystick-shell-questions-'));
    await createDemoJournalFile(join(dir, 'journal.sqlite'), {
      start: '20260101',
      days: 5,
      receiptsPerDay: 10,
      seed: 'questions',
      badRecords: 0,
      closedDays: 4,
    });
  });
  afterEach(() => killLiveShells());
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('asks a yes/no question again on another answer and takes the next line', async () => {
    const run = await runShellScript(args('data-retry'), ['20260103 reports', 'vielleicht', 'NEIN', 'queue'], dir);
    expect(run.promptIds).toEqual([
      'SHELL_READY',
      'RESEND_ASK_TIME_DATA',
      'SHELL_ANSWER_YES_NO',
      'RESEND_QUEUED',
      'QUEUE_ENTRY',
      'SHELL_BYE',
    ]);
    expect(run.stdout).toMatch(/^\[QUEUE_ENTRY\] Queued: 3 Jan 2026, time-recording data: no/m);
    expect(run.code).toBe(0);
  });

  it('takes end of input during a question as a cancel: says so and queues nothing', async () => {
    const run = await runShellScript(args('data-eof'), ['20260103 reports'], dir);
    expect(run.promptIds).toEqual([
      'SHELL_READY',
      'RESEND_ASK_TIME_DATA',
      'SHELL_NO_ANSWER',
      'RESEND_CANCELLED',
      'SHELL_BYE',
    ]);
    expect(run.stdout).toMatch(/^\[RESEND_ASK_TIME_DATA\] .*\(y\/n\) \(To cancel: type "cancel" or press Ctrl\+C\.\)$/m);
    expect(run.stdout).toContain('End of input: no answer, the question is cancelled.');
    expect(run.stdout).toMatch(/^\[RESEND_CANCELLED\] The question was not answered: 3 Jan 2026 was not queued/m);
    expect(run.code).toBe(1);
  });

  it('takes a typed cancel as the answer to a question', async () => {
    const run = await runShellScript(args('data-cancel'), ['20260103 reports', 'cancel', 'queue'], dir);
    expect(run.promptIds).toEqual(['SHELL_READY', 'RESEND_ASK_TIME_DATA', 'RESEND_CANCELLED', 'QUEUE_EMPTY', 'SHELL_BYE']);
  });

  it('lets the cashier pick one of two sticks by number', async () => {
    mkdirSync(join(dir, 'sticks', 'ALPHA'), { recursive: true });
    mkdirSync(join(dir, 'sticks', 'BRAVO'), { recursive: true });
    const run = await runShellScript(args('data-choose'), ['close', '2'], dir);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^\[CHOOSE_STICK\] /m);
    const options = run.stdout.split('\n').filter((l) => l.startsWith('[CHOOSE_STICK:'));
    expect(options).toHaveLength(2);
    const chosen = options[1]!.includes('BRAVO') ? 'BRAVO' : 'ALPHA';
    const other = chosen === 'BRAVO' ? 'ALPHA' : 'BRAVO';
    expect(runDaystick(['verify', '--identity', 'headoffice-age-identity.txt', join(dir, 'sticks', chosen)], dir).code).toBe(0);
    expect(existsSync(join(dir, 'sticks', other, 'DAYSTICK'))).toBe(false);
  });
});

/** A close never waits for an answer that cannot come, and what is typed during a close is taken or refused. */
describe('daystick shell, cancel and end of input during a close', () => {
  let dir: string;
  const args = (...more: string[]) => ['--journal', 'journal.sqlite', '--data', 'data', '--stick-root', 'sticks', ...more];
  const twoSticks = () => {
    mkdirSync(join(dir, 'sticks', 'ALPHA'), { recursive: true });
    mkdirSync(join(dir, 'sticks', 'BRAVO'), { recursive: true });
  };
  const nothingOnSticks = () => {
    for (const name of ['ALPHA', 'BRAVO']) expect(existsSync(join(dir, 'sticks', name, 'DAYSTICK'))).toBe(false);
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'daystick-shell-cancel-'));
    await createDemoJournalFile(join(dir, 'journal.sqlite'), {
      start: '20260101',
      days: 5,
      receiptsPerDay: 10,
      seed: 'cancel',
      badRecords: 0,
      closedDays: 4,
    });
  });
  afterEach(() => {
    killLiveShells();
    rmSync(dir, { recursive: true, force: true });
  });

  it("printf 'close\\n3\\nB\\n' with two sticks: end of input during the choice postpones, before the wait ends", async () => {
    twoSticks();
    const run = await runShellScript(args('--wait-stick', '600'), ['close', '3', 'B'], dir);
    expect(run.promptIds).toEqual([
      'SHELL_READY',
      'SHELL_CLOSING',
      'PLAN_DAYS',
      'CHOOSE_STICK',
      'CHOOSE_STICK:1',
      'CHOOSE_STICK:2',
      'SHELL_CHOOSE_NUMBER',
      'SHELL_CHOOSE_NUMBER',
      'SHELL_NO_ANSWER',
      'POSTPONED',
      'SHELL_CLOSE_RESULT',
      'SHELL_BYE',
    ]);
    expect(run.stdout).toMatch(/^\[CHOOSE_STICK\] .*Or cancel: .* \(To cancel: type "cancel" or press Ctrl\+C\.\)$/m);
    expect(run.stdout).toContain('Day close 5 Jan 2026 finished: postponed; sent: -; pending: 5 Jan 2026.');
    expect(run.code).toBe(1);
    nothingOnSticks();
  });

  it('--wait-stick counts while the cashier is asked which stick to use', async () => {
    twoSticks();
    const session = ShellSession.start(args('--wait-stick', '1'), dir);
    session.send('close');
    await session.waitFor(/^\[SHELL_CLOSE_RESULT\]/, 30_000);
    const ids = [...session.stdout.matchAll(/^\[([A-Z_]+)\] /gm)].map((m) => m[1]);
    expect(ids.indexOf('SHELL_NO_CHOICE')).toBeGreaterThan(ids.indexOf('CHOOSE_STICK'));
    expect(session.stdout).toContain('No USB stick was chosen within 1 second: the day close is postponed.');
    expect(session.stdout).toContain('finished: postponed; sent: -; pending: 5 Jan 2026.');
    session.end();
    expect((await session.finished()).code).toBe(1);
    nothingOnSticks();
  });

  it('a typed cancel stops a close waiting for a stick; another line typed meanwhile is refused, not run later', async () => {
    const session = ShellSession.start(args(), dir);
    session.send('close');
    const ask = await session.waitFor(/^\[INSERT_STICK\]/, 30_000);
    expect(ask).toMatch(/or cancel: .* \(To cancel: type "cancel" or press Ctrl\+C\.\)$/);
    session.send('status');
    await session.waitFor(/^\[SHELL_BUSY\]/, 30_000);
    session.send('cancel');
    await session.waitFor(/^\[SHELL_CLOSE_RESULT\]/, 30_000);
    session.end();
    const run = await session.finished();
    expect(run.stdout).toContain('A day close is running: "status" was not run. Type "cancel" to stop the close');
    expect(run.promptIds.slice(-5)).toEqual(['SHELL_BUSY', 'SHELL_CANCELLED', 'POSTPONED', 'SHELL_CLOSE_RESULT', 'SHELL_BYE']);
    expect(run.stdout).toContain('finished: postponed; sent: -; pending: 5 Jan 2026.');
    expect(run.stdout).toMatch(/2 of 2 commands did not succeed/);
  });

  it('a script read ahead: lines after the close are taken while it waits for a stick, up to the cancel', async () => {
    const run = await runShellScript(args(), ['close', 'status', 'cancel', 'help'], dir);
    expect(run.promptIds).toEqual([
      'SHELL_READY',
      'SHELL_CLOSING',
      'PLAN_DAYS',
      'INSERT_STICK',
      'SHELL_BUSY',
      'SHELL_CANCELLED',
      'POSTPONED',
      'SHELL_CLOSE_RESULT',
      'SHELL_HELP',
      'SHELL_BYE',
    ]);
    expect(run.code).toBe(1);
  });

  it("after today's close, status says the day is closed and when the next close can be done; a second close says the same", async () => {
    mkdirSync(join(dir, 'sticks', 'S1'), { recursive: true });
    const run = await runShellScript(args('--backup', 'off'), ['close', 'close', 'status', 'close'], dir);
    const day = businessDayOf(Date.now());
    const today = showDay(day, 'en');
    const tomorrow = showDay(addDays(day, 1), 'en');
    expect(run.stdout).toContain(`Day close ${today}: Z 6 recorded`);
    expect(run.stdout).toContain(
      `[SHELL_STATUS_CLOSED] Today's business day ${today} is closed (Z 6). The next day close is for ${tomorrow} and can be done from that day on`,
    );
    expect(run.stdout).not.toMatch(/^\[SHELL_STATUS\] /m);
    expect(run.stdout).toContain(
      `[SHELL_CLOSE_NOT_YET] Today's business day ${today} is already closed (Z 6). The next day close is possible from ${tomorrow} on. Nothing was done.`,
    );
    expect(run.promptIds.at(-2)).toBe('SHELL_CLOSE_NOT_YET');
    expect(run.stdout).toMatch(/1 of 4 commands did not succeed/);
    const db = new Database(join(dir, 'journal.sqlite'), { readonly: true });
    expect(db.prepare('SELECT COUNT(*) FROM F_CLOSING').pluck().get()).toBe(6);
    db.close();

    // A shell started again the same day greets with the closed day, not with it as the open one.
    const again = await runShellScript(args('--lang', 'de'), [], dir);
    expect(again.stdout).toContain(
      `Der heutige Geschäftstag ${showDay(day, 'de')} ist abgeschlossen; der nächste Tagesabschluss ist ab dem ${showDay(addDays(day, 1), 'de')} möglich.`,
    );
    expect(again.promptIds[0]).toBe('SHELL_READY_CLOSED');
  });

  it('a cancel with no close running says there is nothing to cancel', async () => {
    const run = await runShellScript(args('--lang', 'de'), ['abbrechen'], dir);
    expect(run.promptIds).toEqual(['SHELL_READY', 'SHELL_NOTHING_TO_CANCEL', 'SHELL_BYE']);
    expect(run.stdout).toContain('Nichts abzubrechen: Es läuft kein Tagesabschluss.');
    expect(run.code).toBe(0);
  });
});

describe('daystick shell on a terminal', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'daystick-shell-tty-'));
    mkdirSync(join(dir, 'sticks', 'STICK1'), { recursive: true });
    await createDemoJournalFile(join(dir, 'journal.sqlite'), {
      start: '20260101',
      days: 3,
      receiptsPerDay: 10,
      seed: 'tty',
      badRecords: 0,
      closedDays: 2,
    });
  });
  afterEach(() => killLiveShells());
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('shows prompts as text with a progress bar while writing, and quits on the key', async () => {
    const session = ShellSession.startInTerminal(
      ['--journal', 'journal.sqlite', '--data', 'data', '--stick-root', 'sticks', '--lang', 'de'],
      dir,
    );
    await session.waitFor(/Offener Geschäftstag: 03\.01\.2026/);
    session.send('close');
    await session.waitFor(/Sie können den Stick jetzt entfernen/, 30_000);
    session.send('quit');
    const run = await session.finished();
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('> ');
    expect(run.stdout).toMatch(/Die Daten vom 03\.01\.2026 werden geschrieben \(1 von 1\)\.\.\. \[[^\]]+\] 100%/);
    expect(run.stdout).toContain('✔ Die Buchungsdaten wurden auf dem USB-Stick gespeichert.');
    // The backup's bar is named as the backup, drawn once, and never carries a cut-off Note 1.
    expect(run.stdout.match(/Stammdatensicherung \[[^\]]+\] 100%/g)).toHaveLength(1);
    expect(run.stdout).not.toContain('…');
    expect(run.stdout).toContain('Die Daten werden auf den USB-Stick "STICK1"');
    expect(run.stdout).not.toContain('Bitte stecken Sie den USB-Stick');
    // Ids are for scripts; a cashier sees only the text.
    expect(run.promptIds).toEqual([]);
  });

  it('an empty day draws no progress bar that stays at 0 %', async () => {
    // Every day of this journal is closed: the open day is today, without a booking.
    await createDemoJournalFile(join(dir, 'all-closed.sqlite'), {
      start: '20260101',
      days: 3,
      receiptsPerDay: 10,
      seed: 'tty-empty',
      badRecords: 0,
      closedDays: 3,
    });
    // A stick of its own: the shared one holds the first test's register key, which this data folder does not have.
    mkdirSync(join(dir, 'sticks-empty', 'STICK1'), { recursive: true });
    const session = ShellSession.startInTerminal(
      ['--journal', 'all-closed.sqlite', '--data', 'data-empty', '--stick-root', 'sticks-empty', '--backup', 'off'],
      dir,
    );
    await session.waitFor(/Type "help"/);
    const mark = session.stdout.length;
    session.send('close');
    await session.waitFor(/finished: sent/, 30_000, mark);
    session.send('quit');
    const run = await session.finished();
    const emptyClose = run.stdout.slice(mark);
    expect(emptyClose).toMatch(/\(0 receipts\)/);
    expect(emptyClose).not.toMatch(/\] \d+%/);
  });
});
