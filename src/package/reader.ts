import { isUtf8 } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type yauzl from 'yauzl';
import { type EntryName, PUBLIC_KEY_FILE, STICK_ROOT_FOLDER, parsePackageFileName } from './layout.js';
import { jsonTextFacts, parsedKeyCount } from './json-text.js';
import { KNOWN_FORMAT_VERSIONS, type ManifestV1, ManifestV1Schema, type ManifestV2, ManifestV2Schema } from './manifest.js';

/**
 * Reading packages from a stick or a folder, shared by `daystick verify` and
 * the head-office import so both see a stick the same way.
 */

export interface PackageLocation {
  /** Folder holding the package, `.../DAYSTICK/<customerNumber>-<registerId>`. */
  registerDir: string;
  /** `<customerNumber>-<registerId>` as the folder is named. */
  registerFolder: string;
  stem: string;
  businessDay: string;
  packageId: string;
  dataPath: string | null;
  manifestPath: string | null;
  signaturePath: string | null;
  /** `.part` files of this package: a write that never finished. */
  temporaryFiles: string[];
}

export type PackageFormatProblem = 'unknown-format-version' | 'bad-manifest' | 'bad-contents';

/** A manifest as it lies on the stick: version 1 carries everything, version 2 only the keyless half. */
export type StoredManifest = ManifestV1 | ManifestV2;

export class PackageFormatError extends Error {
  constructor(
    readonly problem: PackageFormatProblem,
    message: string,
  ) {
    super(message);
    this.name = 'PackageFormatError';
  }
}

/** Depth enough for a folder of mounted sticks (`/media/<user>/<stick>/DAYSTICK`). */
const MAX_SEARCH_DEPTH = 4;

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function subfolders(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory())
    .map((e) => join(dir, e.name))
    .sort();
}

/**
 * The register folders under `path`: `path` may be a stick's root, its
 * DAYSTICK folder, one register folder, or any folder with sticks or copies
 * of them below it.
 */
export async function findRegisterFolders(path: string): Promise<string[]> {
  if (!(await isDirectory(path))) {
    throw Object.assign(new Error(`${path} is not a folder`), { code: 'ENOTDIR' });
  }
  const found: string[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (basename(dir) === STICK_ROOT_FOLDER) {
      found.push(...(await subfolders(dir)));
      return;
    }
    const names = await readdir(dir);
    if (names.some((n) => parsePackageFileName(n) !== null || n === PUBLIC_KEY_FILE)) {
      found.push(dir);
      return;
    }
    if (depth >= MAX_SEARCH_DEPTH) return;
    for (const sub of await subfolders(dir)) await walk(sub, depth + 1);
  };
  await walk(path, 0);
  return found;
}

export async function listPackagesInRegisterFolder(registerDir: string): Promise<PackageLocation[]> {
  const byStem = new Map<string, PackageLocation>();
  for (const name of (await readdir(registerDir)).sort()) {
    const info = parsePackageFileName(name);
    if (!info) continue;
    let loc = byStem.get(info.stem);
    if (!loc) {
      loc = {
        registerDir,
        registerFolder: basename(registerDir),
        stem: info.stem,
        businessDay: info.businessDay,
        packageId: info.packageId,
        dataPath: null,
        manifestPath: null,
        signaturePath: null,
        temporaryFiles: [],
      };
      byStem.set(info.stem, loc);
    }
    const path = join(registerDir, name);
    if (info.temporary) loc.temporaryFiles.push(path);
    else if (info.role === 'data') loc.dataPath = path;
    else if (info.role === 'manifest') loc.manifestPath = path;
    else loc.signaturePath = path;
  }
  return [...byStem.values()];
}

/** Every package under `path`, ordered by register folder, then business day, then package id. */
export async function listPackages(path: string): Promise<PackageLocation[]> {
  const out: PackageLocation[] = [];
  for (const dir of await findRegisterFolders(path)) out.push(...(await listPackagesInRegisterFolder(dir)));
  return out;
}

/**
 * Parses a manifest, refusing an unknown format version before anything
 * else: a newer writer may have changed what every other field means.
 */
export function parseManifest(bytes: Buffer): StoredManifest {
  const json = checkedJsonObject(bytes, 'manifest', 'bad-manifest');
  const version = json.formatVersion as number;
  const parsed = (version === 1 ? ManifestV1Schema : ManifestV2Schema).safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new PackageFormatError(
      'bad-manifest',
      `manifest field ${first?.path.join('.') || '(root)'}: ${first?.message ?? 'invalid'}`,
    );
  }
  return parsed.data;
}

/**
 * Section 3's text rules, shared by the manifest and version 2's
 * contents.json: UTF-8, one object, no key twice, an integer formatVersion
 * this reader knows (checked before anything else), no CR, integers as digits.
 */
