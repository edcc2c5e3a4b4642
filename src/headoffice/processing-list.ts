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

const WIDTHS: Record<keyof ListRow, number> = { register: 18, day: 9, kind: 10, receipts: 9, status: 22, progress: 8 };

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

/**
 * The processing list head office watches: one line each time a package
 * changes state, so the list reads top to bottom on a terminal and in a log
 * file alike, and a stick can be pulled once its "done" line is shown.
 */
export class ProcessingList {
  private headerShown = false;

  constructor(
    private readonly out: TextSink,
    private readonly observer: ListObserver = {},
  ) {}

  private ensureHeader(): void {
    if (this.headerShown) return;
    this.headerShown = true;
    this.out.write(`${render({ register: 'REGISTER', day: 'DAY', kind: 'KIND', receipts: 'RECEIPTS', status: 'STATUS', progress: 'PROGRESS' })}\n`);
  }

  row(row: ListRow): void {
    this.ensureHeader();
    this.out.write(`${render(row)}\n`);
    this.observer.row?.(row);
  }

  note(text: string): void {
    this.out.write(`${text}\n`);
    this.observer.note?.(text);
  }

  stickDone(label: string, tally: RunTally): void {
    this.out.write(`stick "${label}" done: ${describeTally(tally)}; it can be pulled now\n`);
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
        `${indent}receipts: ${c.receiptsNew} new, ${c.receiptsAlreadyPresent} already imported, ${c.receiptConflicts} conflicts; ` +
          `stock postings: ${c.stockPostingsNew} new, ${c.stockPostingsAlreadyPresent} already imported, ${c.stockPostingConflicts} conflicts` +
          `${c.stockPostingsSkipped > 0 ? `, ${c.stockPostingsSkipped} left out (--without-stock-postings)` : ''}; ` +
          `time records: ${c.timeRecordsNew} new, ${c.timeRecordsAlreadyPresent} already imported, ${c.timeRecordConflicts} conflicts` +
          `${c.quarantinedKept > 0 ? `; ${c.quarantinedKept} quarantined records kept` : ''}` +
          `${r.unbalanced.length > 0 ? `; ${r.unbalanced.length} receipt(s) do not add up` : ''}`,
      );
    }
    for (const refusal of r.refusals) this.note(`${indent}${r.status === 'failed' ? 'FAILED' : 'REFUSED'} (${refusal.code}): ${refusal.message}`);
    if (r.status === 'refused') this.note(`${indent}package left untouched at ${r.location.registerDir}`);
    for (const x of r.conflicts) {
      this.note(
        `${indent}CONFLICT ${x.recordType} ${x.recordId} (day ${x.businessDay}): central holds different content (${x.existingSha256.slice(0, 12)}… vs ${x.incomingSha256.slice(0, 12)}…), kept central, left this one out`,
      );
    }
    for (const u of r.unbalanced.slice(0, UNBALANCED_SHOWN)) {
      this.note(
        `${indent}UNBALANCED receipt ${u.receiptId}: gross ${u.grossMinor}, non-voided lines ${u.linesGrossMinor}, payments ${u.paymentsMinor} (minor units); imported as the register sent it`,
      );
    }
    if (r.unbalanced.length > UNBALANCED_SHOWN) {
      this.note(`${indent}UNBALANCED: ${r.unbalanced.length - UNBALANCED_SHOWN} more receipt(s), listed in the packages table (outcome_json)`);
    }
    const ack = r.acknowledgement;
    if (ack.state === 'failed') this.note(`${indent}ACKNOWLEDGEMENT FAILED: ${ack.message}`);
    else if (ack.state === 'written') this.note(`${indent}acknowledgement written: ${ack.path}`);
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

export function describeTally(t: RunTally): string {
  return (
    `${t.packages} package(s): ${t.imported} imported, ${t.alreadyImported} already imported, ` +
    `${t.conflicting} with conflicts, ${t.refused} refused, ${t.failed} failed` +
    `${t.ackFailures > 0 ? `, ${t.ackFailures} acknowledgement(s) not written` : ''}`
  );
}
