import { open, readFile, writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';

/**
 * The age format (https://age-encryption.org/v1) for version 2's data files
 * (docs/stick-format.md 5.1): the register encrypts to head office's X25519
 * recipients and holds no key that decrypts; head office decrypts with its
 * identity. `age-encryption` is the age author's own TypeScript
 * implementation; files it writes open with the `age` CLI and the other way
 * round (test/age-interop.test.ts).
 */

const X25519_IDENTITY = /^AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}$/;

/**
 * The age library, loaded when something is encrypted or decrypted: head
 * office recognising a stick it already holds (issue 13) does neither, and
 * loading the library was a fifth of that run's start-up.
 */
let ageLibrary: Promise<typeof import('age-encryption')> | null = null;
const age = () => {
  ageLibrary ??= import('age-encryption');
  return ageLibrary;
};

/** Head office's identity file name: in its key folder, and where the demo shell puts the demo's, beside its data folder. */
export const AGE_IDENTITY_FILE = 'headoffice-age-identity.txt';

export class AgeIdentityError extends Error {
  override name = 'AgeIdentityError';
}

/**
 * Head office's identities from an identity file (`age-keygen`'s format:
 * comment lines starting with `#`, one `AGE-SECRET-KEY-1…` per line).
 */
export async function readIdentityFile(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new AgeIdentityError(`head office's identity file ${path} cannot be read: ${(err as Error).message}`);
  }
  const identities = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  if (identities.length === 0 || identities.some((l) => !X25519_IDENTITY.test(l))) {
    throw new AgeIdentityError(`${path} is not an age identity file (one AGE-SECRET-KEY-1… per line)`);
  }
  return identities;
}

/** The age encryption of `plain`, streamed: the ciphertext flows while the plaintext still arrives. */
export async function encryptingStream(plain: Readable, recipients: readonly string[]): Promise<Readable> {
  if (recipients.length === 0) throw new Error('no head-office recipient to encrypt to');
  const { Encrypter } = await age();
  const e = new Encrypter();
  for (const r of recipients) e.addRecipient(r);
  const web = Readable.toWeb(plain) as unknown as ReadableStream<Uint8Array>;
  const encrypted = await e.encrypt(web);
  const out = Readable.fromWeb(encrypted as unknown as WebReadableStream<Uint8Array>);
  // A failed write has already reported its cause through the pipeline; the torn-down source's echo must not crash the register.
  out.on('error', () => undefined);
  return out;
}

export class DecryptError extends Error {
  override name = 'DecryptError';
}

/**
 * Decrypts the age file at `from` into a new file `to` (mode 0600: it is
 * the plaintext), streamed. A header no identity opens and a payload that
 * does not authenticate to its end are both a DecryptError; `to` may then
 * hold a prefix and is the caller's to remove.
 */
export async function decryptFile(from: string, to: string, identities: readonly string[]): Promise<void> {
  const { Decrypter } = await age();
  const d = new Decrypter();
  for (const i of identities) d.addIdentity(i);
  const source = await open(from, 'r');
  const sink = await open(to, 'wx', 0o600);
  try {
    const web = Readable.toWeb(source.createReadStream({ highWaterMark: 1 << 20 })) as unknown as ReadableStream<Uint8Array>;
    let plain: ReadableStream<Uint8Array>;
    try {
      plain = await d.decrypt(web);
    } catch (err) {
      throw new DecryptError(`the data file does not open with head office's identity: ${(err as Error).message}`);
    }
    try {
      await pipeline(Readable.fromWeb(plain as unknown as WebReadableStream<Uint8Array>), sink.createWriteStream());
    } catch (err) {
      throw new DecryptError(`the data file's encrypted payload is damaged: ${(err as Error).message}`);
    }
  } finally {
    await source.close().catch(() => undefined);
    await sink.close().catch(() => undefined);
  }
}

/**
 * The identity file at `path`, created (mode 0600, `age-keygen`'s layout) when
 * missing; resolves with its recipient. For the demo's head office only: a
 * real head office makes its key with `age-keygen` and gives registers the
 * recipient.
 */
export async function loadOrCreateIdentityFile(path: string): Promise<string> {
  const { generateX25519Identity, identityToRecipient } = await age();
  const identity = await generateX25519Identity();
  const recipient = await identityToRecipient(identity);
  const text = `# created: ${new Date().toISOString()}\n# public key: ${recipient}\n${identity}\n`;
  try {
    await writeFile(path, text, { mode: 0o600, flag: 'wx' });
    return recipient;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const [existing] = await readIdentityFile(path);
  return identityToRecipient(existing!);
}
