import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { hashFile } from '../durable/durable-file.js';
import type { z } from 'zod';
import {
  type AckCounts,
  type AckStatus,
  type AcknowledgementReading,
  ACK_FORMAT_VERSION,
  type HeadOfficeSigningKey,
  ackFileName,
  acknowledgementPayload,
  isOwnAckFile,
  readAcknowledgements,
  writeAcknowledgement,
} from '../package/acknowledgement.js';
import {
  fastPaymentRowOk,
  fastReceiptLineRowOk,
  fastReceiptRowOk,
  fastStockPostingOk,
  fastTimeRecordOk,
} from '../package/fast-checks.js';
import { ACKS_FOLDER, type EntryName, PUBLIC_KEY_FILE } from '../package/layout.js';
import { contentsOf, type Manifest } from '../package/manifest.js';
import { type PackageLocation, parseManifest, RecordCursor, readEntryRecords } from '../package/reader.js';
import {
  type PaymentRow,
  PaymentRowSchema,
  QuarantineRowSchema,
  type ReceiptLineRow,
  ReceiptLineRowSchema,
  ReceiptRowSchema,
  StockPostingRowSchema,
  TimeRecordRowSchema,
} from '../package/rows.js';
import { publicKeyIdOf } from '../package/signing.js';
import { type RegisterKeyTexts, registerKeyText, verifyPackage } from '../package/verify.js';
import { sameCustomerNumber } from '../settings/customer-number.js';
import { storedHeadOfficeCustomerNumber } from '../central/central-settings.js';
import type { CentralQueries, CentralStore } from '../central/central-store.js';
import type { Provenance, ReceiptBundle } from '../central/central-rows.js';
import { type KnownPackageIndex, recogniseKnownPackage } from './known-package.js';
import { type ConflictReport, RECEIPTS, RecordMerger, STOCK_POSTINGS, TIME_RECORDS } from './record-merger.js';

/** The seed's words, shown whenever a package carries head office's own customer number. */
export const LICENCE_MESSAGE =
  'every offline register needs its own customer number: sharing one with head office or another register is a licence violation';

export type RefusalCode =
  | import('../package/verify.js').PackageProblemCode
  | 'head-office-customer-number'
  /** The register's first package pinned another public key. */
  | 'pinned-key-conflict'
  /** A package id already imported with a different manifest. */
  | 'package-id-reused'
  /** The data file no longer matched what was verified when it was read for the import. */
  | 'changed-during-import'
  /** The central journal failed (connection lost, disk full): rolled back, the package stays on the stick for the next try. */
  | 'import-failed';

export interface Refusal {
  code: RefusalCode;
  message: string;
}

export type ImportStatus = AckStatus | 'refused' | 'failed';

export type AckOutcome =
  | { state: 'written'; path: string }
  /** A valid ack for exactly this package was already on the stick. */
  | { state: 'kept'; path: string }
  | { state: 'failed'; message: string }
  | { state: 'not-written' };

export interface PackageImportResult {
  location: PackageLocation;
  manifest: Manifest | null;
  status: ImportStatus;
  /** Why a package was refused (every cause the verifier found), or why the import failed. */
  refusals: Refusal[];
  counts: AckCounts | null;
  conflicts: ConflictReport[];
  /** Receipts imported as they came whose lines or payments do not add up to their gross; empty when refused. */
  unbalanced: UnbalancedReceipt[];
  acknowledgement: AckOutcome;
}

export interface ImportOptions {
  withoutStockPostings: boolean;
  headOfficeCustomerNumber: string | null;
  /**
   * Registers (`<customerNumber>-<registerId>`) whose next package may carry a
   * new key, replacing the pinned one: a person's decision after a register
   * was replaced, never automatic. The old key is kept in retired_register_keys.
   */
  acceptNewKeyFor?: readonly string[];
  /** Null: no acknowledgements are written (e.g. a read-only copy of a stick). */
  headOfficeKey: HeadOfficeSigningKey | null;
  /** Head office's age identities, which open version-2 data files; without them such packages are refused. */
  identities?: readonly string[];
  now?: () => Date;
  /** `manifest` is null until the package has passed verification. */
  onPhase?: (phase: 'verifying' | 'importing' | 'acknowledging', manifest: Manifest | null) => void;
  onProgress?: (receiptsDone: number, receiptsTotal: number) => void;
  /**
   * The acknowledgements already read per register folder during one pass over
   * a stick: a year's stick holds hundreds, and reading them all again for
   * every package made a visit cost the square of the stick's history.
   */
  acknowledgements?: Map<string, AcknowledgementReading[]>;
  /** The same pass's central-journal facts of the stick's packages (knownPackageIndex), asked once. */
  knownIndex?: KnownPackageIndex;
  /** The same pass's register.pub per folder (VerifyOptions.registerKeys). */
  registerKeys?: RegisterKeyTexts;
}

