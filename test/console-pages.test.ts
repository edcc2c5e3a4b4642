import { html, renderCsv, renderDay } from '../src/console/console-pages.js';
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
  };
  const page = renderDay('en', '40123-9', '20260210', detail, new Map());
  expect(page).not.toContain('<script>alert');
  expect(page).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;');
  expect(page).toContain('Tue, 10/02/2026');
});

test('CSV fields with commas or quotes are quoted', () => {
  const csv = renderCsv(['20260210'], [{ customerNumber: '1', registerId: '2', lastSeenAt: null, cells: [{ day: '20260210', status: 'refused', reason: 'bad, "very"' }] }]);
  expect(csv).toBe('register,last_seen_at,2026-02-10\n1-2,,"refused: bad, ""very"""\n');
});
