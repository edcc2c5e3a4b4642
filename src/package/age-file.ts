import { open, readFile, writeFile } from 'node:fs/promises';
import { pipeline as pipe, Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import type { Recipient } from 'age-encryption';
import { AgePayloadEncryptor, emptyPayload, payloadKey, sameBytes } from './age-stream.js';

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

/**
 * The header and payload nonce of a new age file to `recipients`, made by
 * the library (file key, stanzas, MAC, nonce: everything that is random or
 * per recipient), with the payload's stream key for AgePayloadEncryptor.
 * The library hands its file key only to the recipients it wraps it for, so
 * the library's own recipient objects are wrapped by one that keeps it.
 * The library then seals an empty payload; its last 16 bytes are the tag
 * this stream key must give for the same empty last chunk, so a library
 * that ever derived the key differently fails here, before any byte is written.
 */
export async function ageHeader(recipients: readonly string[]): Promise<{ prefix: Uint8Array; streamKey: Buffer }> {
  if (recipients.length === 0) throw new Error('no head-office recipient to encrypt to');
  const { Encrypter } = await age();
  const parsed = new Encrypter();
  for (const r of recipients) parsed.addRecipient(r);
  const own = (parsed as unknown as { recipients?: unknown }).recipients;
  if (!Array.isArray(own) || own.length !== recipients.length || !own.every(isRecipient)) {
    throw new Error('age-encryption keeps its recipients differently than this version expects (age-file.ts ageHeader)');
  }
  let fileKey: Uint8Array | null = null;
  const e = new Encrypter();
  e.addRecipient({
    async wrapFileKey(key: Uint8Array) {
      fileKey = Uint8Array.from(key);
      const stanzas = [];
      for (const r of own) stanzas.push(...(await r.wrapFileKey(key)));
      return stanzas;
    },
  });
  const empty = await e.encrypt(new Uint8Array(0));
  const prefix = empty.subarray(0, empty.length - 16);
  const nonce = prefix.subarray(prefix.length - 16);
  if (fileKey === null) throw new Error('age-encryption did not hand its file key to the recipient (age-file.ts ageHeader)');
  const streamKey = payloadKey(fileKey, nonce);
  if (!sameBytes(emptyPayload(streamKey), empty.subarray(empty.length - 16))) {
    throw new Error("age-encryption's payload key differs from the age specification's (age-file.ts ageHeader)");
  }
  return { prefix, streamKey };
}

function isRecipient(r: unknown): r is Recipient {
  return typeof (r as Partial<Recipient> | null)?.wrapFileKey === 'function';
}

/**
 * The age encryption of `plain`, streamed: the ciphertext flows while the
 * plaintext still arrives; the payload is sealed by node:crypto (age-stream.ts says why).
 */
export async function encryptingStream(plain: Readable, recipients: readonly string[]): Promise<Readable> {
  const { prefix, streamKey } = await ageHeader(recipients);
  const encryptor = new AgePayloadEncryptor(streamKey, prefix);
  // Either side's failure tears down the other; the cause reaches whoever reads the ciphertext through the encryptor.
  pipe(plain, encryptor, () => undefined);
  // A failed write has already reported its cause through the pipeline; the torn-down source's echo must not crash the register.
  encryptor.on('error', () => undefined);
  return encryptor;
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
