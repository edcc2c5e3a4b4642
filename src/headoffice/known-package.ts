import { createHash } from 'node:crypto';
import { z } from 'zod';
import { type AckCounts, AckCountsSchema, type AckStatus } from '../package/acknowledgement.js';
import { ContentsSchema, joinContents, type Manifest } from '../package/manifest.js';
import type { PackageLocation, StoredManifest } from '../package/reader.js';
import { type RegisterKeyTexts, verifyPackage } from '../package/verify.js';
import type { CentralQueries } from '../central/central-store.js';
import type { ConflictReport, RecordType } from './record-merger.js';

/**
 * Head office's fast path for a package it already holds (issue 13, item 2):
 * a stick comes back every day carrying every earlier package, and reading
 * each one's data again made every visit cost the stick's whole history.
 * A package whose id is in `packages` with the very manifest bytes imported
 * then, validly signed by the key the register is pinned to, is the same
 * package: its rows are in, so the data file is not read at all.
 */

export type KnownPackage =
  /** Not known, or not provably the known one: the full verify-and-merge path decides. */
  | { state: 'unknown' }
  | { state: 'reused'; manifest: Manifest }
  | {
      state: 'already-imported';
      manifest: Manifest;
      manifestSha256: string;
      status: AckStatus;
      counts: AckCounts;
      conflicts: ConflictReport[];
      unbalanced: z.infer<typeof UnbalancedSchema>[];
      /** When the package's import committed: its ack says so, not when the stick came back. */
      importedAt: string;
      /** What the first import's ack said (outcome_json): the ack most likely on the stick. */
      firstAck: { status: string; counts: AckCounts };
    };

const UnbalancedSchema = z.object({
  receiptId: z.string(),
  grossMinor: z.number(),
  linesGrossMinor: z.number(),
  paymentsMinor: z.number(),
});

/** `packages.outcome_json` as the first import wrote it. */
const StoredOutcomeSchema = z.object({
  status: z.string(),
  counts: AckCountsSchema,
  unbalancedReceipts: z.array(UnbalancedSchema).optional(),
  /**
   * Version 2: the contents.json head office decrypted and checked at the
   * first import. The manifest names the ciphertext's hash and the
   * ciphertext holds the contents, so the same signed manifest bytes mean
   * these same contents: without them the fast path could not answer for an
   * encrypted package without decrypting it again.
   */
  contents: ContentsSchema.optional(),
});

const CONFLICT_SAMPLES = 20;

/**
 * The verifier's own manifest, name and signature checks, with the data file
 * left out: handed no data path it stops before the data (`missing-data` is
 * then the one thing it can say about it), so whatever the verifier checks of
 * a manifest and its signature, in this format version or a later one, the
 * fast path checks too. The bytes are the ones the verifier read and checked
 * the signature over: hashing them, not a second read, leaves no gap.
 */
async function verifyManifestAndSignature(
  location: PackageLocation,
  registerKeys: RegisterKeyTexts | undefined,
): Promise<{ stored: StoredManifest; bytes: Buffer } | null> {
  const verdict = await verifyPackage({ ...location, dataPath: null }, registerKeys ? { registerKeys } : {});
  const others = verdict.problems.filter((p) => p.code !== 'missing-data');
  return others.length === 0 && verdict.stored !== null && verdict.manifestBytes !== null
    ? { stored: verdict.stored, bytes: verdict.manifestBytes }
    : null;
}

type KnownRow = { manifest_sha256: string; outcome_json: string; imported_at: string };

/**
 * What the central journal says of the packages on one stick, asked once for
 * them all when a pass begins rather than twice per package. A package the
 * index does not hold goes the full way, whose transaction asks again: an
 * index a moment old can only send a package the slow, still correct way.
 */
export interface KnownPackageIndex {
  packages: Map<string, KnownRow>;
  /** registerKey(customerNumber, registerId) → the pinned key id. */
  pinnedKeys: Map<string, string>;
}

/** Both halves, not the folder name: a '-' inside a customer number must not make two registers one. */
const registerKey = (customerNumber: string, registerId: string) => JSON.stringify([customerNumber, registerId]);

/** Ids per query: far below either dialect's limit on parameters. */
const IDS_PER_QUERY = 500;

export async function knownPackageIndex(queries: CentralQueries, locations: readonly PackageLocation[]): Promise<KnownPackageIndex> {
  const ids = [...new Set(locations.filter((l) => l.manifestPath !== null && l.dataPath !== null).map((l) => l.packageId))];
  const packages = new Map<string, KnownRow>();
  for (let i = 0; i < ids.length; i += IDS_PER_QUERY) {
    const chunk = ids.slice(i, i + IDS_PER_QUERY);
    const rows = await queries.all<KnownRow & { package_id: string }>(
      `SELECT package_id, manifest_sha256, outcome_json, imported_at FROM packages WHERE package_id IN (${chunk.map(() => '?').join(', ')})`,
      chunk,
    );
    for (const { package_id, ...row } of rows) packages.set(package_id, row);
  }
  const pinnedKeys = new Map<string, string>();
  const folders = [...new Set(locations.map((l) => l.registerFolder))];
  if (packages.size > 0) {
    for (let i = 0; i < folders.length; i += IDS_PER_QUERY) {
      const chunk = folders.slice(i, i + IDS_PER_QUERY);
      // A folder is named <customerNumber>-<registerId>; a folder of another name matches no register and so pins nothing.
      const rows = await queries.all<{ customer_number: string; register_id: string; public_key_id: string }>(
        `SELECT customer_number, register_id, public_key_id FROM registers WHERE customer_number || '-' || register_id IN (${chunk.map(() => '?').join(', ')})`,
        chunk,
      );
      for (const r of rows) pinnedKeys.set(registerKey(r.customer_number, r.register_id), r.public_key_id);
    }
  }
  return { packages, pinnedKeys };
}

