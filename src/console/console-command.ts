import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import type { CentralStore } from '../central/central-store.js';
import { type ImportCommandIo, parseImportArgs, runImportCommand, wholeNumberOption } from '../headoffice/import-command.js';
import { isPostgresUrl, openCentralStore } from '../central/open-central-store.js';
import { AccessTokenError, type TokenCheck, isLoopback, loadAccessTokenFile, writeAccessTokenFile } from './console-access.js';
import { LiveProcessing } from './console-live.js';
import { buildConsoleServer } from './console-server.js';
import { ClerkError, type ClerkTextKey, clerkText } from '../headoffice/clerk-text.js';
import type { Language } from '../prompts/catalog.js';
import type { PromptParams } from '../prompts/render.js';
import { languageFromEnv, takeLanguageOption } from '../prompts/language.js';

const USAGE_EN = `usage:
  daystick headoffice --central FILE|postgres://... [--stick-root DIR ...] [--backup-folder DIR]
                      [--http HOST:PORT] [--access-token-file FILE] [--stale-days N] [import options]
      watches for sticks like \`daystick import\` and serves the head-office console (read-only)
  daystick headoffice --set-access-token FILE
      reads a token (at least 12 characters) from standard input and stores its scrypt hash in FILE

  --http HOST:PORT            where the console listens (default 127.0.0.1:8470; port 0 picks a free one)
  --access-token-file FILE    required for any address other than loopback: browsers ask for it (any user name)
  --stale-days N              mark a register whose last stick is older than N days (default 2)
  --lang en|de                language of these lines and the processing list (the web page has its own: ?lang=de)
  every other option is \`daystick import\`'s (see daystick import --help)
`;

const USAGE_DE = `Aufruf:
  daystick headoffice --central DATEI|postgres://... [--stick-root ORDNER ...] [--backup-folder ORDNER]
                      [--http HOST:PORT] [--access-token-file DATEI] [--stale-days N] [Import-Optionen]
      beobachtet Sticks wie \`daystick import\` und stellt die Konsole der Zentrale bereit (nur lesend)
  daystick headoffice --set-access-token DATEI
      liest einen Zugangsschlüssel (mindestens 12 Zeichen) von der Standardeingabe und speichert seinen scrypt-Hash in DATEI

  --http HOST:PORT            wo die Konsole lauscht (Vorgabe 127.0.0.1:8470; Port 0 wählt einen freien)
  --access-token-file DATEI   nötig für jede Adresse außer loopback: Browser fragen danach (beliebiger Benutzername)
  --stale-days N              eine Kasse markieren, deren letzter Stick älter als N Tage ist (Vorgabe 2)
  --lang en|de                Sprache dieser Zeilen und der Verarbeitungsliste (die Webseite hat ihre eigene: ?lang=de)
  jede andere Option ist die von \`daystick import\` (siehe daystick import --help)
`;

function usage(lang: Language): string {
  return lang === 'de' ? USAGE_DE : USAGE_EN;
}

/** The asked language for this command's own lines; a bad --lang is refused by the import's parsing, in the environment's. */
function askedLanguage(args: string[]): Language {
  try {
    return takeLanguageOption(args).lang;
  } catch {
    return languageFromEnv();
  }
}

/** This command's own options; their refusals in the clerk's language, as the import's are. */
function ownSchema(lang: Language) {
  const t = (key: ClerkTextKey, params?: PromptParams) => clerkText(lang, key, params);
  const http = z
    .string()
    .regex(/^(\[[0-9a-fA-F:]+\]|[^:]+):\d{1,5}$/, t('headoffice.http'))
    .transform((s) => {
      const i = s.lastIndexOf(':');
      return { host: s.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(s.slice(i + 1)) };
    })
    .refine((a) => a.port <= 65535, t('headoffice.httpPort'));
  return z.strictObject({
    http: http.default({ host: '127.0.0.1', port: 8470 }),
    'access-token-file': z.string().min(1, t('headoffice.emptyValue', { option: '--access-token-file' })).optional(),
    'stale-days': wholeNumberOption(t('headoffice.staleWhole'), (n) => n >= 1, t('headoffice.staleMin'), 2),
    'set-access-token': z.string().min(1, t('headoffice.emptyValue', { option: '--set-access-token' })).optional(),
  });
}

type Own = z.infer<ReturnType<typeof ownSchema>>;

/** An option of this command given without its value. */
class MissingValueError extends Error {
  constructor(readonly option: string) {
    super(`${option} needs a value`);
  }
}

