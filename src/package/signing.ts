import { type KeyObject, createHash, createPublicKey, sign, verify } from 'node:crypto';

/**
 * A public key as parsed from its PEM text, remembered by that text: a
 * stick's every package names the same register.pub and its every ack the
 * same head-office key, and parsing the PEM again for each of hundreds of
 * files was most of what recognising a year's stick cost. The memo is keyed
 * by the exact text, so it can only ever answer what parsing that text
 * answers; it never stands in for reading a file.
 */
type ParsedKey = { key: KeyObject; id: string } | { error: Error };
const PARSED_KEYS = new Map<string, ParsedKey>();
/** A head office sees a handful of keys per stick; the bound only keeps a long watch from collecting every key it ever saw. */
const PARSED_KEYS_MAX = 256;

function parsedKey(publicKeyPem: string): ParsedKey {
  let parsed = PARSED_KEYS.get(publicKeyPem);
  if (parsed === undefined) {
    try {
      const key = createPublicKey(publicKeyPem);
      parsed = { key, id: createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex') };
    } catch (err) {
      parsed = { error: err as Error };
    }
    if (PARSED_KEYS.size >= PARSED_KEYS_MAX) PARSED_KEYS.delete(PARSED_KEYS.keys().next().value!);
    PARSED_KEYS.set(publicKeyPem, parsed);
  }
  return parsed;
}

/** The parsed public key of `publicKeyPem`; throws as createPublicKey does when it is none. */
export function publicKeyObjectOf(publicKeyPem: string): KeyObject {
  const parsed = parsedKey(publicKeyPem);
  if ('error' in parsed) throw parsed.error;
  return parsed.key;
}

/** The key id names a key independent of its PEM formatting: SHA-256 over the DER SubjectPublicKeyInfo. */
export function publicKeyIdOf(publicKeyPem: string): string {
  const parsed = parsedKey(publicKeyPem);
  if ('error' in parsed) throw parsed.error;
  return parsed.id;
}

/** The signature file's content: Base64 of the 64-byte Ed25519 signature, then LF. */
export function signManifest(manifestBytes: Buffer, privateKeyPem: string): string {
  return `${sign(null, manifestBytes, privateKeyPem).toString('base64')}\n`;
}

/**
 * Why a signature file is not of the one form section 4 allows (88 Base64
 * characters with padding, then one LF), or null. Node's Base64 decoder skips
 * what it does not understand, so the form is checked before decoding.
 */
export function signatureFileProblem(signatureFileText: string): string | null {
  if (!/^[A-Za-z0-9+/]{86}==\n$/.test(signatureFileText)) return 'is not 88 Base64 characters followed by one LF';
  const text = signatureFileText.slice(0, -1);
  if (Buffer.from(text, 'base64').toString('base64') !== text) return 'is not canonical Base64';
  return null;
}

/** Why `register.pub` is not an Ed25519 public key as one PEM SPKI block, or null. */
export function registerKeyProblem(publicKeyPem: string): string | null {
  if (!/^-----BEGIN PUBLIC KEY-----\n(?:[A-Za-z0-9+/=]{1,64}\n)+-----END PUBLIC KEY-----\n$/.test(publicKeyPem)) {
    return 'is not one PEM "PUBLIC KEY" block with LF line ends';
  }
  const parsed = parsedKey(publicKeyPem);
  if ('error' in parsed) return 'is not a readable public key';
  const type = parsed.key.asymmetricKeyType;
  return type === 'ed25519' ? null : `holds a ${type} key, not Ed25519`;
}

export function manifestSignatureValid(manifestBytes: Buffer, signatureFileText: string, publicKeyPem: string): boolean {
  if (signatureFileProblem(signatureFileText) !== null) return false;
  const signature = Buffer.from(signatureFileText.slice(0, -1), 'base64');
  try {
    return verify(null, manifestBytes, publicKeyObjectOf(publicKeyPem), signature);
  } catch {
    return false;
  }
}