class RefusedDuringImport extends Error {
  constructor(readonly refusal: Refusal) {
    super(refusal.message);
  }
}

/**
 * Imports one package: verified first by the package library's own verifier,
 * then all of it in one transaction, then acknowledged on the stick. A
 * refused package is only read, never changed or moved.
 */
export async function importPackage(
  store: CentralStore,
  location: PackageLocation,
  options: ImportOptions,
): Promise<PackageImportResult> {
  const base = { location, counts: null, conflicts: [], unbalanced: [], acknowledgement: { state: 'not-written' } as AckOutcome };
  options.onPhase?.('verifying', null);
  const known = await recogniseKnownPackage(store, location, {
    withoutStockPostings: options.withoutStockPostings,
    ...(options.knownIndex ? { index: options.knownIndex } : {}),
    ...(options.registerKeys ? { registerKeys: options.registerKeys } : {}),
  });
  if (known.state !== 'unknown') {
    const ownNumber = headOfficeNumberRefusal(known.manifest, options.headOfficeCustomerNumber);
    if (ownNumber) return { ...base, manifest: known.manifest, status: 'refused', refusals: [ownNumber] };
  }
  if (known.state === 'reused') {
    return { ...base, manifest: known.manifest, status: 'refused', refusals: [reusedPackageId(known.manifest)] };
  }
  if (known.state === 'already-imported') {
    const result: PackageImportResult = {
      location,
      manifest: known.manifest,
      status: known.status,
      refusals: [],
      counts: known.counts,
      conflicts: known.conflicts,
      unbalanced: known.unbalanced,
      acknowledgement: { state: 'not-written' },
    };
    if (options.headOfficeKey) {
      options.onPhase?.('acknowledging', known.manifest);
      result.acknowledgement = await acknowledge(location, known.manifest, known.manifestSha256, known, known.importedAt, options.headOfficeKey, options.acknowledgements, [
        known.firstAck,
      ]);
    }
    return result;
  }
  // A version-2 package's decrypted zip lives here, head office's own temp space (0700), for this import only.
  const plainDir = await mkdtemp(join(tmpdir(), 'daystick-import-'));
  try {
    return await importUnknownPackage(store, location, options, plainDir);
  } finally {
    await rm(plainDir, { recursive: true, force: true });
  }
}

