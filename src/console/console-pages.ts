import type { Lang, TextKey } from './console-text.js';
import { formatAgo, formatDay, formatDayShort, formatInstant, formatMoney, formatPercent, phaseTexts, text } from './console-text.js';
import type { DayDetail, Gap, GridRow } from './console-queries.js';
import { registerName } from './console-queries.js';
import type { CellStatus } from './console-text.js';

/** Every value put into a page goes through here: register names, reasons and quarantined records come from sticks. */
export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Marks text as already escaped HTML, so `html` does not escape it twice. */
class Html {
  constructor(readonly value: string) {}
  toString() {
    return this.value;
  }
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  values.forEach((v, i) => {
    const part = Array.isArray(v) ? v.map((x) => (x instanceof Html ? x.value : esc(x))).join('') : v instanceof Html ? v.value : esc(v ?? '');
    out += part + strings[i + 1]!;
  });
  return new Html(out);
}

export const LEGEND: readonly Exclude<CellStatus, 'none'>[] = ['imported', 'resent', 'conflicting', 'refused', 'quarantine', 'reconciled', 'missing', 'not-due'];

const STYLE = `
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .4rem;font-size:.85rem}
th{background:#f3f3f3;text-align:left}#grid td[data-day]{min-width:2.2rem;text-align:center}
.s-imported{background:#8fd19e}.s-resent{background:#b8e0f5}.s-conflicting{background:#f7c873}
.s-refused{background:#e57373;color:#fff}.s-quarantine{background:#c9a0dc}.s-reconciled{background:#d9ecb8}.s-missing{background:#ff3b3b;color:#fff;font-weight:bold}
.s-not-due{background:#eee;color:#777}.s-none{background:#fff}
.stale{color:#b00020;font-weight:bold}.legend span{display:inline-block;padding:.2rem .5rem;margin:.1rem}
pre{background:#f7f7f7;padding:.4rem;white-space:pre-wrap;overflow-wrap:anywhere;max-width:40rem}code{background:#f0f0f0;padding:0 .2rem}
form{margin:.6rem 0}.pull{font-weight:bold;color:#1b5e20}
`;

