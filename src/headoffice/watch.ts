import { stat } from 'node:fs/promises';
import type { Disposable, LoggerPort, RemovableMediaPort, StickInfo } from '../host/ports.js';
import { type PackageLocation, listPackages } from '../package/reader.js';
import type { CentralStore } from './central-store.js';
import { importPackages } from './import-folder.js';
import type { ImportOptions } from './import-package.js';
import { type ProcessingList, type RunTally, addToTally, describeTally, emptyTally } from './processing-list.js';

export interface WatchOptions {
  store: CentralStore;
  importOptions: ImportOptions;
  list: ProcessingList;
  media: RemovableMediaPort;
  /** The seed's "Data import from backup folder": polled for packages copied there. */
  backupFolder: string | null;
  backupPollMs: number;
  logger: LoggerPort;
  signal: AbortSignal;
}

async function fileStamp(path: string | null): Promise<string> {
  if (path === null) return 'none';
  try {
    const s = await stat(path);
    return `${s.size}:${s.mtimeMs}`;
  } catch {
    return 'gone';
  }
}

/** Changes whenever any file of the package changes, so a copy still in progress is looked at again once it grows. */
async function packageStamp(p: PackageLocation): Promise<string> {
  return [p.stem, await fileStamp(p.manifestPath), await fileStamp(p.dataPath), await fileStamp(p.signaturePath), p.temporaryFiles.length].join('|');
}

/**
 * `daystick import` without a path: imports every stick as soon as it is
 * inserted and every package that appears in the backup folder, one at a
 * time in arrival order, until `signal` aborts. Returns what it did.
 */
export async function watchAndImport(o: WatchOptions): Promise<RunTally> {
  const tally = emptyTally();
  let chain: Promise<void> = Promise.resolve();
  const enqueue = (work: () => Promise<void>) => {
    chain = chain.then(work).catch((err: unknown) => o.list.note(`ERROR: ${(err as Error).message}`));
  };

  const importStick = async (stick: StickInfo) => {
    if (o.signal.aborted) return;
    o.list.note(`stick "${stick.label}" at ${stick.mountPath}: looking for daystick packages`);
    let packages: PackageLocation[];
    try {
      packages = await listPackages(stick.mountPath);
    } catch (err) {
      o.list.note(`stick "${stick.label}": cannot be read: ${(err as Error).message}`);
      return;
    }
    const stickTally = emptyTally();
    for (const r of await importPackages(o.store, packages, o.importOptions, o.list)) {
      addToTally(stickTally, r);
      addToTally(tally, r);
    }
    o.list.note(`stick "${stick.label}" done: ${describeTally(stickTally)}; it can be pulled now`);
  };

  const seenInBackup = new Map<string, string>();
  const waitingNoted = new Set<string>();
  const scanBackup = async (folder: string) => {
    let packages: PackageLocation[];
    try {
      packages = await listPackages(folder);
    } catch (err) {
      o.logger.warn('backup folder cannot be read', { folder, error: (err as Error).message });
      return;
    }
    const fresh: PackageLocation[] = [];
    for (const p of packages) {
      const stamp = await packageStamp(p);
      if (seenInBackup.get(p.stem) === stamp) continue;
      if (p.manifestPath === null) {
        // Without its manifest a package is still being copied (or was cut off): wait, and say so once.
        if (!waitingNoted.has(p.stem)) o.list.note(`backup folder: ${p.registerFolder} ${p.stem} has no manifest yet, waiting`);
        waitingNoted.add(p.stem);
        continue;
      }
      seenInBackup.set(p.stem, stamp);
      fresh.push(p);
    }
    for (const r of await importPackages(o.store, fresh, o.importOptions, o.list)) addToTally(tally, r);
  };

  const subscriptions: Disposable[] = [
    o.media.onInserted((stick) => enqueue(() => importStick(stick))),
    o.media.onRemoved((stick) => o.list.note(`stick "${stick.label}" removed`)),
  ];
  let timer: ReturnType<typeof setInterval> | null = null;
  if (o.backupFolder !== null) {
    const folder = o.backupFolder;
    let scanQueued = false;
    const requestScan = () => {
      if (scanQueued) return;
      scanQueued = true;
      enqueue(async () => {
        scanQueued = false;
        await scanBackup(folder);
      });
    };
    requestScan();
    timer = setInterval(requestScan, o.backupPollMs);
  }

  await new Promise<void>((resolve) => {
    if (o.signal.aborted) resolve();
    else o.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  if (timer) clearInterval(timer);
  for (const s of subscriptions) s.dispose();
  await chain;
  return tally;
}
