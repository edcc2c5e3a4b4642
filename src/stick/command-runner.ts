import { execFile } from 'node:child_process';

export interface CommandOutcome {
  /** Exit code; null when the process was killed (timeout) or could not start. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** Set when the program could not be started at all, e.g. `ENOENT` when it is not installed. */
  spawnError: string | null;
}

/** Runs a program without a shell; never rejects, so a missing tool is an outcome, not a crash. */
export type CommandRunner = (
  file: string,
  args: readonly string[],
  options?: { timeoutMs?: number },
) => Promise<CommandOutcome>;

export const runCommand: CommandRunner = (file, args, options = {}) =>
  new Promise((resolve) => {
    execFile(
      file,
      [...args],
      { timeout: options.timeoutMs ?? 15_000, maxBuffer: 16 * 1024 * 1024, windowsHide: true, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve({ code: 0, stdout, stderr, spawnError: null });
          return;
        }
        const failure = error as NodeJS.ErrnoException & { code?: number | string };
        const spawnError = typeof failure.code === 'string' ? failure.code : null;
        resolve({ code: typeof failure.code === 'number' ? failure.code : null, stdout, stderr, spawnError });
      },
    );
  });

export function describeOutcome(outcome: CommandOutcome): string {
  if (outcome.spawnError !== null) return `could not start (${outcome.spawnError})`;
  const detail = (outcome.stderr.trim() || outcome.stdout.trim()).slice(0, 500);
  return `exit ${outcome.code ?? 'killed'}${detail ? `: ${detail}` : ''}`;
}