function page(lang: Lang, title: string, body: Html): string {
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${STYLE}</style></head><body>${body.value}</body></html>`;
}

const SYMBOL: Record<CellStatus, string> = {
  imported: '✓',
  resent: '↻',
  conflicting: '≠',
  refused: '✗',
  quarantine: 'Q',
  reconciled: 'R',
  missing: '!',
  'not-due': '·',
  none: '',
};

export interface GridView {
  lang: Lang;
  from: string;
  to: string;
  registers: readonly string[];
  staleDays: number;
  now: Date;
  days: string[];
  rows: GridRow[];
  gaps: Gap[];
  central: string;
  query: string;
}

function gapText(lang: Lang, g: Gap): string {
  if (g.kind === 'day') return text(lang, 'gapDay', { day: formatDay(lang, g.day) });
  if (g.kind === 'z') return text(lang, 'gapZ', { first: g.first, last: g.last, before: g.before, day: formatDay(lang, g.day) });
  return text(lang, 'gapReceipts', { first: g.first, last: g.last, prevDay: formatDay(lang, g.prevDay), day: formatDay(lang, g.day) });
}

export function reconcileCommand(g: Gap, central: string): string {
  return `daystick import --reconcile REGISTER_BACKUP.sqlite --from ${g.fromDay} --customer ${g.customerNumber} --register ${g.registerId} --central ${central}`;
}

export function renderGrid(v: GridView): string {
  const t = (k: TextKey, vars?: Record<string, string | number>) => text(v.lang, k, vars);
  const langLink = v.lang === 'de' ? 'en' : 'de';
  const body = html`
<h1>${t('title')}</h1>
<p><a href="?${v.query.replace(/(^|&)lang=\w+/g, '')}&amp;lang=${langLink}">${langLink === 'de' ? 'Deutsch' : 'English'}</a> · ${t('readOnly')}</p>
<form method="get" action="/">
  <input type="hidden" name="lang" value="${v.lang}">
  <label>${t('from')} <input type="date" name="from" value="${isoDate(v.from)}"></label>
  <label>${t('to')} <input type="date" name="to" value="${isoDate(v.to)}"></label>
  <label>${t('registers')} <input type="text" name="register" value="${v.registers.join(' ')}"></label>
  <button type="submit">${t('show')}</button>
  <a id="csv" href="/grid.csv?${v.query}">${t('csv')}</a>
</form>
<div class="legend" id="legend"><strong>${t('legend')}:</strong> ${LEGEND.map((s) => html`<span class="s-${s}" data-status="${s}">${SYMBOL[s]} ${t(`status.${s}` as TextKey)}</span>`)}</div>
<table id="grid"><thead><tr><th>${t('register')}</th><th>${t('lastSeen')}</th>${v.days.map((d) => html`<th data-day="${d}">${formatDayShort(v.lang, d)}</th>`)}</tr></thead>
<tbody>${new Html(gridRows(v))}</tbody></table>
<h2>${t('gaps')}</h2>
${
  v.gaps.length === 0
    ? html`<p id="no-gaps">${t('noGaps')}</p>`
    : html`<ul id="gaps">${v.gaps.map(
        (g) => html`<li data-gap="${g.kind}" data-register="${registerName(g)}"><strong>${registerName(g)}</strong>: ${gapText(v.lang, g)}<br>
${g.kind === 'day' ? html`${t('fixResend')} <code class="resend">${g.day} REPORTS</code><br>` : ''}${t('fixReconcile')} <code>${reconcileCommand(g, v.central)}</code></li>`,
      )}</ul>`
}
<h2>${t('live')}</h2>
<p id="live-empty">${t('liveEmpty')}</p>
<table id="live"><thead><tr><th>${t('register')}</th><th>${t('day')}</th><th>${t('kind')}</th><th>${t('receipts')}</th><th>${t('status')}</th></tr></thead><tbody></tbody></table>
<ul id="live-notes"></ul>
<script id="live-texts" type="application/json">${new Html(JSON.stringify({ phases: phaseTexts(v.lang), pull: t('pullNow'), days: {} }).replace(/</g, '\\u003c'))}</script>
<script>${new Html(LIVE_SCRIPT)}</script>`;
  return page(v.lang, t('title'), body);
}

/**
 * The grid's rows as one string, built by plain concatenation: a month of
 * 200 registers is 6,000 cells, and each is kept to its status class, its
 * day and its symbol (the legend names the class; the day view behind the
 * link has the details). Only a refused cell, which has no day view, carries
 * its reason as a title.
 */
function gridRows(v: GridView): string {
  const t = (k: TextKey, vars?: Record<string, string | number>) => text(v.lang, k, vars);
  const staleMs = v.staleDays * 86400_000;
  const staleText = esc(t('stale', { days: v.staleDays }));
  const parts: string[] = [];
  for (const r of v.rows) {
    const name = esc(registerName(r));
    const stale = r.lastSeenAt === null || v.now.getTime() - new Date(r.lastSeenAt).getTime() > staleMs;
    const seen = r.lastSeenAt === null ? esc(t('never')) : esc(`${formatInstant(v.lang, r.lastSeenAt)} (${formatAgo(v.lang, r.lastSeenAt, v.now)})`);
    parts.push(`<tr data-register="${name}"><th>${name}</th>`, stale ? `<td class="stale" title="${staleText}">${seen} ⚠ ${staleText}</td>` : `<td class="">${seen}</td>`);
    const link = `<a href="/day/${name}/`;
    for (const c of r.cells) {
      const symbol = SYMBOL[c.status];
      if (c.status === 'refused') {
        parts.push(`<td class="s-refused" data-day="${c.day}" title="${esc(`${formatDay(v.lang, c.day)}: ${t('status.refused')}${c.reason ? ` (${c.reason})` : ''}`)}">${symbol}</td>`);
      } else if (c.status === 'none' || c.status === 'not-due' || c.status === 'missing') {
        parts.push(`<td class="s-${c.status}" data-day="${c.day}">${symbol}</td>`);
      } else {
        parts.push(`<td class="s-${c.status}" data-day="${c.day}">${link}${c.day}?lang=${v.lang}">${symbol}</a></td>`);
      }
    }
    parts.push('</tr>');
  }
  return parts.join('');
}

/** The live list: one row per package, updated in place as the processing list moves it on. */
const LIVE_SCRIPT = `
(function(){
  var texts = JSON.parse(document.getElementById('live-texts').textContent);
  var body = document.querySelector('#live tbody');
  var rows = {};
  var es = new EventSource('/events');
  function cell(tr, i, v){ while (tr.children.length <= i) tr.appendChild(document.createElement('td')); tr.children[i].textContent = v; }
  es.addEventListener('row', function(e){
    var r = JSON.parse(e.data);
    var id = r.register + '/' + r.day + '/' + r.kind;
    var tr = rows[id] || rows[r.register + '/' + r.day + '/'];
    if (!tr) { tr = document.createElement('tr'); body.appendChild(tr); }
    delete rows[r.register + '/' + r.day + '/'];
    rows[id] = tr;
    tr.setAttribute('data-register', r.register); tr.setAttribute('data-day', r.day); tr.setAttribute('data-status', r.status);
    document.getElementById('live-empty').hidden = true;
    cell(tr, 0, r.register); cell(tr, 1, r.dayText[document.documentElement.lang] || r.day); cell(tr, 2, r.kind); cell(tr, 3, r.receipts);
    cell(tr, 4, (texts.phases[r.status] || r.status) + (r.progress && r.progress !== '100%' ? ' ' + r.progress : '') + (r.reason ? ': ' + r.reason : ''));
  });
  es.addEventListener('stick-done', function(e){
    var d = JSON.parse(e.data);
    var li = document.createElement('li'); li.className = 'pull'; li.textContent = texts.pull.replace('{label}', d.label);
    document.getElementById('live-notes').appendChild(li);
  });
})();`;