export interface RecogniseOptions {
  withoutStockPostings: boolean;
  /** The pass's index (knownPackageIndex); without it the journal is asked for this package alone. */
  index?: KnownPackageIndex;
  /** The pass's register.pub texts per folder (see VerifyOptions.registerKeys). */
  registerKeys?: RegisterKeyTexts;
}

export async function recogniseKnownPackage(
  queries: CentralQueries,
  location: PackageLocation,
  options: RecogniseOptions,
): Promise<KnownPackage> {
  const { withoutStockPostings } = options;
  const unknown = { state: 'unknown' } as const;
  if (location.manifestPath === null || location.dataPath === null) return unknown;
  const known = options.index
    ? options.index.packages.get(location.packageId)
    : (
        await queries.all<KnownRow>('SELECT manifest_sha256, outcome_json, imported_at FROM packages WHERE package_id = ?', [
          location.packageId,
        ])
      )[0];
  if (!known) return unknown;

  const verified = await verifyManifestAndSignature(location, options.registerKeys);
  if (verified === null) return unknown;
  const { stored: signed, bytes } = verified;
  const manifestSha256 = createHash('sha256').update(bytes).digest('hex');
  if (signed.packageId !== location.packageId) return unknown;

  const pinnedKeyId = options.index
    ? options.index.pinnedKeys.get(registerKey(signed.customerNumber, signed.registerId))
    : (
        await queries.all<{ public_key_id: string }>('SELECT public_key_id FROM registers WHERE customer_number = ? AND register_id = ?', [
          signed.customerNumber,
          signed.registerId,
        ])
      )[0]?.public_key_id;
  // Signed, but not by the key the register is pinned to: the full path names that conflict.
  if (pinnedKeyId !== signed.publicKeyId) return unknown;
  // A version-2 manifest alone is not a Manifest (its business half is encrypted): the full path names the reuse.
  if (known.manifest_sha256 !== manifestSha256) return signed.formatVersion === 1 ? { state: 'reused', manifest: signed } : unknown;

  const outcome = StoredOutcomeSchema.safeParse(JSON.parse(known.outcome_json));
  if (!outcome.success) return unknown;
  const manifest = signed.formatVersion === 1 ? signed : knownContents(signed, outcome.data.contents);
  // Imported before head office kept the contents: read in full once more, which keeps them from then on.
  if (manifest === null) return unknown;
  const stored = outcome.data.counts;
  // Head office left the stock postings out last time and takes them now: those rows are not in yet.
  if (stored.stockPostingsSkipped > 0 && !withoutStockPostings) return unknown;

  const stockRecords = manifest.entries.find((e) => e.name === 'stock-postings.ndjson')?.records ?? 0;
  // What a full second import would count: every record that went in is there now, every conflict still conflicts.
  const counts: AckCounts = {
    receiptsNew: 0,
    receiptsAlreadyPresent: stored.receiptsNew + stored.receiptsAlreadyPresent,
    receiptConflicts: stored.receiptConflicts,
    stockPostingsNew: 0,
    stockPostingsAlreadyPresent: withoutStockPostings ? 0 : stored.stockPostingsNew + stored.stockPostingsAlreadyPresent,
    stockPostingConflicts: withoutStockPostings ? 0 : stored.stockPostingConflicts,
    stockPostingsSkipped: withoutStockPostings ? stockRecords : 0,
    timeRecordsNew: 0,
    timeRecordsAlreadyPresent: stored.timeRecordsNew + stored.timeRecordsAlreadyPresent,
    timeRecordConflicts: stored.timeRecordConflicts,
    quarantinedKept: stored.quarantinedKept,
  };
  const anyConflict = counts.receiptConflicts + counts.stockPostingConflicts + counts.timeRecordConflicts > 0;
  const conflicts = anyConflict ? await storedConflicts(queries, manifest.packageId, withoutStockPostings) : [];
  return {
    state: 'already-imported',
    manifest,
    manifestSha256,
    status: anyConflict ? 'partially-conflicting' : 'already-imported',
    counts,
    conflicts,
    unbalanced: outcome.data.unbalancedReceipts ?? [],
    importedAt: known.imported_at,
    firstAck: { status: outcome.data.status, counts: stored },
  };
}

/** The signed version-2 manifest joined with the contents kept at its first import, if they are its own. */
function knownContents(signed: StoredManifest & { formatVersion: 2 }, contents: z.infer<typeof ContentsSchema> | undefined): Manifest | null {
  if (!contents) return null;
  const same =
    contents.packageId === signed.packageId &&
    contents.customerNumber === signed.customerNumber &&
    contents.registerId === signed.registerId &&
    contents.businessDay === signed.businessDay;
  return same ? joinContents(signed, contents) : null;
}

async function storedConflicts(queries: CentralQueries, packageId: string, withoutStockPostings: boolean): Promise<ConflictReport[]> {
  const rows = await queries.all<{
    record_type: RecordType;
    record_id: string;
    business_day: string;
    existing_sha256: string;
    incoming_sha256: string;
  }>(
    `SELECT record_type, record_id, business_day, existing_sha256, incoming_sha256 FROM conflicts
     WHERE source = ? ${withoutStockPostings ? "AND record_type <> 'stock-posting'" : ''}
     ORDER BY record_type, record_id LIMIT ${CONFLICT_SAMPLES}`,
    [packageId],
  );
  return rows.map((r) => ({
    recordType: r.record_type,
    recordId: r.record_id,
    businessDay: r.business_day,
    existingSha256: r.existing_sha256,
    incomingSha256: r.incoming_sha256,
  }));
}
