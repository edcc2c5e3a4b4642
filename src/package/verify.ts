import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashFile } from '../durable/durable-file.js';
import type yauzl from 'yauzl';
import type { z } from 'zod';
import { ControlTotalsAccumulator } from './control-totals.js';
import {
  fastPaymentRowOk,
  fastReceiptLineRowOk,
  fastReceiptRowOk,
  fastStockPostingOk,
  fastTimeRecordOk,
} from './fast-checks.js';
import { DecryptError, decryptFile } from './age-file.js';
import { DATA_SUFFIX, DATA_SUFFIX_V1, ENTRY_NAMES, type EntryName, PUBLIC_KEY_FILE } from './layout.js';
import { jsonTextFacts, parsedKeyCount } from './json-text.js';
import { CONTENTS_ENTRY, type Contents, ContentsSchema, type Manifest, type ManifestV2, joinContents } from './manifest.js';
import {
  PackageFormatError,
  type PackageLocation,
  type StoredManifest,
  checkedJsonObject,
  forEachEntry,
  ndjsonLineBatches,
  readManifest,
} from './reader.js';
import {
  type PaymentRow,
  PaymentRowSchema,
  type ReceiptLineRow,
  type ReceiptRow,
  QuarantineRowSchema,
  ReceiptLineRowSchema,
  ReceiptRowSchema,
  StockPostingRowSchema,
  TimeRecordRowSchema,
} from './rows.js';
import { manifestSignatureValid, publicKeyIdOf, registerKeyProblem, signatureFileProblem } from './signing.js';

export type PackageProblemCode =
  /** No manifest: the write stopped before its commit record. */
  | 'interrupted-write'
  | 'unknown-format-version'
  | 'bad-manifest'
  /** The manifest's day, package id or register disagree with the file and folder names. */
  | 'misplaced'
  | 'missing-signature'
  | 'missing-public-key'
  /** Signed with a key other than the register.pub beside it. */
  | 'foreign-key'
  | 'bad-signature'
  | 'missing-data'
  /** The data file is shorter than the manifest says. */
  | 'truncated'
  | 'data-hash-mismatch'
  /** Version 2: no identity opens the data file, or its encrypted payload does not authenticate. */
  | 'decrypt-failed'
  /** Version 2: contents.json missing, not last, or not what section 5.1 says. */
  | 'bad-contents'
  /** Version 2: contents.json names another package, register or day than the signed manifest. */
  | 'contents-mismatch'
  | 'unreadable-zip'
  /** A zip, but with what section 5 rules out: ZIP64, encryption, a compression other than deflate or stored. */
  | 'bad-zip'
  /** Entries not in section 5's order, or the manifest's list not in zip order. */
  | 'entry-order'
  | 'missing-entry'
  | 'unexpected-entry'
  | 'hash-mismatch'
  | 'count-mismatch'
  | 'bad-record'
  /** The same receiptId, postingId or recordId twice in one package. */
  | 'duplicate-id'
  /** A line or payment of a receipt that is not in receipts.ndjson. */
  | 'orphan-row'
  /** Version 2: a receipt signed by a security module the closing's tseModules does not name. */
  | 'unknown-tse-module'
  | 'control-totals-mismatch';

export interface PackageProblem {
  code: PackageProblemCode;
  message: string;
  entry?: EntryName | string;
}

export interface PackageVerdict {
  location: PackageLocation;
  /** What the package says, in version 1's shape: null when the manifest is unreadable or a version-2 package was not decrypted. */
  manifest: Manifest | null;
  /** The manifest as it lies on the stick. */
  stored: StoredManifest | null;
  /** The manifest's bytes exactly as read and checked (signature included), so a caller hashes what was verified. */
  manifestBytes: Buffer | null;
  /** False for a version-2 package checked without head office's identity: its zip was not looked at. */
  contentsChecked: boolean;
  /** Version 2 with `plainDir`: the decrypted zip, for the import to read; the caller removes it. */
  plainDataPath: string | null;
  problems: PackageProblem[];
  ok: boolean;
}

