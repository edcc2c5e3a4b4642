import { randomBytes } from 'node:crypto';
import { open, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fromCallback, fromPromise, type NonReducibleUnknown } from 'xstate';
import { z } from 'zod';
import {
  type EstimatePackageBytes,
  ExportError,
  type RegisterIdentity,
  type WriteDayPackage,
} from '../export/export-contract.js';
import { commitBackup } from '../export/backup-manifest-writer.js';
import { JournalReadError, type JournalProblem, toExportError } from '../export/fs-failure.js';
import { confirmStickPresent, makeFoldersOnStick, type StickPresence } from '../export/stick-presence.js';
import { BACKUP_FOLDER, removeBackupLeftovers, removePreviousBackup } from '../export/stale-backup-files.js';
import { ensureRegisterKeyPair } from '../export/register-keys.js';
import { findStickConflict, StickConflictError } from '../export/stick-conflicts.js';
import type { BusinessDay } from '../host/business-day.js';
import type { Host } from '../host/plugin-api.js';
import type { StickInfo } from '../host/ports.js';
import { type TseModule, TseModulesSchema } from '../host/records.js';
import type { PromptBus } from '../prompts/prompt-bus.js';
import { formatDay } from '../prompts/render.js';
import { type AcknowledgementReading, ackFileTarget, readAcknowledgements } from '../package/acknowledgement.js';
import { type PackageOnStick, packagesOnStick, type ReleaseFs, releasePackage, removeAcksOf } from '../export/release-packages.js';
import { registerFolderName, STICK_ROOT_FOLDER } from '../package/layout.js';
import { encryptingStream } from '../package/age-file.js';
import {
  applyAcknowledgements,
  type BookedDayCounts,
  chooseReleases,
  compactHistory,
  confirmedPackagesAbsent,
  confirmedResends,
  countClose,
  markAttemptFailed,
  markPlannedPending,
  markReleased,
  markSent,
  type PlannedDay,
  planDays,
  snapshotAccounted,
  unsentDays,
} from '../state/plugin-state.js';
import type { StateStore } from '../state/state-store.js';
import type { dayCloseMachine } from './day-close-machine.js';
import { BackupFailedError, WriteDayError } from './day-close-machine.js';
import type { DayCloseEvent, DayWritten, PlanResult, StickCheck } from './day-close-types.js';
import { countStrays, readBookedDays, recentPackageSizes, strayTaker, unsentItem } from './journal-days.js';

/** FAT32 stores a file's size in 32 bits. */
const FAT_FILE_LIMIT = 4 * 1024 ** 3 - 1;
const FAT_TYPES = new Set(['vfat', 'fat', 'fat32', 'msdos', 'fat16']);
/** Room kept free beyond the estimate: temp file and manifest live side by side for a moment. */
const SPACE_MARGIN = 1.1;

export interface DayCloseDeps {
  host: Host;
  bus: PromptBus;
  store: StateStore;
  identity: RegisterIdentity;
  /** Head office's age recipients: every package is encrypted to them (format 2). */
  recipients: readonly string[];
  today: PlannedDay;
  /** Days written but unconfirmed by head office after this many closes go again. */
  unconfirmedResendAfterCloses: number;
  /** A master-data backup that reports no progress for this long is abandoned as stalled. */
  backupStallMs: number;
  /** Confirmed days whose packages stay on the stick (docs/stick-format.md 9.3). */
  keepConfirmedDays: number;
  /** The release's file operations; a test replaces them to stop a release halfway, as a crash would. */
  releaseFs?: ReleaseFs;
  writeDayPackage: WriteDayPackage;
  estimatePackageBytes: EstimatePackageBytes;
  /** Where the actors' work is counted, so the close returns only once all of it has ended. */
  inFlight: InFlightWork;
}

/**
 * The host work the day close's actors have started and not yet finished.
 * Stopping an actor (a cancel, a stick pulled) only stops listening to its
 * promise: a stick check halfway through its write probe goes on writing.
 * The close hands control back after `settled()`, so no probe file, folder or
 * state write of a close is still under way when the caller looks.
 */
export class InFlightWork {
  private readonly running = new Set<Promise<unknown>>();
  track<T>(work: Promise<T>): Promise<T> {
    const settledWork = work.then(
      () => undefined,
      () => undefined,
    );
    this.running.add(settledWork);
    void settledWork.then(() => this.running.delete(settledWork));
    return work;
  }
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }
}

