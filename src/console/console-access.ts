import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { z } from 'zod';

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;

/** At least this long: the token is the only thing between the console and the network. */
export const MIN_TOKEN_LENGTH = 12;

const TokenFile = z.string().regex(/^scrypt:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+\n?$/);

/** Names its failure by a clerk-text key, so the command says it in the clerk's language; `detail` is the system's own message. */
export class AccessTokenError extends Error {
  override name = 'AccessTokenError';
  constructor(
    readonly key: 'token.tooShort' | 'token.missing' | 'token.cannotRead' | 'token.notTokenFile' | 'token.cannotWrite',
    readonly params: { file?: string; n?: number },
    readonly detail: string | null = null,
  ) {
    super(detail === null ? key : `${key}: ${detail}`);
  }
}

/** Writes the token's scrypt hash (never the token) to `file`, readable by its owner only. */
export async function writeAccessTokenFile(file: string, token: string): Promise<void> {
  if (token.length < MIN_TOKEN_LENGTH) throw new AccessTokenError('token.tooShort', { n: MIN_TOKEN_LENGTH });
  const salt = randomBytes(16);
  const hash = await scryptAsync(token, salt, 32);
  const temporary = `${file}.tmp-${process.pid}`;
  try {
    await writeFile(temporary, `scrypt:${salt.toString('base64')}:${hash.toString('base64')}\n`, { mode: 0o600 });
    await rename(temporary, file);
  } catch (err) {
    await rm(temporary, { force: true });
    throw new AccessTokenError('token.cannotWrite', { file }, (err as Error).message);
  }
}

export type TokenCheck = (presented: string) => Promise<boolean>;

export async function loadAccessTokenFile(file: string): Promise<TokenCheck> {
  let content: string;
  try {
    content = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new AccessTokenError('token.missing', { file });
    throw new AccessTokenError('token.cannotRead', { file }, (err as Error).message);
  }
  if (!TokenFile.safeParse(content).success) throw new AccessTokenError('token.notTokenFile', { file });
  const [, salt, hash] = content.trim().split(':') as [string, string, string];
  const saltBytes = Buffer.from(salt, 'base64');
  const expected = Buffer.from(hash, 'base64');
  return async (presented) => {
    const actual = await scryptAsync(presented, saltBytes, expected.length);
    return timingSafeEqual(actual, expected);
  };
}

/** The token from `Authorization: Bearer T` or HTTP Basic (any user name, the token as password: browsers ask for it). */
export function presentedToken(authorization: string | undefined): string | null {
  if (!authorization) return null;
  const bearer = /^Bearer\s+(.+)$/i.exec(authorization);
  if (bearer) return bearer[1]!;
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(authorization);
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) : null;
  }
  return null;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
