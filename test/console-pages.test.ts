import { html, renderCsv, renderDay, renderGrid } from '../src/console/console-pages.js';
import type { DayDetail } from '../src/console/console-queries.js';

// What comes from a stick (quarantined records, reasons, stored rows) reaches the page only escaped.

const EVIL = '<script>alert("x")</script>&\'';

test('html`` escapes every value once and keeps nested templates as they are', () => {
  const inner = html`<b>${EVIL}</b>`;
  expect(html`<p>${inner}${[EVIL, inner]}</p>`.toString()).toBe(
    '<p><b>&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;&#38;&#39;</b>&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;&#38;&#39;<b>&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;&#38;&#39;</b></p>',
  );
});

test('a quarantined record and a conflict carrying markup are shown verbatim, not run', () => {
  const detail: DayDetail = {
    packages: [],
    currency: 'EUR',
    receipts: 0,
    grossMinor: 0,
    stockPostings: 0,
    timeRecords: 0,
    payments: [],
    vat: [],
    quarantined: [{ sourceEntry: 'receipts', reason: EVIL, recordJson: JSON.stringify({ note: EVIL }), exactJson: null }],
    conflicts: [{ recordType: 'receipt', recordId: EVIL, source: 'p', detectedAt: '2026-02-10T20:00:00.000Z', incomingJson: EVIL, storedJson: EVIL }],
    tseModules: [{ serialNumber: EVIL, publicKey: EVIL }],
  };
  const page = renderDay('en', '40123-9', '20260210', detail, new Map());
  expect(page).not.toContain('<script>alert');
  expect(page).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;');
  expect(page).toContain('Tue, 10/02/2026');
});

test("the day view names the closing's security modules in English and German, and says nothing of them for a register without", () => {
  const detail: DayDetail = {
    packages: [],
    currency: 'EUR',
    receipts: 0,
    grossMinor: 0,
    stockPostings: 0,
    timeRecords: 0,
    payments: [],
    vat: [],
    quarantined: [],
    conflicts: [],
    tseModules: [{ serialNumber: 'ab'.repeat(32), publicKey: Buffer.alloc(97, 4).toString('base64') }],
  };
  const row = `<tr><td><code>${'ab'.repeat(32)}</code></td><td><pre>${Buffer.alloc(97, 4).toString('base64')}</pre></td></tr>`;
  const en = renderDay('en', '40123-9', '20260210', detail, new Map());
  expect(en).toContain('<h2>Security modules (TSE) of the closing</h2>');
  expect(en).toContain('<th>Serial number</th><th>Public key (Base64)</th>');
  expect(en).toContain(row);
  const de = renderDay('de', '40123-9', '20260210', detail, new Map());
  expect(de).toContain('<h2>Sicherheitsmodule (TSE) des Abschlusses</h2>');
  expect(de).toContain('<th>Seriennummer</th><th>Öffentlicher Schlüssel (Base64)</th>');
  expect(de).toContain(row);
  const none = renderDay('en', '40123-9', '20260210', { ...detail, tseModules: [] }, new Map());
  expect(none).not.toContain('tse-modules');
  expect(none).not.toContain('Security modules');
});

test('CSV fields with commas or quotes are quoted', () => {
  const csv = renderCsv(['20260210'], [{ customerNumber: '1', registerId: '2', lastSeenAt: null, cells: [{ day: '20260210', status: 'refused', reason: 'bad, "very"' }] }]);
  expect(csv).toBe('register,last_seen_at,2026-02-10\n1-2,,"refused: bad, ""very"""\n');
});

test('a register whose last stick is older than the threshold is marked, a recent one is not', () => {
  const now = new Date('2026-02-20T12:00:00.000Z');
  const row = (registerId: string, lastSeenAt: string | null) => ({ customerNumber: '7', registerId, lastSeenAt, cells: [] });
  const page = renderGrid({
    lang: 'en',
    from: '20260220',
    to: '20260220',
    registers: [],
    staleDays: 2,
    now,
    days: [],
    rows: [row('1', '2026-02-20T09:00:00.000Z'), row('2', '2026-02-17T09:00:00.000Z'), row('3', null)],
    gaps: [],
    central: 'c.sqlite',
    query: '',
  });
  const seen = (r: string) => new RegExp(`<tr data-register="7-${r}"><th>7-${r}</th><td class="([a-z]*)"[^>]*>([^<]*)`).exec(page)!.slice(1);
  expect(seen('1')[0]).toBe('');
  // The hour is head office's own time zone's.
  expect(seen('1')[1]).toMatch(/^20 Feb 2026, \d\d:\d\d \(3 hours ago\)$/);
  expect(seen('2')[0]).toBe('stale');
  expect(seen('2')[1]).toContain('3 days ago');
  expect(seen('3')).toEqual(['stale', 'never ⚠ older than 2 days']);
});
