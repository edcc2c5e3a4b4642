import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDayPackage } from '../src/export/index.js';
import { DAYSTICK_BIN } from './support/shell-session.js';
import { createSyntheticJournal } from './support/synthetic-journal.js';

// The head-office commands in German: the built binary in a child process, by --lang and by the locale (LANG).

const DAY = '20260105';
const FOLDER = '40123-9';

/** The environment without any language variable, so only what a test sets decides. */
function plainEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['DAYSTICK_LANG', 'LC_ALL', 'LC_MESSAGES', 'LANG', 'LANGUAGE']) delete env[name];
  return { ...env, TZ: 'Europe/Berlin', ...extra };
}

function daystick(args: string[], cwd: string, env: NodeJS.ProcessEnv = plainEnv()): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [DAYSTICK_BIN, ...args], { cwd, env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'daystick-cli-lang-'));
  const synthetic = createSyntheticJournal({ days: { [DAY]: { receipts: 30 } }, seed: 5 });
  await mkdir(join(work, 'stick'));
  await writeDayPackage({
    stickPath: join(work, 'stick'),
    identity: { customerNumber: '40123', registerId: '9' },
    businessDay: DAY,
    closingNumber: 1,
    kind: 'day-close',
    includeTimeRecords: true,
    journal: synthetic.journal,
    timeRecording: synthetic.timeRecording,
    keyDir: join(work, 'register-keys'),
    now: () => Date.UTC(2026, 0, 5, 21),
    signal: new AbortController().signal,
  });
  await mkdir(join(work, 'office'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

test('import --lang de: German header, rows with the date as 05.01.2026, status words, tally and summary', () => {
  const central = join(work, 'office', 'central.sqlite');
  const run = daystick(['import', join(work, 'stick'), '--central', central, '--head-office-customer', '10000', '--lang', 'de'], work);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(/^KASSE +TAG +ART +BONS +STATUS +FORTSCHRITT$/m);
  expect(run.stdout).toMatch(new RegExp(`^${FOLDER} +05\\.01\\.2026 +wird geprüft$`, 'm'));
  expect(run.stdout).toMatch(new RegExp(`^${FOLDER} +05\\.01\\.2026 +day-close +30 importiert +100%$`, 'm'));
  expect(run.stdout).toMatch(/^ {4}Bons: 30 neu, 0 schon importiert, 0 Konflikte; Warenbuchungen: /m);
  expect(run.stdout).toMatch(/^ {4}Bestätigung geschrieben: /m);
  expect(run.stdout).toContain('Kundennummer der Zentrale 10000');
  expect(run.stdout).toMatch(/^1 Paket: 1 importiert, 0 schon importiert, 0 mit Konflikten, 0 abgelehnt, 0 fehlgeschlagen$/m);
  // No raw YYYYMMDD day and no English word of the list is left for the clerk.
  expect(run.stdout).not.toMatch(/\b20260105\b(?!_)/);
  expect(run.stdout).not.toMatch(/\b(imported|receipts|package|acknowledgement written)\b/);

  const again = daystick(['import', join(work, 'stick'), '--central', central, '--lang=de'], work);
  expect(again.code).toBe(0);
  expect(again.stdout).toMatch(new RegExp(`^${FOLDER} +05\\.01\\.2026 +day-close +30 schon importiert +100%$`, 'm'));
});

test('LANG=de_DE.UTF-8 chooses German without --lang; --lang en and DAYSTICK_LANG win over it', () => {
  const central = join(work, 'office', 'central.sqlite');
  const de = daystick(['import', join(work, 'stick'), '--central', central, '--head-office-customer', '10000'], work, plainEnv({ LANG: 'de_DE.UTF-8' }));
  expect(de.code).toBe(0);
  expect(de.stdout).toMatch(new RegExp(`^${FOLDER} +05\\.01\\.2026 +day-close +30 importiert +100%$`, 'm'));

  const en = daystick(['import', join(work, 'stick'), '--central', central, '--lang', 'en'], work, plainEnv({ LANG: 'de_DE.UTF-8' }));
  expect(en.code).toBe(0);
  expect(en.stdout).toMatch(/^REGISTER +DAY +KIND +RECEIPTS +STATUS +PROGRESS$/m);
  expect(en.stdout).toMatch(new RegExp(`^${FOLDER} +5 Jan 2026 +day-close +30 already-imported +100%$`, 'm'));

  const own = daystick(['verify', join(work, 'stick')], work, plainEnv({ LANG: 'de_DE.UTF-8', DAYSTICK_LANG: 'en' }));
  expect(own.stdout).toContain('1 package checked: 1 whole, 0 with problems');
  const lcAll = daystick(['verify', join(work, 'stick')], work, plainEnv({ LANG: 'en_GB.UTF-8', LC_ALL: 'de_AT.UTF-8' }));
  expect(lcAll.stdout).toContain('1 Paket geprüft: 1 vollständig, 0 mit Problemen');
});

test('a refused package in German: the problem name beside its German explanation, the raw sentence on stderr only', async () => {
  const registerDir = join(work, 'stick', 'DAYSTICK', FOLDER);
  const signature = (await readdir(registerDir)).find((n) => n.endsWith('.manifest.sig'))!;
  await cp(join(registerDir, signature), join(work, 'kept.sig'));
  await rm(join(registerDir, signature));
  const central = join(work, 'office', 'central.sqlite');
  const run = daystick(['import', join(work, 'stick'), '--central', central, '--head-office-customer', '10000', '--lang', 'de'], work);
  expect(run.code).toBe(1);
  expect(run.stdout).toMatch(new RegExp(`^${FOLDER} +05\\.01\\.2026 +day-close +30 abgelehnt +-$`, 'm'));
  expect(run.stdout).toMatch(/^ {4}ABGELEHNT \(missing-signature\): die Signatur fehlt$/m);
  expect(run.stdout).toMatch(/^ {4}Paket unverändert gelassen in /m);
  expect(run.stdout).toMatch(/0 importiert, 0 schon importiert, 0 mit Konflikten, 1 abgelehnt/);
  expect(run.stderr).toMatch(/^daystick import: 40123-9 \S+ missing-signature: /m);

  const verified = daystick(['verify', join(work, 'stick'), '--lang', 'de'], work);
  expect(verified.code).toBe(1);
  expect(verified.stdout).toMatch(new RegExp(`^05\\.01\\.2026  ${FOLDER}  day-close  30 Bons  FEHLER  `, 'm'));
  expect(verified.stdout).toMatch(/^ {4}missing-signature: die Signatur fehlt$/m);
  expect(verified.stdout).toMatch(/^1 Paket geprüft: 0 vollständig, 1 mit Problemen$/m);
  expect(verified.stderr).toMatch(/missing-signature: /);
});

test('verify --lang de on a whole package; usage and wrong calls in German', () => {
  const ok = daystick(['verify', '--lang', 'de', join(work, 'stick')], work);
  expect(ok.code).toBe(0);
  expect(ok.stdout).toMatch(new RegExp(`^05\\.01\\.2026  ${FOLDER}  day-close  30 Bons  OK`, 'm'));
  expect(ok.stdout).toMatch(/^1 Paket geprüft: 1 vollständig, 0 mit Problemen$/m);

  const usage = daystick(['--lang', 'de'], work);
  expect(usage.code).toBe(2);
  expect(usage.stderr).toMatch(/^Aufruf: daystick <Befehl> \[Optionen\]$/m);
  expect(usage.stderr).toMatch(/^ {2}daystick import +Zentrale: Pakete von Sticks/m);
  const unknown = daystick(['frobnicate'], work, plainEnv({ LANG: 'de_DE.UTF-8' }));
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain('daystick: unbekannter Befehl „frobnicate“');

  const help = daystick(['import', '--help', '--lang', 'de'], work);
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/^Aufruf:$/m);
  expect(help.stdout).toContain('--lang en|de ');
  const noCentral = daystick(['import', join(work, 'stick'), '--lang', 'de'], work);
  expect(noCentral.code).toBe(2);
  expect(noCentral.stderr).toMatch(/^daystick import: --central DATEI\|postgres:\/\/\.\.\. ist erforderlich$/m);
  const unknownOption = daystick(['import', '--frob', '--lang', 'de'], work);
  expect(unknownOption.code).toBe(2);
  expect(unknownOption.stderr).toMatch(/^daystick import: unbekannte Option --frob$/m);
  const missing = daystick(['import', join(work, 'nowhere'), '--central', join(work, 'office', 'c.sqlite'), '--lang', 'de'], work);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toMatch(/kann nicht gelesen werden: kein solcher Ordner$/m);
});

test('a bad --lang is a named usage error with exit 2 on import, verify and headoffice, and nothing is created', async () => {
  const central = join(work, 'office', 'central.sqlite');
  for (const command of [
    ['import', join(work, 'stick'), '--central', central, '--lang', 'fr'],
    ['verify', join(work, 'stick'), '--lang=fr'],
    ['headoffice', '--central', central, '--lang', 'fr'],
  ]) {
    const r = daystick(command, work);
    expect({ command: command[0], code: r.code }).toEqual({ command: command[0], code: 2 });
    expect(r.stderr).toContain('--lang takes en or de, not "fr"');
    expect(r.stdout).toBe('');
  }
  const de = daystick(['import', '--central', central, '--lang', 'xx'], work, plainEnv({ LANG: 'de_DE.UTF-8' }));
  expect(de.code).toBe(2);
  expect(de.stderr).toContain('--lang erwartet en oder de, nicht „xx“');
  expect(await readdir(join(work, 'office'))).toEqual([]);
});

test("headoffice's own options and its access-token file are refused in the clerk's language, by name, with exit 2 and nothing created", async () => {
  const central = join(work, 'office', 'central.sqlite');
  const cases: Array<{ args: string[]; en: RegExp; de: RegExp }> = [
    { args: ['--http', 'localhost'], en: /--http takes HOST:PORT/, de: /--http erwartet HOST:PORT/ },
    { args: ['--http', '127.0.0.1:70000'], en: /the port is at most 65535/, de: /der Port ist höchstens 65535/ },
    { args: ['--stale-days', 'x'], en: /--stale-days must be a whole number/, de: /--stale-days muss eine ganze Zahl sein/ },
    { args: ['--stale-days', '0'], en: /--stale-days must be at least 1/, de: /--stale-days muss mindestens 1 sein/ },
    { args: ['--stale-days'], en: /option --stale-days needs a value/, de: /Option --stale-days|--stale-days.*Wert/ },
    {
      args: ['--access-token-file', join(work, 'no-such-token')],
      en: /the access-token file .*no-such-token does not exist; make one with daystick headoffice --set-access-token/,
      de: /die Zugangsschlüssel-Datei .*no-such-token gibt es nicht/,
    },
  ];
  for (const c of cases) {
    for (const lang of ['en', 'de'] as const) {
      const r = daystick(['headoffice', '--central', central, '--head-office-customer', '10000', ...c.args, '--lang', lang], work);
      expect({ args: c.args, lang, code: r.code }).toEqual({ args: c.args, lang, code: 2 });
      expect(r.stderr).toMatch(lang === 'en' ? c.en : c.de);
      expect(r.stderr).not.toMatch(/ENOENT|errno/);
    }
  }
  const notToken = join(work, 'not-a-token');
  await writeFile(notToken, 'hello\n');
  const bad = daystick(['headoffice', '--central', central, '--http', '0.0.0.0:0', '--access-token-file', notToken, '--lang', 'de'], work);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/not-a-token ist keine Zugangsschlüssel-Datei der daystick-Konsole/);
  const short = spawnSync(process.execPath, [DAYSTICK_BIN, 'headoffice', '--set-access-token', join(work, 'short-token'), '--lang', 'de'], {
    input: 'short\n',
    encoding: 'utf8',
    env: plainEnv({}),
  });
  expect(short.status).toBe(2);
  expect(short.stderr).toMatch(/der Zugangsschlüssel muss mindestens 12 Zeichen lang sein/);
  expect(existsSync(join(work, 'short-token'))).toBe(false);
  expect(await readdir(join(work, 'office'))).toEqual([]);
});