/** The full way: every check of the verifier, then every row merged in one transaction. */
async function importUnknownPackage(
  store: CentralStore,
  location: PackageLocation,
  options: ImportOptions,
  plainDir: string,
): Promise<PackageImportResult> {
  const now = options.now ?? (() => new Date());
  const base = { location, counts: null, conflicts: [], unbalanced: [], acknowledgement: { state: 'not-written' } as AckOutcome };
  const verdict = await verifyPackage(location, {
    identities: options.identities ?? [],
    plainDir,
    ...(options.registerKeys ? { registerKeys: options.registerKeys } : {}),
  });
  if (verdict.ok && !verdict.contentsChecked) {
    const refusal: Refusal = {
      code: 'decrypt-failed',
      message: "the data file is encrypted to head office and no identity was given (--identity FILE): nothing imported",
    };
    return { ...base, manifest: null, status: 'refused', refusals: [refusal] };
  }
  if (!verdict.ok || !verdict.manifest) {
    return { ...base, manifest: verdict.manifest, status: 'refused', refusals: verdict.problems.map((p) => ({ code: p.code, message: p.message })) };
  }
  const manifest = verdict.manifest;
  const ownNumber = headOfficeNumberRefusal(manifest, options.headOfficeCustomerNumber);
  if (ownNumber) return { ...base, manifest, status: 'refused', refusals: [ownNumber] };

  const manifestBytes = await readFile(location.manifestPath!);
  const manifestSha256 = createHash('sha256').update(manifestBytes).digest('hex');
  if (JSON.stringify(parseManifest(manifestBytes)) !== JSON.stringify(verdict.stored)) {
    return {
      ...base,
      manifest,
      status: 'refused',
      refusals: [{ code: 'changed-during-import', message: 'the manifest changed after it was verified; nothing imported' }],
    };
  }
  const publicKeyPem = options.registerKeys
    ? await registerKeyText(location.registerDir, options.registerKeys)
    : await readFile(join(location.registerDir, PUBLIC_KEY_FILE), 'utf8');
  // The verifier passed the package, so its folder's key was read: null here means it vanished since, as a failed read did.
  if (publicKeyPem === null) throw new Error(`${PUBLIC_KEY_FILE} can no longer be read`);
  const importedAt = now().toISOString();
  const provenance: Provenance = {
    customerNumber: manifest.customerNumber,
    registerId: manifest.registerId,
    source: manifest.packageId,
    importedAt,
  };

  options.onPhase?.('importing', manifest);
  let imported: { status: AckStatus; counts: AckCounts; conflicts: ConflictReport[]; unbalanced: UnbalancedReceipt[] };
  try {
    imported = await store.transaction(`register:${manifest.customerNumber}-${manifest.registerId}`, async (tx) => {
      // Read from the journal on every import: a run started without the flag still knows head office's number.
      const storedNumber = headOfficeNumberRefusal(manifest, await storedHeadOfficeCustomerNumber(tx));
      if (storedNumber) throw new RefusedDuringImport(storedNumber);
      await pinRegisterKey(tx, manifest, publicKeyPem, importedAt, options.acceptNewKeyFor ?? []);
      await refuseReusedPackageId(tx, manifest, manifestSha256);
      const result = await mergePackageRows(tx, verdict.plainDataPath ?? location.dataPath!, manifest, provenance, options);
      // The rows were read after verification: proving the file is still the verified one closes that gap before commit.
      const dataSha256 = (await hashFile(location.dataPath!)).sha256;
      if (dataSha256 !== manifest.dataFile.sha256) {
        throw new RefusedDuringImport({
          code: 'changed-during-import',
          message: 'the data file changed while it was imported; rolled back, nothing stored',
        });
      }
      const statusJson = JSON.stringify({
        status: result.status,
        counts: result.counts,
        ...(result.unbalanced.length > 0 ? { unbalancedReceipts: result.unbalanced } : {}),
        // The fast path answers for an encrypted package from these (known-package.ts says why it may).
        ...(manifest.formatVersion === 2 ? { contents: contentsOf(manifest) } : {}),
      });
      const firstImport = await tx.insertMany(
        'packages',
        [
          'package_id',
          'customer_number',
          'register_id',
          'business_day',
          'kind',
          'closing_number',
          'created_at',
          'manifest_sha256',
          'status',
          'outcome_json',
          'imported_at',
        ],
        [
          [
            manifest.packageId,
            manifest.customerNumber,
            manifest.registerId,
            manifest.businessDay,
            manifest.kind,
            manifest.closingNumber,
            manifest.createdAt,
            manifestSha256,
            result.status,
            statusJson,
            importedAt,
          ],
        ],
        'ignore',
      );
      // Package and modules go in together: a known package read again already has its rows, which 'ignore' keeps.
      await storeTseModules(tx, manifest);
      // A known package read in full again (its stock postings were left out before): what it holds now is what the fast path answers from.
      if (firstImport === 0) await tx.run('UPDATE packages SET outcome_json = ? WHERE package_id = ?', [statusJson, manifest.packageId]);
      return result;
    });
  } catch (err) {
    if (err instanceof RefusedDuringImport) return { ...base, manifest, status: 'refused', refusals: [err.refusal] };
    return {
      ...base,
      manifest,
      status: 'failed',
      refusals: [{ code: 'import-failed', message: `import rolled back, nothing stored: ${(err as Error).message}` }],
    };
  }

  const result: PackageImportResult = {
    location,
    manifest,
    status: imported.status,
    refusals: [],
    counts: imported.counts,
    conflicts: imported.conflicts,
    unbalanced: imported.unbalanced,
    acknowledgement: { state: 'not-written' },
  };
  if (options.headOfficeKey) {
    options.onPhase?.('acknowledging', manifest);
    result.acknowledgement = await acknowledge(location, manifest, manifestSha256, imported, importedAt, options.headOfficeKey, options.acknowledgements);
  }
  return result;
}

