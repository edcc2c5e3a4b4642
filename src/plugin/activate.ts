import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type AnyActorRef, createActor, toPromise } from 'xstate';
import { z } from 'zod';
import { ensureRegisterKeyPair, estimatePackageBytes, writeDayPackage } from '../export/index.js';
import { BusinessDayError, BusinessDaySchema, businessDayProblem } from '../host/business-day.js';
import { HostRequestError } from '../host/host-request-error.js';
import type { CommandInput, DayCloseRequest, DayCloseResult, Host, PluginInstance } from '../host/plugin-api.js';
import { dayCloseMachine } from '../machine/day-close-machine.js';
import { backupWorkDir, hostActors, InFlightWork } from '../machine/host-actors.js';
import { PromptBus } from '../prompts/prompt-bus.js';
import { parseSettings, recipientList } from '../settings/settings.js';
import { StateStore } from '../state/state-store.js';
import { checkedJournal, checkedTimeRecording } from './journal-summary-check.js';
import { handleCommand } from './manager-commands.js';
import { checkHostCompatibility, manifestDefaults, readManifest } from './manifest.js';

const MANIFEST_URL = new URL('../../plugin.manifest.json', import.meta.url);

const DayCloseRequestSchema = z.strictObject({
  businessDay: BusinessDaySchema,
  closingNumber: z.number().int().nonnegative(),
});

const CommandInputSchema = z.strictObject({ key: z.string().min(1), digits: z.string() });
/** No key of the plugin is longer, and no date it takes: longer input is the register's, as any unknown key is. */
const MAX_COMMAND_TEXT = 40;

/** `field: problem` per zod issue, the form SettingsError uses. */
function issueFields(error: z.ZodError): string[] {
  return error.issues.map((i) =>
    i.code === 'unrecognized_keys'
      ? `${i.keys.join(', ')}: not part of the request`
      : `${i.path.join('.') || '(request)'}: ${i.message}`,
  );
}

function parseCommandInput(input: unknown): CommandInput {
  const parsed = CommandInputSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const fields = issueFields(parsed.error);
  throw new HostRequestError(
    'onCommand',
    'invalid-request',
    `daystick command input is invalid: ${fields.join('; ')}`,
    fields,
  );
}

const NOT_HANDLED = { handled: false, ok: false, promptId: null } as const;

/**
 * A business day the host typed wrong is a BusinessDayError (its problem and the input, as the REPORTS key refuses
 * it); anything else wrong with the request is a HostRequestError naming the fields. Never a raw zod dump.
 */
function parseDayCloseRequest(request: unknown): DayCloseRequest {
  const day = (request as { businessDay?: unknown } | null)?.businessDay;
  if (typeof day === 'string') {
    const problem = businessDayProblem(day);
    if (problem) throw new BusinessDayError(problem, day);
  }
  const parsed = DayCloseRequestSchema.safeParse(request);
  if (parsed.success) return parsed.data;
  const fields = issueFields(parsed.error);
  throw new HostRequestError(
    'onDayClose',
    'invalid-request',
    `daystick day-close request is invalid: ${fields.join('; ')}`,
    fields,
  );
}

/**
 * Loads daystick into a register shell. Refuses, with a message naming the
 * reason, a host of another API version, invalid settings, and a customer
 * number equal to head office's; everything it registers is released by
 * `dispose()`.
 */