export interface VerifyOptions {
  /** Head office's age identities (`AGE-SECRET-KEY-1…`); without them a version-2 package's contents go unchecked. */
  identities?: readonly string[];
  /** Where to leave the decrypted zip of a version-2 package (else it is removed after the check). */
  plainDir?: string;
  /**
   * `register.pub` per register folder, read once for one pass over a stick
   * (the caller's map, filled as folders are met): every package of a folder
   * is checked against that folder's own file, never another folder's.
   */
  registerKeys?: RegisterKeyTexts;
}

/** `register.pub`'s text per register folder path; null when it could not be read. */
export type RegisterKeyTexts = Map<string, Promise<string | null>>;

/** A key file of a few hundred bytes in one synchronous read (readManifest says why); null when it cannot be read. */
async function readSmallText(path: string): Promise<string | null> {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** The folder's register.pub as this pass read it (once); the import pins exactly the text that verified the signature. */
export function registerKeyText(registerDir: string, cache: RegisterKeyTexts | undefined): Promise<string | null> {
  let text = cache?.get(registerDir);
  if (text === undefined) {
    text = readSmallText(join(registerDir, PUBLIC_KEY_FILE));
    cache?.set(registerDir, text);
  }
  return text;
}

/** Per entry: the row schema, and a fast check never laxer than it that spares zod on well-formed rows. */
const ROW_CHECKS: Record<EntryName, { schema: z.ZodType; fast: (row: unknown) => boolean }> = {
  'receipts.ndjson': { schema: ReceiptRowSchema, fast: fastReceiptRowOk },
  'receipt-lines.ndjson': { schema: ReceiptLineRowSchema, fast: fastReceiptLineRowOk },
  'payments.ndjson': { schema: PaymentRowSchema, fast: fastPaymentRowOk },
  'stock-postings.ndjson': { schema: StockPostingRowSchema, fast: fastStockPostingOk },
  'time-records.ndjson': { schema: TimeRecordRowSchema, fast: fastTimeRecordOk },
  'quarantine.ndjson': { schema: QuarantineRowSchema, fast: () => false },
};

/**
 * Checks one package completely: manifest, signature and key, data file
 * hash, every entry's hash, byte size and record count, every row against its
 * schema, and the control totals recomputed from the rows. It collects every
 * problem rather than stopping at the first, so a report names them all.
 */
export async function verifyPackage(location: PackageLocation, options: VerifyOptions = {}): Promise<PackageVerdict> {
  const problems: PackageProblem[] = [];
  let stored: StoredManifest | null = null;
  let storedBytes: Buffer | null = null;
  let contentsChecked = true;
  let plainDataPath: string | null = null;
  const verdict = (manifest: Manifest | null): PackageVerdict => ({
    location,
    manifest,
    stored,
    manifestBytes: storedBytes,
    contentsChecked,
    plainDataPath,
    problems,
    ok: problems.length === 0,
  });

  if (!location.manifestPath) {
    const leftovers = location.temporaryFiles.length + (location.dataPath ? 1 : 0) + (location.signaturePath ? 1 : 0);
    problems.push({
      code: 'interrupted-write',
      message: `no manifest: the write of package ${location.stem} was interrupted (${leftovers} file(s) left without a commit record)`,
    });
    return verdict(null);
  }

  let manifest: StoredManifest;
  let manifestBytes: Buffer;
  try {
    ({ manifest, bytes: manifestBytes } = await readManifest(location.manifestPath));
    stored = manifest;
    storedBytes = manifestBytes;
  } catch (err) {
    if (err instanceof PackageFormatError) {
      problems.push({ code: err.problem, message: err.message });
      return verdict(null);
    }
    throw err;
  }

  if (manifest.businessDay !== location.businessDay || manifest.packageId !== location.packageId) {
    problems.push({ code: 'misplaced', message: `manifest names day ${manifest.businessDay} package ${manifest.packageId}, the file is ${location.stem}` });
  }
  const ownData = `${location.stem}${manifest.formatVersion === 1 ? DATA_SUFFIX_V1 : DATA_SUFFIX}`;
  if (manifest.dataFile.name !== ownData) {
    problems.push({ code: 'misplaced', message: `manifest names data file ${manifest.dataFile.name}, its own is ${ownData}` });
  }
  // A version-2 folder entry of the other version's name is not this package's data file.
  if (location.dataPath && !location.dataPath.endsWith(ownData)) location = { ...location, dataPath: null };
  if (`${manifest.customerNumber}-${manifest.registerId}` !== location.registerFolder) {
    problems.push({
      code: 'misplaced',
      message: `manifest belongs to register ${manifest.customerNumber}-${manifest.registerId}, found in folder ${location.registerFolder}`,
    });
  }
  if (location.temporaryFiles.length > 0) {
    problems.push({ code: 'interrupted-write', message: `${location.temporaryFiles.length} temporary file(s) of this package left behind` });
  }

  await checkSignature(location, manifest, manifestBytes, problems, options.registerKeys);

  if (!location.dataPath) {
    problems.push({ code: 'missing-data', message: `data file ${manifest.dataFile.name} is missing` });
    return verdict(manifest.formatVersion === 1 ? manifest : null);
  }
  if (manifest.formatVersion === 1) {
    const entryProblems: PackageProblem[] = [];
    await checkEntries(location.dataPath, manifest, entryProblems);
    await checkDataFile(location.dataPath, manifest, problems, entryProblems.some((p) => p.code === 'unreadable-zip'));
    problems.push(...entryProblems);
    return verdict(manifest);
  }

  // Version 2: what a check without head office's key can see, then (with it) the decrypted zip.
  await checkDataFile(location.dataPath, manifest, problems, false);
  if (!options.identities || options.identities.length === 0) {
    contentsChecked = false;
    return verdict(null);
  }
  const dir = options.plainDir ?? (await mkdtemp(join(tmpdir(), 'daystick-plain-')));
  const plain = join(dir, `${location.stem}.zip`);
  let joined: Manifest | null = null;
  try {
    joined = await checkEncryptedContents(location.dataPath, plain, manifest, options.identities, problems);
    if (options.plainDir && joined) plainDataPath = plain;
  } finally {
    if (!plainDataPath) await rm(plain, { force: true });
    if (!options.plainDir) await rm(dir, { recursive: true, force: true });
  }
  return verdict(joined);
}

/**
 * Decrypts a version-2 data file and checks its zip like a version-1 one,
 * against contents.json. Null when decryption or contents.json failed (the
 * entry checks have nothing to compare with).
 */
async function checkEncryptedContents(
  dataPath: string,
  plain: string,
  manifest: ManifestV2,
  identities: readonly string[],
  problems: PackageProblem[],
): Promise<Manifest | null> {
  try {
    await decryptFile(dataPath, plain, identities);
  } catch (err) {
    if (!(err instanceof DecryptError)) throw err;
    problems.push({ code: 'decrypt-failed', message: err.message });
    return null;
  }
  let contents: Contents;
  try {
    contents = await readContents(plain);
  } catch (err) {
    if (err instanceof PackageFormatError) {
      problems.push({ code: err.problem === 'unknown-format-version' ? 'bad-contents' : err.problem, message: err.message });
      return null;
    }
    problems.push({ code: 'unreadable-zip', message: `the decrypted data file cannot be read as a zip: ${(err as Error).message}` });
    return null;
  }
  for (const field of ['packageId', 'customerNumber', 'registerId', 'businessDay'] as const) {
    if (contents[field] !== manifest[field]) {
      problems.push({
        code: 'contents-mismatch',
        message: `${CONTENTS_ENTRY} names ${field} ${contents[field]}, the signed manifest ${manifest[field]}`,
      });
    }
  }
  const joined = joinContents(manifest, contents);
  await checkEntries(plain, joined, problems);
  return joined;
}

/** contents.json, which must be the zip's last entry (section 5.1). */
async function readContents(plainZip: string): Promise<Contents> {
  let last: { name: string; bytes: Buffer | null } | null = null;
  await forEachEntry(plainZip, async (name, content) => {
    if (name !== CONTENTS_ENTRY) {
      content.resume();
      last = { name, bytes: null };
      return;
    }
    const chunks: Buffer[] = [];
    for await (const c of content) chunks.push(c as Buffer);
    last = { name, bytes: Buffer.concat(chunks) };
  });
  const found = last as { name: string; bytes: Buffer | null } | null;
  if (!found || found.bytes === null) {
    throw new PackageFormatError('bad-contents', `${CONTENTS_ENTRY} is not the last entry of the data file`);
  }
  const json = checkedJsonObject(found.bytes, CONTENTS_ENTRY, 'bad-contents');
  const parsed = ContentsSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new PackageFormatError('bad-contents', `${CONTENTS_ENTRY} field ${first?.path.join('.') || '(root)'}: ${first?.message}`);
  }
  return parsed.data;
}

