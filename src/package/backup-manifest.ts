import { createHash } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { BusinessDaySchema } from '../host/business-day.js';
import { jsonTextFacts, parsedKeyCount } from './json-text.js';
import { SAFE_NAME_PART, STICK_ROOT_FOLDER, TEMP_SUFFIX } from './layout.js';
import { manifestSignatureValid, publicKeyIdOf, signatureFileProblem } from './signing.js';

/**
 * The master-data backup's own commit record (docs/stick-format.md, 10.1):
 * without it a backup file on the stick is an interrupted one, and with it
 * head office knows whose database the file is, signed by that register's
 * key, before a single record of it reaches the central journal.
 */
export const BACKUP_MANIFEST_FILE = 'backup.manifest.json';
export const BACKUP_SIGNATURE_FILE = 'backup.manifest.sig';
/** 2: the backup file is age ciphertext to head office (`encryption: "age"`); 1 was the clear file. */
export const BACKUP_MANIFEST_VERSION = 2;
/** age's header line: a backup file that does not start with it is not encrypted and is never committed. */
export const AGE_HEADER = 'age-encryption.org/v1\n';
/** Section 10's folder; the writer's `BACKUP_FOLDER` (src/export) names the same. */
const BACKUP_FOLDER_NAME = 'masterdata';

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
const NamePart = z
  .string()
  .regex(SAFE_NAME_PART)
  .refine((v) => !v.endsWith('.'), 'must not end with .');
const RESERVED = new Set([BACKUP_MANIFEST_FILE, BACKUP_SIGNATURE_FILE, '.', '..']);

/** A plain name inside `masterdata/`: the manifest must not point a reader anywhere else. */
export const BackupFileNameSchema = z
  .string()
  .min(1)
  .max(255)
  .refine((n) => !/[/\\\0]/.test(n), 'must be a plain file name (no / \\ or NUL)')
  .refine((n) => !RESERVED.has(n) && !n.endsWith(TEMP_SUFFIX), 'must not be a reserved or temporary name');

export const BackupManifestSchema = z.strictObject({
  formatVersion: z.literal(BACKUP_MANIFEST_VERSION),
  kind: z.literal('master-data-backup'),
  customerNumber: NamePart,
  registerId: NamePart,
  businessDay: BusinessDaySchema,
  createdAt: z.iso.datetime({ offset: true }),
  file: z.strictObject({
    name: BackupFileNameSchema,
    bytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    sha256: Sha256Hex,
  }),
  encryption: z.literal('age'),
  signatureAlgorithm: z.literal('Ed25519'),
  publicKeyId: Sha256Hex,
});
export type BackupManifest = z.infer<typeof BackupManifestSchema>;

/** Section 10.2's problem names, in its order. */
export type BackupProblem =
  | 'missing-manifest'
  | 'interrupted-write'
  | 'bad-manifest'
  | 'unknown-format-version'
  | 'identity-mismatch'
  | 'misplaced'
  | 'unknown-register'
  | 'pinned-key-conflict'
  | 'missing-signature'
  | 'bad-signature'
  | 'missing-data'
  | 'data-hash-mismatch'
  | 'decrypt-failed';

export class BackupRefusedError extends Error {
  override name = 'BackupRefusedError';
  constructor(
    readonly problem: BackupProblem,
    message: string,
  ) {
    super(message);
  }
}

/** The manifest's bytes as the writer writes them: two-space JSON and a final LF, as a package manifest. */
export function backupManifestBytes(manifest: BackupManifest): Buffer {
  return Buffer.from(`${JSON.stringify(BackupManifestSchema.parse(manifest), null, 2)}\n`);
}