/** The closing's security modules (stick format 5.1, `tseModules`), one row each in the package's order. */
async function storeTseModules(tx: CentralQueries, manifest: Manifest): Promise<void> {
  const modules = manifest.tseModules ?? [];
  if (modules.length === 0) return;
  await tx.insertMany(
    'package_tse_modules',
    ['package_id', 'position', 'customer_number', 'register_id', 'business_day', 'serial_number', 'public_key'],
    modules.map((m, position) => [
      manifest.packageId,
      position,
      manifest.customerNumber,
      manifest.registerId,
      manifest.businessDay,
      m.serialNumber,
      m.publicKey,
    ]),
    'ignore',
  );
}

function headOfficeNumberRefusal(manifest: Manifest, headOfficeCustomerNumber: string | null): Refusal | null {
  if (headOfficeCustomerNumber === null || !sameCustomerNumber(manifest.customerNumber, headOfficeCustomerNumber)) return null;
  const spelled = manifest.customerNumber === headOfficeCustomerNumber ? '' : ` (${headOfficeCustomerNumber})`;
  return {
    code: 'head-office-customer-number',
    message: `package of register ${manifest.customerNumber}-${manifest.registerId} carries head office's customer number ${manifest.customerNumber}${spelled}: ${LICENCE_MESSAGE}`,
  };
}

async function pinRegisterKey(
  tx: CentralQueries,
  manifest: Manifest,
  publicKeyPem: string,
  at: string,
  acceptNewKeyFor: readonly string[],
): Promise<void> {
  const rows = await tx.all<{ public_key_id: string; public_key_pem: string; pinned_at: string; pinned_by_package: string }>(
    'SELECT public_key_id, public_key_pem, pinned_at, pinned_by_package FROM registers WHERE customer_number = ? AND register_id = ?',
    [manifest.customerNumber, manifest.registerId],
  );
  const pinned = rows[0];
  if (!pinned) {
    await tx.insertMany(
      'registers',
      ['customer_number', 'register_id', 'public_key_id', 'public_key_pem', 'pinned_at', 'pinned_by_package'],
      [[manifest.customerNumber, manifest.registerId, manifest.publicKeyId, publicKeyPem, at, manifest.packageId]],
      'fail',
    );
    return;
  }
  if (pinned.public_key_id === manifest.publicKeyId) return;
  const register = `${manifest.customerNumber}-${manifest.registerId}`;
  if (!acceptNewKeyFor.includes(register)) {
    throw new RefusedDuringImport({
      code: 'pinned-key-conflict',
      message: `register ${register} is pinned to key ${pinned.public_key_id.slice(0, 16)}… (since package ${pinned.pinned_by_package}); this package is signed by key ${manifest.publicKeyId.slice(0, 16)}…; if that register was really replaced, import again with --accept-new-key ${register}`,
    });
  }
  await tx.insertMany(
    'retired_register_keys',
    ['customer_number', 'register_id', 'public_key_id', 'public_key_pem', 'pinned_at', 'pinned_by_package', 'retired_at', 'retired_by_package'],
    [[manifest.customerNumber, manifest.registerId, pinned.public_key_id, pinned.public_key_pem, pinned.pinned_at, pinned.pinned_by_package, at, manifest.packageId]],
    'ignore',
  );
  await tx.run(
    'UPDATE registers SET public_key_id = ?, public_key_pem = ?, pinned_at = ?, pinned_by_package = ? WHERE customer_number = ? AND register_id = ?',
    [manifest.publicKeyId, publicKeyPem, at, manifest.packageId, manifest.customerNumber, manifest.registerId],
  );
}

