import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { businessDayOf } from '../src/host/business-day.js';
import { createDemoJournalFile } from '../src/journal/demo-journal.js';
import { BACKUP_FILE_NAME, ENCRYPTED_SUFFIX } from '../src/journal/sqlite-master-data-backup.js';
import { backupValue } from './support/decrypted-backup.js';
import { showDay } from '../src/prompts/render.js';
import { describeWithFuse } from './support/fuse-stick.js';
import {
  type InsertedStick,
  insertStick,
  killLiveShells,
  mountFatStick,
  runDaystick,
  runShellScript,
  ShellSession,
  type StickKind,
} from './support/shell-session.js';

/**
 * Whole day closes through `daystick shell` in a child process, scripted over
 * stdin, against a folder stick and a FUSE-mounted FAT32 image, each result
 * checked by `daystick verify`.
 */
const REGISTER_FOLDER = join('DAYSTICK', '10001-1');


function indexOfId(ids: string[], id: string): number {
  const i = ids.indexOf(id);
  if (i < 0) throw new Error(`prompt ${id} was not shown; shown: ${ids.join(' ')}`);
  return i;
}

function closeSessions(kind: StickKind): void {
  let dir: string;
  let sticks: string;
  let inserted: InsertedStick[];
  const args = (...more: string[]) => [
    '--journal',
    'journal.sqlite',
    '--data',
    'data',
    '--stick-root',
    'sticks',
    ...more,
  ];
  const stick = async (name = 'STICK1') => {
    const s = await insertStick(kind, sticks, name, dir);
    inserted.push(s);
    return s;
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), `daystick-shell-${kind}-`));
    sticks = join(dir, 'sticks');
    mkdirSync(sticks);
    inserted = [];
    await createDemoJournalFile(join(dir, 'journal.sqlite'), {
      start: '20260101',
      days: 5,
      receiptsPerDay: 25,
      seed: `close-${kind}`,
      badRecords: 2,
      closedDays: 4,
    });
  });

  afterEach(async () => {
    killLiveShells();
    for (const s of inserted) await s.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it('closes the open day with backup: Note 1, then Note 2, a backup copy and a package verify accepts', async () => {
    const s = await stick();
    const run = await runShellScript(args('--wait-stick', '10'), ['close'], dir);
    expect(run.code).toBe(0);
    const ids = run.promptIds;
    // The stick is already there: the cashier reads which one is used, not a request to insert one.
    expect(ids.slice(0, 4)).toEqual(['SHELL_READY', 'SHELL_CLOSING', 'PLAN_DAYS', 'STICK_USED']);
    expect(ids).not.toContain('INSERT_STICK');
    expect(run.stdout).toContain(`[STICK_USED] The data is written to the USB stick "STICK1" (${s.path}).`);
    expect(indexOfId(ids, 'DAY_WRITTEN')).toBeLessThan(indexOfId(ids, 'NOTE_1'));
    expect(indexOfId(ids, 'NOTE_1')).toBeLessThan(indexOfId(ids, 'NOTE_2'));
    expect(ids).toContain('QUARANTINED');
    expect(run.stdout).toContain('Day close 5 Jan 2026: Z 5 recorded (27 receipts).');
    expect(run.stdout).toContain('Day close 5 Jan 2026 finished: sent; sent: 5 Jan 2026; pending: -.');

    const backup = join(s.path, REGISTER_FOLDER, 'masterdata', `${BACKUP_FILE_NAME}${ENCRYPTED_SUFFIX}`);
    const identity = join(dir, 'headoffice-age-identity.txt');
    expect(await backupValue(backup, identity, 'SELECT COUNT(*) FROM F_RECEIPT')).toBe(5 * 25 + 2);
    // The backup was taken after the closing was recorded, so it holds Z 5.
    expect(await backupValue(backup, identity, 'SELECT MAX(z_number) FROM F_CLOSING')).toBe(5);

    const verify = runDaystick(['verify', '--identity', 'headoffice-age-identity.txt', s.path], dir);
    expect(verify.stdout).toMatch(/^5 Jan 2026 +10001-1 +day-close +25 receipts +OK/m);
    expect(verify.stdout).toMatch(/1 packages? checked: 1 whole, 0 with problems/);
    expect(verify.code).toBe(0);
  });

  it('closes without backup (--backup off): Note 2 without Note 1 and no backup on the stick', async () => {
    const s = await stick();
    const run = await runShellScript(args('--backup', 'off', '--wait-stick', '10'), ['close'], dir);
    expect(run.code).toBe(0);
    expect(run.promptIds).toContain('NOTE_2');
    expect(run.promptIds).not.toContain('NOTE_1');
    for (const name of [BACKUP_FILE_NAME, `${BACKUP_FILE_NAME}${ENCRYPTED_SUFFIX}`]) {
      expect(existsSync(join(s.path, REGISTER_FOLDER, 'masterdata', name))).toBe(false);
    }
    expect(runDaystick(['verify', '--identity', 'headoffice-age-identity.txt', s.path], dir).code).toBe(0);
  });

  it('postpones a close when no stick comes within --wait-stick, and the next close carries both days', async () => {
    const session = ShellSession.start(args('--wait-stick', '1'), dir);
    session.send('close');
    await session.waitFor(/^\[SHELL_CLOSE_RESULT\]/, 30_000);
    expect(session.stdout).toMatch(/^\[SHELL_NO_STICK\] /m);
    expect(session.stdout).toMatch(/^\[POSTPONED\] .*5 Jan 2026/m);
    expect(session.stdout).toContain('Day close 5 Jan 2026 finished: postponed; sent: -; pending: 5 Jan 2026.');

    const s = await stick();
    const mark = session.stdout.length;
    session.send('close');
    session.end();
    const run = await session.finished();
    const second = run.stdout.slice(mark);
    const today = showDay(businessDayOf(Date.now()), 'en');
    expect(second).toContain(`Day close ${today}: Z 6 recorded`);
    expect(second).toContain(`finished: sent; sent: 5 Jan 2026 and ${today}; pending: -.`);
    expect(second).toMatch(/^\[NOTE_2\] /m);
    // The postponed close did not succeed, so the script as a whole reports failure.
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/1 of 2 commands did not succeed/);

    const verify = runDaystick(['verify', '--identity', 'headoffice-age-identity.txt', s.path], dir);
    expect(verify.stdout).toMatch(/^5 Jan 2026 .*day-close .*OK/m);
    expect(verify.stdout).toMatch(/2 packages? checked: 2 whole, 0 with problems/);
    expect(verify.code).toBe(0);
  });

  it('waits for a stick inserted during the close and writes to it', async () => {
    const session = ShellSession.start(args(), dir);
    session.send('close');
    await session.waitFor(/^\[INSERT_STICK\]/, 30_000);
    const s = await stick();
    await session.waitFor(/^\[SHELL_CLOSE_RESULT\]/, 30_000);
    session.end();
    const run = await session.finished();
    expect(run.code).toBe(0);
    expect(run.promptIds).toContain('NOTE_2');
    expect(runDaystick(['verify', '--identity', 'headoffice-age-identity.txt', s.path], dir).code).toBe(0);
  });

  it('at end of input still finishes a close that waits for a stick', async () => {
    const session = ShellSession.start(args('--wait-stick', '20'), dir);
    session.send('close');
    session.end();
    await session.waitFor(/^\[INSERT_STICK\]/, 30_000);
    const s = await stick();
    const run = await session.finished();
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Day close 5 Jan 2026 finished: sent; sent: 5 Jan 2026; pending: -.');
    expect(runDaystick(['verify', '--identity', 'headoffice-age-identity.txt', s.path], dir).code).toBe(0);
  });

  it('two sticks and input ending during the choice: the close postpones and neither stick is written', async () => {
    const a = await stick('STICK1');
    const b = await stick('STICK2');
    const run = await runShellScript(args('--wait-stick', '600'), ['close', '3', 'B'], dir);
    expect(run.stdout).toContain('Day close 5 Jan 2026 finished: postponed; sent: -; pending: 5 Jan 2026.');
    expect(run.promptIds).not.toContain('SHELL_NO_STICK');
    expect(run.code).toBe(1);
    for (const s of [a, b]) expect(existsSync(join(s.path, 'DAYSTICK'))).toBe(false);
  });

  it('re-sends a day typed as YYYYMMDD + reports beside the day closed next', async () => {
    const s = await stick();
    const run = await runShellScript(args('--wait-stick', '10'), ['20260102', 'reports', 'n', 'queue', 'close'], dir);
    expect(run.code).toBe(0);
    const ids = run.promptIds;
    expect(ids.slice(0, 5)).toEqual([
      'SHELL_READY',
      'SHELL_DIGITS_PENDING',
      'RESEND_ASK_TIME_DATA',
      'RESEND_QUEUED',
      'QUEUE_ENTRY',
    ]);
    expect(run.stdout).toMatch(/^\[QUEUE_ENTRY\] Queued: 2 Jan 2026, time-recording data: no/m);
    expect(run.stdout).toContain('sent: 2 Jan 2026 and 5 Jan 2026');

    const verify = runDaystick(['verify', '--identity', 'headoffice-age-identity.txt', s.path], dir);
    expect(verify.stdout).toMatch(/^2 Jan 2026 +10001-1 +re-send +25 receipts +OK/m);
    expect(verify.stdout).toMatch(/^5 Jan 2026 +10001-1 +day-close +25 receipts +OK/m);
    expect(verify.code).toBe(0);
  });

  it('speaks German with --lang de, the prompt ids unchanged', async () => {
    const s = await stick();
    const run = await runShellScript(
      args('--lang', 'de', '--wait-stick', '10'),
      ['20260103 reports', 'ja', 'close'],
      dir,
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^\[SHELL_CLOSING\] Tagesabschluss 05\.01\.2026: Z 5 gebucht/m);
    expect(run.stdout).toMatch(
      /^\[RESEND_ASK_TIME_DATA\] Sollen die Zeiterfassungsdaten .* \(j\/n\) \(Abbrechen: "abbrechen" oder "cancel" eingeben oder Strg\+C drücken\.\)$/m,
    );
    expect(run.stdout).toMatch(/^\[NOTE_1\] Die Buchungsdaten für die Zentrale wurden auf dem USB-Stick gespeichert/m);
    expect(run.stdout).toMatch(/^\[NOTE_2\] .*Sie können den Stick jetzt entfernen\.$/m);
    expect(runDaystick(['verify', '--identity', 'headoffice-age-identity.txt', s.path], dir).code).toBe(0);
  });
}

