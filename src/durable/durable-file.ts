import { createHash } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Every file still being written carries this suffix until its rename (docs/stick-format.md names it for the stick). */
export const TEMP_SUFFIX = '.part';

/** FAT32 cannot hold a file of 4 GiB or more. */
export const FAT32_MAX_FILE_BYTES = 0xffff_ffff;

export interface DurableWriteResult {
  bytes: number;
  sha256: string;
}

/**
 * Counts and hashes the bytes on their way to the file, and refuses to grow
 * a file past the FAT32 limit (with EFBIG, as the kernel would on a real FAT
 * stick) instead of letting the file system truncate it.
 */
export class MeterTransform extends Transform {
  bytes = 0;
  private readonly hash = createHash('sha256');

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > FAT32_MAX_FILE_BYTES) {
      done(Object.assign(new Error('package would exceed the 4 GiB FAT32 file size limit'), { code: 'EFBIG' }));
      return;
    }
    this.hash.update(chunk);
    done(null, chunk);
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

/**
 * Writes `finalPath` so that it either exists whole and flushed, or not at
 * all: data goes to `<name>.part`, is fsynced before close (a pulled stick
 * often reports EIO only there), then renamed, then the folder is fsynced so
 * the rename itself survives a power cut. A `.part` an interrupted write left
 * is unlinked first, never reopened with truncate: fusefat opens it but then
 * answers every write with EPERM. `beforeRename` may veto the rename by throwing.
 */
export async function writeFileDurably(
  finalPath: string,
  source: Readable | Buffer | string,
  signal: AbortSignal,
  options: { beforeRename?: () => Promise<unknown> } = {},
): Promise<DurableWriteResult> {
  const tmp = finalPath + TEMP_SUFFIX;
  const meter = new MeterTransform();
  await unlink(tmp).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
  const fh = await open(tmp, 'wx', 0o644);
  // autoClose off: the fd must stay open for the fsync after the last write; the stream holds a
  // reference on the FileHandle until destroyed, so it is destroyed before close() or close() never settles.
  const sink = fh.createWriteStream({ autoClose: false, emitClose: false, highWaterMark: 1 << 20 });
  let closed = false;
  try {
    const input = typeof source === 'string' || Buffer.isBuffer(source) ? Readable.from([Buffer.from(source)]) : source;
    await pipeline(input, meter, sink, { signal });
    await fh.sync();
    sink.destroy();
    closed = true;
    await fh.close();
  } finally {
    if (!closed) {
      sink.destroy();
      await fh.close().catch(() => undefined);
    }
  }
  signal.throwIfAborted();
  await options.beforeRename?.();
  await rename(tmp, finalPath);
  await fsyncFolder(dirname(finalPath));
  return { bytes: meter.bytes, sha256: meter.digest() };
}

/** FAT through FUSE (and some other file systems) refuse fsync on a folder; that refusal is not a failure. */
export async function fsyncFolder(folder: string): Promise<void> {
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  try {
    fh = await open(folder, 'r');
    await fh.sync();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EBADF') throw err;
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/** Re-reads a file from the stick and hashes it, for the check after writing; `onRead` hears each chunk's size. */
export async function hashFile(path: string, onRead?: (bytes: number) => void): Promise<DurableWriteResult> {
  const hash = createHash('sha256');
  let bytes = 0;
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      bytes += bytesRead;
      hash.update(buf.subarray(0, bytesRead));
      onRead?.(bytesRead);
    }
  } finally {
    await fh.close();
  }
  return { bytes, sha256: hash.digest('hex') };
}
