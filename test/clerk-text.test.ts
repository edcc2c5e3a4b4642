import { readFileSync } from 'node:fs';
import { CLERK_TEXT, EXPLAINED_PROBLEMS, clerkText } from '../src/headoffice/clerk-text.js';
import { LanguageOptionError, languageFromEnv, takeLanguageOption } from '../src/prompts/language.js';

describe('the clerk text table of the head-office commands', () => {
  it('has every key in English and German, none empty, with the same placeholders', () => {
    const en = Object.keys(CLERK_TEXT.en).sort();
    const de = Object.keys(CLERK_TEXT.de).sort();
    expect(de).toEqual(en);
    const names = (t: string) => [...t.matchAll(/\{(\w+)/g)].map((m) => m[1]).filter((n, i, all) => all.indexOf(n) === i).sort();
    for (const key of en as (keyof typeof CLERK_TEXT.en)[]) {
      expect({ key, en: CLERK_TEXT.en[key].length > 0, de: CLERK_TEXT.de[key].length > 0 }).toEqual({ key, en: true, de: true });
      // German may leave out a raw `message`/`reason` (it goes to the detail line), never add one English lacks.
      const missing = names(CLERK_TEXT.de[key]).filter((n) => !names(CLERK_TEXT.en[key]).includes(n));
      expect({ key, missing }).toEqual({ key, missing: [] });
    }
  });

  it('explains every problem name of the stick format and of the import in German', () => {
    const sources = ['src/package/verify.ts', 'src/headoffice/import-package.ts', 'src/package/backup-manifest.ts'].map((f) => readFileSync(f, 'utf8'));
    const union = (text: string, type: string) => {
      const body = new RegExp(`export type ${type} =([^;]+);`).exec(text)![1]!;
      return [...body.matchAll(/\| '([a-z0-9-]+)'/g)].map((m) => m[1]!);
    };
    const codes = [...union(sources[0]!, 'PackageProblemCode'), ...union(sources[1]!, 'RefusalCode'), ...union(sources[2]!, 'BackupProblem')];
    expect(codes.length).toBeGreaterThan(30);
    expect(codes.filter((c) => !EXPLAINED_PROBLEMS.includes(c))).toEqual([]);
  });

  it('shows days as local dates in both languages', () => {
    expect(clerkText('en', 'reconcile.backup', { day: '20260105', file: 'f', bytes: 1, key: 'k' })).toMatch(/^backup of business day 5 Jan 2026, /);
    expect(clerkText('de', 'reconcile.backup', { day: '20260105', file: 'f', bytes: 1, key: 'k' })).toMatch(/^Sicherung vom Geschäftstag 05\.01\.2026, /);
    expect(clerkText('de', 'tally', { packages: 2, imported: 2, already: 0, conflicting: 0, refused: 0, failed: 0, ack: '' })).toMatch(/^2 Pakete: /);
  });
});

describe('the language of a command-line program', () => {
  it('comes from --lang, else DAYSTICK_LANG, else LC_ALL, LC_MESSAGES, LANG (de… → de), else en', () => {
    expect(takeLanguageOption(['a', '--lang', 'de', 'b'], {})).toEqual({ lang: 'de', rest: ['a', 'b'] });
    expect(takeLanguageOption(['--lang=en'], { LANG: 'de_DE.UTF-8' })).toEqual({ lang: 'en', rest: [] });
    expect(languageFromEnv({ DAYSTICK_LANG: 'de', LANG: 'en_GB.UTF-8' })).toBe('de');
    expect(languageFromEnv({ LC_ALL: 'de_CH.UTF-8', LANG: 'en_US' })).toBe('de');
    expect(languageFromEnv({ LC_ALL: '', LC_MESSAGES: 'de_DE', LANG: 'en_US' })).toBe('de');
    expect(languageFromEnv({ LANG: 'de' })).toBe('de');
    expect(languageFromEnv({ LANG: 'den_XX' })).toBe('en');
    expect(languageFromEnv({ LANG: 'C.UTF-8' })).toBe('en');
    expect(languageFromEnv({})).toBe('en');
  });

  it('refuses a value other than en or de by name', () => {
    expect(() => takeLanguageOption(['--lang', 'fr'], {})).toThrow(LanguageOptionError);
    expect(() => takeLanguageOption(['--lang'], {})).toThrow('--lang takes en or de, not ""');
  });
});
