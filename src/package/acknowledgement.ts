import { type KeyObject, createPrivateKey, sign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { writeFileDurably } from '../durable/durable-file.js';
import { BusinessDaySchema } from '../host/business-day.js';
import { ACKS_FOLDER, TEMP_SUFFIX } from './layout.js';
import { publicKeyIdOf, publicKeyObjectOf } from './signing.js';

/**
 * Head office's signed receipt for one imported package, written into the
 * register's own folder on the stick (`DAYSTICK/<customer>-<register>/acks/`).
 * The register reads them at its next stick to mark days confirmed. Each ack
 * is one file holding the exact signed bytes as a string, so nothing about
 * JSON key order or whitespace can break a signature; the public key sits
 * beside it, named by its id, so acks of several head-office machines coexist.
 */
export const ACK_FORMAT_VERSION = 1;
export const ACK_SUFFIX = '.ack.json';
const HEAD_OFFICE_KEY_PREFIX = 'headoffice-';
const HEAD_OFFICE_KEY_SUFFIX = '.pub';

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
const Count = z.number().int().min(0);

export const AckStatusSchema = z.enum(['imported', 'already-imported', 'partially-conflicting']);
export type AckStatus = z.infer<typeof AckStatusSchema>;

export const AckCountsSchema = z.strictObject({
  receiptsNew: Count,
  receiptsAlreadyPresent: Count,
  receiptConflicts: Count,
  stockPostingsNew: Count,
  stockPostingsAlreadyPresent: Count,
  stockPostingConflicts: Count,
  /** Left out on purpose (`--without-stock-postings`), not lost. */
  stockPostingsSkipped: Count,
  timeRecordsNew: Count,
  timeRecordsAlreadyPresent: Count,
  timeRecordConflicts: Count,
  quarantinedKept: Count,
});
export type AckCounts = z.infer<typeof AckCountsSchema>;

export const AcknowledgementSchema = z.strictObject({
  formatVersion: z.literal(ACK_FORMAT_VERSION),
  packageId: z.uuid(),
  customerNumber: z.string().min(1),
  registerId: z.string().min(1),
  businessDay: BusinessDaySchema,
  packageKind: z.enum(['day-close', 're-send']),
  /** SHA-256 of the manifest head office imported: ties the ack to exactly that package. */
  manifestSha256: Sha256Hex,
  importedAt: z.iso.datetime({ offset: true }),
  status: AckStatusSchema,
  counts: AckCountsSchema,
  headOfficeKeyId: Sha256Hex,
});
export type Acknowledgement = z.infer<typeof AcknowledgementSchema>;

/** The file on the stick: the acknowledgement's exact JSON text and an Ed25519 signature (Base64) over its UTF-8 bytes. */
export const AckFileSchema = z.strictObject({ payload: z.string().min(2), signature: z.string() });

export function ackFileName(businessDay: string, packageId: string): string {
  return `${businessDay}_${packageId}${ACK_SUFFIX}`;
}

/**
 * The name of a further head-office machine's ack of a package whose plain
 * name holds another key's ack: both stay, and registers that read only the
 * plain name (earlier builds) keep confirming by the first machine's ack.
 */
export function keyedAckFileName(businessDay: string, packageId: string, keyId: string): string {
  return `${businessDay}_${packageId}_${keyId.slice(0, 16)}${ACK_SUFFIX}`;
}

export function headOfficeKeyFileName(keyId: string): string {
  return `${HEAD_OFFICE_KEY_PREFIX}${keyId.slice(0, 16)}${HEAD_OFFICE_KEY_SUFFIX}`;
}

export interface HeadOfficeSigningKey {
  privateKeyPem: string;
  publicKeyPem: string;
}

/**
 * Writes (or replaces) the acknowledgement of one package, key file first,
 * each durably (`.part`, fsync, rename, folder fsync), so an ack on the
 * stick is always complete and verifiable. Returns the ack's path.
 */
export async function writeAcknowledgement(
  registerFolderPath: string,
  ack: Omit<Acknowledgement, 'formatVersion' | 'headOfficeKeyId'>,
  key: HeadOfficeSigningKey,
  signal: AbortSignal = new AbortController().signal,
  /** `keyed`: beside another head-office key's ack of the same package, under `keyedAckFileName`. */
  name: 'plain' | 'keyed' = 'plain',
): Promise<string> {
  const headOfficeKeyId = publicKeyIdOf(key.publicKeyPem);
  const full = AcknowledgementSchema.parse({ formatVersion: ACK_FORMAT_VERSION, ...ack, headOfficeKeyId });
  const folderName = basename(registerFolderPath);
  if (folderName !== `${full.customerNumber}-${full.registerId}`) {
    throw new Error(`acknowledgement for register ${full.customerNumber}-${full.registerId} cannot go into folder ${folderName}`);
  }
  const acks = join(registerFolderPath, ACKS_FOLDER);
  await mkdir(acks, { recursive: true });
  const keyPath = join(acks, headOfficeKeyFileName(headOfficeKeyId));
  const presentKey = await readFile(keyPath, 'utf8').catch(() => null);
  if (presentKey !== key.publicKeyPem) await writeFileDurably(keyPath, key.publicKeyPem, signal);
  const fileName =
    name === 'keyed' ? keyedAckFileName(full.businessDay, full.packageId, headOfficeKeyId) : ackFileName(full.businessDay, full.packageId);
  const path = join(acks, fileName);
  await writeFileDurably(path, signedAckFileText(JSON.stringify(full), key), signal);
  return path;
}

/** The ack's payload exactly as writeAcknowledgement signs it (checked by the schema, in its field order). */
export function acknowledgementPayload(ack: Omit<Acknowledgement, 'formatVersion' | 'headOfficeKeyId'>, key: HeadOfficeSigningKey): string {
  return JSON.stringify(AcknowledgementSchema.parse({ formatVersion: ACK_FORMAT_VERSION, ...ack, headOfficeKeyId: publicKeyIdOf(key.publicKeyPem) }));
}

/** The file's text for a payload: what writeAcknowledgement writes, byte for byte. */
function signedAckFileText(payload: string, key: HeadOfficeSigningKey): string {
  const signature = sign(null, Buffer.from(payload, 'utf8'), privateKeyObjectOf(key.privateKeyPem)).toString('base64');
  return `${JSON.stringify({ payload, signature })}\n`;
}

/**
 * Whether `fileText` is, byte for byte, the ack this head-office key writes
 * for one of `payloads`. Ed25519 signs deterministically, so the same payload
 * under the same key is the same file: such a file carries a valid signature
 * without verifying it (a signature costs a third of a verification), and
 * without parsing it. Any other text, a valid ack among them, answers false
 * and is for readAcknowledgements to judge.
 */
export function isOwnAckFile(fileText: string, payloads: readonly string[], key: HeadOfficeSigningKey): boolean {
  for (const payload of payloads) {
    // The envelope's first field is the payload: a file of another payload is told apart without signing.
    if (fileText.startsWith(`{"payload":${JSON.stringify(payload)},`) && fileText === signedAckFileText(payload, key)) return true;
  }
  return false;
}

/** Head office's private key parsed once per text (each sign from the PEM text parsed it again); bounded like the public keys'. */
const PRIVATE_KEYS = new Map<string, KeyObject>();
function privateKeyObjectOf(privateKeyPem: string): KeyObject {
  let key = PRIVATE_KEYS.get(privateKeyPem);
  if (key === undefined) {
    key = createPrivateKey(privateKeyPem);
    if (PRIVATE_KEYS.size >= 16) PRIVATE_KEYS.delete(PRIVATE_KEYS.keys().next().value!);
    PRIVATE_KEYS.set(privateKeyPem, key);
  }
  return key;
}

export type AckProblem =
  /** A `.part` file: the write stopped before its rename. */
  | 'interrupted-write'
  | 'unreadable'
  | 'bad-format'
  | 'unknown-format-version'
  | 'missing-public-key'
  /** The key file beside the ack is not the key the ack names. */
  | 'foreign-key'
  /** Signed by a head-office key other than the one the caller trusts. */
  | 'untrusted-key'
  | 'bad-signature'
  /** The ack's register, day or package disagree with its folder or file name. */
  | 'misplaced';

export interface ValidAcknowledgement extends Acknowledgement {
  valid: true;
  /** Absolute path of the ack file. */
  file: string;
}

export interface InvalidAcknowledgement {
  valid: false;
  file: string;
  status: 'invalid';
  problem: AckProblem;
  message: string;
  /** From the file name when the content cannot be trusted; null when not even that parses. */
  packageId: string | null;
  businessDay: string | null;
  importedAt: null;
}

export type AcknowledgementReading = ValidAcknowledgement | InvalidAcknowledgement;

export interface ReadAcknowledgementsOptions {
  /** When set, an ack signed by any other head-office key is invalid (`untrusted-key`). */
  trustedHeadOfficeKeyId?: string;
}

const ACK_NAME = /^([0-9]{8})_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:_([0-9a-f]{16}))?\.ack\.json(\.part)?$/;

