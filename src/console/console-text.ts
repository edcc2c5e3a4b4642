/**
 * Every text a head-office clerk sees on the console, in English and German,
 * and the locale formatting of days, times and amounts: the page never shows
 * a raw ISO string.
 */
export type Lang = 'en' | 'de';

export type CellStatus = 'imported' | 'resent' | 'conflicting' | 'refused' | 'quarantine' | 'reconciled' | 'missing' | 'not-due' | 'none';

const EN = {
  title: 'Head office: registers and days',
  register: 'Register',
  lastSeen: 'Last stick seen',
  never: 'never',
  stale: 'older than {days} days',
  from: 'From',
  to: 'To',
  registers: 'Registers (e.g. 10001-1, empty = all)',
  show: 'Show',
  csv: 'Grid as CSV',
  legend: 'Legend',
  gaps: 'Gaps found',
  noGaps: 'No gaps: every register sent consecutive days, Z numbers and receipt numbers.',
  gapDay: 'Business day {day} is missing between the first and last package.',
  gapZ: 'Z numbers {first} to {last} are missing (after Z {before} of {day}).',
  gapReceipts: 'Receipt numbers {first} to {last} are missing (between {prevDay} and {day}).',
  fixResend: 'At the store, type this on the register to send that day again:',
  fixReconcile: 'Or reconcile from the register backup:',
  live: 'Processing list (live)',
  liveEmpty: 'No stick in yet. Packages appear here as soon as a stick is inserted.',
  pullNow: 'Stick "{label}": done, you can pull the stick now.',
  day: 'Day',
  kind: 'Kind',
  receipts: 'Receipts',
  status: 'Status',
  written: 'Written',
  importedAt: 'Imported',
  fromStick: 'From stick',
  packages: 'Packages',
  paymentTypes: 'Turnover per payment type',
  vatRates: 'Turnover per VAT rate',
  counts: 'Counts',
  stockPostings: 'Stock postings',
  timeRecords: 'Time records',
  gross: 'Gross turnover',
  quarantined: 'Quarantined records (verbatim)',
  reason: 'Reason',
  conflicts: 'Conflicts',
  tseModules: 'Security modules (TSE) of the closing',
  tseSerial: 'Serial number',
  tsePublicKey: 'Public key (Base64)',
  stored: 'Stored (kept)',
  arriving: 'Arriving (left out)',
  record: 'Record',
  none: 'none',
  back: 'Back to the grid',
  refusedBecause: 'refused: {reason}',
  unknownStick: 'not known (imported before this console started)',
  badRange: 'The range is not valid: give From and To as dates, From not after To, at most 366 days.',
  notFound: 'Not found.',
  readOnly: 'The console is read-only: nothing here changes the central journal.',
  accessNeeded: 'Access token needed.',
  'status.imported': 'imported',
  'status.resent': 'already there (re-sent)',
  'status.conflicting': 'partially conflicting',
  'status.refused': 'refused',
  'status.quarantine': 'quarantine present',
  'status.reconciled': 'reconciled from the register’s backup (no package)',
  'status.missing': 'missing',
  'status.not-due': 'not yet due',
  'status.none': 'before the first package',
  'phase.verifying': 'verifying',
  'phase.importing': 'importing',
  'phase.acknowledging': 'acknowledging',
  'phase.imported': 'imported, acknowledged',
  'phase.already-imported': 'already there, acknowledged',
  'phase.partially-conflicting': 'partially conflicting, acknowledged',
  'phase.refused': 'refused',
  'phase.failed': 'failed',
} as const;

export type TextKey = keyof typeof EN;

