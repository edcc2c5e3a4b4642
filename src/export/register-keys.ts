import { createPublicKey } from 'node:crypto';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { loadOrCreatePrivateKeyPem } from '../package/ed25519-key-file.js';
import { publicKeyIdOf } from '../package/signing.js';

/** File names inside the plugin's storage folder. */
export const PRIVATE_KEY_FILE = 'register-ed25519.key';
export const PUBLIC_KEY_FILE_LOCAL = 'register-ed25519.pub';

export interface RegisterKeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
  keyId: string;
}

/**
 * Creates the register's Ed25519 key pair on first use and reuses it ever
 * after: a new key would make head office see this register's packages as
 * foreign (see `loadOrCreatePrivateKeyPem` for how the file is kept).
 */
export async function ensureRegisterKeyPair(keyDir: string): Promise<{ publicKeyPem: string; keyId: string }> {
  const { publicKeyPem, keyId } = await loadOrCreateRegisterKeyPair(keyDir);
  return { publicKeyPem, keyId };
}

export async function loadOrCreateRegisterKeyPair(keyDir: string): Promise<RegisterKeyPair> {
  await mkdir(keyDir, { recursive: true });
  const privateKeyPem = await loadOrCreatePrivateKeyPem(join(keyDir, PRIVATE_KEY_FILE));
  const publicKeyPem = createPublicKey(privateKeyPem).export({ type: 'spki', format: 'pem' }).toString();
  const publicPath = join(keyDir, PUBLIC_KEY_FILE_LOCAL);
  const existingPublic = await readFile(publicPath, 'utf8').catch(() => null);
  if (existingPublic !== publicKeyPem) await writeSmallFileAtomically(publicPath, publicKeyPem, 0o644);
  return { privateKeyPem, publicKeyPem, keyId: publicKeyIdOf(publicKeyPem) };
}

async function writeSmallFileAtomically(path: string, text: string, mode: number): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w', mode);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}