async function refuseReusedPackageId(tx: CentralQueries, manifest: Manifest, manifestSha256: string): Promise<void> {
  const rows = await tx.all<{ manifest_sha256: string }>('SELECT manifest_sha256 FROM packages WHERE package_id = ?', [manifest.packageId]);
  const known = rows[0];
  if (known && known.manifest_sha256 !== manifestSha256) throw new RefusedDuringImport(reusedPackageId(manifest));
}

function reusedPackageId(manifest: Manifest): Refusal {
  return { code: 'package-id-reused', message: `package id ${manifest.packageId} was imported before with a different manifest` };
}

/** The verifier's hand-written checks, never laxer than the schemas: zod is asked only when one says no. */
const FAST_CHECKS: Record<EntryName, ((row: unknown) => boolean) | null> = {
  'receipts.ndjson': fastReceiptRowOk,
  'receipt-lines.ndjson': fastReceiptLineRowOk,
  'payments.ndjson': fastPaymentRowOk,
  'stock-postings.ndjson': fastStockPostingOk,
  'time-records.ndjson': fastTimeRecordOk,
  'quarantine.ndjson': null,
};

function parseRow<S extends z.ZodType>(schema: S, row: unknown, entry: EntryName, index: number): z.infer<S> {
  if (FAST_CHECKS[entry]?.(row)) return row as z.infer<S>;
  const parsed = schema.safeParse(row);
  if (!parsed.success) {
    throw new Error(`${entry} record ${index + 1} no longer passes its schema (file changed after verification?)`);
  }
  return parsed.data;
}

/**
 * Pulls exactly `count` rows of one receipt from a grouped entry, proving
 * they belong to it; awaits only when the cursor's batch runs out.
 */
async function takeRows<R extends { receiptId: string }>(
  source: RecordCursor,
  count: number,
  receiptId: string,
  schema: z.ZodType<R>,
  entry: EntryName,
  counter: { n: number },
): Promise<R[]> {
  const out: R[] = [];
  while (out.length < count) {
    if (!source.buffered && !(await source.refill())) throw new Error(`${entry} ended before the rows of receipt ${receiptId}`);
    while (out.length < count && source.buffered) {
      const row = parseRow(schema, source.take(), entry, counter.n++);
      if (row.receiptId !== receiptId) throw new Error(`${entry} record ${counter.n} belongs to ${row.receiptId}, expected ${receiptId}`);
      out.push(row);
    }
  }
  return out;
}

/** Every record of a flat entry through its merger, an await only per batch read or written. */
async function mergeEntry<S extends z.ZodType>(dataPath: string, entry: EntryName, schema: S, merger: RecordMerger<z.infer<S>>): Promise<void> {
  const rows = new RecordCursor(dataPath, entry);
  try {
    for (let i = 0; rows.buffered || (await rows.refill()); i++) {
      const flushing = merger.add(parseRow(schema, rows.take(), entry, i));
      if (flushing) await flushing;
    }
  } finally {
    await rows.close();
  }
}

