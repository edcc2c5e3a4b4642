import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { link, mkdir, open, readFile, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { HeadOfficeSigningKey } from '../package/acknowledgement.js';
import { publicKeyIdOf } from '../package/signing.js';

export const HEAD_OFFICE_PRIVATE_KEY_FILE = 'headoffice-ed25519.key';

export interface HeadOfficeKeyPair extends HeadOfficeSigningKey {
  keyId: string;
  /** Where the private key lives, for messages. */
  path: string;
}

/** `--keys DIR`, else a folder beside the SQLite central journal; PostgreSQL has no file to sit beside. */
export function defaultKeyFolder(central: string, isPostgres: boolean): string | null {
  if (isPostgres) return null;
  const file = resolve(central);
  return join(dirname(file), 'daystick-headoffice-keys');
}

/**
 * Head office's Ed25519 key for signing acknowledgements, created on first
 * run and reused ever after: registers that pinned it would otherwise see
 * every later ack as signed by a stranger. Created 0600 from the start, and
 * linked into place so two importers starting at once keep one key.
 */
export async function loadOrCreateHeadOfficeKey(folder: string): Promise<HeadOfficeKeyPair> {
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const path = join(folder, HEAD_OFFICE_PRIVATE_KEY_FILE);
  let privateKeyPem = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  if (privateKeyPem === null) privateKeyPem = await createKey(path);
  const publicKeyPem = createPublicKey(privateKeyPem).export({ type: 'spki', format: 'pem' }).toString();
  return { privateKeyPem, publicKeyPem, keyId: publicKeyIdOf(publicKeyPem), path };
}

async function createKey(path: string): Promise<string> {
  const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const tmp = `${path}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(pem);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await link(tmp, path);
    return pem;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readFile(path, 'utf8');
    throw err;
  } finally {
    await unlink(tmp);
  }
}
