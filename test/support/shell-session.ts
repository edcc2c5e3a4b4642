import { type ChildProcessWithoutNullStreams, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Drives `daystick shell` as a child process through piped stdin, the way a
 * script or CI does: scripted mode, prompts as `[PROMPT_ID] text` lines.
 * Needs `npm run build` (the `pretest` script) so bin/daystick.js finds dist/.
 */
export const DAYSTICK_BIN = join(process.cwd(), 'bin', 'daystick.js');

export interface ShellRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Ids of every `[ID] text` line, in order. */
  promptIds: string[];
}

export function promptIdsOf(stdout: string): string[] {
  return [...stdout.matchAll(/^\[([A-Z0-9_:]+)\] /gm)].map((m) => m[1]!);
}

export class ShellSession {
  private out = '';
  private err = '';
  private readonly exit: Promise<number | null>;
  private readonly watchers = new Set<() => void>();

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      this.out += chunk;
      for (const w of this.watchers) w();
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      this.err += chunk;
    });
    this.exit = new Promise((resolve) => child.on('close', (code) => resolve(code)));
  }

  static start(args: string[], cwd: string): ShellSession {
    return new ShellSession(spawn(process.execPath, [DAYSTICK_BIN, 'shell', ...args], { cwd, stdio: 'pipe' }));
  }

  get stdout(): string {
    return this.out;
  }

  send(...lines: string[]): void {
    this.child.stdin.write(lines.map((l) => `${l}\n`).join(''));
  }

  /** Closes standard input: the shell finishes its running flow, then exits. */
  end(): void {
    this.child.stdin.end();
  }

  /** Resolves once stdout holds a line matching `pattern` (starting the search at `fromIndex` of the output). */
  waitFor(pattern: RegExp, timeoutMs = 20_000, fromIndex = 0): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const line = this.out
          .slice(fromIndex)
          .split('\n')
          .find((l) => pattern.test(l));
        if (line === undefined) return;
        done();
        resolve(line);
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(`no line matching ${pattern} within ${timeoutMs} ms; stdout:\n${this.out}\nstderr:\n${this.err}`),
        );
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.watchers.delete(check);
      };
      this.watchers.add(check);
      check();
    });
  }

  async finished(timeoutMs = 60_000): Promise<ShellRun> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new Error(`shell did not exit within ${timeoutMs} ms; stdout:\n${this.out}\nstderr:\n${this.err}`));
      }, timeoutMs);
    });
    try {
      const code = await Promise.race([this.exit, timeout]);
      return { code, stdout: this.out, stderr: this.err, promptIds: promptIdsOf(this.out) };
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Runs a whole script: every line written at once, stdin closed, then waits for the exit. */
export async function runShellScript(
  args: string[],
  lines: string[],
  cwd: string,
  timeoutMs = 60_000,
): Promise<ShellRun> {
  const session = ShellSession.start(args, cwd);
  session.send(...lines);
  session.end();
  return session.finished(timeoutMs);
}

/** `daystick <args>` run to completion, e.g. `verify`. */
export function runDaystick(args: string[], cwd: string): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [DAYSTICK_BIN, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * A real FAT32 stick: an image made with mkfs.vfat, FUSE-mounted with
 * fusefat at `root/name`. The volume label is not "DAYSTICK": fusefat lists
 * the label as a file in the root, which would collide with daystick's folder.
 */
export function mountFatStick(
  root: string,
  name: string,
  imageDir: string,
  sizeMb = 64,
): { mountPath: string; unmount(): void } {
  const image = join(imageDir, `${name}.img`);
  const mountPath = join(root, name);
  execFileSync('truncate', ['-s', `${sizeMb}M`, image]);
  execFileSync('mkfs.vfat', ['-F', '32', '-n', 'REGSTICK', image], { stdio: 'ignore' });
  mkdirSync(mountPath, { recursive: true });
  execFileSync('fusefat', ['-o', 'rw+', image, mountPath], { stdio: 'ignore' });
  return {
    mountPath,
    unmount() {
      spawnSync('fusermount', ['-u', mountPath], { stdio: 'ignore' });
      rmSync(mountPath, { recursive: true, force: true });
    },
  };
}
