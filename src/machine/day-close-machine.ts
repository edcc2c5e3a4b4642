import { assign, emit, enqueueActions, fromCallback, fromPromise, setup } from 'xstate';
import type { StickInfo } from '../host/ports.js';
import type { PromptId } from '../prompts/catalog.js';
import { formatBytes, formatDay, type PromptParams } from '../prompts/render.js';
import type { PlannedDay } from '../state/plugin-state.js';
import type {
  DayCloseContext,
  DayCloseEmitted,
  DayCloseEvent,
  DayCloseInput,
  DayCloseOutput,
  DayWritten,
  PlanResult,
  StickCheck,
  WriteFailure,
} from './day-close-types.js';
import type { StickConflict } from '../export/export-contract.js';
import type { JournalProblem } from '../export/fs-failure.js';

/** Actors default to refusing: the plugin injects the real ones with `provide()`, tests inject theirs. */
const notProvided = (name: string) => () => {
  throw new Error(`day-close actor "${name}" was not provided`);
};

export class WriteDayError extends Error {
  constructor(
    readonly failure: WriteFailure,
    message: string,
    readonly conflict?: StickConflict,
    /** For `journal-error`: what support is told (a JournalProblem key); the message goes to the log only. */
    readonly journalProblem?: JournalProblem,
  ) {
    super(message);
    this.name = 'WriteDayError';
  }
}

/**
 * Why a master-data backup did not complete, in words the catalog turns into
 * the cashier's language (WORD_PARAMS of BACKUP_FAILED); the errno stays in the log.
 */
export type BackupFailureReason = 'stalled' | 'stick-gone' | 'stick-full' | 'read-only' | 'cancelled' | 'error';

export class BackupFailedError extends Error {
  constructor(
    readonly reason: BackupFailureReason,
    message: string,
  ) {
    super(message);
    this.name = 'BackupFailedError';
  }
}

const backupReasonOf = (error: unknown): BackupFailureReason =>
  error instanceof BackupFailedError ? error.reason : 'error';
const failureOf = (error: unknown): WriteFailure => (error instanceof WriteDayError ? error.failure : 'write-error');

const reasonOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
const current = (c: DayCloseContext): PlannedDay | undefined => c.plan[c.index];
const currentDay = (c: DayCloseContext) => formatDay(current(c)?.day ?? '');
const remainingDays = (c: DayCloseContext) =>
  c.plan
    .slice(c.index)
    .map((p) => formatDay(p.day))
    .join(', ');

export interface SayParams {
  id: PromptId;
  params: PromptParams;
}

/** A prompt for the cashier: the machine emits ids and parameters, never text. */
const say = (id: PromptId, params: (c: DayCloseContext, e: unknown) => PromptParams = () => ({})) => ({
  type: 'say' as const,
  params: ({ context, event }: { context: DayCloseContext; event: unknown }): SayParams => ({
    id,
    params: params(context, event),
  }),
});

const errorOf = (event: unknown) => (event as { error?: unknown }).error;
const isJournalError = ({ event }: { event: unknown }) => failureOf(errorOf(event)) === 'journal-error';

/** The journal's prompt ends the close at once: re-inserting the stick would not make the journal readable. */
const journalFailed = {
  target: '#dayClose.failed',
  actions: [
    say('JOURNAL_READ_FAILED', (c, e) => ({
      day: currentDay(c),
      reason: (errorOf(e) as WriteDayError).journalProblem ?? 'error',
    })),
    'journalFailed' as const,
  ],
} as const;

/** The prompt naming what on the stick is in the way; the stick is then not taken again until re-inserted. */
const sayConflict = (conflictOf: (e: unknown) => StickConflict | undefined) => ({
  type: 'say' as const,
  params: ({ context, event }: { context: DayCloseContext; event: unknown }): SayParams => {
    const conflict = conflictOf(event);
    const label = context.stick?.label ?? '';
    return conflict?.kind === 'foreign-register'
      ? { id: 'STICK_FOREIGN_REGISTER', params: { label, folder: conflict.folder } }
      : { id: 'STICK_BLOCKED_NAME', params: { label, entry: conflict?.entry ?? '' } };
  },
});

