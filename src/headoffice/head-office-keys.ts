import { createPublicKey } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { AGE_IDENTITY_FILE } from '../package/age-file.js';
import type { HeadOfficeSigningKey } from '../package/acknowledgement.js';
import { loadOrCreatePrivateKeyPem } from '../package/ed25519-key-file.js';
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
  const privateKeyPem = await loadOrCreatePrivateKeyPem(path);
  const publicKeyPem = createPublicKey(privateKeyPem).export({ type: 'spki', format: 'pem' }).toString();
  return { privateKeyPem, publicKeyPem, keyId: publicKeyIdOf(publicKeyPem), path };
}

/**
 * Head office's age identity (the key that opens version-2 data files), by
 * default in the key folder beside the central journal: the demo shell puts
 * one there, so a newcomer's first import needs no setup. It is never
 * written onto a stick; registers get only its recipient.
 */
export const HEAD_OFFICE_AGE_IDENTITY_FILE = AGE_IDENTITY_FILE;
/** Where the reference shell puts the demo's head-office identity: beside its data folder (`./.daystick/data`). */
export const DEMO_AGE_IDENTITY_PATH = `.daystick/${AGE_IDENTITY_FILE}`;
