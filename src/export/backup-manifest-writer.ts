import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BusinessDay } from '../host/business-day.js';
import {
  AGE_HEADER,
  BACKUP_MANIFEST_FILE,
  BACKUP_MANIFEST_VERSION,
  BACKUP_SIGNATURE_FILE,
  type BackupManifest,
  BackupFileNameSchema,
  backupManifestBytes,
} from '../package/backup-manifest.js';
import { TEMP_SUFFIX } from '../package/layout.js';
import { manifestSignatureValid, signManifest } from '../package/signing.js';
import { hashFile, writeFileDurably } from '../durable/durable-file.js';
import type { RegisterIdentity } from './export-contract.js';
import { loadOrCreateRegisterKeyPair } from './register-keys.js';

export class BackupCommitError extends Error {
  override name = 'BackupCommitError';
}

export interface CommitBackupRequest {
  /** The backup folder on the stick (`masterdata/`). */
  folder: string;
  identity: RegisterIdentity;
  businessDay: BusinessDay;
  /** What the host's backup port reported it wrote. */
  written: { files: string[]; bytes: number };
  keyDir: string;
  now: () => number;
  signal: AbortSignal;
  /** Hears each chunk of the re-read: the caller's sign of life for its stall timer. */
  onRead?: (bytes: number) => void;
}

/**
 * Commits a backup the host has written (docs/stick-format.md, 10.1): hashes
 * the file as it now lies on the stick, so the hash covers whatever the host
 * put there (ciphertext once backups are encrypted), then writes the
 * signature and, last, the manifest. Any failure removes manifest, signature
 * and backup file, in that order, so what is left never passes for a backup.
 */
async function startsWithAgeHeader(path: string): Promise<boolean> {
  const header = Buffer.from(AGE_HEADER);
  const file = await open(path, 'r');
  try {
    const head = Buffer.alloc(header.length);
    const { bytesRead } = await file.read(head, 0, header.length, 0);
    return bytesRead === header.length && head.equals(header);
  } finally {
    await file.close();
  }
}

export async function commitBackup(request: CommitBackupRequest): Promise<BackupManifest> {
  const { folder, written, signal } = request;
  const manifestPath = join(folder, BACKUP_MANIFEST_FILE);
  const signaturePath = join(folder, BACKUP_SIGNATURE_FILE);
  const [name, ...more] = written.files;
  if (name === undefined || more.length > 0) {
    throw new BackupCommitError(
      `a master-data backup is one file; the register's backup wrote ${written.files.length}`,
    );
  }
  const fileName = BackupFileNameSchema.safeParse(name);
  if (!fileName.success)
    throw new BackupCommitError(
      `the register's backup file name "${name}" cannot be committed: ${fileName.error.issues[0]?.message}`,
    );
  const backupPath = join(folder, fileName.data);
  try {
    // A host that ignored `encrypt` left the clear database: never committed, and removed below.
    if (!(await startsWithAgeHeader(backupPath))) {
      throw new BackupCommitError(
        `the register's backup file ${fileName.data} is not encrypted to head office (no age header); it was not committed`,
      );
    }
    const onStick = await hashFile(backupPath, request.onRead);
    if (onStick.bytes !== written.bytes) {
      throw new BackupCommitError(
        `the backup file on the stick holds ${onStick.bytes} bytes, the backup reported ${written.bytes}`,
      );
    }
    signal.throwIfAborted();
    const key = await loadOrCreateRegisterKeyPair(request.keyDir);
    const manifest: BackupManifest = {
      formatVersion: BACKUP_MANIFEST_VERSION,
      kind: 'master-data-backup',
      customerNumber: request.identity.customerNumber,
      registerId: request.identity.registerId,
      businessDay: request.businessDay,
      createdAt: new Date(request.now()).toISOString(),
      file: { name: fileName.data, bytes: onStick.bytes, sha256: onStick.sha256 },
      encryption: 'age',
      signatureAlgorithm: 'Ed25519',
      publicKeyId: key.keyId,
    };
    const bytes = backupManifestBytes(manifest);
    const signature = signManifest(bytes, key.privateKeyPem);
    await writeFileDurably(signaturePath, signature, signal);
    await writeFileDurably(manifestPath, bytes, signal);
    // As for packages: what counts is what the stick gives back, not what was handed to it.
    const [manifestBack, signatureBack] = await Promise.all([
      readFile(manifestPath),
      readFile(signaturePath, 'latin1'),
    ]);
    if (!manifestBack.equals(bytes) || !manifestSignatureValid(manifestBack, signatureBack, key.publicKeyPem)) {
      throw new BackupCommitError('the backup manifest or its signature reads back differently from what was written');
    }
    return manifest;
  } catch (err) {
    for (const path of [
      manifestPath,
      `${manifestPath}${TEMP_SUFFIX}`,
      signaturePath,
      `${signaturePath}${TEMP_SUFFIX}`,
      backupPath,
    ])
      await rm(path, { force: true }).catch(() => undefined);
    throw err;
  }
}