function isoDate(day: string): string {
  // The value of an <input type=date> is ISO by the HTML standard; the browser shows it in the clerk's locale.
  return `${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6, 8)}`;
}

export function renderDay(lang: Lang, registerText: string, day: string, d: DayDetail, sticks: ReadonlyMap<string, string>): string {
  const t = (k: TextKey, vars?: Record<string, string | number>) => text(lang, k, vars);
  const money = (m: number) => formatMoney(lang, m, d.currency);
  const body = html`
<p><a href="/?lang=${lang}">${t('back')}</a></p>
<h1>${registerText} · ${formatDay(lang, day)}</h1>
<h2>${t('packages')}</h2>
<table id="packages"><thead><tr><th>${t('kind')}</th><th>Z</th><th>${t('written')}</th><th>${t('importedAt')}</th><th>${t('fromStick')}</th><th>${t('status')}</th></tr></thead><tbody>
${d.packages.map(
  (p) =>
    html`<tr><td>${p.kind}</td><td>${p.closingNumber ?? '—'}</td><td>${formatInstant(lang, p.createdAt)}</td><td>${formatInstant(lang, p.importedAt)}</td><td>${sticks.get(p.packageId) ?? t('unknownStick')}</td><td>${phaseTexts(lang)[p.status] ?? p.status}</td></tr>`,
)}</tbody></table>
<h2>${t('counts')}</h2>
<table id="counts"><tr><th>${t('receipts')}</th><td>${d.receipts}</td></tr><tr><th>${t('gross')}</th><td>${money(d.grossMinor)}</td></tr>
<tr><th>${t('stockPostings')}</th><td>${d.stockPostings}</td></tr><tr><th>${t('timeRecords')}</th><td>${d.timeRecords}</td></tr></table>
<h2>${t('paymentTypes')}</h2>
<table id="payments">${d.payments.map((p) => html`<tr><th>${p.name} (${p.id})</th><td>${p.count}</td><td>${money(p.amountMinor)}</td></tr>`)}</table>
<h2>${t('vatRates')}</h2>
<table id="vat">${d.vat.map((x) => html`<tr><th>${x.id} (${formatPercent(lang, x.basisPoints)})</th><td>${money(x.grossMinor)}</td></tr>`)}</table>
${
  d.tseModules.length === 0
    ? ''
    : html`<h2>${t('tseModules')}</h2>
<table id="tse-modules"><tr><th>${t('tseSerial')}</th><th>${t('tsePublicKey')}</th></tr>${d.tseModules.map(
        (m) => html`<tr><td><code>${m.serialNumber}</code></td><td><pre>${m.publicKey}</pre></td></tr>`,
      )}</table>`
}
<h2>${t('quarantined')}</h2>
${
  d.quarantined.length === 0
    ? html`<p>${t('none')}</p>`
    : html`<table id="quarantine"><tr><th>${t('record')}</th><th>${t('reason')}</th></tr>${d.quarantined.map(
        (x) => html`<tr><td>${x.sourceEntry}<pre>${x.recordJson}</pre>${x.exactJson ? html`<pre>${x.exactJson}</pre>` : ''}</td><td>${x.reason}</td></tr>`,
      )}</table>`
}
<h2>${t('conflicts')}</h2>
${
  d.conflicts.length === 0
    ? html`<p>${t('none')}</p>`
    : html`<table id="conflicts"><tr><th>${t('record')}</th><th>${t('stored')}</th><th>${t('arriving')}</th></tr>${d.conflicts.map(
        (c) => html`<tr><td>${c.recordType} ${c.recordId}<br>${formatInstant(lang, c.detectedAt)}</td><td><pre>${c.storedJson ?? '—'}</pre></td><td><pre>${c.incomingJson}</pre></td></tr>`,
      )}</table>`
}`;
  return page(lang, `${registerText} ${formatDay(lang, day)}`, body);
}

export function renderMessage(lang: Lang, message: string): string {
  return page(lang, message, html`<p>${message}</p><p><a href="/?lang=${lang}">${text(lang, 'back')}</a></p>`);
}

function csvField(v: string): string {
  return /[",\n;]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** The grid for a spreadsheet: machine-readable on purpose (days as YYYY-MM-DD, status names in English). */
export function renderCsv(days: string[], rows: GridRow[]): string {
  const lines = [['register', 'last_seen_at', ...days.map(isoDate)].join(',')];
  for (const r of rows) {
    lines.push([registerName(r), r.lastSeenAt ?? '', ...r.cells.map((c) => (c.reason ? `${c.status}: ${c.reason}` : c.status))].map(csvField).join(','));
  }
  return `${lines.join('\n')}\n`;
}
