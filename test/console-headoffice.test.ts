import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CENTRAL_TABLES } from '../src/central/central-schema.js';
import { openCentralStore } from '../src/central/open-central-store.js';
import { createTestDatabase, describeWithPostgres, type TestDatabase } from './support/postgres.js';
import { FOLDER, HeadOffice, RANGE, SENT, insertStick, writePackages } from './support/headoffice-console.js';
import { DAYSTICK_BIN } from './support/shell-session.js';

// `daystick headoffice` as head office runs it: the built binary in a child process, a real stick folder
// appearing under its stick root, the console asked over HTTP and (below) in a real Chromium.

async function journalSnapshot(central: string): Promise<string> {
  const store = await openCentralStore(central);
  try {
    const out: Record<string, unknown[]> = {};
    for (const t of CENTRAL_TABLES) out[t.name] = await store.all(`SELECT * FROM ${t.name} ORDER BY ${t.primaryKey.join(', ')}`);
    return JSON.stringify(out);
  } finally {
    await store.close();
  }
}

function consoleSuite(backend: 'sqlite' | 'postgres'): void {
  let work: string;
  let central: string;
  let pgDb: TestDatabase | null = null;
  let office: HeadOffice;
  let base: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), `daystick-console-${backend}-`));
    await writePackages(work, join(work, 'written'), SENT);
    if (backend === 'postgres') {
      pgDb = await createTestDatabase();
      central = pgDb.url;
    } else {
      central = join(work, 'office', 'central.sqlite');
    }
    office = HeadOffice.start(
      [
        '--central',
        central,
        '--head-office-customer',
        '10000',
        '--keys',
        join(work, 'ho-keys'),
        '--stick-root',
        join(work, 'sticks'),
        '--http',
        '127.0.0.1:0',
      ],
      work,
    );
    await office.waitFor('head-office console: ');
    await office.waitFor('watching for sticks');
    base = office.url();
    await insertStick(work, join(work, 'written'), join(work, 'sticks'), 'STICK1');
    await office.waitFor('it can be pulled now');
  }, 90_000);

  afterAll(async () => {
    // As with import's watch mode: the refused package of the last test needs a person, so exit 1.
    if (office) expect(await office.stop()).toBe(1);
    await pgDb?.drop();
    await rm(work, { recursive: true, force: true });
  }, 30_000);

  test('the grid: three days imported, the fourth missing, the day before the first blank, the gap with its re-send key', async () => {
    const res = await fetch(`${base}?${RANGE}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await res.text();
    const cell = (day: string) => new RegExp(`<td class="s-([\\w-]+)" data-day="${day}"`).exec(page)?.[1];
    expect(cell('20260209')).toBe('none');
    expect(cell('20260210')).toBe('quarantine');
    expect(cell('20260211')).toBe('imported');
    expect(cell('20260212')).toBe('missing');
    expect(cell('20260213')).toBe('imported');
    expect(page).toContain(`<tr data-register="${FOLDER}">`);
    expect(page).toContain('<code class="resend">20260212 REPORTS</code>');
    expect(page).toMatch(/Z numbers 3 to 3 are missing/);
    expect(page).toContain(`--reconcile REGISTER_BACKUP.sqlite --from 20260212 --customer 40123 --register 9`);
    // Dates as the clerk reads them, never ISO.
    expect(page).toContain('Thu, 12/02/2026');
    // The quarantined receipt's number is not a gap: it arrived, in quarantine.
    expect(page).not.toContain('data-gap="receipts"');
    expect(page).not.toMatch(/>\s*2026-02-1\d/);
  });

  test('filtering by another register leaves the grid empty, by this one shows it', async () => {
    const other = await (await fetch(`${base}?${RANGE}&register=99999-1`)).text();
    expect(other).not.toContain(`data-register="${FOLDER}"`);
    const same = await (await fetch(`${base}?${RANGE}&register=${FOLDER}`)).text();
    expect(same).toContain(`<tr data-register="${FOLDER}">`);
    expect((await fetch(`${base}?from=20260214&to=20260209`)).status).toBe(400);
    expect((await fetch(`${base}?from=garbage`)).status).toBe(400);
  });

  test('the grid as CSV', async () => {
    const res = await fetch(`${base}grid.csv?${RANGE}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (await res.text()).trimEnd().split('\n');
    expect(lines[0]).toBe('register,last_seen_at,2026-02-09,2026-02-10,2026-02-11,2026-02-12,2026-02-13,2026-02-14');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(new RegExp(`^${FOLDER},\\d{4}-\\d\\d-\\d\\dT[^,]+,none,quarantine,imported,missing,imported,missing$`));
  });

  test('German by ?lang=de and by Accept-Language, dates in German', async () => {
    for (const res of [await fetch(`${base}?${RANGE}&lang=de`), await fetch(`${base}?${RANGE}`, { headers: { 'accept-language': 'de-DE,de;q=0.9,en;q=0.5' } })]) {
      const page = await res.text();
      expect(page).toContain('<html lang="de">');
      expect(page).toContain('Zentrale: Kassen und Tage');
      expect(page).toContain('fehlt');
      expect(page).toContain('Do., 12.02.2026');
      expect(page).toContain('Die Z-Nummern 3 bis 3 fehlen');
    }
  });

  test('the day view: packages, turnover per payment type and VAT rate, counts, quarantined records verbatim', async () => {
    const res = await fetch(`${base}day/${FOLDER}/20260210`);
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('day-close');
    expect(page).toMatch(/<th>Receipts<\/th><td>30<\/td>/);
    expect(page).toMatch(/<table id="payments"><tr><th>/);
    expect(page).toMatch(/<table id="vat"><tr><th>/);
    expect(page).toMatch(/<table id="quarantine">/);
    expect(page).toContain('€');
    // Which stick it came from: this console saw it arrive.
    expect(page).toContain(`<td>${join(work, 'sticks', 'STICK1')}</td>`);
  });

  test('read-only: every writing method is 405, and nothing changes the central journal', async () => {
    const before = await journalSnapshot(central);
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      for (const path of ['', 'grid.csv', `day/${FOLDER}/20260210`, 'events', 'anything']) {
        const res = await fetch(`${base}${path}`, { method, body: method === 'DELETE' ? undefined : 'x=1' });
        expect([method, path, res.status]).toEqual([method, path, 405]);
        expect(res.headers.get('allow')).toBe('GET, HEAD');
      }
    }
    for (const path of ['', `grid.csv?${RANGE}`, `day/${FOLDER}/20260210`, `day/${FOLDER}/20260212`, 'nothing-here']) await (await fetch(`${base}${path}`)).text();
    expect(await journalSnapshot(central)).toBe(before);
    expect((await fetch(`${base}nothing-here`)).status).toBe(404);
  });

  // Last: it adds days the tests above count as missing.
  test('a re-sent day shows as already there, different content as conflicting (stored vs arriving), a damaged package as refused with its reason', async () => {
    const second = join(work, 'second');
    await writePackages(work, second, [
      { day: '20260211', z: 2, kind: 're-send' },
      { day: '20260214', z: 5 },
    ]);
    const zips = (await readdir(join(second, 'DAYSTICK', FOLDER))).filter((f) => f.startsWith('20260214') && f.endsWith('.zip'));
    expect(zips).toHaveLength(1);
    const zip = join(second, 'DAYSTICK', FOLDER, zips[0]!);
    const bytes = await readFile(zip);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = bytes[middle]! ^ 0xff;
    await writeFile(zip, bytes);
    // Another register content under the same receipt ids: conflicts, the stored ones kept.
    await writePackages(work, second, [{ day: '20260213', z: 4, kind: 're-send' }], 6);
    await insertStick(work, second, join(work, 'sticks'), 'STICK2');
    await office.waitFor('it can be pulled now', 2);
    const page = await (await fetch(`${base}?${RANGE}`)).text();
    expect(page).toMatch(/<td class="s-resent" data-day="20260211"/);
    expect(page).toMatch(/<td class="s-refused" data-day="20260214" title="Sat, 14\/02\/2026: refused \([a-z-]+: [^"]+\)"/);
    const csv = await (await fetch(`${base}grid.csv?${RANGE}`)).text();
    expect(page).toMatch(/<td class="s-conflicting" data-day="20260213"/);
    expect(csv.trimEnd().split('\n')[1]).toMatch(/,none,quarantine,resent,missing,conflicting,"?refused: [a-z-]+: /);
    const day = await (await fetch(`${base}day/${FOLDER}/20260213`)).text();
    expect(day).toMatch(/<table id="conflicts">/);
    expect(day).toMatch(/<td>receipt R20260213-0000001<br>/);
    expect(day).toContain('Stored (kept)');
  }, 60_000);
}

