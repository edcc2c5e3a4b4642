import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createDemoJournalFile } from '../src/journal/demo-journal.js';
import { BACKUP_FILE_NAME, ENCRYPTED_SUFFIX } from '../src/journal/sqlite-master-data-backup.js';
import { backupValue } from './support/decrypted-backup.js';
import { BACKUP_MANIFEST_FILE, BACKUP_SIGNATURE_FILE } from '../src/package/backup-manifest.js';
import {
  describeWithFuse,
  makeFatImage,
  type MountedStick,
  mountStick,
  pullStick,
  releaseAllSticks,
} from './support/fuse-stick.js';
import { killLiveShells, ShellSession, type ShellRun } from './support/shell-session.js';
import { makeTestDir, removeTestDir } from './support/test-host.js';

/**
 * The master-data backup (Note 1) meets a real FUSE FAT32 stick that is
 * pulled or freezes, and a real `daystick shell` that is killed, while it
 * writes; the next close or start must clean up after it. The register
 * database is about 20 MB, so the backup is still running when the test acts.
 */

/** The backup as it lies on the stick: age ciphertext to head office. */
const BACKUP = `${BACKUP_FILE_NAME}${ENCRYPTED_SUFFIX}`;
const PART = `${BACKUP}.part`;
const SHELL_ARGS = ['--journal', 'journal.sqlite', '--data', 'data', '--stick-root', 'sticks', '--wait-stick', '20'];

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return -1;
  }
}

async function waitUntil(what: string, condition: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}


