import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { HeadOffice } from './support/headoffice-console.js';
import { runShellScript } from './support/shell-session.js';

/**
 * Issue 14's "done", in its order: `npm run headoffice` first (nothing there
 * yet: no journal, no sticks folder, no head-office identity), then `npm start`
 * closes a day onto a demo stick. The shell makes head office's identity on its
 * first start, after head office began watching; the day must still be
 * imported and show in the console with its figures, not be refused for want
 * of a key that exists by the time the stick arrives.
 */
describe('npm run headoffice, then npm start', () => {
  let work: string;
  let office: HeadOffice | null = null;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'daystick-demo-order-'));
  });

  afterAll(async () => {
    if (office) expect(await office.stop()).toBe(0);
    await rm(work, { recursive: true, force: true });
  }, 30_000);

  test('the day closed in the shell is imported and shows in the console with its figures', async () => {
    // The arguments of `npm run headoffice`, with a free port.
    office = HeadOffice.start(
      ['--central', '.daystick/central.sqlite', '--stick-root', '.daystick/sticks', '--head-office-customer', '10000', '--http', '127.0.0.1:0'],
      work,
    );
    await office.waitFor('watching for sticks');
    expect(office.stdout).toContain('no head-office age identity yet');
    const base = office.url();

    await mkdir(join(work, '.daystick', 'sticks', 'STICK1'), { recursive: true });
    const shell = await runShellScript(['--wait-stick', '30', '--backup', 'off', '--lang', 'en'], ['close'], work, 90_000);
    expect(shell.promptIds).toContain('NOTE_2');
    expect(shell.code).toBe(0);

    await office.waitFor('it can be pulled now');
    expect(office.stdout).toContain("head office's age identity");
    expect(office.stdout).toMatch(/found: encrypted packages can be opened now/);
    expect(office.stdout).not.toContain('REFUSED');
    expect(office.stdout).toMatch(/1 imported, 0 already imported, 0 with conflicts, 0 refused, 0 failed/);

    const db = new Database(join(work, '.daystick', 'central.sqlite'), { readonly: true });
    let day: string;
    let receipts: number;
    try {
      day = db.prepare("SELECT business_day FROM packages WHERE kind = 'day-close'").pluck().get() as string;
      receipts = Number(db.prepare('SELECT count(*) FROM receipts').pluck().get());
    } finally {
      db.close();
    }
    expect(day).toMatch(/^\d{8}$/);
    expect(receipts).toBeGreaterThan(0);
    // The stick holds head office's receipt for the package: the register can release it.
    const registerFolder = join(work, '.daystick', 'sticks', 'STICK1', 'DAYSTICK', '10001-1');
    expect((await readdir(registerFolder, { recursive: true })).some((f) => String(f).includes('ack'))).toBe(true);

    const grid = await (await fetch(`${base}?from=${day}&to=${day}&lang=en`)).text();
    expect(grid).toMatch(new RegExp(`<td class="s-imported" data-day="${day}"`));
    expect(grid).toContain('<tr data-register="10001-1">');
    const view = await fetch(`${base}day/10001-1/${day}?lang=en`);
    expect(view.status).toBe(200);
    const page = await view.text();
    // The day's figures: its receipt count as head office stored it.
    expect(page).toContain(String(receipts));
  }, 180_000);
});