const DE: Record<TextKey, string> = {
  title: 'Zentrale: Kassen und Tage',
  register: 'Kasse',
  lastSeen: 'Letzter Stick',
  never: 'nie',
  stale: 'älter als {days} Tage',
  from: 'Von',
  to: 'Bis',
  registers: 'Kassen (z. B. 10001-1, leer = alle)',
  show: 'Anzeigen',
  csv: 'Raster als CSV',
  legend: 'Legende',
  gaps: 'Gefundene Lücken',
  noGaps: 'Keine Lücken: jede Kasse hat lückenlose Tage, Z-Nummern und Bonnummern gesendet.',
  gapDay: 'Der Geschäftstag {day} fehlt zwischen dem ersten und dem letzten Paket.',
  gapZ: 'Die Z-Nummern {first} bis {last} fehlen (nach Z {before} vom {day}).',
  gapReceipts: 'Die Bonnummern {first} bis {last} fehlen (zwischen {prevDay} und {day}).',
  fixResend: 'In der Filiale an der Kasse eingeben, um diesen Tag erneut zu senden:',
  fixReconcile: 'Oder aus der Sicherung der Kasse abgleichen:',
  live: 'Verarbeitungsliste (live)',
  liveEmpty: 'Noch kein Stick eingesteckt. Pakete erscheinen hier, sobald ein Stick eingesteckt wird.',
  pullNow: 'Stick „{label}“: fertig, der Stick kann jetzt abgezogen werden.',
  day: 'Tag',
  kind: 'Art',
  receipts: 'Bons',
  status: 'Status',
  written: 'Geschrieben',
  importedAt: 'Importiert',
  fromStick: 'Von Stick',
  packages: 'Pakete',
  paymentTypes: 'Umsatz je Zahlungsart',
  vatRates: 'Umsatz je Steuersatz',
  counts: 'Anzahlen',
  stockPostings: 'Warenbuchungen',
  timeRecords: 'Zeiterfassungen',
  gross: 'Bruttoumsatz',
  quarantined: 'Quarantäne-Datensätze (unverändert)',
  reason: 'Grund',
  conflicts: 'Konflikte',
  tseModules: 'Sicherheitsmodule (TSE) des Abschlusses',
  tseSerial: 'Seriennummer',
  tsePublicKey: 'Öffentlicher Schlüssel (Base64)',
  stored: 'Gespeichert (behalten)',
  arriving: 'Angeliefert (ausgelassen)',
  record: 'Datensatz',
  none: 'keine',
  back: 'Zurück zum Raster',
  refusedBecause: 'abgelehnt: {reason}',
  unknownStick: 'nicht bekannt (vor dem Start dieser Konsole importiert)',
  badRange: 'Der Zeitraum ist ungültig: Von und Bis als Datum angeben, Von nicht nach Bis, höchstens 366 Tage.',
  notFound: 'Nicht gefunden.',
  readOnly: 'Die Konsole ist nur lesend: nichts hier ändert das zentrale Journal.',
  accessNeeded: 'Zugangsschlüssel erforderlich.',
  'status.imported': 'importiert',
  'status.resent': 'schon vorhanden (erneut gesendet)',
  'status.conflicting': 'teilweise im Konflikt',
  'status.refused': 'abgelehnt',
  'status.quarantine': 'Quarantäne vorhanden',
  'status.reconciled': 'aus der Sicherung der Kasse abgeglichen (kein Paket)',
  'status.missing': 'fehlt',
  'status.not-due': 'noch nicht fällig',
  'status.none': 'vor dem ersten Paket',
  'phase.verifying': 'wird geprüft',
  'phase.importing': 'wird importiert',
  'phase.acknowledging': 'wird bestätigt',
  'phase.imported': 'importiert, bestätigt',
  'phase.already-imported': 'schon vorhanden, bestätigt',
  'phase.partially-conflicting': 'teilweise im Konflikt, bestätigt',
  'phase.refused': 'abgelehnt',
  'phase.failed': 'fehlgeschlagen',
};

export function text(lang: Lang, key: TextKey, vars: Record<string, string | number> = {}): string {
  const template: string = lang === 'de' ? DE[key] : EN[key];
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

/** The processing list's phases and outcomes, as the live list shows them. */
export function phaseTexts(lang: Lang): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(EN) as TextKey[]) if (k.startsWith('phase.')) out[k.slice(6)] = text(lang, k);
  return out;
}

