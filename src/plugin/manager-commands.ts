import { businessDayOf, businessDayProblem } from '../host/business-day.js';
import type { CommandInput, CommandResult, Host } from '../host/plugin-api.js';
import { type PromptId, WORDS } from '../prompts/catalog.js';
import type { PromptBus } from '../prompts/prompt-bus.js';
import { formatDay, type PromptParams } from '../prompts/render.js';
import type { Settings } from '../settings/settings.js';
import { dequeueResend, enqueueResend, inHistory, statusView } from '../state/plugin-state.js';
import type { StateStore } from '../state/state-store.js';

export interface CommandDeps {
  host: Host;
  bus: PromptBus;
  store: StateStore;
  settings: Settings;
  /** Aborts an open question when the plugin is unloaded. */
  signal: AbortSignal;
}

const NOT_MINE: CommandResult = { handled: false, ok: false, promptId: null };

/**
 * The manager's keys. `YYYYMMDD` + REPORTS queues a day to be written again
 * at the next day close; REPORTS without digits keeps the register's own
 * meaning. Every refusal names its reason and queues nothing.
 */
export async function handleCommand(input: CommandInput, deps: CommandDeps): Promise<CommandResult> {
  switch (input.key.toUpperCase()) {
    case 'REPORTS':
      return input.digits === '' ? NOT_MINE : queueResend(input.digits.trim(), deps);
    case 'DAYSTICK_QUEUE':
      return listQueue(deps);
    case 'DAYSTICK_UNQUEUE':
      return unqueue(input.digits.trim(), deps);
    case 'DAYSTICK_STATUS':
      return status(deps);
    default:
      return NOT_MINE;
  }
}

function say(deps: CommandDeps, id: PromptId, ok: boolean, params: PromptParams = {}): CommandResult {
  deps.bus.show(id, params);
  return { handled: true, ok, promptId: id };
}

function dateRefusal(digits: string, deps: CommandDeps): CommandResult | null {
  const problem = businessDayProblem(digits);
  if (problem === 'not-digits') return say(deps, 'RESEND_NOT_DIGITS', false, { input: digits });
  if (problem === 'wrong-length') return say(deps, 'RESEND_WRONG_LENGTH', false, { input: digits, length: digits.length });
  if (problem === 'impossible-date') return say(deps, 'RESEND_IMPOSSIBLE_DATE', false, { input: digits });
  return null;
}

async function queueResend(digits: string, deps: CommandDeps): Promise<CommandResult> {
  const { host, settings } = deps;
  const refused = dateRefusal(digits, deps);
  if (refused) return refused;
  const day = digits;
  const shown = formatDay(day);
  const summary = await host.journal.summary(day);
  const timeRecords = await host.timeRecording.count(day);
  // "Future" only by a clock that may be set back: a day already sent, or one the journal holds data of, has happened.
  const happened =
    deps.store.state.sent.some((s) => s.day === day) ||
    inHistory(deps.store.state, day) ||
    summary.receipts + summary.stockPostings + timeRecords > 0;
  if (day > businessDayOf(host.clock.now()) && !happened) return say(deps, 'RESEND_FUTURE_DATE', false, { day: shown });
  const first = await host.journal.firstBusinessDay();
  if (first === null || day < first) {
    return say(deps, 'RESEND_BEFORE_JOURNAL', false, { day: shown, first: first ? formatDay(first) : '-' });
  }
  if (summary.receipts + summary.stockPostings === 0 && timeRecords === 0) {
    return say(deps, 'RESEND_NO_DATA', false, { day: shown });
  }
  let includeTime = false;
  if (settings.includeTimeRecords && timeRecords > 0) {
    try {
      includeTime = await host.display.ask(deps.bus.render('RESEND_ASK_TIME_DATA'), deps.signal);
    } catch (err) {
      // A question without an answer (cancelled, input ended) queues nothing rather than guessing one.
      host.logger.info('resend question not answered', { day, error: String(err) });
      return say(deps, 'RESEND_CANCELLED', false, { day: shown });
    }
  }
  const now = new Date(host.clock.now()).toISOString();
  let updated = false;
  await deps.store.update((s) => {
    const r = enqueueResend(s, day, includeTime, now);
    updated = r.updated;
    return r.state;
  });
  const lang = settings.language;
  const timeChoice = (includeTime ? WORDS.yes : WORDS.no)[lang];
  if (updated) return say(deps, 'RESEND_UPDATED', true, { day: shown, timeChoice });
  const timeNote = includeTime ? WORDS.withTimeData[lang] : '';
  return say(deps, 'RESEND_QUEUED', true, { day: shown, timeNote });
}

function listQueue(deps: CommandDeps): CommandResult {
  const queue = deps.store.state.queue;
  if (queue.length === 0) return say(deps, 'QUEUE_EMPTY', true);
  for (const q of queue) {
    deps.bus.show('QUEUE_ENTRY', {
      day: formatDay(q.day),
      timeChoice: (q.includeTimeRecords ? WORDS.yes : WORDS.no)[deps.settings.language],
      queuedAt: q.queuedAt,
    });
  }
  return { handled: true, ok: true, promptId: 'QUEUE_ENTRY' };
}

async function unqueue(digits: string, deps: CommandDeps): Promise<CommandResult> {
  const refused = dateRefusal(digits, deps);
  if (refused) return refused;
  let removed = false;
  if (deps.store.state.queue.some((q) => q.day === digits)) {
    await deps.store.update((s) => {
      const r = dequeueResend(s, digits);
      removed = r.removed;
      return r.state;
    });
  }
  return removed
    ? say(deps, 'UNQUEUE_DONE', true, { day: formatDay(digits) })
    : say(deps, 'UNQUEUE_NOT_FOUND', false, { day: formatDay(digits) });
}

function status(deps: CommandDeps): CommandResult {
  const { pending, queue } = deps.store.state;
  const { sent, history } = statusView(deps.store.state);
  const lang = deps.settings.language;
  if (pending.length + queue.length + sent.length + history.length === 0) return say(deps, 'STATUS_NONE', true);
  // The summarised years first, oldest first: what was sent and confirmed long ago still has an answer.
  for (const h of history) {
    deps.bus.show('STATUS_HISTORY', { from: formatDay(h.from), to: formatDay(h.to), days: h.days });
  }
  for (const p of pending) {
    deps.bus.show('STATUS_PENDING', {
      day: formatDay(p.day),
      attempts: p.attempts,
      // The stored error is `failure: message`; the screen shows the failure's words, the message stays in the log.
      lastError: p.lastError ? (p.lastError.split(':')[0] ?? 'error') : 'none',
    });
  }
  for (const q of queue) {
    deps.bus.show('STATUS_QUEUED', {
      day: formatDay(q.day),
      timeChoice: (q.includeTimeRecords ? WORDS.yes : WORDS.no)[lang],
    });
  }
  for (const s of sent) {
    const common = { day: formatDay(s.day), kind: s.kind };
    if (s.confirmedAt) deps.bus.show('STATUS_CONFIRMED', { ...common, confirmedAt: s.confirmedAt });
    else deps.bus.show('STATUS_SENT', { ...common, stick: s.stickLabel, at: s.at });
  }
  return { handled: true, ok: true, promptId: 'STATUS_SENT' };
}
