import type { ShownPrompt } from '../host/ports.js';
import { type Language, PROMPTS, type PromptId, WORD_PARAMS } from './catalog.js';

export type PromptParams = Readonly<Record<string, string | number>>;

/** Fills `{name}` placeholders; a missing parameter stays visible as `{name}` rather than vanishing. */
export function renderPrompt(id: PromptId, params: PromptParams, language: Language): ShownPrompt {
  const entry = PROMPTS[id];
  const text = pluralised(entry[language], params, language).replace(/\{(\w+)\}/g, (whole, name: string) => {
    if (!Object.hasOwn(params, name)) return whole;
    const words = WORD_PARAMS[id]?.[name];
    if (!words) return String(params[name]);
    const key = String(params[name]);
    return (Object.hasOwn(words, key) ? words[key]! : words.error)[language];
  });
  return { id, params, text, severity: entry.severity };
}

/** Parameter helper: days as the register shows them, 20120123 -> 2012-01-23. */
export function formatDay(day: string): string {
  return `${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6, 8)}`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

const PLURAL = /\{(\w+)\|([^|{}]*)\|([^|{}]*)\}/g;
const pluralRules = new Map<Language, Intl.PluralRules>();

/** `{count|# day|# days}`: the form the language uses for that number; a missing or non-numeric parameter stays visible. */
function pluralised(text: string, params: PromptParams, language: Language): string {
  return text.replace(PLURAL, (whole, name: string, one: string, other: string) => {
    const value = Object.hasOwn(params, name) ? Number(params[name]) : Number.NaN;
    if (!Number.isFinite(value)) return whole;
    let rules = pluralRules.get(language);
    if (!rules) {
      rules = new Intl.PluralRules(language);
      pluralRules.set(language, rules);
    }
    return (rules.select(value) === 'one' ? one : other).replaceAll('#', String(value));
  });
}
