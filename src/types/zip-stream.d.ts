/** The part of zip-stream 7 (archiver's zip engine, built on compress-commons) that package-zip.ts extends. */
declare module 'zip-stream' {
  import { Transform, type TransformOptions } from 'node:stream';

  export interface ZipArchiveEntry {
    getName(): string;
    setCrc(crc: number): void;
    setSize(size: number): void;
    setCompressedSize(size: number): void;
  }

  export default class ZipStream extends Transform {
    constructor(options?: TransformOptions & { zlib?: object; store?: boolean });
    entry(source: NodeJS.ReadableStream | Buffer | string, data: object, callback: (err?: Error | null) => void): this;
    finalize(): void;
    protected _smartStream(entry: ZipArchiveEntry, callback: (err: Error | null, entry: ZipArchiveEntry) => void): Transform;
    protected _afterAppend(entry: ZipArchiveEntry): void;
  }
}
