import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { makeFatImage, mountStick, unmountStick } from './fuse-stick.js';

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

const liveSessions = new Set<ShellSession>();

/** Kills every shell a test started and left running (a failed wait), so none outlives its test folder. */
export function killLiveShells(): void {
  for (const session of liveSessions) session.kill();
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
    this.exit = new Promise((resolve) =>
      child.on('close', (code) => {
        liveSessions.delete(this);
        resolve(code);
      }),
    );
    liveSessions.add(this);
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }

  /** The child's pid, e.g. to SIGKILL or SIGTERM it at a chosen moment. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Resolves with the signal that ended the child, or null when it exited by itself. */
  signalled(): Promise<NodeJS.Signals | null> {
    return this.exit.then(() => this.child.signalCode);
  }

  static start(args: string[], cwd: string, env?: NodeJS.ProcessEnv): ShellSession {
    return new ShellSession(
      spawn(process.execPath, [DAYSTICK_BIN, 'shell', ...args], { cwd, stdio: 'pipe', env: env ?? process.env }),
    );
  }

  /**
   * The shell on a real pseudo-terminal (util-linux `script`), as a cashier
   * sees it: interactive prompt, progress bar, no `[ID]` prefixes. Lines are
   * sent with a carriage return, as the Enter key sends them.
   */
  static startInTerminal(args: string[], cwd: string): ShellSession {
    const command = [process.execPath, DAYSTICK_BIN, 'shell', ...args]
      .map((a) => `'${a.replaceAll("'", "'\\''")}'`)
      .join(' ');
    const session = new ShellSession(spawn('script', ['-qfec', command, '/dev/null'], { cwd, stdio: 'pipe' }));
    session.lineEnd = '\r';
    return session;
  }

  private lineEnd = '\n';

  get stdout(): string {
    return this.out;
  }

  send(...lines: string[]): void {
    this.child.stdin.write(lines.map((l) => `${l}${this.lineEnd}`).join(''));
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
 * A real FAT32 stick (the FUSE harness of fuse-stick.ts), mounted outside the
 * stick root and then linked into it, so it appears at once with its file
 * system mounted: a mount point made inside the root would first show up as
 * a plain folder stick. The label is not "DAYSTICK": fusefat lists the label
 * as an entry in the root, which would collide with daystick's folder.
 */
export async function mountFatStick(
  root: string,
  name: string,
  workDir: string,
  options: { readOnly?: boolean } = {},
): Promise<InsertedStick> {
  const image = join(workDir, `${name}.img`);
  await makeFatImage(image, 64, 'fat32', 'REGSTICK');
  const mounted = await mountStick(image, join(workDir, `${name}.mnt`), { readOnly: options.readOnly ?? false });
  const path = join(root, name);
  mkdirSync(root, { recursive: true });
  symlinkSync(mounted.mountPoint, path);
  return {
    path,
    async remove() {
      rmSync(path, { force: true });
      await unmountStick(mounted);
    },
  };
}

export interface InsertedStick {
  /** The stick as the shell sees it, below its stick root. */
  path: string;
  remove(): Promise<void>;
}

export type StickKind = 'folder' | 'fat32';

/** Makes a stick appear in `root`: a plain folder, or a FUSE-mounted FAT32 image. */
export async function insertStick(
  kind: StickKind,
  root: string,
  name: string,
  workDir: string,
): Promise<InsertedStick> {
  if (kind === 'fat32') return mountFatStick(root, name, workDir);
  const path = join(root, name);
  mkdirSync(path, { recursive: true });
  return { path, remove: async () => rmSync(path, { recursive: true, force: true }) };
}
