import { createCipheriv, hkdfSync, timingSafeEqual } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * The payload of an age file (https://age-encryption.org/v1, "Payload"):
 * the plaintext in 64 KiB chunks, each sealed with ChaCha20-Poly1305 under
 * the stream key, nonce = 11-byte big-endian chunk counter + a last-chunk
 * flag byte, no associated data.
 *
 * The age library seals it with its pure-JavaScript cipher at about 18 MB/s
 * on the register's CPU, more than a second for a large day's package on the
 * thread that reads the journal; OpenSSL's cipher behind node:crypto is the
 * same AEAD (RFC 8439) some twenty times faster. Only the payload is done
 * here: the file key, the recipients' stanzas, the header MAC and the nonce
 * stay the library's (ageHeader in age-file.ts), and test/age-stream.test.ts
 * has the `age` CLI decrypt what this writes at every chunk boundary.
 */

export const AGE_CHUNK = 64 * 1024;
const TAG_BYTES = 16;

/** The stream key of the payload: HKDF-SHA-256(ikm = file key, salt = nonce, info = "payload"). */
export function payloadKey(fileKey: Uint8Array, nonce: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', fileKey, nonce, 'payload', 32));
}

function seal(key: Buffer, nonce: Buffer, plain: Uint8Array): Buffer {
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_BYTES });
  const body = cipher.update(plain);
  cipher.final();
  return Buffer.concat([body, cipher.getAuthTag()], plain.length + TAG_BYTES);
}

/** The sealed last chunk of an empty payload: what the library wrote after its nonce, to check the key against. */
export function emptyPayload(key: Buffer): Buffer {
  const nonce = Buffer.alloc(12);
  nonce[11] = 1;
  return seal(key, nonce, new Uint8Array(0));
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Writes `prefix` (the library's header and nonce), then the sealed payload
 * of everything piped in. A full chunk is sealed only once a byte after it
 * has arrived: the last chunk carries the flag and may be full, but is empty
 * only when the whole plaintext is.
 */
export class AgePayloadEncryptor extends Transform {
  private readonly nonce = Buffer.alloc(12);
  private readonly pending = Buffer.allocUnsafe(AGE_CHUNK);
  private used = 0;
  private prefix: Buffer | null;

  constructor(
    private readonly key: Buffer,
    prefix: Uint8Array,
  ) {
    super({ readableHighWaterMark: 1 << 20, writableHighWaterMark: 1 << 20 });
    this.prefix = Buffer.from(prefix);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      const out: Buffer[] = this.takePrefix();
      let at = 0;
      while (at < chunk.length) {
        if (this.used === AGE_CHUNK) {
          out.push(this.sealNext(this.pending));
          this.used = 0;
        }
        // A whole chunk straight from the input when nothing is pending and a byte follows it: no copy.
        if (this.used === 0 && chunk.length - at > AGE_CHUNK) {
          out.push(this.sealNext(chunk.subarray(at, at + AGE_CHUNK)));
          at += AGE_CHUNK;
          continue;
        }
        const n = Math.min(AGE_CHUNK - this.used, chunk.length - at);
        chunk.copy(this.pending, this.used, at, at + n);
        this.used += n;
        at += n;
      }
      done(null, out.length === 1 ? out[0] : Buffer.concat(out));
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      const out = this.takePrefix();
      this.nonce[11] = 1;
      out.push(seal(this.key, this.nonce, this.pending.subarray(0, this.used)));
      done(null, Buffer.concat(out));
    } catch (err) {
      done(err as Error);
    }
  }

  private takePrefix(): Buffer[] {
    const prefix = this.prefix;
    this.prefix = null;
    return prefix ? [prefix] : [];
  }

  private sealNext(plain: Uint8Array): Buffer {
    const sealed = seal(this.key, this.nonce, plain);
    // The counter is the nonce's first 11 bytes, big-endian; byte 11 stays 0 until the last chunk.
    for (let i = 10; i >= 0; i--) {
      this.nonce[i] = (this.nonce[i]! + 1) & 0xff;
      if (this.nonce[i] !== 0) break;
    }
    return sealed;
  }
}