async function checkDataFile(
  dataPath: string,
  manifest: StoredManifest,
  problems: PackageProblem[],
  unreadable: boolean,
): Promise<void> {
  const size = (await stat(dataPath)).size;
  if (size !== manifest.dataFile.bytes) {
    // A zip keeps its directory at the end, so a cut-off copy is the one that is short and no longer opens.
    const cutOff = size < manifest.dataFile.bytes && (unreadable || manifest.formatVersion !== 1);
    problems.push(
      cutOff
        ? { code: 'truncated', message: `data file has only ${size} of ${manifest.dataFile.bytes} bytes` }
        : { code: 'data-hash-mismatch', message: `data file has ${size} bytes, manifest says ${manifest.dataFile.bytes}` },
    );
  } else {
    const sha = (await hashFile(dataPath)).sha256;
    if (sha !== manifest.dataFile.sha256) {
      problems.push({ code: 'data-hash-mismatch', message: 'data file SHA-256 differs from the manifest' });
    }
  }
}

async function checkSignature(
  location: PackageLocation,
  manifest: StoredManifest,
  manifestBytes: Buffer,
  problems: PackageProblem[],
  registerKeys: RegisterKeyTexts | undefined,
): Promise<void> {
  if (!location.signaturePath) {
    problems.push({ code: 'missing-signature', message: 'manifest signature file is missing' });
    return;
  }
  const publicKeyPem = await registerKeyText(location.registerDir, registerKeys);
  if (publicKeyPem === null) {
    problems.push({ code: 'missing-public-key', message: `${PUBLIC_KEY_FILE} is missing beside the package` });
    return;
  }
  const keyProblem = registerKeyProblem(publicKeyPem);
  if (keyProblem !== null) {
    problems.push({ code: 'missing-public-key', message: `${PUBLIC_KEY_FILE} ${keyProblem}` });
    return;
  }
  const keyId = publicKeyIdOf(publicKeyPem);
  if (keyId !== manifest.publicKeyId) {
    problems.push({
      code: 'foreign-key',
      message: `manifest names key ${manifest.publicKeyId.slice(0, 16)}…, ${PUBLIC_KEY_FILE} is key ${keyId.slice(0, 16)}…`,
    });
    return;
  }
  // Small, so read in one synchronous call, as the manifest (readManifest says why).
  const signatureText = readFileSync(location.signaturePath, 'utf8');
  const malformed = signatureFileProblem(signatureText);
  if (malformed !== null) {
    problems.push({ code: 'bad-signature', message: `signature file ${malformed}` });
    return;
  }
  if (!manifestSignatureValid(manifestBytes, signatureText, publicKeyPem)) {
    problems.push({ code: 'bad-signature', message: `manifest signature does not verify with ${PUBLIC_KEY_FILE}` });
  }
}

