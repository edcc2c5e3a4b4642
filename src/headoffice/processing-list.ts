import type { Language } from '../prompts/catalog.js';
import { type ClerkTextKey, clerkDay, isClerkTextKey, clerkText, problemText } from './clerk-text.js';
import type { PackageImportResult } from './import-package.js';

export interface TextSink {
  write(text: string): unknown;
}

export interface ListRow {
  register: string;
  day: string;
  kind: string;
  receipts: string;
  status: string;
  progress: string;
}

/** Beyond this many, a package's unbalanced receipts are counted in the list, each one stays in the central journal. */
const UNBALANCED_SHOWN = 20;

// The day column holds a local date: 11 for en "30 Nov 2026", de "05.01.2026" is 10.
const WIDTHS: Record<keyof ListRow, number> = { register: 18, day: 11, kind: 10, receipts: 9, status: 22, progress: 8 };

function render(row: ListRow): string {
  return (Object.keys(WIDTHS) as (keyof ListRow)[])
    .map((k) => (k === 'receipts' ? row[k].padStart(WIDTHS[k]) : row[k].padEnd(WIDTHS[k])))
    .join(' ')
    .trimEnd();
}

/** Sees the list as it is written (the head-office console's live view), beside the text sink. */
export interface ListObserver {
  row?(row: ListRow): void;
  note?(text: string): void;
  result?(r: PackageImportResult): void;
  /** A stick's packages are all done: it can be pulled. */
  stickDone?(label: string, tally: RunTally): void;
}

export interface ProcessingListOptions {
  /** The clerk's language for what the list writes (the observer sees the rows' raw values). Default en. */
  lang?: Language;
  /** Where the raw message behind a translated explanation goes (stderr); English keeps it in the sentence. */
  detail?: TextSink;
}

/** A row's status word: a phase or outcome in the language, anything unknown as given. */
function statusWord(lang: Language, status: string): string {
  const key = `status.${status}`;
  return isClerkTextKey(key) ? clerkText(lang, key) : status;
}

/**
 * The processing list head office watches: one line each time a package
 * changes state, so the list reads top to bottom on a terminal and in a log
 * file alike, and a stick can be pulled once its "done" line is shown.
 */
export class ProcessingList {
  private headerShown = false;
  readonly lang: Language;
  private readonly detail: TextSink | undefined;

  constructor(
    private readonly out: TextSink,
    private readonly observer: ListObserver = {},
    options: ProcessingListOptions = {},
  ) {
    this.lang = options.lang ?? 'en';
    this.detail = options.detail;
  }

  /** The clerk's text in the list's language. */
  text(key: ClerkTextKey, params: Record<string, string | number> = {}): string {
    return clerkText(this.lang, key, params);
  }

  /** The raw message behind a German explanation, for whoever must dig (stderr); English has it in the line. */
  rawDetail(what: string, message: string): void {
    if (this.lang !== 'en') this.detail?.write(`daystick import: ${what}: ${message}\n`);
  }

  private ensureHeader(): void {
    if (this.headerShown) return;
    this.headerShown = true;
    const t = (k: ClerkTextKey) => this.text(k);
    this.out.write(
      `${render({ register: t('list.register'), day: t('list.day'), kind: t('list.kind'), receipts: t('list.receipts'), status: t('list.status'), progress: t('list.progress') })}\n`,
    );
  }

  row(row: ListRow): void {
    this.ensureHeader();
    this.out.write(`${render({ ...row, day: clerkDay(this.lang, row.day), status: statusWord(this.lang, row.status) })}\n`);
    this.observer.row?.(row);
  }

  note(text: string): void {
    this.out.write(`${text}\n`);
    this.observer.note?.(text);
  }

  stickDone(label: string, tally: RunTally): void {
    this.out.write(`${this.text('list.stickDone', { label, tally: describeTally(tally, this.lang) })}\n`);
    this.observer.stickDone?.(label, tally);
  }