describeWithFuse('the master-data backup on a real FAT32 stick that goes away', ['fat32'], () => {
  let dir: string;
  let image: string;
  let mountPoint: string;
  let mount: MountedStick;
  let backupDir: string;
  let tmp: string;
  let env: NodeJS.ProcessEnv;

  beforeEach(async () => {
    dir = await makeTestDir('backup-faults');
    await createDemoJournalFile(path.join(dir, 'journal.sqlite'), {
      start: '20260101',
      days: 5,
      receiptsPerDay: 5000,
      seed: 'backup-faults',
      badRecords: 0,
      closedDays: 2,
    });
    image = path.join(dir, 'stick.img');
    mountPoint = path.join(dir, 'stick.mnt');
    await makeFatImage(image, 96, 'fat32');
    mount = await mountStick(image, mountPoint);
    await mkdir(path.join(dir, 'sticks'));
    const stickPath = path.join(dir, 'sticks', 'STICK1');
    await symlink(mount.mountPoint, stickPath);
    backupDir = path.join(stickPath, 'DAYSTICK', '10001-1', 'masterdata');
    // The shell's own temp folder: whatever it leaves in the system temp folder shows up here.
    tmp = path.join(dir, 'tmp');
    await mkdir(tmp);
    env = { ...process.env, TMPDIR: tmp };
  });

  afterEach(async () => {
    killLiveShells();
    await releaseAllSticks();
    await removeTestDir(dir);
  });

  const close = async (extra: string[] = []): Promise<ShellRun> => {
    const session = ShellSession.start([...SHELL_ARGS, ...extra], dir, env);
    session.send('close');
    session.end();
    return session.finished(120_000);
  };

  /** Starts a close and resolves once the backup has put more than 2 MiB of its `.part` on the stick. */
  const closeUntilBackupIsWriting = async (extra: string[] = []): Promise<ShellSession> => {
    const session = ShellSession.start([...SHELL_ARGS, ...extra], dir, env);
    session.send('close');
    await waitUntil('the backup to write onto the stick', async () => (await sizeOf(path.join(backupDir, PART))) > 2 << 20);
    return session;
  };

  test('pulled mid-backup: the old backup is already gone, the next close replaces the leftover .part', async () => {
    const first = await close();
    expect(first.promptIds).toContain('NOTE_2');
    expect(await backupValue(path.join(backupDir, BACKUP), path.join(dir, 'headoffice-age-identity.txt'), 'SELECT MAX(z_number) FROM F_CLOSING')).toBe(3);

    const second = await closeUntilBackupIsWriting();
    await pullStick(mount);
    await second.waitFor(/^\[SHELL_CLOSE_RESULT\]/, 60_000);
    second.end();
    const pulled = await second.finished();
    expect(pulled.stdout).toMatch(/^\[(BACKUP_PULLED|BACKUP_FAILED)\] The booking data is saved on the USB stick, but/m);
    expect(pulled.stdout).toContain('Day close 4 Jan 2026 finished: sent, master data backup incomplete; sent: 4 Jan 2026; pending: -.');
    expect(pulled.stdout).not.toMatch(/ENOTCONN|EPERM|EIO|errno/);

    // The stick as head office would find it now: the old backup must not pass for this close's.
    mount = await mountStick(image, mountPoint);
    expect(await readdir(backupDir)).toEqual([PART]);

    const third = await close();
    expect(third.promptIds).toContain('NOTE_2');
    expect(third.promptIds).not.toContain('BACKUP_FAILED');
    // Committed like a package: the signed manifest is there, the .part is gone.
    expect((await readdir(backupDir)).sort()).toEqual([BACKUP_MANIFEST_FILE, BACKUP_SIGNATURE_FILE, BACKUP].sort());
    expect(await backupValue(path.join(backupDir, BACKUP), path.join(dir, 'headoffice-age-identity.txt'), 'SELECT MAX(z_number) FROM F_CLOSING')).toBe(5);
    const log = await readFile(path.join(dir, 'data', 'daystick-shell.log'), 'utf8');
    expect(log).toContain('removed leftovers of an interrupted master-data backup');
  }, 300_000);

  for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
    test(`shell ${signal}ed mid-backup: no database copy in the temp folder; the next start and close (backup off) clean up`, async () => {
      const session = await closeUntilBackupIsWriting();
      process.kill(session.pid!, signal);
      expect(await session.signalled()).toBe(signal);
      expect(await readdir(tmp)).toEqual([]);
      // The working copy is in the plugin's storage, where the next start finds it.
      const work = path.join(dir, 'data', 'backup-work');
      expect((await readdir(work)).length).toBeGreaterThan(0);
      expect(await readdir(backupDir)).toEqual([PART]);

      const next = await close(['--backup', 'off']);
      expect(next.promptIds).toContain('NOTE_2');
      expect(next.stdout).toContain('Day close 4 Jan 2026 finished: sent;');
      expect(existsSync(work)).toBe(false);
      expect(await readdir(backupDir)).toEqual([]);
      expect(await readdir(tmp)).toEqual([]);
      const log = await readFile(path.join(dir, 'data', 'daystick-shell.log'), 'utf8');
      expect(log).toContain('removed the working copy an interrupted master-data backup left');
      expect(log).toContain('removed leftovers of an interrupted master-data backup');
    }, 300_000);
  }

  test('a stick that stops answering: BACKUP_FAILED in plain German after the stall timeout, no errno', async () => {
    await mkdir(path.join(dir, 'data'), { recursive: true });
    await writeFile(path.join(dir, 'data', 'settings.json'), JSON.stringify({ backupStallSeconds: 2 }));
    const session = await closeUntilBackupIsWriting(['--lang', 'de']);
    mount.daemon.kill('SIGSTOP');
    try {
      const line = await session.waitFor(/^\[BACKUP_FAILED\]/, 60_000);
      expect(line).toBe(
        '[BACKUP_FAILED] Die Buchungsdaten sind auf dem USB-Stick gespeichert, aber die Stammdatensicherung wurde nicht abgeschlossen (der USB-Stick hat nicht mehr reagiert). Die Stammdatensicherung auf dem Stick ist unvollständig.',
      );
      await session.waitFor(/^\[SHELL_CLOSE_RESULT\]/, 60_000);
    } finally {
      mount.daemon.kill('SIGKILL');
    }
    session.end();
    const run = await session.finished();
    expect(run.stdout).toContain('Tagesabschluss 03.01.2026 beendet: gesendet, Stammdatensicherung unvollständig');
    const log = await readFile(path.join(dir, 'data', 'daystick-shell.log'), 'utf8');
    expect(log).toMatch(/master-data backup failed.*stalled/);
  }, 300_000);
});