interface EntryTally {
  records: number;
  bytes: number;
  sha256: string;
}

/**
 * Lines (or payments) must come grouped by receipt, in receipts.ndjson's
 * order, each receipt's exactly `lineCount` (`paymentCount`) of them: what
 * the import relies on when it joins them, and what proves a receipt got its
 * own rows rather than only the right total.
 */
class RowsOfReceipts {
  private r = -1;
  private left = 0;
  broken = false;

  constructor(
    private readonly ids: string[],
    private readonly counts: number[],
  ) {}

  /** Null when the row is the next one expected, else why not. */
  take(receiptId: string): string | null {
    if (this.broken) return null;
    while (this.left === 0 && this.r < this.ids.length - 1) this.left = this.counts[++this.r]!;
    if (this.left > 0 && this.ids[this.r] === receiptId) {
      this.left--;
      return null;
    }
    this.broken = true;
    return this.left > 0
      ? `belongs to receipt ${receiptId}, but receipt ${this.ids[this.r]} declares ${this.left} more`
      : `belongs to receipt ${receiptId}, but every receipt has all the rows it declares`;
  }

  /** The first receipt whose rows ran short, or null. */
  shortReceipt(): string | null {
    if (this.broken) return null;
    if (this.left > 0) return this.ids[this.r]!;
    for (let i = this.r + 1; i < this.ids.length; i++) if (this.counts[i]! > 0) return this.ids[i]!;
    return null;
  }
}

