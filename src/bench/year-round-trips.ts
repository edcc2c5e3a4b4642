import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { loadOrCreateHeadOfficeKey } from '../headoffice/head-office-keys.js';
import { importFolder } from '../headoffice/import-folder.js';
import { openCentralStore } from '../central/open-central-store.js';
import { ProcessingList } from '../headoffice/processing-list.js';
import type { BusinessDay } from '../host/business-day.js';
import type { Host } from '../host/plugin-api.js';
import type { MasterDataBackupPort, RemovableMediaPort, StickInfo } from '../host/ports.js';
import { ACK_SUFFIX } from '../package/acknowledgement.js';
import { STICK_ROOT_FOLDER } from '../package/layout.js';
import { activate } from '../plugin/activate.js';
import { createSyntheticJournal, type SyntheticDaySpec } from './synthetic-journal.js';

/**
 * A year of daily round trips with the real plugin and the real import, in
 * one process on a folder stick: the register closes a day onto the stick
 * (releasing what head office confirmed, docs/stick-format.md 9.3), head
 * office imports the stick and leaves its acks, the next close goes on. What
 * the stick holds after each close is what a store carries to head office.
 * Only the cashier (who says yes) and the USB bus (one stick, always in) are
 * stand-ins; the master-data backup is a small file written through the
 * plugin's own encryption, as a host's backup must.
 */

const CUSTOMER = '90004';
const REGISTER = '1';
const HEAD_OFFICE = '10000';

export interface YearOfRoundTrips {
  days: number;
  keepConfirmedDays: number;
  /** After the last close, before head office saw it. */
  final: StickCount;
  /** The largest package count seen after any close. */
  maxPackages: number;
  /** The close at which a count went over its bound, if any (the target's check). */
  overBound: string | null;
  /** Median of head office's visits (the whole import of the stick, in process), ms. */
  medianVisitMs: number;
  medianCloseMs: number;
}

export interface StickCount {
  bytes: number;
  files: number;
  packages: number;
  /** Packages on the stick without an ack of head office: at most the day just closed. */
  unconfirmed: number;
  /** Master-data backups in masterdata/ (each one file beside its signed manifest). */
  backups: number;
}

class OneFolderStick implements RemovableMediaPort {
  constructor(private readonly stick: StickInfo) {}
  async list(): Promise<StickInfo[]> {
    return [this.stick];
  }
  onInserted() {
    return { dispose: () => undefined };
  }
  onRemoved() {
    return { dispose: () => undefined };
  }
}

/** A few bytes of "database" through the plugin's encrypting stream: only its output may reach the stick. */
const smallBackup: MasterDataBackupPort = {
  async run(targetDir, _signal, onProgress, _workDir, encrypt) {
    const plain = Readable.from([Buffer.from('master data backup stand-in\n')]);
    const file = encrypt ? 'register-backup.sqlite.age' : 'register-backup.sqlite';
    const bytes = Buffer.concat(await (encrypt ? await encrypt(plain) : plain).toArray());
    await writeFile(join(targetDir, file), bytes);
    onProgress?.(1, 1);
    return { files: [file], bytes: bytes.length };
  },
};

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

async function countStick(registerDir: string): Promise<StickCount> {
  let bytes = 0;
  let files = 0;
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else {
        bytes += (await stat(path)).size;
        files++;
      }
    }
  };
  await walk(registerDir);
  const names = await readdir(registerDir);
  const packageIds = names.filter((n) => n.endsWith('.manifest.json')).map((n) => n.slice(9, 45));
  const acked = new Set(
    (await readdir(join(registerDir, 'acks')).catch(() => [] as string[])).filter((n) => n.endsWith(ACK_SUFFIX)).map((n) => n.slice(9, 45)),
  );
  // A backup is its file with its signed manifest beside it (section 10): counted by its files other than those two.
  const backups = (await readdir(join(registerDir, 'masterdata')).catch(() => [] as string[])).filter(
    (n) => !n.endsWith('.part') && !n.startsWith('backup.manifest.'),
  ).length;
  return { bytes, files, packages: packageIds.length, unconfirmed: packageIds.filter((id) => !acked.has(id)).length, backups };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

