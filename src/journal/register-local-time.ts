import type { BusinessDay } from '../host/business-day.js';

/**
 * Wall-clock instants of the demo register, which stands in Germany: CET
 * (+01:00) in winter, CEST (+02:00) from the last Sunday of March to the last
 * Sunday of October. Computed by rule rather than from the machine's time
 * zone so the same seed gives the same journal everywhere. Opening hours
 * (06:00-22:00) never touch the 02:00/03:00 switch, so a whole day has one offset.
 */
function lastSundayOf(year: number, monthIndex: number): number {
  const last = new Date(Date.UTC(year, monthIndex + 1, 0));
  return last.getUTCDate() - last.getUTCDay();
}

export function registerUtcOffset(day: BusinessDay): string {
  const y = Number(day.slice(0, 4));
  const m = Number(day.slice(4, 6)) - 1;
  const d = Number(day.slice(6, 8));
  const afterMarchSwitch = m > 2 || (m === 2 && d >= lastSundayOf(y, 2));
  const beforeOctoberSwitch = m < 9 || (m === 9 && d < lastSundayOf(y, 9));
  return afterMarchSwitch && beforeOctoberSwitch ? '+02:00' : '+01:00';
}

/** ISO-8601 instant with offset for `secondOfDay` seconds after local midnight of `day`. */
export function registerInstant(day: BusinessDay, secondOfDay: number): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const h = Math.floor(secondOfDay / 3600);
  const min = Math.floor((secondOfDay % 3600) / 60);
  const s = secondOfDay % 60;
  return `${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6, 8)}T${p(h)}:${p(min)}:${p(s)}${registerUtcOffset(day)}`;
}
