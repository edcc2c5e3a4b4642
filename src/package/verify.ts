import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { hashFile } from '../export/durable-file.js';
import type { z } from 'zod';
import { ControlTotalsAccumulator } from './control-totals.js';
import {
  fastPaymentRowOk,
  fastReceiptLineRowOk,
  fastReceiptRowOk,
  fastStockPostingOk,
  fastTimeRecordOk,
} from './fast-checks.js';
import { ENTRY_NAMES, type EntryName, PUBLIC_KEY_FILE } from './layout.js';
import type { Manifest } from './manifest.js';
import { PackageFormatError, type PackageLocation, forEachEntry, ndjsonLines, readManifest } from './reader.js';
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
import { manifestSignatureValid, publicKeyIdOf } from './signing.js';

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
  | 'unreadable-zip'
  | 'missing-entry'
  | 'unexpected-entry'
  | 'hash-mismatch'
  | 'count-mismatch'
  | 'bad-record'
  | 'control-totals-mismatch';

export interface PackageProblem {
  code: PackageProblemCode;
  message: string;
  entry?: EntryName | string;
}

export interface PackageVerdict {
  location: PackageLocation;
  manifest: Manifest | null;
  problems: PackageProblem[];
  ok: boolean;
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
export async function verifyPackage(location: PackageLocation): Promise<PackageVerdict> {
  const problems: PackageProblem[] = [];
  const verdict = (manifest: Manifest | null): PackageVerdict => ({
    location,
    manifest,
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

  let manifest: Manifest;
  let manifestBytes: Buffer;
  try {
    ({ manifest, bytes: manifestBytes } = await readManifest(location.manifestPath));
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
  if (`${manifest.customerNumber}-${manifest.registerId}` !== location.registerFolder) {
    problems.push({
      code: 'misplaced',
      message: `manifest belongs to register ${manifest.customerNumber}-${manifest.registerId}, found in folder ${location.registerFolder}`,
    });
  }
  if (location.temporaryFiles.length > 0) {
    problems.push({ code: 'interrupted-write', message: `${location.temporaryFiles.length} temporary file(s) of this package left behind` });
  }

  await checkSignature(location, manifest, manifestBytes, problems);

  if (!location.dataPath) {
    problems.push({ code: 'missing-data', message: `data file ${manifest.dataFile.name} is missing` });
    return verdict(manifest);
  }
  const entryProblems: PackageProblem[] = [];
  await checkEntries(location.dataPath, manifest, entryProblems);
  const size = (await stat(location.dataPath)).size;
  if (size !== manifest.dataFile.bytes) {
    // A zip keeps its directory at the end, so a cut-off copy is the one that is short and no longer opens.
    const cutOff = size < manifest.dataFile.bytes && entryProblems.some((p) => p.code === 'unreadable-zip');
    problems.push(
      cutOff
        ? { code: 'truncated', message: `data file has only ${size} of ${manifest.dataFile.bytes} bytes` }
        : { code: 'data-hash-mismatch', message: `data file has ${size} bytes, manifest says ${manifest.dataFile.bytes}` },
    );
  } else {
    const sha = (await hashFile(location.dataPath)).sha256;
    if (sha !== manifest.dataFile.sha256) {
      problems.push({ code: 'data-hash-mismatch', message: 'data file SHA-256 differs from the manifest' });
    }
  }
  problems.push(...entryProblems);
  return verdict(manifest);
}

async function checkSignature(
  location: PackageLocation,
  manifest: Manifest,
  manifestBytes: Buffer,
  problems: PackageProblem[],
): Promise<void> {
  if (!location.signaturePath) {
    problems.push({ code: 'missing-signature', message: 'manifest signature file is missing' });
    return;
  }
  const publicKeyPem = await readFile(join(location.registerDir, PUBLIC_KEY_FILE), 'utf8').catch(() => null);
  if (publicKeyPem === null) {
    problems.push({ code: 'missing-public-key', message: `${PUBLIC_KEY_FILE} is missing beside the package` });
    return;
  }
  let keyId: string;
  try {
    keyId = publicKeyIdOf(publicKeyPem);
  } catch {
    problems.push({ code: 'missing-public-key', message: `${PUBLIC_KEY_FILE} is not a readable public key` });
    return;
  }
  if (keyId !== manifest.publicKeyId) {
    problems.push({
      code: 'foreign-key',
      message: `manifest names key ${manifest.publicKeyId.slice(0, 16)}…, ${PUBLIC_KEY_FILE} is key ${keyId.slice(0, 16)}…`,
    });
    return;
  }
  const signatureText = await readFile(location.signaturePath, 'utf8');
  if (!manifestSignatureValid(manifestBytes, signatureText, publicKeyPem)) {
    problems.push({ code: 'bad-signature', message: `manifest signature does not verify with ${PUBLIC_KEY_FILE}` });
  }
}

interface EntryTally {
  records: number;
  bytes: number;
  sha256: string;
}

async function checkEntries(dataPath: string, manifest: Manifest, problems: PackageProblem[]): Promise<void> {
  const totals = new ControlTotalsAccumulator();
  const seen = new Map<string, EntryTally>();
  let declaredLines = 0;
  let declaredPayments = 0;
  const badRecord = (entry: string, lineNo: number, why: string) => {
    if (problems.filter((p) => p.code === 'bad-record' && p.entry === entry).length < 3) {
      problems.push({ code: 'bad-record', entry, message: `${entry} record ${lineNo}: ${why}` });
    }
  };

  try {
    await forEachEntry(dataPath, async (name, content) => {
      if (seen.has(name) || !(ENTRY_NAMES as readonly string[]).includes(name)) {
        problems.push({ code: 'unexpected-entry', entry: name, message: `entry ${name} is not part of the format or appears twice` });
        content.resume();
        return;
      }
      const { schema, fast } = ROW_CHECKS[name as EntryName];
      const hash = createHash('sha256');
      let bytes = 0;
      let records = 0;
      for await (const line of ndjsonLines(content, (chunk) => {
        hash.update(chunk);
        bytes += chunk.length;
      })) {
        records++;
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
        const day = (data as { businessDay?: string }).businessDay;
        if (day !== undefined && day !== manifest.businessDay) {
          badRecord(name, records, `belongs to business day ${day}, the package to ${manifest.businessDay}`);
          continue;
        }
        if (name === 'receipts.ndjson') {
          const r = data as ReceiptRow;
          totals.addReceipt(r.receiptId, r.grossMinor);
          declaredLines += r.lineCount;
          declaredPayments += r.paymentCount;
        } else if (name === 'receipt-lines.ndjson') {
          const r = data as ReceiptLineRow;
          totals.addLine(r.vatRateId, r.vatRateBasisPoints, r.grossMinor, r.voided);
        } else if (name === 'payments.ndjson') {
          const r = data as PaymentRow;
          totals.addPayment(r.paymentTypeId, r.amountMinor);
        }
      }
      seen.set(name, { records, bytes, sha256: hash.digest('hex') });
    });
  } catch (err) {
    problems.push({ code: 'unreadable-zip', message: `data file cannot be read as a zip: ${(err as Error).message}` });
    return;
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
