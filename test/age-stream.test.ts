import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { Decrypter } from 'age-encryption';
import { decryptFile, encryptingStream, readIdentityFile } from '../src/package/age-file.js';
import { AGE_CHUNK } from '../src/package/age-stream.js';

// The payload sealed by node:crypto (src/package/age-stream.ts) against the real `age` CLI and the age library,
// at every chunk boundary the STREAM construction has, fed in pieces that straddle them.

const run = promisify(execFile);

let work: string;
const identityFiles: string[] = [];
const recipients: string[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'daystick-age-stream-'));
  for (const name of ['a', 'b']) {
    const file = join(work, `${name}.txt`);
    await run('age-keygen', ['-o', file]);
    identityFiles.push(file);
    recipients.push((await run('age-keygen', ['-y', file])).stdout.trim());
  }
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** `plain` cut into pieces of the given sizes in turn (the last piece takes what is left). */
function pieces(plain: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (let i = 0; at < plain.length; i++) {
    const n = sizes[i % sizes.length]!;
    out.push(plain.subarray(at, at + n));
    at += n;
  }
  return out;
}

async function encrypted(plain: Buffer, sizes: number[], to = recipients.slice(0, 1)): Promise<Buffer> {
  const out = await encryptingStream(Readable.from(pieces(plain, sizes)), to);
  const chunks: Buffer[] = [];
  for await (const c of out) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

let files = 0;
async function ageCliDecrypts(cipher: Buffer, identityFile: string): Promise<Buffer> {
  const path = join(work, `f-${files++}.age`);
  await writeFile(path, cipher);
  // To stdout: the CLI creates an -o file only once it has a byte to write.
  const { stdout } = await run('age', ['-d', '-i', identityFile, path], { encoding: 'buffer', maxBuffer: 1 << 24 });
  return stdout;
}

async function libraryDecrypts(cipher: Buffer, identityFile: string): Promise<Buffer> {
  const d = new Decrypter();
  for (const i of await readIdentityFile(identityFile)) d.addIdentity(i);
  return Buffer.from(await d.decrypt(cipher));
}

const SIZES = [0, 1, AGE_CHUNK - 1, AGE_CHUNK, AGE_CHUNK + 1, 2 * AGE_CHUNK, 2 * AGE_CHUNK + 1, 5 * AGE_CHUNK + 12345];

describe('age payload sealed by node:crypto', () => {
  test.each(SIZES)('%i bytes: the age CLI and the library decrypt it to the plaintext', async (size) => {
    const plain = randomBytes(size);
    // Whole chunks arriving at once, single bytes, and pieces that never line up with a chunk.
    for (const sizes of [[1 << 20], [7, 65_531, 1, 100_000], [AGE_CHUNK]]) {
      const cipher = await encrypted(plain, sizes);
      expect((await ageCliDecrypts(cipher, identityFiles[0]!)).equals(plain)).toBe(true);
      expect((await libraryDecrypts(cipher, identityFiles[0]!)).equals(plain)).toBe(true);
      // Header and nonce, then each chunk of at most 64 KiB with its 16-byte tag; a last chunk is never empty unless all is.
      const chunks = Math.max(1, Math.ceil(size / AGE_CHUNK));
      const header = cipher.indexOf('\n---');
      const headerEnd = cipher.indexOf('\n', header + 1) + 1;
      expect(cipher.length).toBe(headerEnd + 16 + size + 16 * chunks);
    }
  });

  test('single-byte pieces across a chunk boundary', async () => {
    const plain = randomBytes(AGE_CHUNK + 3);
    const cipher = await encrypted(plain, [1]);
    expect((await ageCliDecrypts(cipher, identityFiles[0]!)).equals(plain)).toBe(true);
  });

  test('two recipients: each identity opens it with the age CLI, and decryptFile opens it', async () => {
    const plain = randomBytes(3 * AGE_CHUNK + 5);
    const cipher = await encrypted(plain, [50_000], recipients);
    for (const file of identityFiles) expect((await ageCliDecrypts(cipher, file)).equals(plain)).toBe(true);
    const path = join(work, 'two.age');
    await writeFile(path, cipher);
    await decryptFile(path, `${path}.plain`, await readIdentityFile(identityFiles[1]!));
    expect((await readFile(`${path}.plain`)).equals(plain)).toBe(true);
  });

  test('a fresh file key and nonce every time: the same plaintext never gives the same file', async () => {
    const plain = randomBytes(1000);
    const [a, b] = [await encrypted(plain, [1000]), await encrypted(plain, [1000])];
    expect(a.equals(b)).toBe(false);
    expect(a.subarray(-1016).equals(b.subarray(-1016))).toBe(false);
  });

  test("a flipped byte in the last chunk is refused by the age CLI (the tag covers what this stream sealed)", async () => {
    const plain = randomBytes(AGE_CHUNK + 10);
    const cipher = await encrypted(plain, [4096]);
    cipher.writeUInt8(cipher.readUInt8(cipher.length - 20) ^ 1, cipher.length - 20);
    await expect(ageCliDecrypts(cipher, identityFiles[0]!)).rejects.toThrow();
  });

  test('a failing source fails the ciphertext stream with its cause', async () => {
    const source = new Readable({
      read() {
        this.destroy(new Error('zip broke'));
      },
    });
    const out = await encryptingStream(source, recipients.slice(0, 1));
    await expect(
      (async () => {
        for await (const _ of out) void _;
      })(),
    ).rejects.toThrow('zip broke');
  });
});
