import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, readdir, readFile, stat, symlink } from 'node:fs/promises';
import path from 'node:path';
import { createDemoJournalFile } from '../src/journal/demo-journal.js';
import { PluginStateSchema } from '../src/state/plugin-state.js';
import { REGISTER_FOLDER } from './plugin/plugin-helpers.js';
import {
  describeWithFuse,
  makeFatImage,
  mountStick,
  releaseAllSticks,
  type StickFormat,
  unmountStick,
} from './support/fuse-stick.js';
import { DAYSTICK_BIN, runShellScript } from './support/shell-session.js';
import { makeTestDir, removeTestDir } from './support/test-host.js';

/**
 * The register process itself dies (SIGKILL, as a power cut would) while the
 * plugin writes to a real FUSE stick; the register starts again and closes the
 * next day. Runs the reference shell, which hosts the plugin with the real
 * stick detection, as a child process.
 */

async function biggestTempFile(folder: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return 0;
  }
  let biggest = 0;
  for (const name of names.filter((n) => n.endsWith('.part'))) {
    biggest = Math.max(biggest, (await stat(path.join(folder, name)).catch(() => ({ size: 0 }))).size);
  }
  return biggest;
}

describeWithFuse('the register process killed mid-write on a real stick', ['fat32', 'exfat'], () => {
  for (const format of ['fat32', 'exfat'] as StickFormat[]) {
    test(`${format}: after the restart the pending day is written, the stale temporary file is gone, the state is valid`, async () => {
      const dir = await makeTestDir(`crash-${format}`);
      let shell: ChildProcess | null = null;
      try {
        await createDemoJournalFile(path.join(dir, 'journal.sqlite'), {
          start: '20260101',
          days: 2,
          receiptsPerDay: 15_000,
          seed: `crash-${format}`,
          badRecords: 0,
          closedDays: 1,
        });
        await mkdir(path.join(dir, 'sticks'));
        const image = path.join(dir, 'stick.img');
        await makeFatImage(image, format === 'fat32' ? 96 : 64, format);
        const mount = await mountStick(image, path.join(dir, 'stick.mnt'));
        const stickPath = path.join(dir, 'sticks', 'STICK1');
        await symlink(mount.mountPoint, stickPath);
        const args = ['--journal', 'journal.sqlite', '--data', 'data', '--stick-root', 'sticks', '--backup', 'off'];

        const child = spawn(process.execPath, [DAYSTICK_BIN, 'shell', ...args], { cwd: dir, stdio: 'pipe' });
        shell = child;
        let out = '';
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          out += chunk;
        });
        child.stderr.resume();
        const exited = new Promise<NodeJS.Signals | null>((resolve) =>
          child.on('exit', (_code, signal) => resolve(signal)),
        );
        child.stdin.write('close\n');
        // The write probe leaves a tiny .part too; a big one is the package on its way.
        const registerFolder = path.join(stickPath, REGISTER_FOLDER);
        const deadline = Date.now() + 60_000;
        while ((await biggestTempFile(registerFolder)) < 256 * 1024) {
          if (Date.now() > deadline || child.exitCode !== null) {
            throw new Error(`the package write never got going; shell said:\n${out}`);
          }
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        child.kill('SIGKILL');
        expect(await exited).toBe('SIGKILL');
        expect(out).not.toMatch(/^\[NOTE_2\]/m);
        const stale = (await readdir(registerFolder)).filter((n) => n.endsWith('.part'));
        expect(stale.length).toBeGreaterThan(0);
        expect((await readdir(registerFolder)).filter((n) => n.endsWith('.manifest.json'))).toEqual([]);

        const run = await runShellScript(args, ['close'], dir, 120_000);
        expect(run.promptIds).not.toContain('STATE_RECOVERED');
        expect(run.promptIds).toContain('NOTE_2');
        const result = run.stdout.match(/Day close ([\w ]+) finished: sent; sent: ([\w, ]+); pending: -\./);
        expect(result).not.toBeNull();
        expect(result?.[2]?.split(/, | and /)).toContain('2 Jan 2026');
        expect(run.code).toBe(0);

        const after = await readdir(registerFolder);
        expect(after.filter((n) => n.endsWith('.part'))).toEqual([]);
        const manifests = after.filter((n) => n.endsWith('.manifest.json'));
        const days = await Promise.all(
          manifests.map(
            async (n) =>
              (JSON.parse(await readFile(path.join(registerFolder, n), 'utf8')) as { businessDay: string }).businessDay,
          ),
        );
        expect(days.filter((d) => d === '20260102')).toHaveLength(1);
        const state = PluginStateSchema.parse(
          JSON.parse(await readFile(path.join(dir, 'data', 'state', 'state.json'), 'utf8')),
        );
        expect(state.pending).toEqual([]);
        expect(state.sent.filter((s) => s.day === '20260102')).toHaveLength(1);
        await unmountStick(mount);
      } finally {
        if (shell !== null && shell.exitCode === null && shell.signalCode === null) shell.kill('SIGKILL');
        await releaseAllSticks();
        await removeTestDir(dir);
      }
    }, 180_000);
  }
});