/** This register's folder on a stick, named as the package writer names it (src/package/layout.ts). */
export function registerFolder(stickPath: string, identity: RegisterIdentity): string {
  return join(stickPath, STICK_ROOT_FOLDER, registerFolderName(identity.customerNumber, identity.registerId));
}

/** The machine's actors bound to the host's ports: the only place the machine meets the world. */
export function hostActors(deps: DayCloseDeps): Parameters<typeof dayCloseMachine.provide>[0]['actors'] {
  const { host, bus, store } = deps;
  /** fromPromise whose work deps.inFlight counts until it ends, whether or not its actor still listens. */
  const tracked = <T, I = NonReducibleUnknown>(work: (args: { input: I; signal: AbortSignal }) => Promise<T>) =>
    fromPromise<T, I>(({ input, signal }) => deps.inFlight.track(work({ input, signal })));

  return {
    planDays: tracked<PlanResult>(async ({ signal }) => {
      signal.throwIfAborted();
      const booked = await readBookedDays(host);
      let plan: PlannedDay[] = [];
      let unsent: BookedDayCounts[] = [];
      await store.update((s) => {
        const counted = countClose(compactHistory(s, host.clock.now()));
        plan = planDays(counted, deps.today, deps.unconfirmedResendAfterCloses);
        const marked = markPlannedPending(counted, plan, new Date(host.clock.now()).toISOString());
        if (!booked) return marked;
        unsent = unsentDays(marked, booked.days, deps.today.day, plan);
        return snapshotAccounted(marked, booked.days);
      });
      if (unsent.length > 0) {
        plan = [...plan, ...unsent.map((u) => unsentItem(u.day, store.state.sent, deps.today.includeTimeRecords))].sort(
          (a, b) => (a.day < b.day ? -1 : 1),
        );
        host.logger.warn('journal days hold bookings no stick has', { days: unsent });
        bus.show('UNSENT_DAYS', { days: unsent.map((u) => formatDay(u.day)).join(', ') });
      }
      let strays = 0;
      if (booked && booked.strayDays.length > 0) {
        const taken = strayTaker(store.state.straysSent, deps.today.day);
        strays = await countStrays(host, booked.strayDays, taken, signal);
        if (strays > 0) {
          plan = plan.map((p) => (p.reason === 'today' ? { ...p, strayDays: booked.strayDays } : p));
          host.logger.warn('journal rows of no valid business day go into the quarantine', {
            values: booked.strayDays,
            rows: strays,
            day: deps.today.day,
          });
          bus.show('STRAY_BOOKINGS', { count: strays, day: formatDay(deps.today.day) });
        }
      }
      // The booked days' counts are the journal's receipts per day already: the whole summary (lines and
      // payments walked) before the first prompt was most of the time from the key to it (issue 16).
      const bookedReceipts = new Map(booked?.days.map((d) => [d.day, d.receipts]));
      let bookings = strays;
      for (const item of plan) {
        signal.throwIfAborted();
        bookings += booked ? (bookedReceipts.get(item.day) ?? 0) : (await host.journal.summary(item.day)).receipts;
      }
      return { plan, bookings };
    }),

    waitForStick: fromCallback<DayCloseEvent, { excludedStickId: string | null }>(({ input, sendBack }) =>
      waitForStick(host, bus, input.excludedStickId, sendBack),
    ),

    checkStick: tracked<StickCheck, { stick: StickInfo; plan: PlannedDay[] }>(async ({ input, signal }) => {
      const { stick, plan } = input;
      // Before anything is read or made: a stick unmounted since it was listed left a folder of the register's disk.
      let onStick: StickPresence & { deviceId: number };
      try {
        const presence = stickPresence(host, stick);
        onStick = { ...presence, deviceId: await confirmStickPresent(presence) };
      } catch (err) {
        if (!(err instanceof ExportError && err.failure === 'stick-gone')) throw err;
        host.logger.warn('the stick is not there any more', { id: stick.id, message: err.message });
        return { ok: false, problem: 'gone' };
      }
      // Head office's receipts are read first: a read-only or full stick still carries them home.
      const readings = await readAcknowledgementsFrom(stick, deps);
      if (stick.readOnly) return { ok: false, problem: 'read-only' };
      const { keyId } = await ensureRegisterKeyPair(host.storage.dir);
      const conflict = await findStickConflict(stick.mountPath, deps.identity, keyId);
      if (conflict) return { ok: false, problem: 'conflict', conflict };
      // A close cancelled meanwhile writes nothing more onto the stick.
      signal.throwIfAborted();
      const probe = await probeWritable(onStick, deps.identity).catch((err: unknown) => {
        if (err instanceof ExportError && err.failure === 'stick-gone') return 'gone' as const;
        throw err;
      });
      if (probe === 'gone') return { ok: false, problem: 'gone' };
      if (probe === 'read-only') return { ok: false, problem: 'read-only' };
      if (probe === 'full') return { ok: false, problem: 'full', freeBytes: 0, neededBytes: 0 };
      signal.throwIfAborted();
      // Only now, with the folder known to be this register's and writable; before the estimate, so the room counts.
      await releaseConfirmed(stick, readings, deps);
      await tidyBackupLeftovers(deps, stick);
      // Plan first, estimate second: a re-send this stick's receipts just confirmed takes no room.
      const dropDays = confirmedResends(store.state, plan);
      const recent = recentPackageSizes(store.state.sent);
      let needed = 0;
      for (const item of plan.filter((p) => !dropDays.includes(p.day))) {
        const summary = await fromJournal('the day summary', () => host.journal.summary(item.day));
        const time = item.includeTimeRecords
          ? await fromJournal('the time-record count', () => host.timeRecording.count(item.day))
          : 0;
        const estimate = deps.estimatePackageBytes(summary, time, recent);
        if (FAT_TYPES.has((stick.fsType ?? '').toLowerCase()) && estimate > FAT_FILE_LIMIT) {
          return { ok: false, problem: 'file-limit', day: item.day, fsType: stick.fsType ?? 'FAT' };
        }
        needed += estimate;
      }
      const free = await freeBytes(host, stick);
      if (free !== null && free < needed * SPACE_MARGIN) {
        return { ok: false, problem: 'full', freeBytes: free, neededBytes: Math.ceil(needed * SPACE_MARGIN) };
      }
      return { ok: true, dropDays };
    }),

    writeDay: tracked<DayWritten, { stick: StickInfo; item: PlannedDay; index: number; count: number }>(
      async ({ input, signal }) => {
        const { stick, item, index, count } = input;
        // No made-up first update: the writer reports real counts, so an empty day draws no bar stuck at 0 %.
        const label = { day: formatDay(item.day), index: index + 1, count };
        try {
          // Read before writing: a booking that arrives meanwhile makes the counts differ, and the day goes again.
          const summary = await fromJournal('the day summary', () => host.journal.summary(item.day));
          const journal = {
            ...summary,
            timeRecords: item.includeTimeRecords
              ? await fromJournal('the time-record count', () => host.timeRecording.count(item.day))
              : 0,
          };
          const presence = stickPresence(host, stick);
          const taken = item.strayDays?.length ? strayTaker(store.state.straysSent, item.day) : null;
          const tseModules = await registerTseModules(host, item.day);
          const written = await deps.writeDayPackage({
            stickPath: stick.mountPath,
            ...(presence.deviceId === null ? {} : { stickDeviceId: presence.deviceId }),
            stickListed: presence.stillListed,
            identity: deps.identity,
            recipients: deps.recipients,
            businessDay: item.day,
            closingNumber: item.closingNumber ?? (await registerClosingNumber(host, item.day)),
            kind: item.kind,
            includeTimeRecords: item.includeTimeRecords,
            ...(tseModules ? { tseModules } : {}),
            journal: host.journal,
            timeRecording: host.timeRecording,
            keyDir: host.storage.dir,
            now: () => host.clock.now(),
            signal,
            onProgress: (done, total) => bus.progress('WRITING_DAY', label, done, total),
            ...(taken ? { strays: { days: item.strayDays!, take: taken.take } } : {}),
            onTiming: (step, ms) => host.logger.info('package step timed', { day: item.day, step, ms: Math.round(ms) }),
          });
          if (written.tseModulesLeftOut) {
            host.logger.warn('the package names no security module', { day: item.day, reason: written.tseModulesLeftOut });
          }
          return {
            packageId: written.packageId,
            receipts: written.receipts,
            quarantined: written.quarantined,
            journal,
            bytes: written.bytes,
            strays: taken?.taken ?? [],
            quarantinedExact: written.quarantinedExact,
            unbalancedReceipts: written.unbalancedReceipts,
          };
        } catch (err) {
          const failure = err instanceof JournalReadError ? 'journal-error' : err instanceof ExportError ? err.failure : 'write-error';
          const message = err instanceof Error ? err.message : String(err);
          host.logger.warn('writing a day failed', { day: item.day, failure, message });
          await store.update((s) => markAttemptFailed(s, item.day, `${failure}: ${message}`)).catch(() => undefined);
          throw new WriteDayError(
            failure,
            message,
            err instanceof StickConflictError ? err.conflict : undefined,
            failure === 'journal-error' ? journalProblemIn(err) : undefined,
          );
        }
      },
    ),

    recordSent: tracked<void, { stick: StickInfo; item: PlannedDay; written: DayWritten }>(async ({ input }) => {
      const at = new Date(host.clock.now()).toISOString();
      await store.update((s) =>
        markSent(s, input.item, {
          packageId: input.written.packageId,
          at,
          stickLabel: input.stick.label,
          journal: input.written.journal,
          bytes: input.written.bytes,
          strays: input.written.strays,
        }),
      );
    }),

    runBackup: tracked<void, { stick: StickInfo }>(({ input, signal }) => runBackup(deps, input.stick, signal)),

    watchStick: fromCallback<DayCloseEvent, { stick: StickInfo }>(({ sendBack, input }) => {
      const sub = host.media.onRemoved((removed) => {
        if (removed.id === input.stick.id) sendBack({ type: 'STICK_REMOVED' });
      });
      return () => sub.dispose();
    }),
  };
}

