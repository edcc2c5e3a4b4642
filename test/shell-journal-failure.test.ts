import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDemoJournalFile } from '../src/journal/demo-journal.js';
import { corruptReceiptPage } from './support/corrupt-journal.js';
import { killLiveShells, runShellScript } from './support/shell-session.js';

/**
 * `daystick shell` over a real journal file whose receipt pages are damaged
 * where only the export reads: the day counts still work, the package's
 * read fails part way. The cashier is told it is the register's journal, in
 * the register's language, and is not asked for the stick again.
 */
describe('daystick shell with a journal that cannot be read', () => {
  let dir: string;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'daystick-shell-journal-'));
    await createDemoJournalFile(join(dir, 'journal.sqlite'), {
      start: '20260105',
      days: 1,
      receiptsPerDay: 300,
      seed: 'damaged-shell',
      badRecords: 0,
      closedDays: 0,
    });
    corruptReceiptPage(join(dir, 'journal.sqlite'));
    mkdirSync(join(dir, 'sticks', 'STICK1'), { recursive: true });
  });
  afterEach(() => {
    killLiveShells();
    rmSync(dir, { recursive: true, force: true });
  });

  it('speaks German: the journal is named, support is told what to hear, the close fails at once', async () => {
    const run = await runShellScript(
      ['--journal', 'journal.sqlite', '--data', 'data', '--stick-root', 'sticks', '--lang', 'de', '--wait-stick', '600'],
      ['close'],
      dir,
    );
    expect(run.stdout).toMatch(
      /^\[JOURNAL_READ_FAILED\] Das Journal der Kasse konnte beim Schreiben der Daten vom .* nicht gelesen werden\. Das ist ein Fehler der Kasse, nicht des USB-Sticks: .* Bitte melden Sie dem Support: Journal beschädigt\.$/m,
    );
    expect(run.promptIds).not.toContain('INSERT_STICK');
    expect(run.promptIds).not.toContain('WRITE_FAILED');
    expect(run.promptIds).not.toContain('NOTE_2');
    expect(run.stdout).not.toMatch(/malformed|SQLITE_CORRUPT/);
    expect(readdirSync(join(dir, 'sticks', 'STICK1', 'DAYSTICK', '10001-1'))).toEqual(['register.pub']);
    expect(run.code).toBe(1);
  });
});
