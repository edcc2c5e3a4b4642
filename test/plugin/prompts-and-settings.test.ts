import { readManifest } from '../../src/plugin/manifest.js';
import { readFile } from 'node:fs/promises';
import { PROMPTS } from '../../src/prompts/catalog.js';
import { PromptBus } from '../../src/prompts/prompt-bus.js';
import { renderPrompt } from '../../src/prompts/render.js';
import { parseSettings, recipientList } from '../../src/settings/settings.js';
import { MemoryLogger, REGISTER_SETTINGS, RecordingDisplay } from '../support/test-host.js';

const placeholders = (t: string) => [...t.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('prompt catalog', () => {
  test.each(Object.entries(PROMPTS))('%s has English and German text with the same parameters', (_id, p) => {
    expect(p.en.length).toBeGreaterThan(0);
    expect(p.de.length).toBeGreaterThan(0);
    expect(placeholders(p.de)).toEqual(placeholders(p.en));
  });

  test("Note 1 and Note 2 are the seed's texts, word for word", async () => {
    const seed = await readFile(new URL('../../../shared/seed/000_8049031edef5291f.txt', import.meta.url), 'utf8').catch(
      () => null,
    );
    const note1 = renderPrompt('NOTE_1', {}, 'en').text;
    const note2 = renderPrompt('NOTE_2', {}, 'en').text;
    expect(note1).toBe(
      'The booking data for the head office has been saved on the USB stick. However, the final master data backup still follows. Please do not remove the USB stick until the master data backup has been completed.',
    );
    expect(note2).toBe('The booking data has been saved to the USB stick. You can remove the stick now.');
    if (seed) {
      expect(seed).toContain(`Note 1: "${note1.slice(0, -1)}`);
      expect(seed).toContain(`Note 2: "${note2}"`);
    }
  });

  test('BACKUP_FAILED names its reason in the prompt language and never passes a raw message through', () => {
    expect(renderPrompt('BACKUP_FAILED', { reason: 'stalled' }, 'en').text).toBe(
      'The booking data is saved on the USB stick, but the master data backup did not complete (the USB stick stopped responding). The master data backup on the stick is incomplete.',
    );
    expect(renderPrompt('BACKUP_FAILED', { reason: 'stick-full' }, 'de').text).toContain('(der USB-Stick ist voll)');
    const raw = renderPrompt('BACKUP_FAILED', { reason: 'ENOTCONN: socket is not connected, write' }, 'de').text;
    expect(raw).toContain('(ein Fehler ist aufgetreten; die Einzelheiten stehen im Protokoll)');
    expect(raw).not.toContain('ENOTCONN');
  });

  test('a missing parameter stays visible instead of vanishing', () => {
    expect(renderPrompt('STICK_READ_ONLY', {}, 'en').text).toContain('"{label}"');
  });

  test('a display that throws is logged, the bus carries on', () => {
    const logger = new MemoryLogger();
    const bus = new PromptBus('de', logger);
    const display = new RecordingDisplay();
    display.throwOnShow = true;
    bus.attach(display);
    expect(() => bus.show('NOTE_2')).not.toThrow();
    expect(display.shown[0]?.text).toBe('Die Buchungsdaten wurden auf dem USB-Stick gespeichert. Sie können den Stick jetzt entfernen.');
    expect(logger.lines.some((l) => l.startsWith('error display show handler threw'))).toBe(true);
  });
});

describe('settings', () => {
  test('valid settings pass unchanged', () => {
    expect(parseSettings(REGISTER_SETTINGS)).toEqual(REGISTER_SETTINGS);
  });

  test.each([
    [{ customerNumber: 'abc' }, /customerNumber: a customer number is 1 to 12 digits/],
    [{ customerNumber: null }, /customerNumber: is required when "Save transactions for the central" is on/],
    [{ headOfficeCustomerNumber: null }, /headOfficeCustomerNumber: is required/],
    // Without a recipient the day would go in the clear: the plugin refuses instead.
    [{ headOfficeRecipients: null }, /headOfficeRecipients: is required when "Save transactions for the central" is on/],
    [{ headOfficeRecipients: '  ' }, /headOfficeRecipients: is required/],
    [{ headOfficeRecipients: 'age1notarecipient' }, /headOfficeRecipients: "age1notarecipient" is not an age X25519 recipient/],
    [
      { headOfficeRecipients: `${REGISTER_SETTINGS.headOfficeRecipients}, AGE-SECRET-KEY-1P53DCW9LH29ZSUE8XA2R2SHLEXKX4Q5MUYTPQDXSDFPSL6Z3ASRSEMDXNL` },
      /headOfficeRecipients: "AGE-SECRET-KEY-1.*is not an age X25519 recipient/,
    ],
    [{ language: 'fr' }, /language: /],
    [{ masterDataBackup: 'yes' }, /masterDataBackup: /],
    [{ unknownSwitch: true }, /Unrecognized key.*unknownSwitch/],
    [{ customerNumber: '10000' }, /customer number 10000 is the head office's.*licence violation/s],
    // Leading zeros do not make another customer: the same number as head office's, however it is written, is refused.
    [{ customerNumber: '0010000' }, /customer number 0010000 is the head office's \(10000\).*licence violation/s],
    [{ customerNumber: '10000', headOfficeCustomerNumber: '000010000' }, /customer number 10000 is the head office's \(000010000\)/],
    [{ keepConfirmedDays: -1 }, /keepConfirmedDays: /],
    [{ keepConfirmedDays: 367 }, /keepConfirmedDays: /],
    [{ keepConfirmedDays: 2.5 }, /keepConfirmedDays: /],
  ])('%o is refused by name', (change, message) => {
    expect(() => parseSettings({ ...REGISTER_SETTINGS, ...change })).toThrow(message);
  });

  test('several recipients for key rotation, separated by spaces, commas or lines', async () => {
    const { stdout } = await import('node:child_process').then((cp) => ({ stdout: cp.execFileSync('age-keygen', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }) }));
    const second = /public key: (age1[0-9a-z]+)/.exec(stdout)![1]!;
    const s = parseSettings({ ...REGISTER_SETTINGS, headOfficeRecipients: `${REGISTER_SETTINGS.headOfficeRecipients},\n ${second}` });
    expect(recipientList(s.headOfficeRecipients)).toEqual([REGISTER_SETTINGS.headOfficeRecipients, second]);
  });

  test('with the switch off, no customer numbers are needed', () => {
    const s = parseSettings({ ...REGISTER_SETTINGS, saveTransactionsForCentral: false, customerNumber: null });
    expect(s.saveTransactionsForCentral).toBe(false);
  });

  test('every integer setting declares in the manifest the range the settings schema enforces', async () => {
    const manifest = await readManifest(new URL('../../plugin.manifest.json', import.meta.url).pathname);
    const integers = Object.entries(manifest.settings).filter(([, d]) => d.type === 'integer');
    expect(integers.map(([k]) => k)).toContain('keepConfirmedDays');
    for (const [key, declared] of integers) {
      if (declared.type !== 'integer') continue;
      expect([key, typeof declared.min, typeof declared.max]).toEqual([key, 'number', 'number']);
      expect(parseSettings({ ...REGISTER_SETTINGS, [key]: declared.min })).toMatchObject({ [key]: declared.min });
      expect(parseSettings({ ...REGISTER_SETTINGS, [key]: declared.max })).toMatchObject({ [key]: declared.max });
      expect(() => parseSettings({ ...REGISTER_SETTINGS, [key]: declared.min! - 1 })).toThrow(new RegExp(`${key}: `));
      expect(() => parseSettings({ ...REGISTER_SETTINGS, [key]: declared.max! + 1 })).toThrow(new RegExp(`${key}: `));
    }
    // A register whose stored settings predate the setting gets the manifest's default.
    const { keepConfirmedDays: _, ...older } = REGISTER_SETTINGS;
    expect(parseSettings(older).keepConfirmedDays).toBe(manifest.settings.keepConfirmedDays?.default);
  });
});

describe('plural forms', () => {
  const pluralPart = (t: string) => [...t.matchAll(/\{(\w+)\|([^|{}]*)\|([^|{}]*)\}/g)].map((m) => m[1]);
  test.each(Object.entries(PROMPTS))('%s names the same plural parameters in English and German', (_id, p) => {
    expect(pluralPart(p.de)).toEqual(pluralPart(p.en));
  });

  test.each([
    ['en', 1, '1 day confirmed by head office was cleared from the USB stick.'],
    ['en', 3, '3 days confirmed by head office were cleared from the USB stick.'],
    ['de', 1, '1 von der Zentrale bestätigter Tag wurde vom USB-Stick gelöscht.'],
    ['de', 12, '12 von der Zentrale bestätigte Tage wurden vom USB-Stick gelöscht.'],
  ] as const)('CONFIRMED_DAYS_CLEARED in %s for %d', (lang, count, text) => {
    expect(renderPrompt('CONFIRMED_DAYS_CLEARED', { count }, lang).text).toBe(text);
  });

  test('a plural without its number stays visible rather than guessing a form', () => {
    expect(renderPrompt('CONFIRMED_DAYS_CLEARED', {}, 'en').text).toContain('{count|');
  });
});
