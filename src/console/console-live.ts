import { basename, dirname } from 'node:path';
import { STICK_ROOT_FOLDER } from '../package/layout.js';
import type { PackageImportResult } from '../headoffice/import-package.js';
import type { ListObserver, ListRow } from '../headoffice/processing-list.js';
import type { SeenRefusal } from './console-queries.js';
import { formatDay } from './console-text.js';

export interface LiveEvent {
  type: 'row' | 'stick-done';
  data: Record<string, unknown>;
}

type Listener = (e: LiveEvent) => void;

/** Events kept for a page opened while a stick is in, so it still shows the whole stick. */
const REPLAYED = 500;

const FINAL = new Set(['imported', 'already-imported', 'partially-conflicting', 'refused', 'failed']);

function registerOf(r: PackageImportResult): { customerNumber: string; registerId: string } | null {
  if (r.manifest) return { customerNumber: r.manifest.customerNumber, registerId: r.manifest.registerId };
  const m = /^([^-]+)-(.+)$/.exec(r.location.registerFolder);
  return m ? { customerNumber: m[1]!, registerId: m[2]! } : null;
}

/**
 * What the watcher's processing list shows, kept for the console: the live
 * list as server-sent events, the refusals (the central journal stores
 * nothing of a refused package) and which stick each package came from.
 */
export class LiveProcessing implements ListObserver {
  private readonly listeners = new Set<Listener>();
  private readonly recent: LiveEvent[] = [];
  readonly refusals: SeenRefusal[] = [];
  /** Package id → the stick folder it was read from, for the day view. */
  readonly sticks = new Map<string, string>();

  subscribe(listener: Listener): () => void {
    for (const e of this.recent) listener(e);
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: LiveEvent): void {
    this.recent.push(e);
    if (this.recent.length > REPLAYED) this.recent.shift();
    for (const l of this.listeners) l(e);
  }

  private rowEvent(row: ListRow, extra: Record<string, unknown> = {}): LiveEvent {
    const dayText = /^\d{8}$/.test(row.day) ? { en: formatDay('en', row.day), de: formatDay('de', row.day) } : { en: row.day, de: row.day };
    return { type: 'row', data: { ...row, dayText, ...extra } };
  }

  row(row: ListRow): void {
    // Final lines come with their reason through result().
    if (!FINAL.has(row.status)) this.emit(this.rowEvent(row));
  }

  result(r: PackageImportResult): void {
    const reason = r.refusals.map((x) => `${x.code}: ${x.message}`).join('; ');
    const register = registerOf(r);
    if (r.status === 'refused' && register && /^\d{8}$/.test(r.location.businessDay)) {
      this.refusals.push({ ...register, businessDay: r.location.businessDay, reason });
    }
    if (r.manifest) {
      const parent = dirname(r.location.registerDir);
      this.sticks.set(r.manifest.packageId, basename(parent) === STICK_ROOT_FOLDER ? dirname(parent) : parent);
    }
    this.emit(
      this.rowEvent(
        {
          register: r.location.registerFolder,
          day: r.location.businessDay,
          kind: r.manifest?.kind ?? '?',
          receipts: r.manifest ? String(r.manifest.controlTotals.receipts) : '?',
          status: r.status,
          progress: '',
        },
        { reason, acknowledgement: r.acknowledgement.state },
      ),
    );
  }

  stickDone(label: string): void {
    this.emit({ type: 'stick-done', data: { label } });
  }
}