/** The package an ack file (plain or keyed name, complete or `.part`) is named after; null for any other file. */
export function ackFileTarget(fileName: string): { businessDay: string; packageId: string } | null {
  const m = ACK_NAME.exec(fileName);
  return m ? { businessDay: m[1]!, packageId: m[2]! } : null;
}

/**
 * Every acknowledgement in a register folder, verified. Nothing is skipped:
 * an ack that fails any check comes back as `valid: false` with its cause,
 * and so does a stray `.part` or unrecognised `.ack.json` file. A folder
 * without `acks/` simply has none.
 */
export async function readAcknowledgements(
  registerFolderPath: string,
  options: ReadAcknowledgementsOptions = {},
): Promise<AcknowledgementReading[]> {
  const acks = join(registerFolderPath, ACKS_FOLDER);
  let names: string[];
  try {
    names = (await readdir(acks)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const folderName = basename(registerFolderPath);
  // Every ack of one head-office machine names the same key file: read once per folder and pass, not once per ack.
  const keyFiles = new Map<string, Promise<string | null>>();
  const readKeyFile = (keyFile: string) => {
    let text = keyFiles.get(keyFile);
    if (text === undefined) {
      text = readFile(keyFile, 'utf8').catch(() => null);
      keyFiles.set(keyFile, text);
    }
    return text;
  };
  const out: AcknowledgementReading[] = [];
  for (const name of names) {
    const isAckFile = name.endsWith(ACK_SUFFIX) || name.endsWith(`${ACK_SUFFIX}${TEMP_SUFFIX}`);
    if (!isAckFile) continue;
    out.push(await readOne(acks, name, folderName, options, readKeyFile));
  }
  return out;
}

async function readOne(
  acks: string,
  name: string,
  folderName: string,
  options: ReadAcknowledgementsOptions,
  readKeyFile: (keyFile: string) => Promise<string | null>,
): Promise<AcknowledgementReading> {
  const file = join(acks, name);
  const m = ACK_NAME.exec(name);
  const invalid = (problem: AckProblem, message: string): InvalidAcknowledgement => ({
    valid: false,
    file,
    status: 'invalid',
    problem,
    message,
    packageId: m?.[2] ?? null,
    businessDay: m?.[1] ?? null,
    importedAt: null,
  });
  if (!m) return invalid('bad-format', `${name} is not named <YYYYMMDD>_<package id>[_<key id>]${ACK_SUFFIX}`);
  if (m[4]) return invalid('interrupted-write', `${name}: the acknowledgement's write did not finish`);

  let text: string;
  try {
    // One synchronous call for a file of a few hundred bytes: a year's stick holds hundreds of acks (readManifest says why).
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return invalid('unreadable', `${name}: ${(err as Error).message}`);
  }
  let envelope: z.infer<typeof AckFileSchema>;
  let json: unknown;
  try {
    envelope = AckFileSchema.parse(JSON.parse(text));
    json = JSON.parse(envelope.payload);
  } catch {
    return invalid('bad-format', `${name} is not a daystick acknowledgement (JSON with payload and signature)`);
  }
  const version = (json as { formatVersion?: unknown } | null)?.formatVersion;
  if (version !== ACK_FORMAT_VERSION) {
    return invalid('unknown-format-version', `${name} has format version ${JSON.stringify(version)}, this reader knows ${ACK_FORMAT_VERSION}`);
  }
  const parsed = AcknowledgementSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return invalid('bad-format', `${name} field ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  const ack = parsed.data;

  const keyFile = join(acks, headOfficeKeyFileName(ack.headOfficeKeyId));
  const publicKeyPem = await readKeyFile(keyFile);
  if (publicKeyPem === null) return invalid('missing-public-key', `${name}: head-office key ${basename(keyFile)} is missing`);
  let keyId: string;
  try {
    keyId = publicKeyIdOf(publicKeyPem);
  } catch {
    return invalid('missing-public-key', `${name}: ${basename(keyFile)} is not a readable public key`);
  }
  if (keyId !== ack.headOfficeKeyId) return invalid('foreign-key', `${name}: ${basename(keyFile)} holds another key than the ack names`);
  if (options.trustedHeadOfficeKeyId !== undefined && keyId !== options.trustedHeadOfficeKeyId) {
    return invalid('untrusted-key', `${name}: signed by head-office key ${keyId.slice(0, 16)}…, which this register does not trust`);
  }
  if (!signatureValid(envelope.payload, envelope.signature, publicKeyPem)) {
    return invalid('bad-signature', `${name}: signature does not verify with head-office key ${keyId.slice(0, 16)}…`);
  }
  if (
    ack.businessDay !== m[1] ||
    ack.packageId !== m[2] ||
    (m[3] !== undefined && m[3] !== ack.headOfficeKeyId.slice(0, 16)) ||
    `${ack.customerNumber}-${ack.registerId}` !== folderName
  ) {
    return invalid(
      'misplaced',
      `${name}: acknowledges ${ack.customerNumber}-${ack.registerId} day ${ack.businessDay} package ${ack.packageId} signed by key ${ack.headOfficeKeyId.slice(0, 16)}…, found as ${folderName}/${name}`,
    );
  }
  return { valid: true, file, ...ack };
}

function signatureValid(payload: string, signatureBase64: string, publicKeyPem: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(signatureBase64)) return false;
  const signature = Buffer.from(signatureBase64, 'base64');
  if (signature.length !== 64) return false;
  try {
    return verify(null, Buffer.from(payload, 'utf8'), publicKeyObjectOf(publicKeyPem), signature);
  } catch {
    return false;
  }
}
