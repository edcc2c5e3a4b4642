/**
 * `daystick <command>`: one binary for the register side (shell, demo-journal,
 * verify) and the head-office side (import). Commands load lazily so that
 * `daystick verify` does not pay for SQLite or the USB module.
 */
type Command = { summary: string; run: (args: string[]) => Promise<number> };

const commands: Record<string, Command> = {
  shell: {
    summary: 'run the reference register shell with the daystick plugin',
    run: async (args) => (await import('../shell/shell-command.js')).runShellCommand(args),
  },
  'demo-journal': {
    summary: 'create a deterministic demo journal (SQLite)',
    run: async (args) => (await import('../journal/demo-journal-command.js')).runDemoJournalCommand(args),
  },
  verify: {
    summary: 'check every package under a folder or stick',
    run: async (args) => (await import('./verify-command.js')).runVerifyCommand(args),
  },
  import: {
    summary: 'head office: import packages from sticks or a folder into the central journal',
    run: async (args) => (await import('../headoffice/import-command.js')).runImportCommand(args),
  },
  headoffice: {
    summary: 'head office: watch for sticks like import and serve the web console (read-only)',
    run: async (args) => (await import('../console/console-command.js')).runHeadOfficeCommand(args),
  },
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const command = name ? commands[name] : undefined;
  if (!command) {
    const lines = Object.entries(commands).map(([n, c]) => `  daystick ${n.padEnd(13)} ${c.summary}`);
    const out = `usage: daystick <command> [options]\n\n${lines.join('\n')}\n`;
    // No command is a wrong call like an unknown one: usage on stderr and exit 2, so a script notices.
    if (!name) {
      process.stderr.write(out);
      return 2;
    }
    if (name !== 'help' && name !== '--help' && name !== '-h') {
      process.stderr.write(`daystick: unknown command "${name}"\n\n${out}`);
      return 2;
    }
    process.stdout.write(out);
    return 0;
  }
  return command.run(rest);
}