export async function activate(host: Host): Promise<PluginInstance> {
  const manifest = await readManifest(MANIFEST_URL.pathname);
  checkHostCompatibility(manifest, host);
  const settings = parseSettings(host.settings, manifestDefaults(manifest));
  // The machine and the writer see the journal through a check of its summary against its rows.
  const ported: Host = Object.create(host, {
    journal: { value: checkedJournal(host.journal, host.logger) },
    timeRecording: { value: checkedTimeRecording(host.timeRecording, host.logger) },
  });

  // A register killed during a backup left its database's working copy here; it goes before anything else.
  await clearBackupWorkDir(host);

  const disposed = new AbortController();
  let storeRef: StateStore | undefined;
  const running = new Set<AnyActorRef>();
  const bus = new PromptBus(settings.language, host.logger);
  const detach = bus.attach(host.display);

  const disposeAll = async () => {
    if (disposed.signal.aborted) return;
    disposed.abort(new Error('daystick plugin unloaded'));
    for (const actor of running) actor.stop();
    running.clear();
    detach();
    bus.dispose();
    await storeRef?.flush();
  };

  if (!settings.saveTransactionsForCentral) {
    // The switch is off: the day close does nothing and says nothing, and the REPORTS key stays the register's.
    return {
      onDayClose: async (request) => {
        parseDayCloseRequest(request);
        return { outcome: 'disabled', sentDays: [], pendingDays: [], finalPromptId: null };
      },
      onCommand: async (input) => {
        parseCommandInput(input);
        return NOT_HANDLED;
      },
      dispose: disposeAll,
    };
  }

  const identity = { customerNumber: settings.customerNumber!, registerId: settings.registerId };
  const { store, recovered } = await StateStore.open(join(host.storage.dir, 'state'), host.logger);
  storeRef = store;
  if (recovered) bus.show('STATE_RECOVERED');
  await ensureRegisterKeyPair(host.storage.dir);

  const assertLive = (call: 'onDayClose' | 'onCommand') => {
    if (disposed.signal.aborted) {
      throw new HostRequestError(
        call,
        'disposed',
        `daystick plugin was disposed: ${call} needs the plugin activated again`,
      );
    }
  };

  return {
    async onDayClose(request: DayCloseRequest, signal?: AbortSignal): Promise<DayCloseResult> {
      assertLive('onDayClose');
      const req = parseDayCloseRequest(request);
      if (running.size > 0) {
        throw new HostRequestError(
          'onDayClose',
          'close-running',
          'a daystick day close is already running; wait for its result',
        );
      }
      const inFlight = new InFlightWork();
      const machine = dayCloseMachine.provide({
        actors: hostActors({
          inFlight,
          host: ported,
          bus,
          store,
          identity,
          recipients: recipientList(settings.headOfficeRecipients),
          today: {
            day: req.businessDay,
            kind: 'day-close',
            closingNumber: req.closingNumber,
            includeTimeRecords: settings.includeTimeRecords,
          },
          unconfirmedResendAfterCloses: settings.unconfirmedResendAfterCloses,
          backupStallMs: settings.backupStallSeconds * 1000,
          keepConfirmedDays: settings.keepConfirmedDays,
          writeDayPackage,
          estimatePackageBytes,
        }),
      });
      const actor = createActor(machine, {
        input: {
          reminderMs: settings.stickReminderSeconds * 1000,
          backupEnabled: settings.masterDataBackup && host.backup !== undefined,
        },
        clock: host.clock,
      });
      actor.on('prompt', (e) => bus.show(e.id, e.params));
      const cancel = () => actor.send({ type: 'CANCEL' });
      signal?.addEventListener('abort', cancel);
      disposed.signal.addEventListener('abort', cancel);
      running.add(actor);
      let output: DayCloseResult;
      try {
        actor.start();
        if (signal?.aborted) cancel();
        output = await toPromise(actor);
      } finally {
        signal?.removeEventListener('abort', cancel);
        disposed.signal.removeEventListener('abort', cancel);
        running.delete(actor);
        actor.stop();
        // An actor stopped mid-work still finishes its probe, folder or state write; the caller gets control back only after it.
        await inFlight.settled();
        await store.flush();
      }
      // Ended before the plan reached the machine (cancelled while planning): the planner's own state write may
      // have marked days pending that the machine never saw, and the caller must not read "nothing pending".
      if ((output.outcome === 'postponed' || output.outcome === 'failed') && output.pendingDays.length === 0) {
        return { ...output, pendingDays: store.state.pending.map((p) => p.day).filter((d) => !output.sentDays.includes(d)) };
      }
      return output;
    },

    async onCommand(input: CommandInput) {
      assertLive('onCommand');
      const command = parseCommandInput(input);
      if (command.key.length > MAX_COMMAND_TEXT || command.digits.length > MAX_COMMAND_TEXT) return NOT_HANDLED;
      return handleCommand(command, { host, bus, store, settings, signal: disposed.signal });
    },

    dispose: disposeAll,
  };
}

async function clearBackupWorkDir(host: Host): Promise<void> {
  const dir = backupWorkDir(host.storage.dir);
  const left = await readdir(dir).catch(() => []);
  if (left.length === 0) return;
  try {
    await rm(dir, { recursive: true, force: true });
    host.logger.info('removed the working copy an interrupted master-data backup left', { dir, entries: left });
  } catch (err) {
    host.logger.warn('could not remove the working copy an interrupted master-data backup left', {
      dir,
      error: String(err),
    });
  }
}