describe('daystick shell day close on a folder stick', () => closeSessions('folder'));
describeWithFuse('daystick shell day close on a FUSE-mounted FAT32 stick', ['fat32'], () => closeSessions('fat32'));

describeWithFuse('daystick shell with a write-protected FAT32 stick', ['fat32'], () => {
  let dir: string;
  let inserted: InsertedStick | null = null;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'daystick-shell-ro-'));
    await createDemoJournalFile(join(dir, 'journal.sqlite'), {
      start: '20260101',
      days: 5,
      receiptsPerDay: 10,
      seed: 'read-only',
      badRecords: 0,
      closedDays: 4,
    });
  });

  afterEach(async () => {
    killLiveShells();
    await inserted?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts --wait-stick from the refusal although the stick stays plugged in, then postpones', async () => {
    inserted = await mountFatStick(join(dir, 'sticks'), 'LOCKED', dir, { readOnly: true });
    const run = await runShellScript(
      ['--journal', 'journal.sqlite', '--data', 'data', '--stick-root', 'sticks', '--wait-stick', '1'],
      ['close'],
      dir,
    );
    const ids = run.promptIds;
    expect(ids.indexOf('STICK_READ_ONLY')).toBeGreaterThan(0);
    expect(ids.indexOf('SHELL_NO_STICK')).toBeGreaterThan(ids.indexOf('STICK_READ_ONLY'));
    expect(run.stdout).toContain('Day close 5 Jan 2026 finished: postponed; sent: -; pending: 5 Jan 2026.');
    expect(run.code).toBe(1);
  });
});
