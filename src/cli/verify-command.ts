import { parseArgs } from 'node:util';
import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { AGE_IDENTITY_FILE, AgeIdentityError, readIdentityFile } from '../package/age-file.js';
import { listPackages } from '../package/reader.js';
import { type PackageVerdict, verifyPackage } from '../package/verify.js';
import type { Language } from '../prompts/catalog.js';
import { LanguageOptionError, languageFromEnv, takeLanguageOption } from '../prompts/language.js';
import { clerkDay, clerkText, errorLines, problemText } from '../headoffice/clerk-text.js';

const USAGE: Readonly<Record<Language, string>> = {
  en:
    'usage: daystick verify [--identity FILE] [--lang en|de] PATH...\n' +
    '  PATH: a stick, its DAYSTICK folder, a register folder, or any folder with sticks below it\n' +
    "  --identity FILE: head office's age identity (default: the demo shell's .daystick/headoffice-age-identity.txt);\n" +
    "                   without one a version-2 package's encrypted contents are not checked\n" +
    '  --lang en|de: language of the lines (default: DAYSTICK_LANG, else LC_ALL/LC_MESSAGES/LANG de_… → de, else en)\n',
  de:
    'Aufruf: daystick verify [--identity DATEI] [--lang en|de] PFAD...\n' +
    '  PFAD: ein Stick, sein DAYSTICK-Ordner, ein Kassenordner oder ein Ordner mit Sticks darunter\n' +
    '  --identity DATEI: age-Schlüssel der Zentrale (Vorgabe: der der Demo-Shell, .daystick/headoffice-age-identity.txt);\n' +
    '                    ohne ihn wird der verschlüsselte Inhalt eines Pakets der Version 2 nicht geprüft\n' +
    '  --lang en|de: Sprache der Zeilen (Vorgabe: DAYSTICK_LANG, sonst LC_ALL/LC_MESSAGES/LANG de_… → de, sonst en)\n',
};

/**
 * `daystick verify PATH...`: one line per package, then a summary. Exit 0
 * only when at least one package was found and every package is whole; 1
 * when any package has a problem or none was found (an empty stick is not
 * proof that a day arrived); 2 for a wrong call or an unreadable PATH.
 */
export async function runVerifyCommand(allArgs: string[]): Promise<number> {
  let lang: Language;
  let args: string[];
  try {
    ({ lang, rest: args } = takeLanguageOption(allArgs));
  } catch (err) {
    if (!(err instanceof LanguageOptionError)) throw err;
    const envLang = languageFromEnv();
    process.stderr.write(`daystick verify: ${clerkText(envLang, 'arg.lang', { value: err.value })}\n${USAGE[envLang]}`);
    return 2;
  }
  if (args.length === 0 || args.some((a) => a === '--help' || a === '-h')) {
    (args.length === 0 ? process.stderr : process.stdout).write(USAGE[lang]);
    return args.length === 0 ? 2 : 0;
  }
  let paths: string[];
  let identities: string[] = [];
  try {
    const parsed = parseArgs({ args, strict: true, allowPositionals: true, options: { identity: { type: 'string' } } });
    paths = parsed.positionals;
    // Given, else the demo shell's head-office identity when run from the demo's folder.
    const demo = resolve('.daystick', AGE_IDENTITY_FILE);
    const file = parsed.values.identity ?? ((await access(demo).then(() => true, () => false)) ? demo : null);
    if (file !== null) identities = await readIdentityFile(file);
  } catch (err) {
    const known = err instanceof AgeIdentityError;
    const raw = (err as Error).message;
    const code = (err as { code?: string }).code;
    const sentence =
      lang === 'en'
        ? raw
        : known
          ? clerkText(lang, 'error.ageIdentity', { message: raw })
          : code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
            ? clerkText(lang, 'arg.unknownOption', { option: /'(-[^' ]+)/.exec(raw)?.[1] ?? '' })
            : clerkText(lang, 'arg.badCall', { message: raw });
    process.stderr.write(`${errorLines(lang, 'daystick verify', sentence, raw)}${known ? '' : USAGE[lang]}`);
    return 2;
  }
  if (paths.length === 0) {
    process.stderr.write(USAGE[lang]);
    return 2;
  }
  args = paths;
  let whole = 0;
  let broken = 0;
  for (const path of args) {
    let locations: Awaited<ReturnType<typeof listPackages>>;
    try {
      locations = await listPackages(path);
    } catch (err) {
      const raw = (err as Error).message;
      process.stderr.write(errorLines(lang, 'daystick verify', clerkText(lang, 'verify.cannotRead', { path, reason: raw }), raw));
      return 2;
    }
    for (const location of locations) {
      let verdict: PackageVerdict;
      try {
        verdict = await verifyPackage(location, { identities });
      } catch (err) {
        verdict = {
          location,
          manifest: null,
          stored: null,
          manifestBytes: null,
          contentsChecked: false,
          plainDataPath: null,
          ok: false,
          problems: [{ code: 'unreadable-zip', message: `could not be read: ${(err as Error).message}` }],
        };
      }
      process.stdout.write(`${formatVerdict(verdict, lang)}\n`);
      // German lines explain each problem by its name; the verifier's own sentence goes to stderr.
      if (lang !== 'en') {
        for (const p of verdict.problems) process.stderr.write(`daystick verify: ${location.packageId} ${p.code}: ${p.message}\n`);
      }
      if (verdict.ok) whole++;
      else broken++;
    }
  }
  const total = whole + broken;
  if (total === 0) {
    process.stdout.write(`${clerkText(lang, 'verify.none', { paths: args.join(', ') })}\n`);
    return 1;
  }
  process.stdout.write(`${clerkText(lang, 'verify.summary', { total, plural: total === 1 ? '' : 's', whole, broken })}\n`);
  return broken === 0 ? 0 : 1;
}

export function formatVerdict(v: PackageVerdict, lang: Language = 'en'): string {
  const m = v.manifest;
  const unchecked = v.ok && !v.contentsChecked;
  const cols = [
    clerkDay(lang, v.location.businessDay),
    v.location.registerFolder,
    m?.kind ?? v.stored?.kind ?? '-',
    m ? clerkText(lang, 'verify.receipts', { n: m.controlTotals.receipts }) : clerkText(lang, 'verify.noReceipts'),
    clerkText(lang, v.ok ? (unchecked ? 'verify.okUnchecked' : 'verify.ok') : 'verify.failed'),
  ];
  const head = `${cols.join('  ')}  ${v.location.packageId}`;
  if (unchecked) return `${head}\n    ${clerkText(lang, 'verify.unchecked')}`;
  if (v.ok) return head;
  const lines = v.problems.map(
    (p) => `    ${clerkText(lang, 'verify.problem', { code: p.code, entry: p.entry ? ` [${p.entry}]` : '', reason: problemText(lang, p.code, p.message) })}`,
  );
  return `${head}\n${lines.join('\n')}`;
}
