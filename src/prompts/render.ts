import type { ShownPrompt } from '../host/ports.js';
import { type Language, PROMPTS, type PromptId, WORD_PARAMS } from './catalog.js';

export type PromptParams = Readonly<Record<string, string | number>>;

/**
 * The locale each language is shown in. en-GB rather than en-US: "20 Nov 2026"
 * and a 24-hour clock cannot be misread as a month-first date or a 2 PM.
 */
export const LOCALE: Readonly<Record<Language, string>> = { en: 'en-GB', de: 'de-DE' };

/** Longest typed input echoed back; a longer line is cut so a pasted block cannot flood the screen. */
export const ECHO_MAX = 40;

const DATE_OPTIONS: Readonly<Record<Language, Intl.DateTimeFormatOptions>> = {
  en: { day: 'numeric', month: 'short', year: 'numeric' },
  de: { day: '2-digit', month: '2-digit', year: 'numeric' },
};

/**
 * Intl formatters by the options that make them: building one costs about a
 * millisecond (its locale data is resolved anew each time), which a
 * processing list of a year's stick paid three times per package for its day
 * column. Formatting with a kept one gives the same text as a new one.
 */
const FORMATTERS = new Map<string, Intl.DateTimeFormat | Intl.ListFormat | Intl.NumberFormat | Intl.PluralRules>();

function formatter<T extends Intl.DateTimeFormat | Intl.ListFormat | Intl.NumberFormat | Intl.PluralRules>(key: string, make: () => T): T {
  let made = FORMATTERS.get(key) as T | undefined;
  if (made === undefined) {
    made = make();
    FORMATTERS.set(key, made);
  }
  return made;
}

/**
 * Placeholders: `{name}` shows the parameter as given; `{name:format}` shows it
 * the way people of the language read it. Formats:
 * - `date`: a business day (YYYYMMDD or YYYY-MM-DD) as a local date (de 20.11.2026, en 20 Nov 2026)
 * - `dates`: a comma-separated list of business days, joined with the language's "and"
 * - `time`: an instant (ISO 8601 with offset) as date and time in the register's time zone
 * - `echo`: typed input, shortened to ECHO_MAX characters plus "…"
 * - `number`: a count with the language's digit grouping
 * - `plural:one=…|other=…`: a count with its noun in the right plural form
 *   (Intl.PluralRules categories of the language; `#` is the formatted number; a form
 *   may hold other placeholders, one level deep, so a verb can agree with the count)
 * A value a format cannot read is shown as given rather than hidden, so nothing vanishes.
 */
const PLACEHOLDER = /\{(\w+)(?::(\w+)(?::((?:[^{}]|\{[^{}]*\})*))?)?\}/g;

export interface RenderContext {
  language: Language;
  /** IANA time zone for instants; default the process's (TZ), which is the register's. */
  timeZone?: string;
}

/** Fills a template's placeholders; a missing parameter stays visible as `{name}` rather than vanishing. */
export function fillTemplate(
  template: string,
  params: PromptParams,
  context: RenderContext,
  words?: Readonly<Record<string, WordTableLike>>,
): string {
  return pluralised(template, params, context.language).replace(
    PLACEHOLDER,
    (whole, name: string, format?: string, arg?: string) => {
      if (!Object.hasOwn(params, name)) return whole;
      const value = params[name]!;
      const table = words?.[name];
      if (table) {
        const key = String(value);
        return (Object.hasOwn(table, key) ? table[key]! : table.error)[context.language];
      }
      if (format === 'plural') {
        const form = pluralForm(value, arg ?? '', context.language);
        return form === null ? String(value) : fillTemplate(form, params, context, words);
      }
      return format === undefined ? String(value) : formatValue(value, format, context);
    },
  );
}

/** Words for a parameter that carries a key (see WORD_PARAMS in the catalog); `error` for any key it does not know. */
export type WordTableLike = Readonly<Record<string, Readonly<Record<Language, string>>>> & {
  readonly error: Readonly<Record<Language, string>>;
};

function formatValue(value: string | number, format: string, context: RenderContext): string {
  switch (format) {
    case 'date':
      return showDay(String(value), context.language);
    case 'dates':
      return showDays(String(value), context.language);
    case 'time':
      return showInstant(String(value), context);
    case 'echo':
      return shortenEcho(String(value));
    case 'number':
      return typeof value === 'number' || /^-?\d+$/.test(value) ? showNumber(Number(value), context.language) : value;
    default:
      return String(value);
  }
}