export function checkedJsonObject(bytes: Buffer, what: string, problem: 'bad-manifest' | 'bad-contents'): Record<string, unknown> {
  if (!isUtf8(bytes)) throw new PackageFormatError(problem, `${what} is not UTF-8`);
  const text = bytes.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new PackageFormatError(problem, `${what} is not JSON: ${(err as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new PackageFormatError(problem, `${what} is not a JSON object`);
  }
  // What every version shares (section 7): an object, no key twice, formatVersion written as an integer.
  const facts = jsonTextFacts(text);
  if (facts.keys !== parsedKeyCount(json)) {
    throw new PackageFormatError(problem, `${what} names a key twice`);
  }
  const version = (json as { formatVersion?: unknown }).formatVersion;
  if (!Number.isSafeInteger(version) || facts.fractionUnder === 'formatVersion') {
    throw new PackageFormatError(problem, `${what} has no integer formatVersion (${JSON.stringify(version) ?? 'absent'})`);
  }
  if (!KNOWN_FORMAT_VERSIONS.includes(version as number)) {
    throw new PackageFormatError(
      problem === 'bad-manifest' ? 'unknown-format-version' : problem,
      `${what} has format version ${JSON.stringify(version)}, this reader knows ${KNOWN_FORMAT_VERSIONS.join(' and ')}`,
    );
  }
  if (text.includes('\r')) throw new PackageFormatError(problem, `${what} contains a CR: lines end in LF alone`);
  if (facts.fractionUnder !== null) {
    throw new PackageFormatError(problem, `${what} field ${facts.fractionUnder}: a number is written with a fraction or exponent`);
  }
  return json as Record<string, unknown>;
}

/**
 * Read in one synchronous call: a manifest is a few KB, and a year's stick
 * holds hundreds, where the promise API's open, stat, read and close, each a
 * trip to the thread pool, cost ten times the read itself.
 */
export async function readManifest(manifestPath: string): Promise<{ manifest: StoredManifest; bytes: Buffer }> {
  const bytes = readFileSync(manifestPath);
  return { manifest: parseManifest(bytes), bytes };
}

/**
 * The zip reader, loaded when a data file is opened: a stick whose packages
 * head office already holds is recognised without opening one.
 */
let zipLibrary: Promise<typeof yauzl> | null = null;
async function openZip(dataPath: string): Promise<yauzl.ZipFile> {
  zipLibrary ??= import('yauzl').then((m) => m.default);
  return (await zipLibrary).openPromise(dataPath, { lazyEntries: true, strictFileNames: true });
}

/**
 * yauzl reports a failed close of its file descriptor as an 'error' event on
 * the zip; with no listener that kills the process. It happens when a stick is
 * pulled mid-read (ENOTCONN), where the read itself has already failed and
 * that failure is what the caller reports; a close error cannot change bytes
 * already read and checked.
 */
function ignoreCloseErrors(zip: yauzl.ZipFile): void {
  zip.on('error', () => undefined);
}

/** Opens each entry of a data zip in order and hands it to `visit`; the zip reader is yauzl, not the writer's library. */
export async function forEachEntry(
  dataPath: string,
  visit: (name: string, content: Readable, entry: yauzl.Entry) => Promise<void>,
  /** Sees each entry before it is opened; false skips it (an encrypted entry cannot be opened at all). */
  admit?: (entry: yauzl.Entry) => boolean,
): Promise<void> {
  const zip = await openZip(dataPath);
  ignoreCloseErrors(zip);
  try {
    for await (const entry of zip.eachEntry()) {
      if (admit && !admit(entry)) continue;
      const content = await zip.openReadStreamPromise(entry);
      await visit(entry.fileName, content, entry);
    }
  } finally {
    zip.close();
  }
}

/**
 * Splits a byte stream into NDJSON lines, a chunk's lines at a time (an
 * await per line cost a large day more than reading it); a last line
 * without LF is still a line (and a format error for the caller to see).
 */
export async function* ndjsonLineBatches(content: AsyncIterable<Buffer>, onChunk?: (chunk: Buffer) => void): AsyncGenerator<string[]> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  for await (const chunk of content) {
    onChunk?.(chunk);
    const text = rest + decoder.write(chunk);
    const lines: string[] = [];
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      lines.push(text.slice(start, nl));
      start = nl + 1;
    }
    rest = text.slice(start);
    if (lines.length > 0) yield lines;
  }
  rest += decoder.end();
  if (rest.length > 0) yield [rest];
}

/**
 * The records of one entry as parsed JSON, streamed a chunk's lines at a
 * time: what the head-office import reads after `verifyPackage` has passed
 * the package. Batches, because an await per record (a large day has
 * hundreds of thousands) cost the import more than parsing them.
 */
export async function* readEntryRecordBatches(dataPath: string, entryName: EntryName): AsyncGenerator<unknown[]> {
  const zip = await openZip(dataPath);
  ignoreCloseErrors(zip);
  try {
    for await (const entry of zip.eachEntry()) {
      if (entry.fileName !== entryName) continue;
      const content = await zip.openReadStreamPromise(entry);
      for await (const lines of ndjsonLineBatches(content)) {
        const batch: unknown[] = new Array(lines.length);
        for (let i = 0; i < lines.length; i++) batch[i] = JSON.parse(lines[i]!);
        yield batch;
      }
      return;
    }
    throw new PackageFormatError('bad-manifest', `${dataPath} has no entry ${entryName}`);
  } finally {
    zip.close();
  }
}

/** The records of one entry as parsed JSON, one at a time. */
export async function* readEntryRecords(dataPath: string, entryName: EntryName): AsyncGenerator<unknown> {
  for await (const batch of readEntryRecordBatches(dataPath, entryName)) yield* batch;
}

/**
 * One entry's records to take one by one without an await for each: `take`
 * while `buffered`, `await refill()` only when the batch is used up.
 */
export class RecordCursor {
  private batch: unknown[] = [];
  private at = 0;
  private readonly source: AsyncGenerator<unknown[]>;
  constructor(dataPath: string, entryName: EntryName) {
    this.source = readEntryRecordBatches(dataPath, entryName);
  }
  get buffered(): boolean {
    return this.at < this.batch.length;
  }
  take(): unknown {
    return this.batch[this.at++];
  }
  /** False at the entry's end. */
  async refill(): Promise<boolean> {
    while (this.at >= this.batch.length) {
      const step = await this.source.next();
      if (step.done) return false;
      this.batch = step.value;
      this.at = 0;
    }
    return true;
  }
  async close(): Promise<void> {
    await this.source.return(undefined);
  }
}
