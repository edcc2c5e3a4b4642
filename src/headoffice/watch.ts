import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Disposable, LoggerPort, RemovableMediaPort, StickInfo } from '../host/ports.js';
import { ACKS_FOLDER, PUBLIC_KEY_FILE } from '../package/layout.js';
import { type PackageLocation, listPackages, readManifest } from '../package/reader.js';
import type { CentralStore } from '../central/central-store.js';
import { isClerkTextKey } from './clerk-text.js';
import { importPackages } from './import-folder.js';
import type { ImportOptions } from './import-package.js';
import { type ProcessingList, type RunTally, addToTally, describeTally, emptyTally } from './processing-list.js';

export interface WatchOptions {
  store: CentralStore;
  /** Asked before every stick and backup-folder pass: what is known (e.g. head office's identity) may have grown meanwhile. */
  importOptions: () => Promise<ImportOptions>;
  list: ProcessingList;
  media: RemovableMediaPort;
  /** The seed's "Data import from backup folder": polled for packages copied there. */
  backupFolder: string | null;
  backupPollMs: number;
  /**
   * A stick is read only once its tree (names, sizes, times) has not changed
   * for this long, and read again whenever it changes: a folder made first and
   * filled by a copy afterwards is imported when the copy is over.
   */
  settleMs: number;
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

/** Depth enough for `<stick>/DAYSTICK/<register>/` and copies of sticks one or two folders further down. */
const TREE_DEPTH = 5;
/** A stick holding more than this is someone's whole disk: the fingerprint stops there rather than walk it every poll. */
const TREE_ENTRIES = 50_000;

/**
 * What a stick holds, as one hash over every name, size and modification time
 * below it. `acks/` folders are left out: head office writes there itself, and
 * its own acks must not look like a copy still going on.
 */
export async function stickTreeFingerprint(root: string): Promise<string> {
  const hash = createHash('sha256');
  let entries = 0;
  const walk = async (dir: string, rel: string, depth: number): Promise<void> => {
    let names: import('node:fs').Dirent[];
    try {
      names = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      hash.update(`${rel}\u0000!${(err as NodeJS.ErrnoException).code ?? 'error'}\n`);
      return;
    }
    names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of names) {
      if (++entries > TREE_ENTRIES) return;
      const path = join(dir, entry.name);
      const name = `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name === ACKS_FOLDER) continue;
        hash.update(`${name}/\n`);
        if (depth < TREE_DEPTH) await walk(path, name, depth + 1);
        continue;
      }
      const s = await stat(path).catch(() => null);
      hash.update(s === null ? `${name}\u0000gone\n` : `${name}\u0000${s.size}\u0000${s.mtimeMs}\n`);
    }
  };
  await walk(root, '', 0);
  return hash.digest('hex');
}

/**
 * Why a package cannot be whole yet, or null: files still missing or shorter
 * than the manifest says are what a copy in progress looks like (with the
 * manifest copied last, as the format asks, or first, as `cp -r` may do).
 * Such a package is waited for while the stick stays in, never refused for it.
 */
async function incompleteBecause(p: PackageLocation): Promise<string | null> {
  if (p.temporaryFiles.length > 0) return `${p.temporaryFiles.length} .part file(s) still there`;
  if (p.manifestPath === null) return 'no manifest yet';
  if (p.signaturePath === null) return 'no signature yet';
  if (p.dataPath === null) return 'no data file yet';
  if ((await stat(join(p.registerDir, PUBLIC_KEY_FILE)).catch(() => null)) === null) return `no ${PUBLIC_KEY_FILE} yet`;
  try {
    const { manifest } = await readManifest(p.manifestPath);
    const size = (await stat(p.dataPath)).size;
    if (size < manifest.dataFile.bytes) return `data file has ${size} of ${manifest.dataFile.bytes} bytes so far`;
  } catch {
    // A manifest that does not parse is the verifier's to refuse by name; a manifest lands in one piece long before a data file does.
  }
  return null;
}

interface WatchedStick {
  info: StickInfo;
  /** The tree as last looked at, and since when it has looked so. */
  seen: string | null;
  seenSince: number;
  /** The tree the last scan read, null before the first. */
  scanned: string | null;
  busy: boolean;
  changeNoted: boolean;
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
    chain = chain.then(work).catch((err: unknown) => {
      o.list.note(o.list.text('watch.error', { reason: (err as Error).message }));
      o.list.rawDetail('error', (err as Error).message);
    });
  };

  const sticks = new Map<string, WatchedStick>();
  const importStick = async (s: WatchedStick, tree: string) => {
    const stick = s.info;
    if (o.signal.aborted || sticks.get(stick.id) !== s) return;
    s.scanned = tree;
    s.changeNoted = false;
    o.list.note(o.list.text('watch.looking', { label: stick.label, path: stick.mountPath }));
    let packages: PackageLocation[];
    try {
      packages = await listPackages(stick.mountPath);
    } catch (err) {
      o.list.note(o.list.text('watch.unreadable', { label: stick.label, reason: (err as Error).message }));
      o.list.rawDetail(`stick "${stick.label}"`, (err as Error).message);
      return;
    }
    const ready: PackageLocation[] = [];
    const waiting: { p: PackageLocation; why: string }[] = [];
    for (const p of packages) {
      const why = await incompleteBecause(p);
      if (why === null) ready.push(p);
      else waiting.push({ p, why });
    }
    const stickTally = emptyTally();
    for (const r of await importPackages(o.store, ready, await o.importOptions(), o.list)) {
      addToTally(stickTally, r);
      addToTally(tally, r);
    }
    for (const { p, why } of waiting) {
      const whyKey = `why.${why}`;
      o.list.note(
        o.list.text('watch.incomplete', { label: stick.label, register: p.registerFolder, stem: p.stem, why: isClerkTextKey(whyKey) ? o.list.text(whyKey) : why }),
      );
    }
    const after = await stickTreeFingerprint(stick.mountPath).catch(() => null);
    if (after !== tree) {
      s.changeNoted = true;
      // Files arrived while it was read: what was imported stands, the rest is read once the copy is quiet.
      o.list.note(o.list.text('watch.changed', { label: stick.label, tally: describeTally(stickTally, o.list.lang) }));
    } else if (packages.length === 0) {
      o.list.note(o.list.text('watch.empty', { label: stick.label }));
    } else if (waiting.length > 0) {
      o.list.note(o.list.text('watch.waiting', { label: stick.label, tally: describeTally(stickTally, o.list.lang), n: waiting.length }));
    } else {
      o.list.stickDone(stick.label, stickTally);
    }
  };

  const settlePollMs = Math.max(20, Math.min(500, Math.floor(o.settleMs / 4)));
  const lookAtSticks = async () => {
    for (const s of sticks.values()) {
      if (s.busy || o.signal.aborted) continue;
      const tree = await stickTreeFingerprint(s.info.mountPath).catch(() => null);
      // Unreadable (being pulled, or not mounted yet): the removal event or the next look decides.
      if (tree === null || sticks.get(s.info.id) !== s) continue;
      const now = Date.now();
      if (tree !== s.seen) {
        s.seen = tree;
        s.seenSince = now;
        if (s.scanned !== null && tree !== s.scanned && !s.changeNoted) {
          s.changeNoted = true;
          o.list.note(o.list.text('watch.changing', { label: s.info.label }));
        }
        continue;
      }
      if (tree === s.scanned || now - s.seenSince < o.settleMs) continue;
      s.busy = true;
      enqueue(async () => {
        try {
          await importStick(s, tree);
        } finally {
          s.busy = false;
        }
      });
    }
  };
  let looking = false;
  const stickTimer = setInterval(() => {
    if (looking) return;
    looking = true;
    void lookAtSticks().finally(() => {
      looking = false;
    });
  }, settlePollMs);

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
        if (!waitingNoted.has(p.stem)) o.list.note(o.list.text('watch.backupWaiting', { register: p.registerFolder, stem: p.stem }));
        waitingNoted.add(p.stem);
        continue;
      }
      seenInBackup.set(p.stem, stamp);
      fresh.push(p);
    }
    for (const r of await importPackages(o.store, fresh, await o.importOptions(), o.list)) addToTally(tally, r);
  };

  const subscriptions: Disposable[] = [
    o.media.onInserted((stick) => {
      sticks.set(stick.id, { info: stick, seen: null, seenSince: Date.now(), scanned: null, busy: false, changeNoted: false });
      o.list.note(o.list.text('watch.inserted', { label: stick.label, path: stick.mountPath, ms: o.settleMs }));
    }),
    o.media.onRemoved((stick) => {
      sticks.delete(stick.id);
      o.list.note(o.list.text('watch.removed', { label: stick.label }));
    }),
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
  clearInterval(stickTimer);
  for (const s of subscriptions) s.dispose();
  await chain;
  return tally;
}
