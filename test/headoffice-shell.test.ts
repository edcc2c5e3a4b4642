import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createDemoJournalFile } from '../src/journal/demo-journal.js';
import { readAcknowledgements } from '../src/package/acknowledgement.js';
import { describeWithFuse } from './support/fuse-stick.js';
import {
  DAYSTICK_BIN,
  type InsertedStick,
  insertStick,
  killLiveShells,
  runShellScript,
} from './support/shell-session.js';

/**
 * The "done": a day closed by the reference shell onto a FUSE-mounted
 * FAT32 stick is imported once by `daystick import`, a second import changes
 * nothing, the receipt lands on the stick, and the shell's next close shows
 * the day confirmed. Then the master-data backup the shell left on the same
 * stick restores receipts head office lost. Every program runs as a child
 * process, as in a shop and an office.
 */
const REGISTER_DIR = join('DAYSTICK', '10001-1');

/**
 * `daystick …` in a child process without blocking this one: the FUSE daemon
 * is our child too, and a synchronous spawn would stop us draining its
 * output, which stalls the stick under the import.
 */
function runDaystick(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DAYSTICK_BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function centralCount(path: string, sql: string, ...params: unknown[]): number {
  const db = new Database(path, { readonly: true });
  try {
    return Number(
      db
        .prepare(sql)
        .pluck()
        .get(...params),
    );
  } finally {
    db.close();
  }
}

describeWithFuse('reference shell → FAT32 stick → daystick import → shell', ['fat32'], () => {
  let dir: string;
  let stick: InsertedStick | null = null;
  const shellArgs = ['--journal', 'journal.sqlite', '--data', 'data', '--stick-root', 'sticks', '--wait-stick', '10'];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'daystick-headoffice-shell-'));
    mkdirSync(join(dir, 'sticks'));
    await createDemoJournalFile(join(dir, 'journal.sqlite'), {
      start: '20260101',
      days: 5,
      receiptsPerDay: 25,
      seed: 'headoffice-shell',
      badRecords: 0,
      closedDays: 4,
    });
  });
  afterEach(async () => {
    killLiveShells();
    await stick?.remove();
    stick = null;
    rmSync(dir, { recursive: true, force: true });
  });

  test('imported once, acknowledged on the stick, confirmed at the next close; the backup on the stick fills a central gap', async () => {
    stick = await insertStick('fat32', join(dir, 'sticks'), 'STICK1', dir);
    const first = await runShellScript(shellArgs, ['close'], dir);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Day close 5 Jan 2026 finished: sent; sent: 5 Jan 2026; pending: -.');

    const central = join(dir, 'central.sqlite');
    const imported = await runDaystick(
      [
        'import',
        stick.path,
        '--central',
        central,
        '--head-office-customer',
        '10000',
        '--identity',
        'headoffice-age-identity.txt',
      ],
      dir,
    );
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/^10001-1 +5 Jan 2026 +day-close +25 imported +100%$/m);
    expect(centralCount(central, "SELECT COUNT(*) FROM receipts WHERE business_day = '20260105'")).toBe(25);

    const again = await runDaystick(
      [
        'import',
        stick.path,
        '--central',
        central,
        '--head-office-customer',
        '10000',
        '--identity',
        'headoffice-age-identity.txt',
      ],
      dir,
    );
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^10001-1 +5 Jan 2026 +day-close +25 already-imported +100%$/m);
    expect(centralCount(central, 'SELECT COUNT(*) FROM receipts')).toBe(25);

    const acks = await readAcknowledgements(join(stick.path, REGISTER_DIR));
    expect(acks.map((a) => [a.valid, a.businessDay, a.status])).toEqual([[true, '20260105', 'imported']]);

    const next = await runShellScript(shellArgs, ['close'], dir);
    expect(next.code).toBe(0);
    expect(next.stdout).toMatch(/^\[ACKS_CONFIRMED\] Head office confirmed the import of 1 day: .*2026.*$/m);

    // Head office lost three receipts of the day; the register's master-data backup on the stick brings them back.
    const db = new Database(central);
    const lost = db
      .prepare("SELECT receipt_id FROM receipts WHERE business_day = '20260105' ORDER BY receipt_no LIMIT 3")
      .pluck()
      .all() as string[];
    for (const id of lost)
      for (const table of ['receipt_lines', 'payments', 'receipts'])
        db.prepare(`DELETE FROM ${table} WHERE receipt_id = ?`).run(id);
    db.close();
    // The story: a mistyped customer number. The signed backup manifest names the register, so nothing goes in.
    const backupDir = join(stick.path, REGISTER_DIR, 'masterdata');
    const mistyped = await runDaystick(
      [
        'import',
        '--reconcile',
        backupDir,
        '--from',
        '20260101',
        '--customer',
        '10010',
        '--register',
        '1',
        '--central',
        central,
      ],
      dir,
    );
    expect(mistyped.code).toBe(1);
    expect(mistyped.stderr).toContain(
      'backup refused (identity-mismatch): this backup belongs to customer number 10001, register 1',
    );
    expect(centralCount(central, 'SELECT COUNT(*) FROM receipts')).toBe(22);
    expect(centralCount(central, 'SELECT COUNT(*) FROM registers')).toBe(1);

    const reconciled = await runDaystick(
      [
        'import',
        '--reconcile',
        join(stick.path, REGISTER_DIR, 'masterdata'),
        '--from',
        '20260105',
        '--customer',
        '10001',
        '--register',
        '1',
        '--central',
        central,
        '--identity',
        'headoffice-age-identity.txt',
      ],
      dir,
    );
    expect(reconciled.stderr).toBe('');
    expect(reconciled.stdout).toMatch(/^5 Jan 2026 +25 +22 +3 +22 +0 +0 +0 +matches$/m);
    expect(centralCount(central, "SELECT COUNT(*) FROM receipts WHERE business_day = '20260105'")).toBe(25);
  });
});
