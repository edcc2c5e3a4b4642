// Placeholder until its issue lands: says so instead of pretending to work.
export async function runShellCommand(_args: string[]): Promise<number> {
  process.stderr.write('daystick: this command is not built yet\n');
  return 2;
}
