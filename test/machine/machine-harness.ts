import { createActor, fromCallback, fromPromise, SimulatedClock, toPromise } from 'xstate';
import type { StickInfo } from '../../src/host/ports.js';
import { dayCloseMachine } from '../../src/machine/day-close-machine.js';
import type { DayCloseEvent, DayWritten, StickCheck } from '../../src/machine/day-close-types.js';
import type { PlannedDay } from '../../src/state/plugin-state.js';

/**
 * Drives the day-close machine with scripted actors (a cashier's finger and a
 * USB bus do not exist here) and a SimulatedClock, recording every prompt id.
 */
export function stick(id: string, extra: Partial<StickInfo> = {}): StickInfo {
  return { id, mountPath: `/sticks/${id}`, label: id, fsType: 'vfat', readOnly: false, freeBytes: 1e9, ...extra };
}

export function day(d: string, kind: PlannedDay['kind'] = 'day-close'): PlannedDay {
  return { day: d, kind, closingNumber: kind === 'day-close' ? 7 : null, includeTimeRecords: true };
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export interface HarnessOptions {
  plan?: PlannedDay[];
  planError?: Error;
  backupEnabled?: boolean;
  reminderMs?: number;
  check?: (s: StickInfo) => StickCheck | Promise<StickCheck>;
  write?: (input: { stick: StickInfo; item: PlannedDay }, signal: AbortSignal) => Promise<DayWritten>;
  backup?: (signal: AbortSignal) => Promise<void>;
  /** Runs inside recordSent, e.g. to hold the state write open. */
  record?: () => Promise<void>;
}

export function startMachine(opts: HarnessOptions = {}) {
  const prompts: string[] = [];
  const writes: string[] = [];
  const recorded: string[] = [];
  const aborts: string[] = [];
  const excludedSeen: (string | null)[] = [];
  const stickQueue: Deferred<StickInfo>[] = [];
  const removalListeners = new Set<(id: string) => void>();
  const clock = new SimulatedClock();

  const nextStickRequest = () => {
    const d = deferred<StickInfo>();
    stickQueue.push(d);
    return d;
  };
  let pendingRequest: Deferred<StickInfo> | null = null;
  let waitSendBack: ((e: DayCloseEvent) => void) | null = null;

  const machine = dayCloseMachine.provide({
    actors: {
      planDays: fromPromise(async () => {
        if (opts.planError) throw opts.planError;
        const plan = opts.plan ?? [day('20260105')];
        return { plan, bookings: plan.length * 10 };
      }),
      // The wait sees no stick at first; insert() makes one arrive, offerChoice() shows two.
      waitForStick: fromCallback<DayCloseEvent, { excludedStickId: string | null }>(({ input, sendBack }) => {
        excludedSeen.push(input.excludedStickId);
        let live = true;
        waitSendBack = (e) => {
          if (live) sendBack(e);
        };
        sendBack({ type: 'STICK_WANTED' });
        pendingRequest = nextStickRequest();
        void pendingRequest.promise.then((s) => {
          if (live) sendBack({ type: 'STICK_FOUND', stick: s });
        });
        return () => {
          live = false;
        };
      }),
      checkStick: fromPromise<StickCheck, { stick: StickInfo; plan: PlannedDay[] }>(async ({ input }) =>
        opts.check ? opts.check(input.stick) : { ok: true },
      ),
      writeDay: fromPromise<DayWritten, { stick: StickInfo; item: PlannedDay; index: number; count: number }>(
        async ({ input, signal }) => {
          writes.push(`${input.item.day}@${input.stick.id}`);
          signal.addEventListener('abort', () => aborts.push(input.item.day));
          if (opts.write) return opts.write(input, signal);
          return { packageId: `pkg-${input.item.day}`, receipts: 10, quarantined: 0 };
        },
      ),
      recordSent: fromPromise<void, { stick: StickInfo; item: PlannedDay; written: DayWritten }>(async ({ input }) => {
        if (opts.record) await opts.record();
        recorded.push(input.item.day);
      }),
      runBackup: fromPromise<void, { stick: StickInfo }>(async ({ signal }) => {
        if (opts.backup) await opts.backup(signal);
      }),
      watchStick: fromCallback<DayCloseEvent, { stick: StickInfo }>(({ sendBack, input }) => {
        const listener = (id: string) => {
          if (id === input.stick.id) sendBack({ type: 'STICK_REMOVED' });
        };
        removalListeners.add(listener);
        return () => removalListeners.delete(listener);
      }),
    },
  });

  const actor = createActor(machine, {
    input: { reminderMs: opts.reminderMs ?? 60_000, backupEnabled: opts.backupEnabled ?? false },
    clock,
  });
  actor.on('prompt', (e) => prompts.push(e.id));
  actor.start();
  const done = toPromise(actor);

  return {
    actor,
    clock,
    prompts,
    writes,
    recorded,
    aborts,
    excludedSeen,
    done,
    /** Resolves the machine's current wait for a stick. */
    async insert(s: StickInfo) {
      await settle();
      if (!pendingRequest) throw new Error('the machine is not waiting for a stick');
      const r = pendingRequest;
      pendingRequest = null;
      r.resolve(s);
      await settle();
    },
    /** The wait found two sticks and asks the cashier; `answer` then ends the choice. */
    async offerChoice() {
      await settle();
      waitSendBack?.({ type: 'STICK_CHOOSING' });
      await settle();
    },
    async answerChoice(s: StickInfo | null) {
      waitSendBack?.(s ? { type: 'STICK_FOUND', stick: s } : { type: 'STICK_CHOICE_CANCELLED' });
      await settle();
    },
    async pull(s: StickInfo) {
      for (const l of [...removalListeners]) l(s.id);
      await settle();
    },
    state: () => JSON.stringify(actor.getSnapshot().value),
  };
}

/** Lets promise-based actors run to their next await. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

export { deferred };