/** The plugin's local folder for the backup's working copy of the register database; emptied at every start. */
export function backupWorkDir(storageDir: string): string {
  return join(storageDir, 'backup-work');
}

/**
 * Leftovers of an interrupted backup go first, with the backup on or off, so
 * 20 MB never stay on the stick unsaid. A leftover that cannot be removed is
 * logged and does not stop the bookings: they are what the cashier waits for.
 */
async function tidyBackupLeftovers(deps: DayCloseDeps, stick: StickInfo): Promise<void> {
  const folder = join(registerFolder(stick.mountPath, deps.identity), BACKUP_FOLDER);
  try {
    const removed = await removeBackupLeftovers(folder);
    if (removed.length > 0) deps.host.logger.info('removed leftovers of an interrupted master-data backup', { removed });
  } catch (err) {
    deps.host.logger.warn('could not remove leftovers of an interrupted master-data backup', {
      folder,
      code: (err as NodeJS.ErrnoException).code,
      error: String(err),
    });
  }
}

/**
 * Runs the host's backup onto the stick. The previous backup is removed
 * first, so only a backup that completes stands on the stick as current. A
 * backup that reports no progress for `backupStallMs` is aborted and, because
 * a hung FUSE call may never return, abandoned at once: the cashier is never
 * left on Note 1. Every failure leaves as a BackupFailedError with a reason in
 * plain words; the errno and the message go to the log.
 */
