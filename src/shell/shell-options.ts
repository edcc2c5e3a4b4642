import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

export interface ShellOptions {
  journal: string;
  data: string;
  stickRoots: string[];
  /** Overrides the `masterDataBackup` setting when given. */
  backup: boolean | null;
  /** Seconds without a stick after which a running day close is postponed; null waits as long as the cashier does. */
  waitStickSeconds: number | null;
  /** Overrides the `language` setting when given. */
  lang: 'en' | 'de' | null;
  help: boolean;
}

export class ShellOptionError extends Error {
  override name = 'ShellOptionError';
}

export const SHELL_USAGE = `usage: daystick shell [options]

  --journal FILE        register journal (SQLite); created with demo data when missing
                        (default ./.daystick/journal.sqlite)
  --data DIR            the plugin's storage folder (default ./.daystick/data);
                        an optional DIR/settings.json overrides the plugin settings
  --stick-root DIR      folder whose sub-folders are sticks; repeatable
                        (default ./.daystick/sticks)
  --backup on|off       master-data backup after the bookings (setting masterDataBackup)
  --wait-stick SECONDS  postpone a day close after this long without a stick
  --lang en|de          language of the prompts (setting language)

Without a terminal on standard input the shell runs scripted: one command per
line, every prompt printed as "[PROMPT_ID] text", exit code 0 only when every
command succeeded.
`;

/** Parses `daystick shell` options; relative paths are taken from the current folder. */
export function parseShellOptions(args: string[], cwd = process.cwd()): ShellOptions {
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        journal: { type: 'string' },
        data: { type: 'string' },
        'stick-root': { type: 'string', multiple: true },
        backup: { type: 'string' },
        'wait-stick': { type: 'string' },
        lang: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new ShellOptionError((err as Error).message);
  }
  const backup = values.backup as string | undefined;
  if (backup !== undefined && backup !== 'on' && backup !== 'off') {
    throw new ShellOptionError(`--backup must be "on" or "off", not "${backup}"`);
  }
  const lang = values.lang as string | undefined;
  if (lang !== undefined && lang !== 'en' && lang !== 'de') {
    throw new ShellOptionError(`--lang must be "en" or "de", not "${lang}"`);
  }
  const wait = values['wait-stick'] as string | undefined;
  if (wait !== undefined && !/^\d+(\.\d+)?$/.test(wait)) {
    throw new ShellOptionError(`--wait-stick must be a number of seconds, not "${wait}"`);
  }
  for (const name of ['journal', 'data'] as const) {
    if (values[name] === '') throw new ShellOptionError(`--${name} must not be empty`);
  }
  const roots = (values['stick-root'] as string[] | undefined) ?? ['.daystick/sticks'];
  if (roots.some((r) => r === '')) throw new ShellOptionError('--stick-root must not be empty');
  return {
    journal: resolve(cwd, (values.journal as string | undefined) ?? '.daystick/journal.sqlite'),
    data: resolve(cwd, (values.data as string | undefined) ?? '.daystick/data'),
    stickRoots: roots.map((r) => resolve(cwd, r)),
    backup: backup === undefined ? null : backup === 'on',
    waitStickSeconds: wait === undefined ? null : Number(wait),
    lang: (lang as 'en' | 'de' | undefined) ?? null,
    help: values.help === true,
  };
}