/** Parses the manifest's exact bytes, refusing an unknown version before reading any other field. */
export function parseBackupManifest(bytes: Buffer): BackupManifest {
  const bad = (why: string) => new BackupRefusedError('bad-manifest', `the backup manifest ${why}`);
  if (!isUtf8(bytes)) throw bad('is not UTF-8');
  const text = bytes.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw bad(`is not JSON: ${(err as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw bad('is not a JSON object');
  const facts = jsonTextFacts(text);
  if (facts.keys !== parsedKeyCount(json)) throw bad('names a key twice');
  const version = (json as { formatVersion?: unknown }).formatVersion;
  if (!Number.isSafeInteger(version) || facts.fractionUnder === 'formatVersion') {
    throw bad(`has no integer formatVersion (${JSON.stringify(version) ?? 'absent'})`);
  }
  if (version !== BACKUP_MANIFEST_VERSION) {
    throw new BackupRefusedError(
      'unknown-format-version',
      `the backup manifest has format version ${JSON.stringify(version)}; this program knows only ${BACKUP_MANIFEST_VERSION}: update daystick`,
    );
  }
  if (text.includes('\r')) throw bad('contains a CR: lines end in LF alone');
  if (facts.fractionUnder !== null)
    throw bad(`field ${facts.fractionUnder}: a number is written with a fraction or exponent`);
  const parsed = BackupManifestSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw bad(`field ${first?.path.join('.') || '(root)'}: ${first?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

export interface PinnedRegisterKey {
  publicKeyId: string;
  publicKeyPem: string;
}

export interface OpenBackupOptions {
  /** The backup folder (`masterdata/`), or the backup file inside it. */
  path: string;
  /** What the clerk typed: must be the manifest's identity character for character. */
  customerNumber: string;
  registerId: string;
  /** Head office's pinned key of the manifest's register, or null when it has none. */
  pinnedKey(customerNumber: string, registerId: string): Promise<PinnedRegisterKey | null>;
  /** Where the checked copy goes; the caller owns and removes it. */
  copyTo: string;
}

export interface CheckedBackup {
  manifest: BackupManifest;
  folder: string;
  /** The private copy whose bytes were hashed on the way: the only file a reader then opens. */
  copyPath: string;
}

async function readIfPresent(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * Section 10.2 in order: the backup is refused by name on the first check it
 * fails. The file is hashed while it is copied, so a file that changes on the
 * stick after the check cannot slip different bytes past it.
 */
export async function openCheckedBackup(options: OpenBackupOptions): Promise<CheckedBackup> {
  const given = await lstat(options.path).catch(() => null);
  if (given === null) {
    throw new BackupRefusedError(
      'missing-manifest',
      `${options.path} does not exist: give the register's master-data backup folder`,
    );
  }
  const folder = given.isDirectory() ? options.path : dirname(options.path);
  const manifestBytes = await readIfPresent(join(folder, BACKUP_MANIFEST_FILE));
  if (manifestBytes === null) {
    throw new BackupRefusedError(
      'missing-manifest',
      `${folder} holds no ${BACKUP_MANIFEST_FILE}: the backup is incomplete (the stick was pulled or the close stopped during the backup) or this is not a backup written by a register; nothing was read`,
    );
  }
  const parts = (await readdir(folder)).filter((n) => n.endsWith(TEMP_SUFFIX));
  if (parts.length > 0) {
    throw new BackupRefusedError(
      'interrupted-write',
      `${folder} still holds ${parts.join(', ')}: a backup was interrupted there; nothing was read`,
    );
  }
  const manifest = parseBackupManifest(manifestBytes);
  const typed = `${options.customerNumber}-${options.registerId}`;
  const inManifest = `${manifest.customerNumber}-${manifest.registerId}`;
  if (manifest.customerNumber !== options.customerNumber || manifest.registerId !== options.registerId) {
    throw new BackupRefusedError(
      'identity-mismatch',
      `this backup belongs to customer number ${manifest.customerNumber}, register ${manifest.registerId}, ` +
        `but customer number ${options.customerNumber}, register ${options.registerId} was typed: ` +
        `check --customer and --register against the register; nothing was imported`,
    );
  }
  const registerFolder = dirname(folder);
  if (
    basename(folder) === BACKUP_FOLDER_NAME &&
    basename(dirname(registerFolder)) === STICK_ROOT_FOLDER &&
    basename(registerFolder) !== inManifest
  ) {
    throw new BackupRefusedError(
      'misplaced',
      `the backup manifest names register ${inManifest} but lies in the folder of ${basename(registerFolder)}; nothing was imported`,
    );
  }
  const pinned = await options.pinnedKey(manifest.customerNumber, manifest.registerId);
  if (pinned === null) {
    throw new BackupRefusedError(
      'unknown-register',
      `head office has never imported a package of register ${typed}, so it has no key to check this backup against: ` +
        'import one of its day packages first; nothing was imported',
    );
  }
  if (pinned.publicKeyId !== manifest.publicKeyId || publicKeyIdOf(pinned.publicKeyPem) !== pinned.publicKeyId) {
    throw new BackupRefusedError(
      'pinned-key-conflict',
      `this backup is signed by key ${manifest.publicKeyId.slice(0, 16)}…, but register ${typed} is pinned to key ` +
        `${pinned.publicKeyId.slice(0, 16)}…: it is not that register's backup; nothing was imported`,
    );
  }
  const signature = await readIfPresent(join(folder, BACKUP_SIGNATURE_FILE));
  if (signature === null) {
    throw new BackupRefusedError(
      'missing-signature',
      `${folder} holds no ${BACKUP_SIGNATURE_FILE}; nothing was imported`,
    );
  }
  const signatureText = signature.toString('latin1');
  const form = signatureFileProblem(signatureText);
  if (form !== null || !manifestSignatureValid(manifestBytes, signatureText, pinned.publicKeyPem)) {
    throw new BackupRefusedError(
      'bad-signature',
      `the backup manifest's signature ${form ?? "does not verify with the register's pinned key"}: the manifest was changed or damaged; nothing was imported`,
    );
  }
  const dataPath = join(folder, manifest.file.name);
  const hash = createHash('sha256');
  let bytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  const dataInfo = await lstat(dataPath).catch(() => null);
  if (dataInfo === null || !dataInfo.isFile()) {
    throw new BackupRefusedError(
      'missing-data',
      `the backup file ${manifest.file.name} is missing from ${folder}; nothing was imported`,
    );
  }
  await pipeline(createReadStream(dataPath), meter, createWriteStream(options.copyTo, { flags: 'wx', mode: 0o600 }));
  const sha256 = hash.digest('hex');
  if (bytes !== manifest.file.bytes || sha256 !== manifest.file.sha256) {
    throw new BackupRefusedError(
      'data-hash-mismatch',
      `the backup file ${manifest.file.name} is not the file the register signed ` +
        `(${bytes} bytes, SHA-256 ${sha256.slice(0, 16)}…; the manifest says ${manifest.file.bytes} bytes, ${manifest.file.sha256.slice(0, 16)}…): ` +
        'it was changed or damaged; nothing was imported',
    );
  }
  return { manifest, folder, copyPath: options.copyTo };
}
