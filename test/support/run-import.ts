import { runImportCommand } from '../../src/headoffice/import-command.js';
import { clerkDay } from '../../src/headoffice/clerk-text.js';

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

/** A business day as the English processing list, reconcile table and verify lines show it (20260105 → 5 Jan 2026). */
export function shownDay(day: string): string {
  return clerkDay('en', day);
}