async function mergePackageRows(
  tx: CentralQueries,
  dataPath: string,
  manifest: Manifest,
  provenance: Provenance,
  options: ImportOptions,
): Promise<{ status: AckStatus; counts: AckCounts; conflicts: ConflictReport[]; unbalanced: UnbalancedReceipt[] }> {
  const totalReceipts = manifest.controlTotals.receipts;
  const receipts = new RecordMerger(tx, RECEIPTS, provenance);
  const lines = new RecordCursor(dataPath, 'receipt-lines.ndjson');
  const payments = new RecordCursor(dataPath, 'payments.ndjson');
  const receiptRows = new RecordCursor(dataPath, 'receipts.ndjson');
  const lineCounter = { n: 0 };
  const paymentCounter = { n: 0 };
  const unbalanced: UnbalancedReceipt[] = [];
  let done = 0;
  try {
    while (receiptRows.buffered || (await receiptRows.refill())) {
      const receipt = parseRow(ReceiptRowSchema, receiptRows.take(), 'receipts.ndjson', done);
      const bundle: ReceiptBundle = {
        receipt,
        // A receipt's rows are mostly in the batch already: no call, promise or await for them then.
        lines:
          receipt.lineCount === 0
            ? []
            : await takeRows<ReceiptLineRow>(lines, receipt.lineCount, receipt.receiptId, ReceiptLineRowSchema, 'receipt-lines.ndjson', lineCounter),
        payments:
          receipt.paymentCount === 0
            ? []
            : await takeRows<PaymentRow>(payments, receipt.paymentCount, receipt.receiptId, PaymentRowSchema, 'payments.ndjson', paymentCounter),
      };
      const balance = receiptBalance(bundle);
      if (balance) unbalanced.push(balance);
      const flushing = receipts.add(bundle);
      if (flushing) await flushing;
      done++;
      if (done % 1000 === 0) options.onProgress?.(done, totalReceipts);
    }
  } finally {
    await receiptRows.close();
    await lines.close();
    await payments.close();
  }
  const receiptTally = await receipts.finish();
  options.onProgress?.(done, totalReceipts);

  const stockEntry = manifest.entries.find((e) => e.name === 'stock-postings.ndjson');
  const stock = new RecordMerger(tx, STOCK_POSTINGS, provenance);
  if (!options.withoutStockPostings) await mergeEntry(dataPath, 'stock-postings.ndjson', StockPostingRowSchema, stock);
  const stockTally = await stock.finish();

  const time = new RecordMerger(tx, TIME_RECORDS, provenance);
  if (manifest.includesTimeRecords) await mergeEntry(dataPath, 'time-records.ndjson', TimeRecordRowSchema, time);
  const timeTally = await time.finish();

  let quarantinedKept = 0;
  let qi = 0;
  for await (const raw of readEntryRecords(dataPath, 'quarantine.ndjson')) {
    const q = parseRow(QuarantineRowSchema, raw, 'quarantine.ndjson', qi++);
    const recordJson = 'record' in q ? JSON.stringify(q.record) : q.recordText;
    // The originals belong to the record's identity: two records differing only in their bytes are two records.
    const exactJson = 'exact' in q && q.exact ? JSON.stringify(q.exact) : null;
    const sha = createHash('sha256')
      .update(`${q.source}\u0000${q.index}\u0000${recordJson}${exactJson === null ? '' : `\u0000${exactJson}`}`)
      .digest('hex');
    await tx.insertMany(
      'quarantined_records',
      ['customer_number', 'register_id', 'business_day', 'source_entry', 'reason', 'record_json', 'exact_json', 'content_sha256', 'source', 'imported_at'],
      [[provenance.customerNumber, provenance.registerId, manifest.businessDay, q.source, q.reason, recordJson, exactJson, sha, provenance.source, provenance.importedAt]],
      'ignore',
    );
    quarantinedKept++;
  }

  const counts: AckCounts = {
    receiptsNew: receiptTally.inserted,
    receiptsAlreadyPresent: receiptTally.alreadyPresent,
    receiptConflicts: receiptTally.conflicts,
    stockPostingsNew: stockTally.inserted,
    stockPostingsAlreadyPresent: stockTally.alreadyPresent,
    stockPostingConflicts: stockTally.conflicts,
    stockPostingsSkipped: options.withoutStockPostings ? (stockEntry?.records ?? 0) : 0,
    timeRecordsNew: timeTally.inserted,
    timeRecordsAlreadyPresent: timeTally.alreadyPresent,
    timeRecordConflicts: timeTally.conflicts,
    quarantinedKept,
  };
  const conflicts = [...receiptTally.conflictSamples, ...stockTally.conflictSamples, ...timeTally.conflictSamples];
  const anyConflict = receiptTally.conflicts + stockTally.conflicts + timeTally.conflicts > 0;
  const anyNew = receiptTally.inserted + stockTally.inserted + timeTally.inserted > 0;
  const anyPresent = receiptTally.alreadyPresent + stockTally.alreadyPresent + timeTally.alreadyPresent > 0;
  const status: AckStatus = anyConflict ? 'partially-conflicting' : !anyNew && anyPresent ? 'already-imported' : 'imported';
  return { status, counts, conflicts, unbalanced };
}

