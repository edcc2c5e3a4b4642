/**
 * `daystick <command>`: one binary for the register side (shell, demo-journal,
 * verify) and the head-office side (import). Commands load lazily so that
 * `daystick verify` does not pay for SQLite or the USB module.
 */
import { clerkText, isClerkTextKey } from '../headoffice/clerk-text.js';
import type { Language } from '../prompts/catalog.js';
import { languageFromEnv, takeLanguageOption } from '../prompts/language.js';

type Command = { run: (args: string[]) => Promise<number> };

const commands: Record<string, Command> = {
  shell: {
    run: async (args) => (await import('../shell/shell-command.js')).runShellCommand(args),
  },
  'demo-journal': {
    run: async (args) => (await import('../journal/demo-journal-command.js')).runDemoJournalCommand(args),
  },
  verify: {
    run: async (args) => (await import('./verify-command.js')).runVerifyCommand(args),
  },
  import: {
    run: async (args) => (await import('../headoffice/import-command.js')).runImportCommand(args),
  },
  headoffice: {
    run: async (args) => (await import('../console/console-command.js')).runHeadOfficeCommand(args),
  },
};

/** `daystick --lang de` (or the environment) for the usage; a bad value here only falls back, the usage follows anyway. */
function usageLanguage(argv: string[]): Language {
  try {
    return takeLanguageOption(argv).lang;
  } catch {
    return languageFromEnv();
  }
}

export async function main(given: string[]): Promise<number> {
  // `daystick --lang de import …` is `daystick import … --lang de`: each command reads its own --lang.
  const lead = given[0] === '--lang' ? 2 : given[0]?.startsWith('--lang=') ? 1 : 0;
  const argv = lead > 0 ? (given.length > lead ? [...given.slice(lead), ...given.slice(0, lead)] : []) : given;
  const [name, ...rest] = argv;
  const command = name ? commands[name] : undefined;
  if (!command) {
    const lang = usageLanguage(given);
    // Each command's summary is the text table's `main.<command>`, in both languages.
    const lines = Object.keys(commands).map((n) => {
      const key = `main.${n}`;
      return `  daystick ${n.padEnd(13)} ${isClerkTextKey(key) ? clerkText(lang, key) : ''}`;
    });
    const out = `${clerkText(lang, 'main.usage')}\n\n${lines.join('\n')}\n`;
    // No command is a wrong call like an unknown one: usage on stderr and exit 2, so a script notices.
    if (!name) {
      process.stderr.write(out);
      return 2;
    }
    if (name !== 'help' && name !== '--help' && name !== '-h') {
      process.stderr.write(`${clerkText(lang, 'main.unknown', { name })}\n\n${out}`);
      return 2;
    }
    process.stdout.write(out);
    return 0;
  }
  return command.run(rest);
}