export async function simulateYearOfRoundTrips(
  work: string,
  days: readonly BusinessDay[],
  spec: SyntheticDaySpec,
  keepConfirmedDays: number,
): Promise<YearOfRoundTrips> {
  const stickPath = join(work, 'stick');
  const storage = join(work, 'register-storage');
  await mkdir(stickPath, { recursive: true });
  await mkdir(storage, { recursive: true });
  const identity = await generateX25519Identity();
  const synthetic = createSyntheticJournal({ days: Object.fromEntries(days.map((d) => [d, spec])), seed: 13 });
  const stick: StickInfo = { id: stickPath, mountPath: stickPath, label: 'STICK', fsType: null, readOnly: false, freeBytes: null };
  const host: Host = {
    apiVersion: '1.0',
    hostVersion: '1.0.0',
    settings: {
      saveTransactionsForCentral: true,
      customerNumber: CUSTOMER,
      registerId: REGISTER,
      headOfficeCustomerNumber: HEAD_OFFICE,
      headOfficeRecipients: await identityToRecipient(identity),
      masterDataBackup: true,
      backupStallSeconds: 60,
      includeTimeRecords: true,
      stickReminderSeconds: 60,
      unconfirmedResendAfterCloses: 3,
      keepConfirmedDays,
      language: 'en',
    },
    display: {
      show: () => undefined,
      ask: async () => true,
      choose: async (_q, options) => options[0]?.value ?? null,
      progress: () => undefined,
      clear: () => undefined,
    },
    clock: { now: () => Date.now(), setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout) },
    storage: { dir: storage },
    journal: synthetic.journal,
    timeRecording: synthetic.timeRecording,
    backup: smallBackup,
    media: new OneFolderStick(stick),
    logger: quiet,
  };
  const registerDir = join(stickPath, STICK_ROOT_FOLDER, `${CUSTOMER}-${REGISTER}`);
  const store = await openCentralStore(join(work, 'central.sqlite'));
  const visits: number[] = [];
  const closes: number[] = [];
  let maxPackages = 0;
  let overBound: string | null = null;
  let final: StickCount | null = null;
  try {
    const options = {
      identities: [identity],
      withoutStockPostings: false,
      headOfficeCustomerNumber: HEAD_OFFICE,
      headOfficeKey: await loadOrCreateHeadOfficeKey(join(work, 'ho-keys')),
    };
    const list = new ProcessingList({ write: () => true });
    for (const [i, day] of days.entries()) {
      const closeStarted = process.hrtime.bigint();
      const plugin = await activate(host);
      try {
        const result = await plugin.onDayClose({ businessDay: day, closingNumber: i + 1 });
        if (result.outcome !== 'sent') throw new Error(`year of round trips: the close of ${day} ended ${result.outcome}`);
      } finally {
        await plugin.dispose();
      }
      closes.push(Number(process.hrtime.bigint() - closeStarted) / 1e6);
      final = await countStick(registerDir);
      maxPackages = Math.max(maxPackages, final.packages);
      if (overBound === null && (final.packages > keepConfirmedDays + final.unconfirmed || final.backups > 1)) overBound = day;
      if (i === days.length - 1) break;
      const visitStarted = process.hrtime.bigint();
      const results = await importFolder(store, stickPath, options, list);
      visits.push(Number(process.hrtime.bigint() - visitStarted) / 1e6);
      const bad = results.find((r) => r.status === 'refused' || r.status === 'failed' || r.acknowledgement.state === 'failed');
      if (bad) throw new Error(`year of round trips: head office ${bad.status} ${bad.location.stem}: ${bad.refusals[0]?.message ?? ''}`);
    }
  } finally {
    await store.close();
  }
  return {
    days: days.length,
    keepConfirmedDays,
    final: final!,
    maxPackages,
    overBound,
    medianVisitMs: median(visits),
    medianCloseMs: median(closes),
  };
}
