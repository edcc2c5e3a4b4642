import { cp, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { loadOrCreateRegisterKeyPair } from '../../src/export/register-keys.js';
import { BACKUP_MANIFEST_FILE, BACKUP_SIGNATURE_FILE, openCheckedBackup } from '../../src/package/backup-manifest.js';
import { activate } from '../../src/plugin/activate.js';
import { createTestHost, makeTestDir, removeTestDir, type TestHost, until } from '../support/test-host.js';
import { filesOn, manifestsOn, REGISTER_FOLDER } from './plugin-helpers.js';

describe('plugin day close against folder sticks and the real package writer', () => {
  let dir: string;
  let host: TestHost;
  beforeEach(async () => {
    dir = await makeTestDir('dayclose');
    host = await createTestHost({
      dir,
      days: { '20260103': { receipts: 40 }, '20260104': { receipts: 30 }, '20260105': { receipts: 50, badRecords: 2 } },
    });
  });
  afterEach(async () => removeTestDir(dir));

  test('a stick already present counts as inserted: package written, verified, Note 2, day recorded as sent', async () => {
    const stick = await host.media.insert('STICK1');
    const plugin = await activate(host);
    const result = await plugin.onDayClose({ businessDay: '20260105', closingNumber: 42 });
    expect(result).toEqual({ outcome: 'sent', sentDays: ['20260105'], pendingDays: [], finalPromptId: 'NOTE_2' });
    expect(host.display.ids()).toEqual(['PLAN_DAYS', 'STICK_USED', 'DAY_WRITTEN', 'QUARANTINED', 'NOTE_2']);
    expect(host.display.shown.at(-1)?.text).toBe(
      'The booking data has been saved to the USB stick. You can remove the stick now.',
    );
    // The stick is there: the cashier is told which one is used, not asked to insert one.
    expect(host.display.shown.find((p) => p.id === 'STICK_USED')?.text).toBe(
      `The data is written to the USB stick "STICK1" (${stick.mountPath}).`,
    );
    const [manifest] = await manifestsOn(stick.mountPath);
    expect(manifest).toMatchObject({ businessDay: '20260105', closingNumber: 42, kind: 'day-close' });
    const status = await plugin.onCommand({ key: 'DAYSTICK_STATUS', digits: '' });
    expect(status.ok).toBe(true);
    expect(host.display.shown.at(-1)?.text).toMatch(/5 Jan 2026: sent \(day close\) on stick "STICK1" .*not yet confirmed by head office/);
    await plugin.dispose();
  });

  test('with master-data backup: Note 1 while it runs, Note 2 after, backup on the stick', async () => {
    host = await createTestHost({ dir, days: { '20260105': { receipts: 5 } }, settings: { masterDataBackup: true } });
    let release!: () => void;
    host.backup.gate = new Promise<void>((r) => {
      release = r;
    });
    const stick = await host.media.insert('STICK1');
    const plugin = await activate(host);
    const closing = plugin.onDayClose({ businessDay: '20260105', closingNumber: 1 });
    await until(() => host.display.ids().includes('NOTE_1'), 10_000, 'Note 1');
    expect(host.display.ids()).not.toContain('NOTE_2');
    expect(host.display.shown.find((p) => p.id === 'NOTE_1')?.text).toBe(
      'The booking data for the head office has been saved on the USB stick. However, the final master data backup still follows. Please do not remove the USB stick until the master data backup has been completed.',
    );
    release();
    expect((await closing).outcome).toBe('sent');
    expect(host.display.ids().at(-1)).toBe('NOTE_2');
    const backupFolder = join(stick.mountPath, REGISTER_FOLDER, 'masterdata');
    expect((await readdir(backupFolder)).sort()).toEqual([
      BACKUP_MANIFEST_FILE,
      BACKUP_SIGNATURE_FILE,
      'masterdata.sqlite.age',
    ]);
    // Committed by the register's own key, for the day that was closed: what head office checks against its pin.
    const key = await loadOrCreateRegisterKeyPair(host.storage.dir);
    const checked = await openCheckedBackup({
      path: backupFolder,
      customerNumber: '10001',
      registerId: '1',
      pinnedKey: async () => ({ publicKeyId: key.keyId, publicKeyPem: key.publicKeyPem }),
      copyTo: join(dir, 'checked-backup'),
    });
    expect(checked.manifest).toMatchObject({ businessDay: '20260105', encryption: 'age', file: { name: 'masterdata.sqlite.age' } });
    // Ciphertext on the stick: the host's clear text is not in it.
    expect((await readFile(join(backupFolder, 'masterdata.sqlite.age'))).includes('master data backup')).toBe(false);
    await plugin.dispose();
  });

  test('two sticks and no answer to the choice: postponed at once, nothing on either stick', async () => {
    const a = await host.media.insert('ALPHA');
    const b = await host.media.insert('BRAVO');
    host.display.choice = () => null;
    const plugin = await activate(host);
    const result = await plugin.onDayClose({ businessDay: '20260105', closingNumber: 5 });
    expect(result).toEqual({
      outcome: 'postponed',
      sentDays: [],
      pendingDays: ['20260105'],
      finalPromptId: 'POSTPONED',
    });
    expect(host.display.ids()).toEqual(['PLAN_DAYS', 'POSTPONED']);
    expect(await manifestsOn(a.mountPath)).toEqual([]);
    expect(await manifestsOn(b.mountPath)).toEqual([]);
    await plugin.dispose();
  });

  test('no stick, cashier cancels: postponed; the next close writes both days', async () => {
    const plugin = await activate(host);
    const cancel = new AbortController();
    const first = plugin.onDayClose({ businessDay: '20260104', closingNumber: 1 }, cancel.signal);
    await until(() => host.display.ids().includes('INSERT_STICK'), 10_000, 'insert prompt');
    cancel.abort();
    expect(await first).toMatchObject({ outcome: 'postponed', pendingDays: ['20260104'] });
    expect(host.display.shown.at(-1)?.text).toMatch(/4 Jan 2026 stays pending and will be saved with the next day close/);

    const second = plugin.onDayClose({ businessDay: '20260105', closingNumber: 2 });
    await until(() => host.display.ids().filter((id) => id === 'INSERT_STICK').length === 2, 10_000, 'second prompt');
    const stick = await host.media.insert('STICK1');
    expect(await second).toMatchObject({ outcome: 'sent', sentDays: ['20260104', '20260105'] });
    const manifests = await manifestsOn(stick.mountPath);
    expect(manifests.map((m) => [m.businessDay, m.closingNumber]).sort()).toEqual([
      ['20260104', 1],
      ['20260105', 2],
    ]);
    await plugin.dispose();
  });

  test('stick pulled mid-write: removal prompt, no manifest for the day, re-insert writes it whole', async () => {
    host = await createTestHost({ dir, days: { '20260105': { receipts: 20_000 } } });
    const plugin = await activate(host);
    const closing = plugin.onDayClose({ businessDay: '20260105', closingNumber: 9 });
    await until(() => host.display.ids().includes('INSERT_STICK'), 10_000, 'insert prompt');
    const stick = await host.media.insert('STICK1');
    await until(() => host.display.progressUpdates.some((u) => u.done > 0), 20_000, 'writing to start');
    host.media.pull('STICK1');
    await until(() => host.display.ids().includes('STICK_PULLED'), 10_000, 'removal prompt');
    expect(await manifestsOn(stick.mountPath)).toEqual([]);
    await host.media.insert('STICK1');
    expect((await closing).outcome).toBe('sent');
    const manifests = await manifestsOn(stick.mountPath);
    expect(manifests).toHaveLength(1);
    expect((await filesOn(stick.mountPath)).filter((f) => f.endsWith('.part'))).toEqual([]);
    await plugin.dispose();
  });

  test('crash after the package verified but before the state was saved: the day is written again, never lost', async () => {
    let plugin = await activate(host);
    const stateDir = join(host.storage.dir, 'state');
    const before = join(dir, 'state-before');
    const closing = plugin.onDayClose({ businessDay: '20260104', closingNumber: 3 });
    // Planning has persisted the day as pending once the stick is asked for; keep that state ...
    await until(() => host.display.ids().includes('INSERT_STICK'), 10_000, 'insert prompt');
    await cp(stateDir, before, { recursive: true });
    const stick = await host.media.insert('STICK1');
    expect((await closing).outcome).toBe('sent');
    await plugin.dispose();
    // ... and put it back: exactly what a crash between "package verified" and "state saved" leaves.
    await rm(stateDir, { recursive: true });
    await cp(before, stateDir, { recursive: true });

    plugin = await activate(host);
    const next = await plugin.onDayClose({ businessDay: '20260105', closingNumber: 4 });
    expect(next).toMatchObject({ outcome: 'sent', sentDays: ['20260104', '20260105'] });
    const manifests = (await manifestsOn(stick.mountPath)) as {
      businessDay: string;
      packageId: string;
      entries: unknown;
    }[];
    const day4 = manifests.filter((m) => m.businessDay === '20260104');
    expect(day4).toHaveLength(2);
    expect(day4[0]!.packageId).not.toBe(day4[1]!.packageId);
    expect(day4[0]!.entries).toEqual(day4[1]!.entries);
    await plugin.dispose();
  });

  test('a stick whose port reports too little free space is refused as full; nothing is marked sent; another stick completes it', async () => {
    const small = await host.media.insert('SMALL', { freeBytes: 10_000 });
    const plugin = await activate(host);
    const closing = plugin.onDayClose({ businessDay: '20260105', closingNumber: 1 });
    await until(() => host.display.ids().includes('STICK_FULL'), 10_000, 'stick-full prompt');
    expect(host.display.shown.find((p) => p.id === 'STICK_FULL')?.text).toMatch(/"SMALL" is full \(9\.8 KiB free/);
    expect(await manifestsOn(small.mountPath)).toEqual([]);
    const big = await host.media.insert('BIG', { freeBytes: 1e9 });
    expect((await closing).outcome).toBe('sent');
    expect(await manifestsOn(big.mountPath)).toHaveLength(1);
    await plugin.dispose();
  });

  test('a stick the port reports read-only: its prompt, nothing written', async () => {
    const ro = await host.media.insert('LOCKED', { readOnly: true });
    const plugin = await activate(host);
    const cancel = new AbortController();
    const closing = plugin.onDayClose({ businessDay: '20260105', closingNumber: 1 }, cancel.signal);
    await until(() => host.display.ids().includes('STICK_READ_ONLY'), 10_000, 'read-only prompt');
    cancel.abort();
    expect((await closing).outcome).toBe('postponed');
    expect(await filesOn(ro.mountPath)).toEqual([]);
    await plugin.dispose();
  });

  test('a display handler that throws does not stop the day from reaching the stick', async () => {
    host.display.throwOnShow = true;
    await host.media.insert('STICK1');
    const plugin = await activate(host);
    expect((await plugin.onDayClose({ businessDay: '20260105', closingNumber: 1 })).outcome).toBe('sent');
    expect(host.logger.lines.some((l) => l.includes('display show handler threw'))).toBe(true);
    await plugin.dispose();
  });

  test('dispose while waiting for a stick: the close ends postponed, no listener or timer left', async () => {
    const plugin = await activate(host);
    const closing = plugin.onDayClose({ businessDay: '20260105', closingNumber: 1 });
    await until(() => host.display.ids().includes('INSERT_STICK'), 10_000, 'insert prompt');
    expect(host.media.listenerCount()).toBeGreaterThan(0);
    expect(host.clock.armedCount()).toBe(1);
    await plugin.dispose();
    expect((await closing).outcome).toBe('postponed');
    expect(host.media.listenerCount()).toBe(0);
    expect(host.clock.armedCount()).toBe(0);
    await expect(plugin.onDayClose({ businessDay: '20260105', closingNumber: 1 })).rejects.toThrow(/disposed/);
  });
});
