import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createDemoJournalFile, type DemoJournalOptions } from '../src/journal/demo-journal.js';
import { parseDemoJournalArgs } from '../src/journal/demo-journal-command.js';
import { JOURNAL_TABLES } from '../src/journal/journal-schema.js';
import { registerInstant } from '../src/journal/register-local-time.js';

const options: DemoJournalOptions = {
  start: '20260320',
  days: 14,
  receiptsPerDay: 60,
  seed: 'same-seed',
  badRecords: 2,
  closedDays: 13,
};

function dump(path: string): string {
  const db = new Database(path, { readonly: true });
  try {
    return JSON.stringify(JOURNAL_TABLES.map((t) => db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all()));
  } finally {
    db.close();
  }
}

describe('demo journal generator', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'daystick-demo-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('gives the same database, byte for byte, for the same seed and a different one for another seed', async () => {
    const a = join(dir, 'a.sqlite');
    const b = join(dir, 'b.sqlite');
    const c = join(dir, 'c.sqlite');
    await createDemoJournalFile(a, options);
    await createDemoJournalFile(b, options);
    await createDemoJournalFile(c, { ...options, seed: 'other-seed' });
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
    expect(dump(a)).toBe(dump(b));
    expect(dump(a)).not.toBe(dump(c));
  });

  it('reports what it wrote, with closings for all but the last day', async () => {
    const path = join(dir, 'j.sqlite');
    const stats = await createDemoJournalFile(path, options);
    const db = new Database(path, { readonly: true });
    const count = (sql: string) => db.prepare(sql).pluck().get() as number;
    expect(stats.receipts).toBe(14 * 60 + 2);
    expect(count('SELECT COUNT(*) FROM F_RECEIPT')).toBe(stats.receipts);
    expect(count('SELECT COUNT(*) FROM F_RECEIPT_LINE')).toBe(stats.receiptLines);
    expect(count('SELECT COUNT(*) FROM F_STOCK_POSTING')).toBe(stats.stockPostings);
    expect(count('SELECT COUNT(*) FROM F_TIME_RECORD')).toBe(stats.timeRecords);
    expect(db.prepare('SELECT z_number, business_day FROM F_CLOSING ORDER BY z_number').raw().all()).toEqual(
      Array.from({ length: 13 }, (_, i) => [i + 1, `202603${20 + i}`.replace('20260332', '20260401')]),
    );
    expect(count('SELECT COUNT(*) FROM M_ARTICLE')).toBeGreaterThan(5);
    db.close();
  });

  it('writes instants in German local time across the daylight-saving switch', () => {
    expect(registerInstant('20260328', 8 * 3600)).toBe('2026-03-28T08:00:00+01:00');
    expect(registerInstant('20260329', 8 * 3600 + 61)).toBe('2026-03-29T08:01:01+02:00');
    expect(registerInstant('20261024', 0)).toBe('2026-10-24T00:00:00+02:00');
    expect(registerInstant('20261025', 0)).toBe('2026-10-25T00:00:00+01:00');
  });

  it('refuses an existing file and leaves it untouched', async () => {
    const path = join(dir, 'j.sqlite');
    await createDemoJournalFile(path, { ...options, days: 1 });
    const before = readFileSync(path);
    await expect(createDemoJournalFile(path, options)).rejects.toThrow(/already exists/);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(readdirSync(dir)).toEqual(['j.sqlite']);
  });

  it.each([
    [['--out', 'x', '--start', '20261301', '--days', '3'], /--start/],
    [['--out', 'x', '--start', '20261101', '--days', '0'], /--days must be at least 1/],
    [['--out', 'x', '--start', '20261101', '--days', '2.5'], /--days must be a whole number/],
    [['--out', 'x', '--start', '20261101'], /--days is required/],
    [['--start', '20261101', '--days', '1'], /--out is required/],
    [['--out', 'x', '--start', '20261101', '--days', '2', '--closed-days', '3'], /--closed-days cannot exceed --days/],
    [['--out', 'x', '--start', '20261101', '--days', '2', '--colour', 'red'], /colour/],
  ])('names the bad option in %j', (args, message) => {
    expect(() => parseDemoJournalArgs(args)).toThrow(message);
  });

  it('accepts a day of up to 1,000,000 receipts and names the limit above it', () => {
    const base = ['--out', 'x', '--start', '20261101', '--days', '1'];
    expect(parseDemoJournalArgs([...base, '--receipts-per-day', '1000000']).receiptsPerDay).toBe(1_000_000);
    expect(() => parseDemoJournalArgs([...base, '--receipts-per-day', '1000001'])).toThrow(
      '--receipts-per-day must be at most 1000000',
    );
  });

  it('runs as `daystick demo-journal` and exits 2 on a bad option without creating the file', () => {
    const bin = join(process.cwd(), 'bin', 'daystick.js');
    const out = join(dir, 'cli.sqlite');
    const text = execFileSync(
      process.execPath,
      [
        bin,
        'demo-journal',
        '--out',
        out,
        '--start',
        '20261101',
        '--days',
        '2',
        '--receipts-per-day',
        '5',
        '--seed',
        '7',
      ],
      { encoding: 'utf8' },
    );
    expect(text).toMatch(/business days 20261101-20261102, 10 receipts/);
    expect(existsSync(out)).toBe(true);
    let status = 0;
    try {
      execFileSync(
        process.execPath,
        [bin, 'demo-journal', '--out', join(dir, 'bad.sqlite'), '--start', '2026', '--days', '2'],
        {
          stdio: 'pipe',
        },
      );
    } catch (err) {
      status = (err as { status: number }).status;
    }
    expect(status).toBe(2);
    expect(existsSync(join(dir, 'bad.sqlite'))).toBe(false);
  });
});

/** Peak resident memory of a running process (Linux), in KiB; null once it has gone. */
function peakRssKiB(pid: number): number | null {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

describe('a busy store\'s day from the generator', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'daystick-demo-big-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  // Memory, not speed: a generator that held the day would need gigabytes here; streaming stays near a small process.
  it('writes a day of 1,000,000 receipts as a real `daystick demo-journal` process in bounded memory', async () => {
    const out = join(dir, 'big.sqlite');
    const child = spawn(
      process.execPath,
      [join(process.cwd(), 'bin', 'daystick.js'), 'demo-journal', '--out', out, '--start', '20261128', '--days', '1', '--receipts-per-day', '1000000'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    let peak = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, peakRssKiB(child.pid!) ?? 0);
    }, 50);
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    clearInterval(sampler);
    expect({ code, text }).toEqual({ code: 0, text: expect.stringContaining('business days 20261128-20261128, 1000000 receipts') });
    const db = new Database(out, { readonly: true });
    try {
      expect(db.prepare("SELECT COUNT(*) FROM F_RECEIPT WHERE business_day = '20261128'").pluck().get()).toBe(1_000_000);
      // Receipt numbers still follow the opening times, as they do on a real register.
      const backwards = db
        .prepare('SELECT COUNT(*) FROM (SELECT opened_at < LAG(opened_at) OVER (ORDER BY receipt_no) AS back FROM F_RECEIPT) WHERE back')
        .pluck()
        .get();
      expect(backwards).toBe(0);
    } finally {
      db.close();
    }
    expect(peak).toBeGreaterThan(0);
    process.stdout.write(`demo-journal 1,000,000 receipts: peak RSS ${Math.round(peak / 1024)} MiB\n`);
    expect(peak).toBeLessThan(256 * 1024);
  }, 600_000);
});
