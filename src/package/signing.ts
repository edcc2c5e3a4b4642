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

export function manifestSignatureValid(manifestBytes: Buffer, signatureFileText: string, publicKeyPem: string): boolean {
  const text = signatureFileText.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return false;
  const signature = Buffer.from(text, 'base64');
  if (signature.length !== 64) return false;
  try {
    return verify(null, manifestBytes, publicKeyPem, signature);
  } catch {
    return false;
  }
}