describe('daystick headoffice on SQLite', () => consoleSuite('sqlite'));
describeWithPostgres('daystick headoffice on PostgreSQL', () => consoleSuite('postgres'));

describe('daystick headoffice off loopback', () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'daystick-console-token-'));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  test('another address without an access token is refused before anything starts', async () => {
    const office = HeadOffice.start(['--central', join(work, 'c1.sqlite'), '--head-office-customer', '10000', '--stick-root', join(work, 's'), '--http', '0.0.0.0:0'], work);
    expect(await office.exited).toBe(2);
    expect(office.stderr).toContain('set an access token first');
    expect(existsSync(join(work, 'c1.sqlite'))).toBe(false);
  });

  test('with a token stored hashed: 401 without it, 200 with it (Bearer or Basic)', async () => {
    const tokenFile = join(work, 'console-token');
    const token = 'correct horse battery staple';
    const set = spawnSync(process.execPath, [DAYSTICK_BIN, 'headoffice', '--set-access-token', tokenFile], { input: `${token}\n`, encoding: 'utf8' });
    expect(set.status).toBe(0);
    const stored = await readFile(tokenFile, 'utf8');
    expect(stored).toMatch(/^scrypt:/);
    expect(stored).not.toContain(token);
    const short = spawnSync(process.execPath, [DAYSTICK_BIN, 'headoffice', '--set-access-token', join(work, 'short')], { input: 'short\n', encoding: 'utf8' });
    expect(short.status).toBe(2);

    const office = HeadOffice.start(
      ['--central', join(work, 'c2.sqlite'), '--head-office-customer', '10000', '--stick-root', join(work, 's'), '--http', '0.0.0.0:0', '--access-token-file', tokenFile],
      work,
    );
    try {
      await office.waitFor('head-office console: ');
      const port = new URL(office.url()).port;
      const url = `http://127.0.0.1:${port}/`;
      const without = await fetch(url);
      expect(without.status).toBe(401);
      expect(without.headers.get('www-authenticate')).toMatch(/^Basic /);
      expect((await fetch(url, { headers: { authorization: 'Bearer wrong token here' } })).status).toBe(401);
      expect((await fetch(url, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      const basic = Buffer.from(`clerk:${token}`).toString('base64');
      expect((await fetch(`${url}grid.csv`, { headers: { authorization: `Basic ${basic}` } })).status).toBe(200);
      expect((await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}` } })).status).toBe(405);
    } finally {
      expect(await office.stop()).toBe(0);
    }
  }, 60_000);
});