async function runBackup(deps: DayCloseDeps, stick: StickInfo, signal: AbortSignal): Promise<void> {
  const { host, bus } = deps;
  const backup = host.backup;
  if (!backup) throw new BackupFailedError('error', 'this register offers no master-data backup');
  const target = join(registerFolder(stick.mountPath, deps.identity), BACKUP_FOLDER);
  const inner = new AbortController();
  const onOuterAbort = () => inner.abort(signal.reason);
  signal.addEventListener('abort', onOuterAbort);
  let timer: unknown;
  let settled = false;
  let stalled: (() => void) | undefined;
  const stall = new Promise<never>((_, reject) => {
    stalled = () => {
      const err = new BackupFailedError('stalled', `no progress for ${deps.backupStallMs} ms`);
      inner.abort(err);
      reject(err);
    };
  });
  // An abandoned run may still report progress; it must not arm a timer nobody clears.
  const arm = () => {
    if (settled) return;
    host.clock.clearTimeout(timer);
    timer = host.clock.setTimeout(() => stalled?.(), deps.backupStallMs);
  };
  const work = (async () => {
    const presence = stickPresence(host, stick);
    const onStick = { ...presence, deviceId: await confirmStickPresent(presence) };
    await makeFoldersOnStick(onStick, [
      STICK_ROOT_FOLDER,
      registerFolderName(deps.identity.customerNumber, deps.identity.registerId),
      BACKUP_FOLDER,
    ]);
    const removed = await removePreviousBackup(target);
    if (removed.length > 0) host.logger.info('removed the previous master-data backup before the new one', { removed });
    arm();
    await rm(backupWorkDir(host.storage.dir), { recursive: true, force: true });
    const written = await backup.run(
      target,
      inner.signal,
      (done, total) => {
        arm();
        bus.progress('BACKUP_PROGRESS', {}, done, total);
      },
      backupWorkDir(host.storage.dir),
      (plain) => encryptingStream(plain, deps.recipients),
    );
    inner.signal.throwIfAborted();
    await commitBackup({
      folder: target,
      identity: deps.identity,
      businessDay: deps.today.day,
      written,
      keyDir: host.storage.dir,
      now: () => host.clock.now(),
      signal: inner.signal,
      onRead: arm,
    });
  })();
  // The abandoned run may still settle long after; its outcome no longer matters to anyone.
  work.catch(() => undefined);
  stall.catch(() => undefined);
  try {
    arm();
    await Promise.race([work, stall]);
  } catch (err) {
    const failure = await backupFailureOf(err, stick, signal);
    host.logger.warn('master-data backup failed', {
      reason: failure.reason,
      code: (err as NodeJS.ErrnoException | undefined)?.code,
      message: err instanceof Error ? err.message : String(err),
    });
    throw failure;
  } finally {
    settled = true;
    host.clock.clearTimeout(timer);
    signal.removeEventListener('abort', onOuterAbort);
  }
}

