import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createDemoJournalFile } from '../src/journal/demo-journal.js';
import { readIdentityFile } from '../src/package/age-file.js';
import { listPackages, readEntryRecords, verifyPackage } from '../src/package/index.js';
import { DAYSTICK_BIN, promptIdsOf, runDaystick, type ShellRun } from './support/shell-session.js';

/**
 * A register whose clock was set back and fixed again, as a real `daystick
 * shell` process under libfaketime, with the bookings of the wrong days
 * written into its journal with SQL as the register would have booked them.
 */
const FAKETIME = spawnSync('faketime', ['2026-01-01 00:00:00', 'true']).status === 0;
const describeWithFaketime = FAKETIME || process.env.CI === 'true' ? describe : describe.skip;
if (!FAKETIME && process.env.CI !== 'true') console.warn('\n!!! SKIPPED: the clock tests need faketime (apt-get install faketime)\n');

/** The shell at a faked wall-clock time, fed `lines` on stdin, run to its exit. */
function shellAt(time: string, cwd: string, lines: string[]): Promise<ShellRun> {
  const args = ['--journal', 'journal.sqlite', '--data', 'data', '--stick-root', 'sticks', '--backup', 'off'];
  const child = spawn('faketime', [time, process.execPath, DAYSTICK_BIN, 'shell', ...args, '--wait-stick', '10'], {
    cwd,
    stdio: 'pipe',
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  child.stdin.end(lines.map((l) => `${l}\n`).join(''));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, promptIds: promptIdsOf(stdout) });
    });
  });
}