/** `?lang=de` wins, then the browser's Accept-Language (first of en/de it names), else English. */
export function pickLang(query: string | undefined, acceptLanguage: string | undefined): Lang {
  if (query === 'de' || query === 'en') return query;
  for (const part of (acceptLanguage ?? '').split(',')) {
    const tag = part.trim().slice(0, 2).toLowerCase();
    if (tag === 'de' || tag === 'en') return tag;
  }
  return 'en';
}

const LOCALE: Record<Lang, string> = { en: 'en-GB', de: 'de-DE' };

function dayDate(day: string): Date {
  return new Date(Date.UTC(Number(day.slice(0, 4)), Number(day.slice(4, 6)) - 1, Number(day.slice(6, 8))));
}

/**
 * Formatters made once per locale and options: constructing an Intl
 * formatter costs far more than formatting, and the grid formats a day for
 * every one of its thousands of cells.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();
function dateFormat(lang: Lang, name: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${lang}|${name}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(LOCALE[lang], options);
    formatters.set(key, f);
  }
  return f;
}

/** Days as text, kept: a grid shows the same few dozen days thousands of times. Bounded, as days are unbounded. */
const dayTexts = new Map<string, string>();
function cachedDay(lang: Lang, name: string, options: Intl.DateTimeFormatOptions, day: string): string {
  const key = `${lang}|${name}|${day}`;
  let out = dayTexts.get(key);
  if (out === undefined) {
    if (dayTexts.size >= 20_000) dayTexts.clear();
    out = dateFormat(lang, name, options).format(dayDate(day));
    dayTexts.set(key, out);
  }
  return out;
}

const DAY_OPTIONS: Intl.DateTimeFormatOptions = { weekday: 'short', day: '2-digit', month: '2-digit', year: 'numeric', timeZone: 'UTC' };
const DAY_SHORT_OPTIONS: Intl.DateTimeFormatOptions = { weekday: 'short', day: '2-digit', month: '2-digit', timeZone: 'UTC' };

/** A business day (YYYYMMDD) as the clerk reads it: "Tue 10/02/2026", "Di., 10.02.2026". */
export function formatDay(lang: Lang, day: string): string {
  return cachedDay(lang, 'day', DAY_OPTIONS, day);
}

export function formatDayShort(lang: Lang, day: string): string {
  return cachedDay(lang, 'day-short', DAY_SHORT_OPTIONS, day);
}

/** An instant (ISO with offset) in head office's own time zone. */
export function formatInstant(lang: Lang, iso: string, timeZone?: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return dateFormat(lang, `instant|${timeZone ?? ''}`, { dateStyle: 'medium', timeStyle: 'short', ...(timeZone ? { timeZone } : {}) }).format(d);
}

const relative = new Map<Lang, Intl.RelativeTimeFormat>();

export function formatAgo(lang: Lang, iso: string, now: Date): string {
  const seconds = Math.round((new Date(iso).getTime() - now.getTime()) / 1000);
  let rtf = relative.get(lang);
  if (!rtf) {
    rtf = new Intl.RelativeTimeFormat(LOCALE[lang], { numeric: 'auto' });
    relative.set(lang, rtf);
  }
  const abs = Math.abs(seconds);
  if (abs < 3600) return rtf.format(Math.round(seconds / 60), 'minute');
  if (abs < 86400 * 2) return rtf.format(Math.round(seconds / 3600), 'hour');
  return rtf.format(Math.round(seconds / 86400), 'day');
}

export function formatMoney(lang: Lang, minor: number, currency: string): string {
  try {
    return new Intl.NumberFormat(LOCALE[lang], { style: 'currency', currency }).format(minor / 100);
  } catch {
    return `${new Intl.NumberFormat(LOCALE[lang], { minimumFractionDigits: 2 }).format(minor / 100)} ${currency}`;
  }
}

export function formatPercent(lang: Lang, basisPoints: number): string {
  return new Intl.NumberFormat(LOCALE[lang], { style: 'percent', maximumFractionDigits: 2 }).format(basisPoints / 10000);
}