async function backupFailureOf(err: unknown, stick: StickInfo, signal: AbortSignal): Promise<BackupFailedError> {
  if (err instanceof BackupFailedError) return err;
  if (signal.aborted) return new BackupFailedError('cancelled', String(signal.reason));
  const cause = await toExportError(err, stick.mountPath, 'writing the master-data backup').catch(() => null);
  const message = err instanceof Error ? err.message : String(err);
  switch (cause?.failure) {
    case 'stick-gone':
      return new BackupFailedError('stick-gone', message);
    case 'stick-full':
      return new BackupFailedError('stick-full', message);
    case 'read-only':
      return new BackupFailedError('read-only', message);
    default:
      return new BackupFailedError('error', message);
  }
}

/**
 * Reports the stick to write to. A stick already present counts as inserted
 * (no request to insert one); none present asks for one; two present ask the
 * cashier which one, and no answer is a cancel. The excluded stick (one that
 * just failed) is taken again only after it was removed and re-inserted.
 * Returns the cleanup the actor runs when the machine leaves the wait.
 */
function waitForStick(
  host: Host,
  bus: PromptBus,
  excludedId: string | null,
  sendBack: (event: DayCloseEvent) => void,
): () => void {
  const stop = new AbortController();
  let excluded = excludedId;
  let settled = false;
  let choosing = false;
  let wanted = false;
  const subs = [
    host.media.onInserted(() => void consider()),
    host.media.onRemoved((s) => {
      if (s.id === excluded) excluded = null;
    }),
  ];
  const finish = (event: DayCloseEvent) => {
    if (settled) return;
    settled = true;
    sendBack(event);
  };

  async function consider(): Promise<void> {
    if (settled || choosing) return;
    try {
      const listed = await host.media.list();
      // Gone from a listing counts as removed, also when the removal was reported before this wait began.
      if (!listed.some((s) => s.id === excluded)) excluded = null;
      const usable = listed.filter((s) => s.id !== excluded);
      if (settled || choosing) return;
      if (usable.length === 0) {
        if (!wanted) sendBack({ type: 'STICK_WANTED' });
        wanted = true;
        return;
      }
      if (usable.length === 1) return finish({ type: 'STICK_FOUND', stick: usable[0]! });
      choosing = true;
      sendBack({ type: 'STICK_CHOOSING' });
      const value = await host.display.choose(
        bus.render('CHOOSE_STICK'),
        usable.map((s) => ({ value: s.id, label: `${s.label} (${s.mountPath})` })),
        stop.signal,
      );
      const chosen = usable.find((s) => s.id === value);
      finish(chosen ? { type: 'STICK_FOUND', stick: chosen } : { type: 'STICK_CHOICE_CANCELLED' });
    } catch (err) {
      if (!stop.signal.aborted) finish({ type: 'STICK_WAIT_FAILED', error: err });
    }
  }
  void consider();
  return () => {
    settled = true;
    stop.abort(new Error('the day close no longer waits for a stick'));
    for (const s of subs) s.dispose();
  };
}