  /** The final line of a package plus every cause, conflict and acknowledgement problem under it. */
  result(r: PackageImportResult): void {
    this.observer.result?.(r);
    const m = r.manifest;
    const c = r.counts;
    this.row({
      register: r.location.registerFolder,
      day: r.location.businessDay,
      kind: m?.kind ?? '?',
      receipts: m ? String(m.controlTotals.receipts) : '?',
      status: r.status,
      progress: r.status === 'refused' || r.status === 'failed' ? '-' : '100%',
    });
    const indent = '    ';
    if (c) {
      this.note(
        indent +
          this.text('list.counts', {
            rn: c.receiptsNew,
            ra: c.receiptsAlreadyPresent,
            rc: c.receiptConflicts,
            sn: c.stockPostingsNew,
            sa: c.stockPostingsAlreadyPresent,
            sc: c.stockPostingConflicts,
            skipped: c.stockPostingsSkipped > 0 ? this.text('list.countsSkipped', { n: c.stockPostingsSkipped }) : '',
            tn: c.timeRecordsNew,
            ta: c.timeRecordsAlreadyPresent,
            tc: c.timeRecordConflicts,
            kept: c.quarantinedKept > 0 ? this.text('list.countsKept', { n: c.quarantinedKept }) : '',
            unbalanced: r.unbalanced.length > 0 ? this.text('list.countsUnbalanced', { n: r.unbalanced.length }) : '',
          }),
      );
    }
    for (const refusal of r.refusals) {
      const reason = problemText(this.lang, refusal.code, refusal.message);
      this.note(`${indent}${this.text(r.status === 'failed' ? 'list.failed' : 'list.refused', { code: refusal.code, reason })}`);
      this.rawDetail(`${r.location.registerFolder} ${r.location.packageId} ${refusal.code}`, refusal.message);
    }
    if (r.status === 'refused') this.note(`${indent}${this.text('list.untouched', { dir: r.location.registerDir })}`);
    for (const x of r.conflicts) {
      this.note(
        indent +
          this.text('list.conflict', {
            type: this.text(`record.${x.recordType}`),
            id: x.recordId,
            day: x.businessDay,
            stored: x.existingSha256.slice(0, 12),
            arriving: x.incomingSha256.slice(0, 12),
          }),
      );
    }
    for (const u of r.unbalanced.slice(0, UNBALANCED_SHOWN)) {
      this.note(
        indent + this.text('list.unbalanced', { id: u.receiptId, gross: u.grossMinor, lines: u.linesGrossMinor, payments: u.paymentsMinor }),
      );
    }
    if (r.unbalanced.length > UNBALANCED_SHOWN) {
      this.note(`${indent}${this.text('list.unbalancedMore', { n: r.unbalanced.length - UNBALANCED_SHOWN })}`);
    }
    const ack = r.acknowledgement;
    if (ack.state === 'failed') {
      this.note(`${indent}${this.text('list.ackFailed', { reason: this.text('list.ackFailedReason', { message: ack.message }) })}`);
      this.rawDetail(`${r.location.registerFolder} ${r.location.packageId} acknowledgement`, ack.message);
    } else if (ack.state === 'written') this.note(`${indent}${this.text('list.ackWritten', { path: ack.path })}`);
  }
}

export interface RunTally {
  packages: number;
  imported: number;
  alreadyImported: number;
  conflicting: number;
  refused: number;
  failed: number;
  ackFailures: number;
}

export function emptyTally(): RunTally {
  return { packages: 0, imported: 0, alreadyImported: 0, conflicting: 0, refused: 0, failed: 0, ackFailures: 0 };
}

export function addToTally(t: RunTally, r: PackageImportResult): void {
  t.packages++;
  if (r.status === 'imported') t.imported++;
  else if (r.status === 'already-imported') t.alreadyImported++;
  else if (r.status === 'partially-conflicting') t.conflicting++;
  else if (r.status === 'refused') t.refused++;
  else t.failed++;
  if (r.acknowledgement.state === 'failed') t.ackFailures++;
}

/** Anything a person must look at makes the run fail: a refusal, a failed import, a conflict, or a missing acknowledgement. */
export function tallyNeedsAttention(t: RunTally): boolean {
  return t.refused + t.failed + t.conflicting + t.ackFailures > 0;
}

export function describeTally(t: RunTally, lang: Language = 'en'): string {
  return clerkText(lang, 'tally', {
    packages: t.packages,
    imported: t.imported,
    already: t.alreadyImported,
    conflicting: t.conflicting,
    refused: t.refused,
    failed: t.failed,
    ack: t.ackFailures > 0 ? clerkText(lang, 'tally.ack', { n: t.ackFailures }) : '',
  });
}