const ID_FIELD: Partial<Record<EntryName, string>> = {
  'receipts.ndjson': 'receiptId',
  'stock-postings.ndjson': 'postingId',
  'time-records.ndjson': 'recordId',
};

/** Why an entry uses what section 5 rules out, or null. */
function zipFeatureProblem(entry: yauzl.Entry): string | null {
  if ((entry.generalPurposeBitFlag & 1) !== 0) return 'is encrypted';
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) return `uses compression method ${entry.compressionMethod}`;
  if (entry.extraFields.some((f) => f.id === 0x0001)) return 'carries a ZIP64 extra field';
  return null;
}

/** Whether the zip ends in ZIP64 records (a locator right before the end of central directory). */
async function hasZip64Trailer(dataPath: string): Promise<boolean> {
  const fh = await open(dataPath, 'r');
  try {
    const size = (await fh.stat()).size;
    const length = Math.min(size, 22 + 0xffff + 20);
    const tail = Buffer.alloc(length);
    await fh.read(tail, 0, length, size - length);
    for (let i = length - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) !== 0x06054b50) continue;
      return i >= 20 && tail.readUInt32LE(i - 20) === 0x07064b50;
    }
    return false;
  } finally {
    await fh.close();
  }
}

async function checkEntries(dataPath: string, manifest: Manifest, problems: PackageProblem[]): Promise<void> {
  const totals = new ControlTotalsAccumulator();
  const seen = new Map<string, EntryTally>();
  const order: number[] = [];
  let declaredLines = 0;
  let declaredPayments = 0;
  const receiptIds: string[] = [];
  const lineCounts: number[] = [];
  const paymentCounts: number[] = [];
  let receiptIdSet: Set<string> | null = null;
  const tseSerials = manifest.tseModules ? new Set(manifest.tseModules.map((m) => m.serialNumber)) : null;
  const reported = new Map<string, number>();
  /** At most three of a kind per entry: one broken package must not flood the report. */
  const report = (code: PackageProblemCode, entry: string, lineNo: number, why: string) => {
    const key = `${code}:${entry}`;
    const n = reported.get(key) ?? 0;
    if (n < 3) problems.push({ code, entry, message: `${entry} record ${lineNo}: ${why}` });
    reported.set(key, n + 1);
  };
  const badRecord = (entry: string, lineNo: number, why: string) => report('bad-record', entry, lineNo, why);

  if (await hasZip64Trailer(dataPath)) problems.push({ code: 'bad-zip', message: 'data file uses ZIP64 records' });
  try {
    await forEachEntry(
      dataPath,
      async (name, content) => {
        if (name === CONTENTS_ENTRY && manifest.formatVersion !== 1) {
          // Read and checked before (readContents); being last is its rule, not a section-5 entry's.
          content.resume();
          return;
        }
        if (seen.has(name) || !(ENTRY_NAMES as readonly string[]).includes(name)) {
          problems.push({ code: 'unexpected-entry', entry: name, message: `entry ${name} is not part of the format or appears twice` });
          content.resume();
          return;
        }
        const entryName = name as EntryName;
        order.push(ENTRY_NAMES.indexOf(entryName));
        const { schema, fast } = ROW_CHECKS[entryName];
        const quarantine = entryName === 'quarantine.ndjson';
        const idField = ID_FIELD[entryName];
        const ids = idField ? new Set<string>() : null;
        const sequence =
          receiptIdSet === null
            ? null
            : entryName === 'receipt-lines.ndjson'
              ? new RowsOfReceipts(receiptIds, lineCounts)
              : entryName === 'payments.ndjson'
                ? new RowsOfReceipts(receiptIds, paymentCounts)
                : null;
        const hash = createHash('sha256');
        let bytes = 0;
        let records = 0;
        let lastByte = 10;
        for await (const lines of ndjsonLineBatches(content, (chunk) => {
          hash.update(chunk);
          bytes += chunk.length;
          if (chunk.length > 0) lastByte = chunk[chunk.length - 1]!;
        }))
        for (const line of lines) {
          records++;
          if (line.includes('\r')) {
            badRecord(name, records, 'contains a CR: lines end in LF alone');
            continue;
          }
          let row: unknown;
          try {
            row = JSON.parse(line);
          } catch {
            badRecord(name, records, 'not JSON');
            continue;
          }
          let data: unknown = row;
          if (!fast(row)) {
            const parsed = schema.safeParse(row);
            if (!parsed.success) {
              const issue = parsed.error.issues[0];
              badRecord(name, records, `${issue?.path.join('.') || '(record)'}: ${issue?.message}`);
              continue;
            }
            data = parsed.data;
          }
          const facts = jsonTextFacts(line, quarantine ? 'record' : undefined);
          if (facts.fractionUnder !== null) {
            badRecord(name, records, `${facts.fractionUnder}: a number is written with a fraction or exponent`);
            continue;
          }
          if (facts.keys !== parsedKeyCount(row)) {
            badRecord(name, records, 'names a key twice');
            continue;
          }
          const day = (data as { businessDay?: string }).businessDay;
          if (day !== undefined && day !== manifest.businessDay) {
            badRecord(name, records, `belongs to business day ${day}, the package to ${manifest.businessDay}`);
            continue;
          }
          if (ids) {
            const id = (data as Record<string, string>)[idField!]!;
            if (ids.has(id)) report('duplicate-id', name, records, `${idField} ${id} appears twice in the package`);
            ids.add(id);
          }
          if (entryName === 'receipts.ndjson') {
            const r = data as ReceiptRow;
            totals.addReceipt(r.receiptId, r.grossMinor);
            declaredLines += r.lineCount;
            declaredPayments += r.paymentCount;
            receiptIds.push(r.receiptId);
            lineCounts.push(r.lineCount);
            paymentCounts.push(r.paymentCount);
            const serial = r.tse?.serialNumber;
            if (tseSerials !== null && serial !== undefined && !tseSerials.has(serial)) {
              report('unknown-tse-module', name, records, `signed by security module ${serial}, which the closing's tseModules does not list`);
            }
          } else if (entryName === 'receipt-lines.ndjson' || entryName === 'payments.ndjson') {
            const r = data as ReceiptLineRow | PaymentRow;
            if (receiptIdSet !== null && !receiptIdSet.has(r.receiptId)) {
              report('orphan-row', name, records, `belongs to receipt ${r.receiptId}, which is not in receipts.ndjson`);
            } else {
              const why = sequence?.take(r.receiptId);
              if (why) report('count-mismatch', name, records, why);
            }
            if (entryName === 'receipt-lines.ndjson') {
              const l = r as ReceiptLineRow;
              totals.addLine(l.vatRateId, l.vatRateBasisPoints, l.grossMinor, l.voided);
            } else {
              const p = r as PaymentRow;
              totals.addPayment(p.paymentTypeId, p.amountMinor);
            }
          }
        }
        if (lastByte !== 10) badRecord(name, records, 'the last line does not end in LF');
        if (entryName === 'receipts.ndjson') receiptIdSet = ids;
        const short = sequence?.shortReceipt();
        if (short) {
          const what = entryName === 'payments.ndjson' ? 'payments' : 'lines';
          problems.push({ code: 'count-mismatch', entry: name, message: `receipt ${short} declares more ${what} than ${name} holds for it` });
        }
        seen.set(name, { records, bytes, sha256: hash.digest('hex') });
      },
      (entry) => {
        const why = zipFeatureProblem(entry);
        if (why === null) return true;
        problems.push({ code: 'bad-zip', entry: entry.fileName, message: `entry ${entry.fileName} ${why}` });
        return false;
      },
    );
  } catch (err) {
    problems.push({ code: 'unreadable-zip', message: `data file cannot be read as a zip: ${(err as Error).message}` });
    return;
  }

  if (order.some((v, i) => i > 0 && v < order[i - 1]!)) {
    problems.push({ code: 'entry-order', message: `the data file's entries are not in the order section 5 gives` });
  }
  const listedOrder = manifest.entries.map((e) => ENTRY_NAMES.indexOf(e.name));
  if (listedOrder.some((v, i) => i > 0 && v <= listedOrder[i - 1]!)) {
    problems.push({ code: 'entry-order', message: 'the manifest does not list the entries in zip order, each once' });
  }

  const required = ENTRY_NAMES.filter((n) => n !== 'time-records.ndjson' || manifest.includesTimeRecords);
  const listed = new Map(manifest.entries.map((e) => [e.name, e]));
  for (const name of required) {
    if (!listed.has(name)) problems.push({ code: 'missing-entry', entry: name, message: `manifest does not list entry ${name}` });
  }
  for (const [name, info] of listed) {
    const tally = seen.get(name);
    if (!required.includes(name)) {
      problems.push({ code: 'unexpected-entry', entry: name, message: `manifest lists ${name}, which this kind of package must not hold` });
    }
    if (!tally) {
      problems.push({ code: 'missing-entry', entry: name, message: `entry ${name} is missing from the data file` });
      continue;
    }
    if (tally.sha256 !== info.sha256 || tally.bytes !== info.bytes) {
      problems.push({ code: 'hash-mismatch', entry: name, message: `entry ${name}: SHA-256 or size differs from the manifest` });
    }
    if (tally.records !== info.records) {
      problems.push({ code: 'count-mismatch', entry: name, message: `entry ${name} holds ${tally.records} records, manifest says ${info.records}` });
    }
  }
  for (const name of seen.keys()) {
    if (!listed.has(name as EntryName)) {
      problems.push({ code: 'unexpected-entry', entry: name, message: `entry ${name} is in the data file but not in the manifest` });
    }
  }

  const lines = seen.get('receipt-lines.ndjson')?.records;
  const payments = seen.get('payments.ndjson')?.records;
  if (lines !== undefined && lines !== declaredLines) {
    problems.push({ code: 'count-mismatch', entry: 'receipt-lines.ndjson', message: `receipts declare ${declaredLines} lines, the entry holds ${lines}` });
  }
  if (payments !== undefined && payments !== declaredPayments) {
    problems.push({ code: 'count-mismatch', entry: 'payments.ndjson', message: `receipts declare ${declaredPayments} payments, the entry holds ${payments}` });
  }
  const quarantined = seen.get('quarantine.ndjson')?.records;
  if (quarantined !== undefined && quarantined !== manifest.quarantined) {
    problems.push({ code: 'count-mismatch', entry: 'quarantine.ndjson', message: `quarantine holds ${quarantined} records, manifest says ${manifest.quarantined}` });
  }

  let recomputed: Manifest['controlTotals'];
  try {
    recomputed = totals.result();
  } catch (err) {
    problems.push({ code: 'control-totals-mismatch', message: (err as Error).message });
    return;
  }
  const differing = firstDifference(recomputed, manifest.controlTotals);
  if (differing) {
    problems.push({ code: 'control-totals-mismatch', message: `control totals recomputed from the records differ at ${differing}` });
  }
}

/** Path of the first field where two JSON values differ, or null when equal. */
function firstDifference(actual: unknown, expected: unknown, path = 'controlTotals'): string | null {
  if (Array.isArray(actual) && Array.isArray(expected)) {
    if (actual.length !== expected.length) return `${path} (length ${actual.length} vs ${expected.length})`;
    for (let i = 0; i < actual.length; i++) {
      const d = firstDifference(actual[i], expected[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (actual && expected && typeof actual === 'object' && typeof expected === 'object') {
    const keys = new Set([...Object.keys(actual), ...Object.keys(expected)]);
    for (const k of keys) {
      const d = firstDifference((actual as Record<string, unknown>)[k], (expected as Record<string, unknown>)[k], `${path}.${k}`);
      if (d) return d;
    }
    return null;
  }
  return actual === expected ? null : `${path} (records give ${JSON.stringify(actual)}, manifest says ${JSON.stringify(expected)})`;
}