/**
 * Marks the days head office acknowledged on this stick as confirmed. An ack
 * that fails its checks is reported and changes nothing; a stick that cannot
 * be read for acks does not stop the day's writing.
 */
async function readAcknowledgementsFrom(stick: StickInfo, deps: DayCloseDeps): Promise<AcknowledgementReading[]> {
  const { host, bus, store } = deps;
  let readings: AcknowledgementReading[];
  try {
    readings = await readAcknowledgements(registerFolder(stick.mountPath, deps.identity), {
      trustedHeadOfficeKeyId: store.state.headOfficeKeyId ?? undefined,
    });
  } catch (err) {
    host.logger.warn('could not read acknowledgements from the stick', { error: String(err) });
    return [];
  }
  const known = new Set(store.state.sent.filter((s) => s.confirmedAt === null).map((s) => s.packageId));
  const fresh = readings.filter((r) => (r.packageId ? known.has(r.packageId) : !r.valid));
  // Another head-office machine's ack beside the trusted one for the same package is expected (section 9), not a fault.
  const confirmedHere = new Set(readings.flatMap((r) => (r.valid ? [r.packageId] : [])));
  for (const r of fresh) {
    if (r.valid || (r.problem === 'untrusted-key' && r.packageId !== null && confirmedHere.has(r.packageId))) continue;
    bus.show('ACK_INVALID', { problem: r.problem, file: r.file });
  }
  const valid = fresh.flatMap((r) => (r.valid ? [r] : []));
  if (valid.length === 0) return readings;
  let confirmedDays: string[] = [];
  await store.update((s) => {
    const applied = applyAcknowledgements(s, valid);
    confirmedDays = applied.confirmedDays;
    return applied.state;
  });
  if (confirmedDays.length > 0) {
    const days = [...new Set(confirmedDays)].sort();
    bus.show('ACKS_CONFIRMED', { count: days.length, days: days.map(formatDay).join(', ') });
  }
  return readings;
}

/**
 * Removes from the stick the packages head office confirmed, but the newest
 * `keepConfirmedDays` days (docs/stick-format.md 9.3), and finishes a release
 * an earlier visit left half done. Nothing here may cost the day's bookings:
 * a failure is logged, and what is left is cleared at the next visit.
 */
async function releaseConfirmed(stick: StickInfo, readings: readonly AcknowledgementReading[], deps: DayCloseDeps): Promise<void> {
  const { host, bus, store } = deps;
  const folder = registerFolder(stick.mountPath, deps.identity);
  const released: PackageOnStick[] = [];
  try {
    const onStick = await packagesOnStick(folder);
    const acks = readings.flatMap((r) => (r.valid ? [r] : []));
    const chosen = chooseReleases(store.state, [...onStick.values()], acks, deps.keepConfirmedDays);
    try {
      for (const id of chosen) {
        const pkg = onStick.get(id)!;
        await releasePackage(folder, pkg, deps.releaseFs);
        released.push(pkg);
      }
    } finally {
      if (released.length > 0) {
        const at = new Date(host.clock.now()).toISOString();
        await store.update((s) => markReleased(s, released.map((p) => p.packageId), at));
      }
    }
    const present = new Set([...onStick.keys()].filter((id) => !chosen.includes(id)));
    const leftover = await removeAcksOf(folder, confirmedPackagesAbsent(store.state, present), deps.releaseFs);
    if (leftover.length > 0) {
      host.logger.info('removed the acknowledgements of packages no longer on the stick', { removed: leftover });
      // An interrupted release of this stick's own package is finished now: the record may be summarised later.
      const finished = new Set(leftover.map((name) => ackFileTarget(name)?.packageId));
      const ids = store.state.sent.filter((r) => finished.has(r.packageId) && r.stickLabel === stick.label && !r.releasedAt);
      if (ids.length > 0) {
        const at = new Date(host.clock.now()).toISOString();
        await store.update((st) => markReleased(st, ids.map((r) => r.packageId), at));
      }
    }
  } catch (err) {
    host.logger.warn('could not remove the confirmed packages from the stick', {
      code: (err as NodeJS.ErrnoException).code,
      error: String(err),
    });
  }
  if (released.length === 0) return;
  const days = [...new Set(released.map((p) => p.businessDay))].sort();
  host.logger.info('removed the packages head office confirmed from the stick', {
    days,
    packages: released.map((p) => p.stem),
  });
  bus.show('CONFIRMED_DAYS_CLEARED', { count: days.length });
}

