import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { FOLDER, HeadOffice, RANGE, SENT, insertStick, writePackages } from './support/headoffice-console.js';

// The head-office console in a real Chromium (Debian's, installed by .ci/run), driven by playwright-core.

const CHROMIUM = '/usr/bin/chromium';

function describeWithChromium(name: string, body: () => void): void {
  if (existsSync(CHROMIUM)) {
    describe(name, body);
    return;
  }
  if (process.env.CI === 'true') {
    describe(name, () => {
      test('Chromium is available in CI', () => {
        throw new Error(`CI must run the browser tests, but ${CHROMIUM} is missing (.ci/run installs Debian's chromium)`);
      });
    });
    return;
  }
  console.warn(`\n!!! SKIPPED "${name}": the browser tests need Debian's chromium at ${CHROMIUM} (apt-get install chromium)\n`);
  describe.skip(name, body);
}

describeWithChromium('the head-office console in Chromium', () => {
  let work: string;
  let office: HeadOffice;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'daystick-console-browser-'));
    await writePackages(work, join(work, 'written'), SENT);
    // The next day, on a stick of its own, inserted while the page is open.
    await writePackages(work, join(work, 'later'), [{ day: '20260214', z: 5 }]);
    office = HeadOffice.start(
      ['--central', join(work, 'central.sqlite'), '--head-office-customer', '10000', '--stick-root', join(work, 'sticks'), '--http', '127.0.0.1:0'],
      work,
    );
    await office.waitFor('head-office console: ');
    await office.waitFor('watching for sticks');
    base = office.url();
    await insertStick(work, join(work, 'written'), join(work, 'sticks'), 'STICK1');
    await office.waitFor('it can be pulled now');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    if (office) expect(await office.stop()).toBe(0);
    await rm(work, { recursive: true, force: true });
  }, 30_000);

  test('the grid shows the three days, the missing one, the legend and the re-send hint; a stick inserted makes a live row appear', async () => {
    const page = await browser.newPage({ locale: 'en-GB' });
    await page.goto(`${base}?${RANGE}`);
    const row = page.locator(`#grid tr[data-register="${FOLDER}"]`);
    for (const { day } of SENT) expect(await row.locator(`td[data-day="${day}"]`).getAttribute('class')).toMatch(/^s-(imported|quarantine)$/);
    const missing = row.locator('td[data-day="20260212"]');
    // A cell says its status by its class and symbol, the legend names both; the column head gives the day.
    expect(await missing.getAttribute('class')).toBe('s-missing');
    expect(await missing.textContent()).toBe('!');
    expect(await page.locator('#grid th[data-day="20260212"]').textContent()).toContain('12/02');
    // The colour the legend promises is the one the cell has.
    const legendMissing = page.locator('#legend span[data-status="missing"]');
    expect(await legendMissing.textContent()).toContain('missing');
    // Runs in the page: the tests compile without the DOM library, so the window is described here.
    type PageWindow = { getComputedStyle(e: unknown): { backgroundColor: string } };
    const colour = (l: typeof missing) => l.evaluate((el) => (globalThis as unknown as PageWindow).getComputedStyle(el).backgroundColor);
    expect(await colour(missing)).toBe(await colour(legendMissing));
    expect(await page.locator('#legend span').count()).toBe(8);
    expect(await page.locator('#gaps li[data-gap="day"] code.resend').textContent()).toBe('20260212 REPORTS');

    expect(await page.locator(`#live tr[data-day="20260214"]`).count()).toBe(0);
    await insertStick(work, join(work, 'later'), join(work, 'sticks'), 'STICK2');
    const live = page.locator(`#live tr[data-register="${FOLDER}"][data-day="20260214"]`);
    await live.waitFor({ timeout: 30_000 });
    await page.locator('#live tr[data-day="20260214"][data-status="imported"]').waitFor({ timeout: 30_000 });
    expect(await live.locator('td').nth(1).textContent()).toBe('Sat, 14/02/2026');
    await page.locator('#live-notes li', { hasText: 'Stick "STICK2": done, you can pull the stick now.' }).waitFor({ timeout: 30_000 });

    // Reloaded, the grid has the new day.
    await page.reload();
    expect(await page.locator(`#grid tr[data-register="${FOLDER}"] td[data-day="20260214"]`).getAttribute('class')).toBe('s-imported');
    await page.close();
  }, 90_000);

  test('a German browser gets the German page with German dates', async () => {
    const page = await browser.newPage({ locale: 'de-DE', extraHTTPHeaders: { 'accept-language': 'de-DE,de;q=0.9' } });
    await page.goto(`${base}?${RANGE}`);
    expect(await page.locator('h1').textContent()).toBe('Zentrale: Kassen und Tage');
    expect(await page.locator('#legend span[data-status="missing"]').textContent()).toContain('fehlt');
    expect(await page.locator(`#grid tr[data-register="${FOLDER}"] td[data-day="20260212"]`).getAttribute('class')).toBe('s-missing');
    expect(await page.locator('#grid th[data-day="20260212"]').textContent()).toContain('12.02');
    await page.goto(`${base}day/${FOLDER}/20260210`);
    expect(await page.locator('h1').textContent()).toBe(`${FOLDER} · Di., 10.02.2026`);
    await page.close();
  }, 60_000);
});