export const dayCloseMachine = setup({
  types: {} as {
    context: DayCloseContext;
    input: DayCloseInput;
    events: DayCloseEvent;
    emitted: DayCloseEmitted;
    output: DayCloseOutput;
  },
  actors: {
    planDays: fromPromise<PlanResult>(notProvided('planDays')),
    waitForStick: fromCallback<DayCloseEvent, { excludedStickId: string | null }>(notProvided('waitForStick')),
    checkStick: fromPromise<StickCheck, { stick: StickInfo; plan: PlannedDay[] }>(notProvided('checkStick')),
    writeDay: fromPromise<DayWritten, { stick: StickInfo; item: PlannedDay; index: number; count: number }>(
      notProvided('writeDay'),
    ),
    recordSent: fromPromise<void, { stick: StickInfo; item: PlannedDay; written: DayWritten }>(
      notProvided('recordSent'),
    ),
    runBackup: fromPromise<void, { stick: StickInfo }>(notProvided('runBackup')),
    watchStick: fromCallback<DayCloseEvent, { stick: StickInfo }>(notProvided('watchStick')),
  },
  actions: {
    say: emit((_, p: SayParams): DayCloseEmitted => ({ type: 'prompt', id: p.id, params: p.params })),
    excludeStick: assign({ excludedStickId: ({ context }) => context.stick?.id ?? null, stick: null }),
    journalFailed: assign({ finalPromptId: 'JOURNAL_READ_FAILED' }),
  },
  delays: {
    reminder: ({ context }) => context.reminderMs,
  },
  guards: {
    hasMoreDays: ({ context }) => context.index + 1 < context.plan.length,
    backupEnabled: ({ context }) => context.backupEnabled,
  },
}).createMachine({
  id: 'dayClose',
  context: ({ input }) => ({
    plan: [],
    index: 0,
    reminderMs: input.reminderMs,
    backupEnabled: input.backupEnabled,
    stick: null,
    excludedStickId: null,
    sentDays: [],
    cancelRequested: false,
    outcome: null,
    finalPromptId: null,
  }),
  initial: 'planning',
  // A cancel anywhere not handled more specifically postpones: the days stay pending.
  on: { CANCEL: '.postponed' },
  states: {
    planning: {
      invoke: {
        src: 'planDays',
        onDone: {
          target: 'awaitingStick',
          actions: [
            assign({ plan: ({ event }) => event.output.plan }),
            say('PLAN_DAYS', (_c, e) => {
              const out = (e as { output: PlanResult }).output;
              return {
                count: out.plan.length,
                days: out.plan.map((p) => formatDay(p.day)).join(', '),
                bookings: out.bookings,
              };
            }),
          ],
        },
        onError: {
          target: 'failed',
          actions: say('DAY_CLOSE_FAILED', (_c, e) => ({ reason: reasonOf(errorOf(e)) })),
        },
      },
    },

    // The actor looks at the sticks and reports what it sees: only a wait with no usable stick asks for one,
    // and the reminders run only then, not while the cashier picks one of two.
    awaitingStick: {
      invoke: {
        src: 'waitForStick',
        input: ({ context }) => ({ excludedStickId: context.excludedStickId }),
      },
      on: {
        CANCEL: 'postponed',
        STICK_WANTED: '.waiting',
        STICK_CHOOSING: '.choosing',
        STICK_FOUND: {
          target: 'checkingStick',
          actions: [
            assign({ stick: ({ event }) => event.stick }),
            say('STICK_USED', (_c, e) => {
              const { stick } = e as Extract<DayCloseEvent, { type: 'STICK_FOUND' }>;
              return { label: stick.label, path: stick.mountPath };
            }),
          ],
        },
        // No answer to the choice (the cashier cancelled it, or input ended) is a cancel, never an endless wait.
        STICK_CHOICE_CANCELLED: 'postponed',
        STICK_WAIT_FAILED: {
          target: 'failed',
          actions: say('DAY_CLOSE_FAILED', (_c, e) => ({
            reason: reasonOf((e as Extract<DayCloseEvent, { type: 'STICK_WAIT_FAILED' }>).error),
          })),
        },
      },
      initial: 'looking',
      states: {
        looking: {},
        waiting: {
          entry: say('INSERT_STICK'),
          initial: 'unreminded',
          states: {
            unreminded: {
              after: { reminder: { target: 'unreminded', reenter: true, actions: say('STICK_REMINDER') } },
            },
          },
        },
        choosing: {},
      },
    },

    checkingStick: {
      invoke: {
        src: 'checkStick',
        input: ({ context }) => ({ stick: context.stick!, plan: context.plan.slice(context.index) }),
        onDone: [
          {
            guard: ({ event }) => event.output.ok,
            target: 'writing',
            actions: assign({
              plan: ({ context, event }) => {
                const drop = new Set(event.output.ok ? (event.output.dropDays ?? []) : []);
                const done = context.plan.slice(0, context.index);
                return [...done, ...context.plan.slice(context.index).filter((p) => !drop.has(p.day))];
              },
            }),
          },
          {
            // Excluded until the port no longer lists it: a port that keeps reporting a vanished path is not retried forever.
            guard: ({ event }) => !event.output.ok && event.output.problem === 'gone',
            target: 'stickPulled',
            actions: 'excludeStick',
          },
          {
            guard: ({ event }) => !event.output.ok && event.output.problem === 'read-only',
            target: 'awaitingStick',
            actions: [say('STICK_READ_ONLY', (c) => ({ label: c.stick?.label ?? '' })), 'excludeStick'],
          },
          {
            guard: ({ event }) => !event.output.ok && event.output.problem === 'conflict',
            target: 'awaitingStick',
            actions: [
              sayConflict((e) => (e as { output: Extract<StickCheck, { problem: 'conflict' }> }).output.conflict),
              'excludeStick',
            ],
          },
          {
            guard: ({ event }) => !event.output.ok && event.output.problem === 'full',
            target: 'awaitingStick',
            actions: [
              say('STICK_FULL', (c, e) => {
                const out = (e as { output: Extract<StickCheck, { problem: 'full' }> }).output;
                return {
                  label: c.stick?.label ?? '',
                  free: formatBytes(out.freeBytes),
                  needed: formatBytes(out.neededBytes),
                };
              }),
              'excludeStick',
            ],
          },
          {
            target: 'awaitingStick',
            actions: [
              say('STICK_FILE_LIMIT', (c, e) => {
                const out = (e as { output: Extract<StickCheck, { problem: 'file-limit' }> }).output;
                return { label: c.stick?.label ?? '', day: formatDay(out.day), fsType: out.fsType };
              }),
              'excludeStick',
            ],
          },
        ],
        onError: [
          { guard: isJournalError, ...journalFailed },
          {
            target: 'awaitingStick',
            actions: [
              say('WRITE_FAILED', (c, e) => ({ day: currentDay(c), label: c.stick?.label ?? '', reason: failureOf(errorOf(e)) })),
              'excludeStick',
            ],
          },
        ],
      },
      on: { CANCEL: 'postponed' },
    },

    writing: {
      invoke: { src: 'watchStick', input: ({ context }) => ({ stick: context.stick! }) },
      on: { CANCEL: 'postponed' },
      initial: 'writingDay',
      states: {
        writingDay: {
          invoke: {
            src: 'writeDay',
            input: ({ context }) => ({
              stick: context.stick!,
              item: current(context)!,
              index: context.index,
              count: context.plan.length,
            }),
            onDone: {
              target: 'recording',
              actions: [
                say('DAY_WRITTEN', (c, e) => ({
                  day: currentDay(c),
                  receipts: (e as { output: DayWritten }).output.receipts,
                })),
                enqueueActions(({ context, event, enqueue }) => {
                  // Quarantined records are never dropped, and the cashier is told how many went aside.
                  if (event.output.quarantined > 0) {
                    enqueue.emit({
                      type: 'prompt',
                      id: 'QUARANTINED',
                      params: { day: currentDay(context), count: event.output.quarantined },
                    });
                  }
                  const exact = event.output.quarantinedExact ?? 0;
                  if (exact > 0) {
                    enqueue.emit({ type: 'prompt', id: 'QUARANTINED_EXACT', params: { day: currentDay(context), count: exact } });
                  }
                  const unbalanced = event.output.unbalancedReceipts ?? 0;
                  if (unbalanced > 0) {
                    enqueue.emit({
                      type: 'prompt',
                      id: 'UNBALANCED_RECEIPTS',
                      params: { day: currentDay(context), count: unbalanced },
                    });
                  }
                }),
              ],
            },
            onError: [
              { guard: ({ event }) => failureOf(event.error) === 'stick-gone', target: '#dayClose.stickPulled' },
              { guard: isJournalError, ...journalFailed },
              {
                guard: ({ event }) => failureOf(event.error) === 'stick-full',
                target: '#dayClose.awaitingStick',
                actions: [
                  say('STICK_FULL', (c) => ({
                    label: c.stick?.label ?? '',
                    free: formatBytes(c.stick?.freeBytes ?? 0),
                    needed: 'more',
                  })),
                  'excludeStick',
                ],
              },
              {
                guard: ({ event }) => failureOf(event.error) === 'read-only',
                target: '#dayClose.awaitingStick',
                actions: [say('STICK_READ_ONLY', (c) => ({ label: c.stick?.label ?? '' })), 'excludeStick'],
              },
              {
                guard: ({ event }) => failureOf(event.error) === 'stick-conflict',
                target: '#dayClose.awaitingStick',
                actions: [sayConflict((e) => (errorOf(e) as WriteDayError).conflict), 'excludeStick'],
              },
              {
                target: '#dayClose.awaitingStick',
                actions: [
                  say('WRITE_FAILED', (c, e) => ({
                    day: currentDay(c),
                    label: c.stick?.label ?? '',
                    // The failure's words on screen; its message is in the log beside this prompt.
                    reason: failureOf(errorOf(e)),
                  })),
                  'excludeStick',
                ],
              },
            ],
          },
          on: { STICK_REMOVED: '#dayClose.stickPulled' },
        },
        recording: {
          invoke: {
            src: 'recordSent',
            input: ({ context, event }) => ({
              stick: context.stick!,
              item: current(context)!,
              written: (event as unknown as { output: DayWritten }).output,
            }),
            onDone: [
              {
                guard: ({ context }) => context.cancelRequested,
                target: '#dayClose.postponed',
                actions: assign({
                  sentDays: ({ context }) => [...context.sentDays, current(context)!.day],
                  index: ({ context }) => context.index + 1,
                }),
              },
              {
                guard: 'hasMoreDays',
                target: 'writingDay',
                actions: assign({
                  sentDays: ({ context }) => [...context.sentDays, current(context)!.day],
                  index: ({ context }) => context.index + 1,
                }),
              },
              {
                target: '#dayClose.afterBookings',
                actions: assign({
                  sentDays: ({ context }) => [...context.sentDays, current(context)!.day],
                  index: ({ context }) => context.index + 1,
                }),
              },
            ],
            onError: {
              target: '#dayClose.failed',
              actions: say('DAY_CLOSE_FAILED', (_c, e) => ({ reason: reasonOf(errorOf(e)) })),
            },
          },
          // The package is verified; leaving now would report a sent day as pending. Finish the record first.
          on: { CANCEL: { actions: assign({ cancelRequested: true }) } },
        },
      },
    },

    stickPulled: {
      entry: say('STICK_PULLED', (c) => ({ day: currentDay(c) })),
      always: 'awaitingStick',
    },

    afterBookings: {
      always: [{ guard: 'backupEnabled', target: 'backingUp' }, { target: 'sent' }],
    },

    backingUp: {
      entry: say('NOTE_1'),
      invoke: [
        { src: 'watchStick', input: ({ context }) => ({ stick: context.stick! }) },
        {
          src: 'runBackup',
          input: ({ context }) => ({ stick: context.stick! }),
          onDone: 'sent',
          onError: {
            target: 'backupIncomplete',
            actions: say('BACKUP_FAILED', (_c, e) => ({ reason: backupReasonOf(errorOf(e)) })),
          },
        },
      ],
      on: {
        STICK_REMOVED: { target: 'backupIncomplete', actions: say('BACKUP_PULLED') },
        // The bookings are already safe; a cancel now only stops the backup.
        CANCEL: { target: 'backupIncomplete', actions: say('BACKUP_FAILED', () => ({ reason: 'cancelled' satisfies BackupFailureReason })) },
      },
    },

    sent: {
      type: 'final',
      entry: [say('NOTE_2'), assign({ outcome: 'sent', finalPromptId: 'NOTE_2' })],
    },
    backupIncomplete: {
      type: 'final',
      entry: assign({ outcome: 'sent-backup-incomplete', finalPromptId: 'BACKUP_FAILED' }),
    },
    postponed: {
      type: 'final',
      entry: [
        say('POSTPONED', (c) => ({ days: remainingDays(c) })),
        assign({ outcome: 'postponed', finalPromptId: 'POSTPONED' }),
      ],
    },
    failed: {
      type: 'final',
      entry: assign({ outcome: 'failed', finalPromptId: ({ context }) => context.finalPromptId ?? 'DAY_CLOSE_FAILED' }),
    },
  },
  output: ({ context }) => ({
    outcome: context.outcome ?? 'failed',
    sentDays: context.sentDays,
    pendingDays: context.plan.slice(context.index).map((p) => p.day),
    finalPromptId: context.finalPromptId,
  }),
});