/**
 * Writes and removes a small file in daystick's own folder: the only sure test that a stick takes writes.
 * Makes DAYSTICK/ and the register's folder, never the stick's root: a stick that is not there is `stick-gone`.
 */
async function probeWritable(
  stick: StickPresence & { deviceId: number },
  identity: RegisterIdentity,
): Promise<'ok' | 'read-only' | 'full'> {
  const folder = registerFolder(stick.path, identity);
  const probe = join(folder, `.probe-${randomBytes(4).toString('hex')}.tmp`);
  try {
    await makeFoldersOnStick(stick, [STICK_ROOT_FOLDER, registerFolderName(identity.customerNumber, identity.registerId)]);
    const handle = await open(probe, 'w');
    try {
      await handle.writeFile('daystick write probe\n');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await unlink(probe);
    return 'ok';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    await unlink(probe).catch(() => undefined);
    if (err instanceof ExportError) throw err;
    if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') return 'read-only';
    if (code === 'ENOSPC') return 'full';
    throw new ExportError('write-error', `the stick does not take writes (${code ?? String(err)})`, code);
  }
}

/**
 * Free space as the removable-media port reports it now (the port knows its
 * file systems' quirks, e.g. fusefat's empty statfs); null when it cannot tell.
 */
async function freeBytes(host: Host, stick: StickInfo): Promise<number | null> {
  try {
    const now = (await host.media.list()).find((s) => s.id === stick.id);
    return now ? now.freeBytes : stick.freeBytes;
  } catch {
    return stick.freeBytes;
  }
}

const ClosingNumberSchema = z.number().int().nonnegative().safe().nullable();

/**
 * The register's own Z number of a day the plan holds none for (a re-send of
 * a day closed on the register but never written by this plugin). What the
 * host answers is checked; an answer that is not a Z number is logged and the
 * package says `null`, as the format allows, rather than carrying a wrong one.
 */
async function registerClosingNumber(host: Host, day: BusinessDay): Promise<number | null> {
  if (!host.journal.closingNumber) return null;
  try {
    const parsed = ClosingNumberSchema.safeParse(await host.journal.closingNumber(day));
    if (parsed.success) return parsed.data;
    host.logger.warn('the register reported no usable closing number', { day, reason: parsed.error.message });
  } catch (err) {
    host.logger.warn('the register could not tell its closing number', { day, reason: (err as Error).message });
  }
  return null;
}

/**
 * The security modules of the day's closing, where the host names them
 * (KassenSichV). An answer that breaks the format's rules is logged, named
 * by field, and the package carries no module list rather than a wrong one;
 * the day still closes, since its receipts carry their own TSE data.
 */
async function registerTseModules(host: Host, day: BusinessDay): Promise<TseModule[] | null> {
  if (!host.journal.tseModules) return null;
  try {
    const answer = await host.journal.tseModules(day);
    if (answer === null) return null;
    const parsed = TseModulesSchema.safeParse(answer);
    if (parsed.success) return parsed.data;
    const reason = parsed.error.issues
      .slice(0, 3)
      .map((i) => `tseModules${i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}: ${i.message}`)
      .join('; ');
    host.logger.warn('the register reported no usable security modules', { day, reason });
  } catch (err) {
    host.logger.warn('the register could not tell its security modules', { day, reason: (err as Error).message });
  }
  return null;
}

/**
 * The stick as the writer checks it: the device id the port listed, and
 * whether the port still lists it (for a mount-table stick: its mount entry
 * is still there). A port that cannot scan just now is not a pulled stick;
 * the device id still holds the writer to the stick.
 */
function stickPresence(host: Host, stick: StickInfo): StickPresence & { stillListed: () => Promise<boolean> } {
  return {
    path: stick.mountPath,
    deviceId: stick.deviceId ?? null,
    stillListed: async () => {
      try {
        return (await host.media.list()).some((s) => s.id === stick.id);
      } catch (err) {
        host.logger.warn('could not list the sticks to check this one is still there', { id: stick.id, error: String(err) });
        return true;
      }
    },
  };
}

/** A journal read whose failure is the register's, not the stick's. */
async function fromJournal<T>(what: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    throw new JournalReadError(what, err);
  }
}

function journalProblemIn(err: unknown): JournalProblem {
  for (let at: unknown = err; at instanceof Error; at = at.cause) {
    if (at instanceof JournalReadError) return at.problem;
  }
  return 'error';
}