/**
 * A receipt whose non-voided lines or payments do not sum to its gross. It
 * is imported as it came (the register's record is the record), and reported
 * so a person looks at it; docs/stick-format.md section 5, receipts.ndjson.
 */
export interface UnbalancedReceipt {
  receiptId: string;
  grossMinor: number;
  linesGrossMinor: number;
  paymentsMinor: number;
}

function receiptBalance(bundle: ReceiptBundle): UnbalancedReceipt | null {
  let linesGrossMinor = 0;
  for (const l of bundle.lines) if (!l.voided) linesGrossMinor += l.grossMinor;
  let paymentsMinor = 0;
  for (const p of bundle.payments) paymentsMinor += p.amountMinor;
  const { receiptId, grossMinor } = bundle.receipt;
  return linesGrossMinor === grossMinor && paymentsMinor === grossMinor
    ? null
    : { receiptId, grossMinor, linesGrossMinor, paymentsMinor };
}

async function acknowledge(
  location: PackageLocation,
  manifest: Manifest,
  manifestSha256: string,
  imported: { status: AckStatus; counts: AckCounts },
  importedAt: string,
  key: HeadOfficeSigningKey,
  cache: Map<string, AcknowledgementReading[]> | undefined,
  /** Earlier acks this head office may have written for the package (the first import's), beside `imported`'s. */
  earlier: readonly { status: string; counts: AckCounts }[] = [],
): Promise<AckOutcome> {
  try {
    const keyId = publicKeyIdOf(key.publicKeyPem);
    const ackFields = (a: { status: string; counts: AckCounts }) => ({
      packageId: manifest.packageId,
      customerNumber: manifest.customerNumber,
      registerId: manifest.registerId,
      businessDay: manifest.businessDay,
      packageKind: manifest.kind,
      manifestSha256,
      importedAt,
      status: a.status as AckStatus,
      counts: a.counts,
    });
    // This key's own ack under the plain name, byte for byte as written: kept without reading and verifying the folder's every ack.
    const plainPath = join(location.registerDir, ACKS_FOLDER, ackFileName(manifest.businessDay, manifest.packageId));
    const onStick = readSmallText(plainPath);
    if (onStick !== null) {
      const payloads: string[] = [];
      for (const a of [imported, ...earlier]) {
        try {
          payloads.push(acknowledgementPayload(ackFields(a), key));
        } catch {
          // Not a writable ack (a stored status from another build): it cannot be the file on the stick either.
        }
      }
      if (isOwnAckFile(onStick, payloads, key)) return { state: 'kept', path: plainPath };
    }
    let inFolder = cache?.get(location.registerDir);
    if (inFolder === undefined) {
      inFolder = await readAcknowledgements(location.registerDir);
      cache?.set(location.registerDir, inFolder);
    }
    const present = inFolder.filter((a) => a.packageId === manifest.packageId);
    const same = present.find((a) => a.valid && a.manifestSha256 === manifestSha256 && a.headOfficeKeyId === keyId);
    if (same) return { state: 'kept', path: same.file };
    // Another head-office machine's valid ack keeps its place: this one goes beside it, so the register finds the key it trusts.
    const plainName = ackFileName(manifest.businessDay, manifest.packageId);
    const plainTaken = present.some((a) => a.valid && basename(a.file) === plainName && a.headOfficeKeyId !== keyId);
    const ack = ackFields(imported);
    const path = await writeAcknowledgement(location.registerDir, ack, key, undefined, plainTaken ? 'keyed' : 'plain');
    // What was just written durably under this key is what reading it back would give; a replaced broken ack leaves the list.
    const kept = inFolder.filter((a) => a.file !== path);
    kept.push({ valid: true, file: path, formatVersion: ACK_FORMAT_VERSION, headOfficeKeyId: keyId, ...ack });
    cache?.set(location.registerDir, kept);
    return { state: 'written', path };
  } catch (err) {
    return { state: 'failed', message: `acknowledgement not written to the stick: ${(err as Error).message}` };
  }
}

/** An ack of a few hundred bytes in one synchronous call (readManifest says why); null when there is none to read. */
function readSmallText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}
