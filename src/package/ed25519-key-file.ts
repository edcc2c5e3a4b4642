import { generateKeyPairSync } from 'node:crypto';
import { chmod, link, open, readFile, unlink } from 'node:fs/promises';

/**
 * An Ed25519 private key kept in one PEM file, created on first use and
 * reused ever after (a new key would make every earlier signature look
 * foreign to whoever pinned the old one). Created 0600 from the start,
 * never written world-readable and tightened later, and re-tightened if
 * someone loosened it. Linked into place, not renamed, so two processes
 * starting at once end up with one key.
 */
export async function loadOrCreatePrivateKeyPem(path: string): Promise<string> {
  try {
    const pem = await readFile(path, 'utf8');
    await chmod(path, 0o600);
    return pem;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
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
