import { createHash, createPublicKey, sign, verify } from 'node:crypto';

/** The key id names a key independent of its PEM formatting: SHA-256 over the DER SubjectPublicKeyInfo. */
export function publicKeyIdOf(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex');
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
  try {
    const type = createPublicKey(publicKeyPem).asymmetricKeyType;
    return type === 'ed25519' ? null : `holds a ${type} key, not Ed25519`;
  } catch {
    return 'is not a readable public key';
  }
}

export function manifestSignatureValid(manifestBytes: Buffer, signatureFileText: string, publicKeyPem: string): boolean {
  if (signatureFileProblem(signatureFileText) !== null) return false;
  const signature = Buffer.from(signatureFileText.slice(0, -1), 'base64');
  try {
    return verify(null, manifestBytes, publicKeyPem, signature);
  } catch {
    return false;
  }
}
