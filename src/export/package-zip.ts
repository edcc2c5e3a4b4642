import { createReadStream } from 'node:fs';
import type { Transform, TransformCallback } from 'node:stream';
import { Archiver, type ArchiverOptions } from 'archiver';
import ZipStream, { type ZipArchiveEntry } from 'zip-stream';
import { MeterTransform } from '../durable/durable-file.js';
import type { DeflatedEntry } from './entry-deflater.js';
import { ExportError } from './export-contract.js';

/**
 * archiver's zip engine, taught one thing: an entry whose data was already
 * deflated (by the export's worker, while the journal streamed) is copied
 * into the zip as it is, with the CRC-32 and sizes the worker measured,
 * instead of being compressed a second time here. Every other entry goes
 * through archiver unchanged. Local headers, data descriptors and the
 * central directory stay archiver's own, so the zip is the one archiver
 * would have written for the same deflate stream.
 *
 * The override sits on `_smartStream`, the one place compress-commons turns
 * an entry's source into entry data; the round-trip tests read every package
 * back with yauzl and `unzip -t`, so a change there in a later version fails
 * loudly.
 */
class PreDeflatedZipStream extends ZipStream {
  readonly deflated = new Map<string, DeflatedEntry>();

  protected override _smartStream(
    ae: ZipArchiveEntry,
    callback: (err: Error | null, entry: ZipArchiveEntry) => void,
  ): Transform {
    const entry = this.deflated.get(ae.getName());
    if (!entry) return super._smartStream(ae, callback);
    const check = new SpoolCheck(entry);
    check.once('end', () => {
      ae.setCrc(entry.crc32);
      ae.setSize(entry.bytes);
      ae.setCompressedSize(entry.compressedBytes);
      this._afterAppend(ae);
      callback(null, ae);
    });
    check.once('error', (err) => callback(err, ae));
    check.pipe(this, { end: false });
    return check;
  }
}

/** Passes the spooled deflate bytes through and fails unless they are exactly what the worker wrote. */
class SpoolCheck extends MeterTransform {
  constructor(private readonly entry: DeflatedEntry) {
    super();
  }

  override _flush(done: TransformCallback): void {
    const same = this.bytes === this.entry.compressedBytes && this.digest() === this.entry.compressedSha256;
    done(same ? null : new ExportError('write-error', `local spool of ${this.entry.name} changed between writing and packing`));
  }
}

/** The minimal format module archiver's core drives (what archiver's own zip plugin is). */
class PreDeflatedZipModule {
  readonly engine: PreDeflatedZipStream;

  constructor(options: ArchiverOptions) {
    this.engine = new PreDeflatedZipStream(options);
  }

  append(source: NodeJS.ReadableStream, data: object, callback: (err?: Error | null) => void): void {
    this.engine.entry(source, data, callback);
  }

  finalize(): void {
    this.engine.finalize();
  }

  on(...args: Parameters<ZipStream['on']>): ZipStream {
    return this.engine.on(...args);
  }

  pipe<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T {
    return this.engine.pipe(destination, options);
  }

  unpipe(destination?: NodeJS.WritableStream): ZipStream {
    return this.engine.unpipe(destination);
  }
}

interface ArchiverInternals {
  _format: string;
  _module: PreDeflatedZipModule;
  _supportsDirectory: boolean;
  _supportsSymlink: boolean;
  _modulePipe(): void;
}

/** A zip archive (archiver's ZipArchive, built the same way) that can take pre-deflated entries. */
export class PackageZipArchive extends Archiver {
  private readonly zip: PreDeflatedZipModule;

  constructor(options: ArchiverOptions = {}) {
    super(options);
    this.zip = new PreDeflatedZipModule(options);
    const self = this as unknown as ArchiverInternals;
    self._format = 'zip';
    self._module = this.zip;
    self._supportsDirectory = true;
    self._supportsSymlink = true;
    self._modulePipe();
  }

  /** Queues an entry whose data is the worker's spool file; the spool is re-hashed on its way in. */
  appendDeflated(entry: DeflatedEntry, date: Date): void {
    this.zip.engine.deflated.set(entry.name, entry);
    this.append(createReadStream(entry.spoolPath, { highWaterMark: 1 << 20 }), { name: entry.name, date, mode: 0o644 });
  }
}