function splitArgs(args: string[]): { own: Record<string, string>; rest: string[] } {
  const own: Record<string, string> = {};
  const rest: string[] = [];
  const names = new Set(['--http', '--access-token-file', '--stale-days', '--set-access-token']);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (!names.has(name)) {
      rest.push(arg);
      continue;
    }
    // None of these values starts with "--": one that does is the next option, so this one's value is missing.
    const value = eq > 0 ? arg.slice(eq + 1) : args[i + 1]?.startsWith('--') ? undefined : args[++i];
    if (value === undefined) throw new MissingValueError(name);
    own[name.slice(2)] = value;
  }
  return { own, rest };
}

/** An access-token failure in the clerk's words; the system's own message (errno and all) only on the detail line. */
function accessTokenLines(lang: Language, err: unknown): string {
  if (!(err instanceof AccessTokenError)) return `daystick headoffice: ${(err as Error).message}\n`;
  const sentence = clerkText(lang, err.key, err.params);
  return err.detail === null
    ? `daystick headoffice: ${sentence}\n`
    : `daystick headoffice: ${sentence}\n${clerkText(lang, 'error.detail', { message: err.detail })}\n`;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export async function runHeadOfficeCommand(args: string[], io: ImportCommandIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const lang = askedLanguage(args);
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout.write(usage(lang));
    return 0;
  }
  let own: Own;
  let rest: string[];
  try {
    const split = splitArgs(args);
    rest = split.rest;
    const parsed = ownSchema(lang).safeParse(split.own);
    if (!parsed.success) throw new Error(parsed.error.issues[0]!.message);
    own = parsed.data;
    if (own['set-access-token'] === undefined) {
      const a = parseImportArgs(rest);
      if (a.path !== null || a.reconcile !== undefined) throw new Error(clerkText(lang, 'headoffice.noPath'));
    } else if (takeLanguageOption(rest).rest.length > 0) {
      throw new Error(clerkText(lang, 'headoffice.tokenOnly'));
    }
  } catch (err) {
    const message = err instanceof MissingValueError ? clerkText(lang, 'arg.missingValue', { option: err.option }) : (err as Error).message;
    io.stderr.write(`daystick headoffice: ${message}\n\n${usage(lang)}`);
    return 2;
  }
  if (own['set-access-token'] !== undefined) {
    try {
      await writeAccessTokenFile(resolve(own['set-access-token']), await readStdin());
    } catch (err) {
      io.stderr.write(accessTokenLines(lang, err));
      return 2;
    }
    io.stdout.write(`${clerkText(lang, 'headoffice.tokenStored', { file: own['set-access-token'] })}\n`);
    return 0;
  }
  let checkToken: TokenCheck | null = null;
  if (own['access-token-file'] !== undefined) {
    try {
      checkToken = await loadAccessTokenFile(resolve(own['access-token-file']));
    } catch (err) {
      io.stderr.write(accessTokenLines(lang, err));
      return 2;
    }
  } else if (!isLoopback(own.http.host)) {
    io.stderr.write(`daystick headoffice: ${clerkText(lang, 'headoffice.needsToken', { host: own.http.host })}\n`);
    return 2;
  }
  const a = parseImportArgs(rest);
  // A newcomer's first run: the folders the demo defaults name are created, as the register shell creates its own.
  if (!isPostgresUrl(a.central)) await mkdir(dirname(resolve(a.central)), { recursive: true });
  for (const root of a['stick-root'] ?? []) await mkdir(resolve(root), { recursive: true });

  const live = new LiveProcessing();
  return runImportCommand(rest, {
    ...io,
    companion: {
      observer: live,
      start: async (central) => {
        // Its own connection: the console reads committed data only and never waits behind an import's transaction.
        const store: CentralStore = await openCentralStore(central);
        const app = buildConsoleServer({ store, central, live, checkToken, staleDays: own['stale-days'] });
        try {
          await app.listen({ host: own.http.host, port: own.http.port });
        } catch (err) {
          await store.close();
          const raw = (err as Error).message;
          throw new ClerkError(clerkText(lang, 'headoffice.cannotListen', { host: own.http.host, port: own.http.port, reason: raw }), raw);
        }
        const address = app.server.address();
        const port = typeof address === 'object' && address ? address.port : own.http.port;
        const host = own.http.host.includes(':') ? `[${own.http.host}]` : own.http.host;
        const how = clerkText(lang, checkToken ? 'headoffice.tokenRequired' : 'headoffice.loopbackOnly');
        io.stdout.write(`${clerkText(lang, 'headoffice.listening', { host, port, how })}\n`);
        return {
          stop: async () => {
            await app.close();
            await store.close();
          },
        };
      },
    },
  });
}
