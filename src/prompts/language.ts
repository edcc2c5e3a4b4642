import type { Language } from './catalog.js';

/** A `--lang` value that is neither en nor de: a usage error (exit 2), named so a command can say it in its words. */
export class LanguageOptionError extends Error {
  override name = 'LanguageOptionError';
  constructor(readonly value: string) {
    super(`--lang takes en or de, not "${value}"`);
  }
}

/**
 * The language of a command-line program when no --lang is given: DAYSTICK_LANG
 * (en or de), else the POSIX locale in its order of precedence (LC_ALL, then
 * LC_MESSAGES, then LANG; de_DE.UTF-8, de_AT… → de), else English.
 */
export function languageFromEnv(env: NodeJS.ProcessEnv = process.env): Language {
  const own = env.DAYSTICK_LANG?.trim().toLowerCase();
  if (own === 'de' || own === 'en') return own;
  const locale = [env.LC_ALL, env.LC_MESSAGES, env.LANG].find((v) => v !== undefined && v !== '');
  return locale !== undefined && /^de([_.@-]|$)/i.test(locale) ? 'de' : 'en';
}

/**
 * Takes `--lang X` / `--lang=X` out of the arguments (the last one wins, as for
 * other options) and returns the language and the rest. Without one the
 * environment decides; a bad value throws LanguageOptionError (say it in
 * languageFromEnv's language: the one asked for is unknown).
 */
export function takeLanguageOption(args: readonly string[], env: NodeJS.ProcessEnv = process.env): { lang: Language; rest: string[] } {
  const rest: string[] = [];
  let given: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      rest.push(...args.slice(i));
      break;
    }
    if (arg === '--lang') {
      given = args[++i] ?? '';
    } else if (arg.startsWith('--lang=')) {
      given = arg.slice('--lang='.length);
    } else {
      rest.push(arg);
    }
  }
  if (given === undefined) return { lang: languageFromEnv(env), rest };
  if (given !== 'en' && given !== 'de') throw new LanguageOptionError(given);
  return { lang: given, rest };
}
