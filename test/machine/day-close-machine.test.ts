import { WriteDayError } from '../../src/machine/day-close-machine.js';
import { day, deferred, settle, startMachine, stick } from './machine-harness.js';

const A = stick('STICK-A');
const B = stick('STICK-B');

describe('day-close machine', () => {
  test('happy path without backup: plan, insert, write, Note 2', async () => {
    const m = startMachine();
    await m.insert(A);
    const out = await m.done;
    expect(out).toEqual({ outcome: 'sent', sentDays: ['20260105'], pendingDays: [], finalPromptId: 'NOTE_2' });
    expect(m.prompts).toEqual(['PLAN_DAYS', 'INSERT_STICK', 'STICK_USED', 'DAY_WRITTEN', 'NOTE_2']);
    expect(m.recorded).toEqual(['20260105']);
  });

  test('with backup: Note 1 while the backup runs, Note 2 when it completes', async () => {
    const gate = deferred<void>();
    const m = startMachine({ backupEnabled: true, backup: () => gate.promise });
    await m.insert(A);
    expect(m.prompts.at(-1)).toBe('NOTE_1');
    expect(m.state()).toBe('"backingUp"');
    gate.resolve();
    const out = await m.done;
    expect(out.outcome).toBe('sent');
    expect(m.prompts.slice(-2)).toEqual(['NOTE_1', 'NOTE_2']);
  });

  test('backup failing: bookings stay sent, the prompt says the backup is incomplete', async () => {
    const m = startMachine({ backupEnabled: true, backup: async () => Promise.reject(new Error('disk error')) });
    await m.insert(A);
    const out = await m.done;
    expect(out).toMatchObject({ outcome: 'sent-backup-incomplete', sentDays: ['20260105'], pendingDays: [] });
    expect(m.prompts).toContain('BACKUP_FAILED');
    expect(m.prompts).not.toContain('NOTE_2');
  });

  test('stick pulled during the backup: bookings stay sent, backup aborted and reported', async () => {
    let backupAborted = false;
    const m = startMachine({
      backupEnabled: true,
      backup: (signal) =>
        new Promise((_, reject) =>
          signal.addEventListener('abort', () => {
            backupAborted = true;
            reject(new Error('aborted'));
          }),
        ),
    });
    await m.insert(A);
    await m.pull(A);
    const out = await m.done;
    expect(out.outcome).toBe('sent-backup-incomplete');
    expect(m.prompts.at(-1)).toBe('BACKUP_PULLED');
    expect(backupAborted).toBe(true);
  });

  test('stick pulled mid-write: write aborted, removal prompt, the day is written again from the start', async () => {
    let calls = 0;
    const m = startMachine({
      write: (_input, signal) => {
        calls++;
        if (calls === 1) {
          return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
        }
        return Promise.resolve({ packageId: 'p2', receipts: 3, quarantined: 0 });
      },
    });
    await m.insert(A);
    expect(m.state()).toContain('writingDay');
    await m.pull(A);
    expect(m.aborts).toEqual(['20260105']);
    expect(m.prompts).toContain('STICK_PULLED');
    expect(m.state()).toContain('awaitingStick');
    expect(m.recorded).toEqual([]);
    await m.insert(A);
    const out = await m.done;
    expect(out.outcome).toBe('sent');
    expect(m.writes).toEqual(['20260105@STICK-A', '20260105@STICK-A']);
    expect(m.recorded).toEqual(['20260105']);
  });

  test('writer reports the stick gone (error before the removal event): same removal path', async () => {
    let calls = 0;
    const m = startMachine({
      write: async () => {
        calls++;
        if (calls === 1) throw new WriteDayError('stick-gone', 'ENOTCONN');
        return { packageId: 'p', receipts: 1, quarantined: 0 };
      },
    });
    await m.insert(A);
    expect(m.prompts).toContain('STICK_PULLED');
    await m.insert(A);
    expect((await m.done).outcome).toBe('sent');
  });

  test('stick full at the check: its prompt, the stick is not taken again, another stick completes it', async () => {
    const m = startMachine({
      check: (s) => (s.id === A.id ? { ok: false, problem: 'full', freeBytes: 1000, neededBytes: 5000 } : { ok: true }),
    });
    await m.insert(A);
    expect(m.prompts).toContain('STICK_FULL');
    expect(m.recorded).toEqual([]);
    expect(m.excludedSeen).toEqual([null, 'STICK-A']);
    await m.insert(B);
    const out = await m.done;
    expect(out.outcome).toBe('sent');
    expect(m.writes).toEqual(['20260105@STICK-B']);
  });

  test('stick full while writing (ENOSPC): its prompt, nothing recorded, another stick completes it', async () => {
    const m = startMachine({
      write: async ({ stick: s }) => {
        if (s.id === A.id) throw new WriteDayError('stick-full', 'ENOSPC');
        return { packageId: 'p', receipts: 1, quarantined: 0 };
      },
    });
    await m.insert(A);
    expect(m.prompts).toContain('STICK_FULL');
    expect(m.recorded).toEqual([]);
    await m.insert(B);
    expect((await m.done).sentDays).toEqual(['20260105']);
  });

  test('read-only stick: its prompt, nothing written', async () => {
    const m = startMachine({ check: (s) => (s.id === A.id ? { ok: false, problem: 'read-only' } : { ok: true }) });
    await m.insert(A);
    expect(m.prompts).toContain('STICK_READ_ONLY');
    expect(m.writes).toEqual([]);
    m.actor.send({ type: 'CANCEL' });
    const out = await m.done;
    expect(out).toMatchObject({ outcome: 'postponed', pendingDays: ['20260105'] });
  });

  test('a package larger than FAT allows: file-limit prompt', async () => {
    const m = startMachine({
      check: (s) => (s.id === A.id ? { ok: false, problem: 'file-limit', day: '20260105', fsType: 'vfat' } : { ok: true }),
    });
    await m.insert(A);
    expect(m.prompts).toContain('STICK_FILE_LIMIT');
    await m.insert(B);
    expect((await m.done).outcome).toBe('sent');
  });

  test('any other write error: WRITE_FAILED, the day stays pending until a write verifies', async () => {
    const m = startMachine({
      write: async ({ stick: s }) => {
        if (s.id === A.id) throw new WriteDayError('verify-failed', 'hash mismatch in receipts.ndjson');
        return { packageId: 'p', receipts: 1, quarantined: 0 };
      },
    });
    await m.insert(A);
    expect(m.prompts).toContain('WRITE_FAILED');
    expect(m.recorded).toEqual([]);
    await m.insert(B);
    expect((await m.done).outcome).toBe('sent');
  });

  test('cancel while waiting for the stick: postponed, the days stay pending', async () => {
    const m = startMachine({ plan: [day('20260103', 're-send'), day('20260105')] });
    await settle();
    m.actor.send({ type: 'CANCEL' });
    const out = await m.done;
    expect(out).toEqual({
      outcome: 'postponed',
      sentDays: [],
      pendingDays: ['20260103', '20260105'],
      finalPromptId: 'POSTPONED',
    });
    expect(m.prompts).toEqual(['PLAN_DAYS', 'INSERT_STICK', 'POSTPONED']);
  });

  test('no answer to the stick choice is a cancel: postponed, no reminders while the cashier picks', async () => {
    const m = startMachine({ reminderMs: 30_000, plan: [day('20260104'), day('20260105')] });
    await m.offerChoice();
    m.clock.increment(120_000);
    expect(m.prompts.filter((p) => p === 'STICK_REMINDER')).toHaveLength(0);
    await m.answerChoice(null);
    const out = await m.done;
    expect(out).toEqual({
      outcome: 'postponed',
      sentDays: [],
      pendingDays: ['20260104', '20260105'],
      finalPromptId: 'POSTPONED',
    });
    expect(m.writes).toEqual([]);
  });

  test('a stick picked from the choice is named and written to', async () => {
    const m = startMachine();
    await m.offerChoice();
    await m.answerChoice(B);
    expect((await m.done).outcome).toBe('sent');
    expect(m.prompts).toEqual(['PLAN_DAYS', 'INSERT_STICK', 'STICK_USED', 'DAY_WRITTEN', 'NOTE_2']);
    expect(m.writes).toEqual(['20260105@STICK-B']);
  });

  test('cancel mid-write aborts the write and leaves the day pending', async () => {
    const m = startMachine({
      write: (_i, signal) =>
        new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))),
    });
    await m.insert(A);
    m.actor.send({ type: 'CANCEL' });
    const out = await m.done;
    expect(out.outcome).toBe('postponed');
    expect(out.pendingDays).toEqual(['20260105']);
    expect(m.aborts).toEqual(['20260105']);
  });

  test('cancel while a verified day is being recorded: the record finishes, the day counts as sent, the rest stays pending', async () => {
    const gate = deferred<void>();
    const m = startMachine({ plan: [day('20260104'), day('20260105')], record: () => gate.promise });
    await m.insert(A);
    expect(m.state()).toContain('recording');
    m.actor.send({ type: 'CANCEL' });
    await settle();
    expect(m.state()).toContain('recording');
    gate.resolve();
    const out = await m.done;
    expect(out).toEqual({
      outcome: 'postponed',
      sentDays: ['20260104'],
      pendingDays: ['20260105'],
      finalPromptId: 'POSTPONED',
    });
    expect(m.recorded).toEqual(['20260104']);
    expect(m.writes).toEqual(['20260104@STICK-A']);
  });

  test('reminder after the configured interval, again after each further interval (SimulatedClock)', async () => {
    const m = startMachine({ reminderMs: 30_000 });
    await settle();
    m.clock.increment(29_999);
    expect(m.prompts.filter((p) => p === 'STICK_REMINDER')).toHaveLength(0);
    m.clock.increment(1);
    expect(m.prompts.filter((p) => p === 'STICK_REMINDER')).toHaveLength(1);
    m.clock.increment(30_000);
    expect(m.prompts.filter((p) => p === 'STICK_REMINDER')).toHaveLength(2);
    await m.insert(A);
    m.clock.increment(120_000);
    expect((await m.done).outcome).toBe('sent');
    expect(m.prompts.filter((p) => p === 'STICK_REMINDER')).toHaveLength(2);
  });

  test('re-send and pending days are written in day order, each recorded after its own write', async () => {
    const m = startMachine({ plan: [day('20260101', 're-send'), day('20260104'), day('20260105')] });
    await m.insert(A);
    const out = await m.done;
    expect(out.sentDays).toEqual(['20260101', '20260104', '20260105']);
    expect(m.writes).toEqual(['20260101@STICK-A', '20260104@STICK-A', '20260105@STICK-A']);
    expect(m.recorded).toEqual(out.sentDays);
  });

  test('stick pulled after the first of two days: the first stays sent, the second is written on re-insert', async () => {
    let n = 0;
    const m = startMachine({
      plan: [day('20260104'), day('20260105')],
      write: (_input, signal) => {
        n++;
        if (n === 2) return new Promise((_, rej) => signal.addEventListener('abort', () => rej(new Error('x'))));
        return Promise.resolve({ packageId: `p${n}`, receipts: 1, quarantined: 0 });
      },
    });
    await m.insert(A);
    await m.pull(A);
    expect(m.recorded).toEqual(['20260104']);
    await m.insert(A);
    const out = await m.done;
    expect(out.sentDays).toEqual(['20260104', '20260105']);
    expect(m.writes).toEqual(['20260104@STICK-A', '20260105@STICK-A', '20260105@STICK-A']);
  });

  test('quarantined records are announced with their count', async () => {
    const m = startMachine({ write: async () => ({ packageId: 'p', receipts: 5, quarantined: 2 }) });
    await m.insert(A);
    await m.done;
    expect(m.prompts).toContain('QUARANTINED');
  });

  test('planning failure: DAY_CLOSE_FAILED, outcome failed, nothing touched', async () => {
    const m = startMachine({ planError: new Error('journal locked') });
    const out = await m.done;
    expect(out.outcome).toBe('failed');
    expect(m.prompts).toEqual(['DAY_CLOSE_FAILED']);
    expect(m.writes).toEqual([]);
  });
});
