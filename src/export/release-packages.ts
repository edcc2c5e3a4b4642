import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ackFileTarget } from '../package/acknowledgement.js';
import { ACKS_FOLDER, isDataFileOf, packageFileNames, parsePackageFileName } from '../package/layout.js';
import { fsyncFolder } from '../durable/durable-file.js';

/** A committed package in a register folder: its manifest is there (section 2 of docs/stick-format.md). */
export interface PackageOnStick {
  stem: string;
  businessDay: string;
  packageId: string;
  /** SHA-256 of the manifest's exact bytes, to compare with an ack's `manifestSha256`. */
  manifestSha256: string;
  /** The data file the manifest names, when it is the package's own by section 1; null otherwise (then not removed). */
  dataFile: string | null;
}

/** Only the field the release needs; the verifier checks the rest. Loose, so a later format version still names its file. */
const NamesDataFile = z.object({ dataFile: z.object({ name: z.string().min(1) }) });

/** The file operations a release uses, replaceable so a test can stop it between two steps as a crash would. */
export interface ReleaseFs {
  unlink(path: string): Promise<void>;
}

const realFs: ReleaseFs = { unlink };

/** Every committed package of the folder, by package id. Unreadable manifests are left out: nothing is done to them. */
export async function packagesOnStick(registerFolder: string): Promise<Map<string, PackageOnStick>> {
  const out = new Map<string, PackageOnStick>();
  let names: string[];
  try {
    names = await readdir(registerFolder);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw err;
  }
  for (const name of names) {
    const info = parsePackageFileName(name);
    if (!info || info.temporary || info.role !== 'manifest') continue;
    let bytes: Buffer;
    try {
      bytes = await readFile(join(registerFolder, name));
    } catch {
      continue;
    }
    let dataFile: string | null = null;
    try {
      const parsed = NamesDataFile.safeParse(JSON.parse(bytes.toString('utf8')));
      if (parsed.success && isDataFileOf(parsed.data.dataFile.name, info.stem)) dataFile = parsed.data.dataFile.name;
    } catch {
      // Not JSON: the manifest's hash can match no ack, so the package is never released.
    }
    out.set(info.packageId, {
      stem: info.stem,
      businessDay: info.businessDay,
      packageId: info.packageId,
      manifestSha256: createHash('sha256').update(bytes).digest('hex'),
      dataFile,
    });
  }
  return out;
}

/**
 * Removes one package in the order of section 9.3: manifest first (the
 * package then no longer exists, and what is left is an interrupted write
 * every reader refuses), data file, signature, and the package's acks last.
 * Only regular files are removed. Any failure stops the release right there;
 * the next visit finishes it.
 */
export async function releasePackage(registerFolder: string, pkg: PackageOnStick, fs: ReleaseFs = realFs): Promise<void> {
  const names = packageFileNames(pkg.stem);
  await removeFile(join(registerFolder, names.manifest), fs);
  await fsyncFolder(registerFolder);
  if (pkg.dataFile !== null) await removeFile(join(registerFolder, pkg.dataFile), fs);
  await removeFile(join(registerFolder, names.signature), fs);
  await removeAcksOf(registerFolder, new Set([pkg.packageId]), fs);
}

/**
 * The acks (any head-office key, complete or `.part`) of the given packages;
 * the caller names only packages whose manifest is gone and that it recorded
 * as confirmed. Returns the names removed.
 */
export async function removeAcksOf(registerFolder: string, packageIds: ReadonlySet<string>, fs: ReleaseFs = realFs): Promise<string[]> {
  const folder = join(registerFolder, ACKS_FOLDER);
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const removed: string[] = [];
  for (const name of names.sort()) {
    const target = ackFileTarget(name);
    if (!target || !packageIds.has(target.packageId)) continue;
    if (await removeFile(join(folder, name), fs)) removed.push(name);
  }
  if (removed.length > 0) await fsyncFolder(folder);
  return removed;
}

async function removeFile(path: string, fs: ReleaseFs): Promise<boolean> {
  try {
    if (!(await lstat(path)).isFile()) return false;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  await fs.unlink(path);
  return true;
}