function line(run: ShellRun, id: string): string {
  const found = run.stdout.split('\n').find((l) => l.startsWith(`[${id}] `));
  if (found === undefined) throw new Error(`no ${id} line; stdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
  return found;
}

describeWithFaketime('a clock set back and fixed again leaves no booking behind', () => {
  let dir: string;
  let stick: string;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'daystick-clock-'));
    stick = join(dir, 'sticks', 'STICK1');
    mkdirSync(stick, { recursive: true });
    await createDemoJournalFile(join(dir, 'journal.sqlite'), {
      start: '20260101',
      days: 5,
      receiptsPerDay: 20,
      seed: 'clock',
      badRecords: 0,
      closedDays: 4,
    });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('days booked under the wrong clock go at the next close with a warning; rows of no valid day go into its quarantine once', async () => {
    const first = await shellAt('2026-01-06 20:00:00', dir, ['close']);
    expect(first.stdout).toContain('Day close 5 Jan 2026 finished: sent; sent: 5 Jan 2026; pending: -.');
    expect(first.code).toBe(0);

    // The clock is set back to 2026-01-03: the register books 200 receipts on that day, already closed and sent
    // as history, and a few rows whose business day came out broken.
    const db = new Database(join(dir, 'journal.sqlite'));
    db.exec(`
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200),
        t AS (SELECT * FROM F_RECEIPT WHERE business_day = '20260103' ORDER BY receipt_no LIMIT 1)
      INSERT INTO F_RECEIPT (receipt_id, receipt_no, business_day, opened_at, closed_at, cashier_id, kind, currency, gross_minor) SELECT 'RBACK-' || i, 9000 + i, '20260103', opened_at, closed_at, cashier_id, kind, currency, gross_minor FROM n, t;
      INSERT INTO F_RECEIPT_LINE SELECT r.receipt_id, l.line_no, l.article_id, l.description, l.quantity_milli, l.unit_price_minor,
          l.gross_minor, l.vat_rate_id, l.vat_rate_basis_points, l.voided
        FROM F_RECEIPT r, F_RECEIPT_LINE l
        WHERE r.receipt_id LIKE 'RBACK-%'
          AND l.receipt_id = (SELECT receipt_id FROM F_RECEIPT WHERE business_day = '20260103' ORDER BY receipt_no LIMIT 1);
      INSERT INTO F_PAYMENT SELECT r.receipt_id, p.payment_no, p.payment_type_id, p.payment_type_name, p.amount_minor
        FROM F_RECEIPT r, F_PAYMENT p
        WHERE r.receipt_id LIKE 'RBACK-%'
          AND p.receipt_id = (SELECT receipt_id FROM F_RECEIPT WHERE business_day = '20260103' ORDER BY receipt_no LIMIT 1);
      INSERT INTO F_RECEIPT (receipt_id, receipt_no, business_day, opened_at, closed_at, cashier_id, kind, currency, gross_minor) SELECT 'RNULL-1', 9901, NULL, opened_at, closed_at, cashier_id, kind, currency, gross_minor
        FROM F_RECEIPT WHERE business_day = '20260103' LIMIT 1;
      INSERT INTO F_RECEIPT (receipt_id, receipt_no, business_day, opened_at, closed_at, cashier_id, kind, currency, gross_minor) SELECT 'RDASH-1', 9902, '2026-01-03', opened_at, closed_at, cashier_id, kind, currency, gross_minor
        FROM F_RECEIPT WHERE business_day = '20260103' LIMIT 1;
      INSERT INTO F_STOCK_POSTING VALUES ('PNULL-1', NULL, '2026-01-03T10:00:00+01:00', 'A1001', -1000, 'waste', NULL);
    `);
    db.close();

    // Under the wrong clock: the start-up screen calls no closed day open, the close is refused with the reason,
    // and a re-send of a day already sent is taken, not refused as "in the future".
    const back = await shellAt('2026-01-03 12:00:00', dir, ['close', '20260105 reports', 'n', 'quit']);
    expect(line(back, 'SHELL_READY')).toContain('Open business day: -.');
    expect(line(back, 'SHELL_NO_OPEN_DAY')).toBe(
      '[SHELL_NO_OPEN_DAY] No business day is open: the last closing (Z 5) was for 5 Jan 2026, and the register clock shows 3 Jan 2026. Please check the register clock.',
    );
    expect(back.promptIds).not.toContain('PLAN_DAYS');
    expect(back.promptIds).toContain('RESEND_QUEUED');
    expect(back.promptIds).not.toContain('RESEND_FUTURE_DATE');

    // The clock is right again: the next close finds what no stick has.
    const fixed = await shellAt('2026-01-07 20:00:00', dir, ['close']);
    expect(fixed.code).toBe(0);
    expect(line(fixed, 'UNSENT_DAYS')).toContain('bookings of 3 Jan 2026 that are on no USB stick yet');
    expect(line(fixed, 'STRAY_BOOKINGS')).toBe(
      '[STRAY_BOOKINGS] 3 bookings in the journal belong to no valid business day. They are saved unchanged in the separate file of 7 Jan 2026 so the head office can correct them.',
    );
    expect(line(fixed, 'PLAN_DAYS')).toContain('3 days go to the USB stick: 3 Jan 2026, 5 Jan 2026 and 7 Jan 2026');
    expect(fixed.stdout).toContain('sent: 3 Jan 2026, 5 Jan 2026 and 7 Jan 2026; pending: -.');

    const verify = runDaystick(['verify', '--identity', 'headoffice-age-identity.txt', stick], dir);
    expect(verify.stdout).toMatch(/^3 Jan 2026 +10001-1 +re-send +220 receipts +OK/m);
    expect(verify.code).toBe(0);
    const packages = await listPackages(stick);
    const of = (day: string) => packages.filter((p) => p.businessDay === day && p.dataPath !== null);
    const quarantine = async (day: string) => {
      const rows: { source: string; reason: string; record: { receiptId?: string; postingId?: string } }[] = [];
      // The data files are encrypted to head office: read the zips as head office decrypts them.
      const identities = await readIdentityFile(join(dir, 'headoffice-age-identity.txt'));
      for (const p of of(day)) {
        const plainDir = mkdtempSync(join(dir, 'plain-'));
        const verdict = await verifyPackage(p, { identities, plainDir });
        for await (const r of readEntryRecords(verdict.plainDataPath!, 'quarantine.ndjson')) rows.push(r as never);
      }
      return rows;
    };
    const stray = await quarantine('20260107');
    expect(stray.map((q) => [q.source, q.record.receiptId ?? q.record.postingId]).sort()).toEqual([
      ['receipts', 'RDASH-1'],
      ['receipts', 'RNULL-1'],
      ['stock-postings', 'PNULL-1'],
    ]);
    for (const q of stray) expect(q.reason).toMatch(/^businessDay: no valid business day \((null|"2026-01-03")\); carried with the day close of 20260107$/);

    // A late receipt on 2026-01-05, after its package went again: that day goes once more, by its new count.
    const late = new Database(join(dir, 'journal.sqlite'));
    late.exec(`INSERT INTO F_RECEIPT (receipt_id, receipt_no, business_day, opened_at, closed_at, cashier_id, kind, currency, gross_minor) SELECT 'RLATE-1', 9999, '20260105', opened_at, closed_at, cashier_id, kind, currency, gross_minor
      FROM F_RECEIPT WHERE business_day = '20260105' LIMIT 1`);
    late.close();

    // Carried once, neither 2026-01-03 nor the rows of no valid day go again.
    const next = await shellAt('2026-01-08 20:00:00', dir, ['close']);
    expect(next.code).toBe(0);
    expect(line(next, 'UNSENT_DAYS')).toContain('bookings of 5 Jan 2026 that');
    expect(next.promptIds).not.toContain('STRAY_BOOKINGS');
    expect(line(next, 'PLAN_DAYS')).toContain('2 days go to the USB stick: 5 Jan 2026 and 8 Jan 2026');
    expect(await quarantine('20260108')).toEqual([]);
  });
});
