import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { chmod, link, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
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
 * foreign. The private key is created with mode 0600 from the start (never
 * written world-readable and chmod-ed later) and re-tightened if someone
 * loosened it.
 */
export async function ensureRegisterKeyPair(keyDir: string): Promise<{ publicKeyPem: string; keyId: string }> {
  const { publicKeyPem, keyId } = await loadOrCreateRegisterKeyPair(keyDir);
  return { publicKeyPem, keyId };
}

export async function loadOrCreateRegisterKeyPair(keyDir: string): Promise<RegisterKeyPair> {
  await mkdir(keyDir, { recursive: true });
  const privatePath = join(keyDir, PRIVATE_KEY_FILE);
  let privateKeyPem: string;
  try {
    privateKeyPem = await readFile(privatePath, 'utf8');
    await chmod(privatePath, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    privateKeyPem = await createPrivateKey(privatePath);
  }
  const publicKeyPem = createPublicKey(privateKeyPem).export({ type: 'spki', format: 'pem' }).toString();
  const publicPath = join(keyDir, PUBLIC_KEY_FILE_LOCAL);
  const existingPublic = await readFile(publicPath, 'utf8').catch(() => null);
  if (existingPublic !== publicKeyPem) await writeSmallFileAtomically(publicPath, publicKeyPem, 0o644);
  return { privateKeyPem, publicKeyPem, keyId: publicKeyIdOf(publicKeyPem) };
}

async function createPrivateKey(privatePath: string): Promise<string> {
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const tmp = `${privatePath}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(pem);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    // link() instead of rename() so two activations racing cannot replace a key the other already handed out.
    await link(tmp, privatePath).finally(() => unlink(tmp));
    return pem;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readFile(privatePath, 'utf8');
    throw err;
  }
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
