import { runImportCommand } from '../../src/headoffice/import-command.js';

/** A writable that keeps what the command printed, for the assertions. */
export class Captured {
  text = '';
  write(s: string): boolean {
    this.text += s;
    return true;
  }
}

/** `daystick import` in process, with what it printed on each stream. */
export async function runImport(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new Captured();
  const stderr = new Captured();
  const code = await runImportCommand(args, { stdout, stderr });
  return { code, out: stdout.text, err: stderr.text };
}