/** 20261120 or 2026-11-20 as the language writes a date; anything else unchanged. */
export function showDay(day: string, language: Language): string {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(day.trim());
  if (!m) return day;
  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  if (Number.isNaN(date.getTime())) return day;
  // A business day is a calendar date, not an instant: shown in UTC so no time zone moves it.
  return formatter(`day ${language}`, () => new Intl.DateTimeFormat(LOCALE[language], { ...DATE_OPTIONS[language], timeZone: 'UTC' })).format(date);
}

export function showDays(days: string, language: Language): string {
  const list = days
    .split(/\s*,\s*/)
    .filter(Boolean)
    .map((d) => showDay(d, language));
  if (list.length === 0) return days;
  return formatter(`list ${language}`, () => new Intl.ListFormat(LOCALE[language], { type: 'conjunction' })).format(list);
}

/** An ISO instant (with Z or an offset) as local date and time, e.g. de 20.11.2026, 14:03. */
export function showInstant(instant: string, context: RenderContext): string {
  if (!/^\d{4}-\d{2}-\d{2}T/.test(instant)) return instant;
  const at = new Date(instant);
  if (Number.isNaN(at.getTime())) return instant;
  // Without a zone given, the process's zone as it is now (TZ may be changed at run time): it is part of the key.
  const zone = context.timeZone ?? `default:${process.env.TZ ?? ''}`;
  return formatter(
    `instant ${context.language} ${zone}`,
    () =>
      new Intl.DateTimeFormat(LOCALE[context.language], {
        ...DATE_OPTIONS[context.language],
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
        ...(context.timeZone ? { timeZone: context.timeZone } : {}),
      }),
  ).format(at);
}

export function showNumber(n: number, language: Language): string {
  return formatter(`number ${language}`, () => new Intl.NumberFormat(LOCALE[language])).format(n);
}

/** `one=# day|other=# days` (and `0=no days` for an exact count): picks the form Intl.PluralRules names for the count, `other` when a form is missing. */
export function showPlural(value: string | number, forms: string, language: Language): string {
  return pluralForm(value, forms, language) ?? String(value);
}

/** The chosen form with `#` filled, or null when the count or the forms cannot be read. */
function pluralForm(value: string | number, forms: string, language: Language): string | null {
  const n = Number(value);
  if (typeof value === 'string' && !/^-?\d+(\.\d+)?$/.test(value)) return null;
  if (!Number.isFinite(n)) return null;
  const table = new Map<string, string>();
  for (const part of forms.split('|')) {
    const eq = part.indexOf('=');
    if (eq > 0) table.set(part.slice(0, eq).trim(), part.slice(eq + 1));
  }
  const exact = table.get(String(n));
  const form = exact ?? table.get(formatter(`plural ${language}`, () => new Intl.PluralRules(LOCALE[language])).select(n)) ?? table.get('other');
  if (form === undefined) return null;
  return form.replace(/#/g, showNumber(n, language));
}

export function shortenEcho(input: string): string {
  const chars = Array.from(input);
  return chars.length <= ECHO_MAX ? input : `${chars.slice(0, ECHO_MAX).join('')}…`;
}

export function renderPrompt(id: PromptId, params: PromptParams, language: Language): ShownPrompt {
  const entry = PROMPTS[id];
  const text = fillTemplate(entry[language], params, { language }, WORD_PARAMS[id]);
  return { id, params, text, severity: entry.severity };
}

/**
 * Parameter helper: a business day as a parameter value, 20120123 -> 2012-01-23.
 * The text shows it through `{day:date}` in the prompt's language.
 */
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

/**
 * The short plural form `{count|# day|# days}` (one|other, no placeholders inside), kept beside
 * `{count:plural:one=…|other=…}` for the prompts written with it; a non-numeric parameter stays visible.
 */
function pluralised(text: string, params: PromptParams, language: Language): string {
  return text.replace(PLURAL, (whole, name: string, one: string, other: string) => {
    if (!Object.hasOwn(params, name)) return whole;
    const form = pluralForm(params[name]!, `one=${one}|other=${other}`, language);
    return form ?? whole;
  });
}
