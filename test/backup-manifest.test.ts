import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackupCommitError, commitBackup } from '../src/export/backup-manifest-writer.js';
import { loadOrCreateRegisterKeyPair } from '../src/export/register-keys.js';
import {
  BACKUP_MANIFEST_FILE,
  BACKUP_SIGNATURE_FILE,
  type BackupProblem,
  BackupRefusedError,
  openCheckedBackup,
  parseBackupManifest,
  type PinnedRegisterKey,
} from '../src/package/backup-manifest.js';

/**
 * Section 10 of docs/stick-format.md rule by rule: the writer's commit and its
 * cleanup, and each check of 10.2 with a backup damaged in exactly that way.
 */
const IDENTITY = { customerNumber: '51000', registerId: '3' };
const FILE = 'register-backup.sqlite.age';
/** What the register's backup puts on the stick: age ciphertext, so it starts with age's header. */
const AGE_FILE_BYTES = Buffer.concat([Buffer.from('age-encryption.org/v1\n'), Buffer.alloc(4096 - 22, 7)]);

let work: string;
let folder: string;
let keyDir: string;
let pinned: PinnedRegisterKey;

async function commit(written = { files: [FILE], bytes: 4096 }): Promise<void> {
  await commitBackup({
    folder,
    identity: IDENTITY,
    businessDay: '20261022',
    written,
    keyDir,
    now: () => Date.UTC(2026, 9, 22, 20),
    signal: new AbortController().signal,
  });
}

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'daystick-backup-manifest-'));
  folder = join(work, 'DAYSTICK', '51000-3', 'masterdata');
  await mkdir(folder, { recursive: true });
  keyDir = join(work, 'keys');
  await writeFile(join(folder, FILE), AGE_FILE_BYTES);
  const key = await loadOrCreateRegisterKeyPair(keyDir);
  pinned = { publicKeyId: key.keyId, publicKeyPem: key.publicKeyPem };
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

async function refusal(
  options: { path?: string; customerNumber?: string; key?: PinnedRegisterKey | null } = {},
): Promise<BackupProblem | 'accepted'> {
  const copyTo = join(work, `copy-${Math.random().toString(36).slice(2)}`);
  try {
    await openCheckedBackup({
      path: options.path ?? folder,
      customerNumber: options.customerNumber ?? IDENTITY.customerNumber,
      registerId: IDENTITY.registerId,
      pinnedKey: async () => (options.key === undefined ? pinned : options.key),
      copyTo,
    });
    return 'accepted';
  } catch (err) {
    if (err instanceof BackupRefusedError) return err.problem;
    throw err;
  }
}

async function manifestText(): Promise<string> {
  return readFile(join(folder, BACKUP_MANIFEST_FILE), 'utf8');
}

describe('committing a backup', () => {
  test('manifest and signature beside the file; the manifest names the bytes on the stick', async () => {
    await commit();
    expect((await readdir(folder)).sort()).toEqual([BACKUP_MANIFEST_FILE, BACKUP_SIGNATURE_FILE, FILE].sort());
    const manifest = parseBackupManifest(await readFile(join(folder, BACKUP_MANIFEST_FILE)));
    expect(manifest).toMatchObject({
      ...IDENTITY,
      businessDay: '20261022',
      kind: 'master-data-backup',
      publicKeyId: pinned.publicKeyId,
      encryption: 'age',
    });
    expect(manifest.file).toEqual({
      name: FILE,
      bytes: 4096,
      sha256: (await import('node:crypto')).createHash('sha256').update(AGE_FILE_BYTES).digest('hex'),
    });
    expect(await refusal()).toBe('accepted');
    // The bytes read are the bytes checked: the copy equals the file.
    const copyTo = join(work, 'checked');
    await openCheckedBackup({ path: join(folder, FILE), ...IDENTITY, pinnedKey: async () => pinned, copyTo });
    expect((await readFile(copyTo)).equals(AGE_FILE_BYTES)).toBe(true);
  });

  test('a clear file (no age header) is never committed and is removed', async () => {
    await writeFile(join(folder, FILE), Buffer.alloc(4096, 7));
    await expect(commit()).rejects.toThrow('is not encrypted to head office');
    expect(await readdir(folder)).toEqual([]);
  });

  test('a file on the stick that is not what the backup reported leaves no backup at all', async () => {
    await expect(commit({ files: [FILE], bytes: 4095 })).rejects.toThrow(BackupCommitError);
    expect(await readdir(folder)).toEqual([]);
  });

  test('a backup of several files, or a file name the section reserves, is not committed', async () => {
    await expect(commit({ files: [FILE, 'other'], bytes: 4096 })).rejects.toThrow('a master-data backup is one file');
    await expect(commit({ files: [BACKUP_MANIFEST_FILE], bytes: 4096 })).rejects.toThrow(BackupCommitError);
    await expect(commit({ files: ['../escape'], bytes: 4096 })).rejects.toThrow(BackupCommitError);
  });
});

describe('what a reader of a backup refuses (10.2)', () => {
  beforeEach(async () => {
    await commit();
  });

  test('missing-manifest: no manifest, or a path that does not exist', async () => {
    await rm(join(folder, BACKUP_MANIFEST_FILE));
    expect(await refusal()).toBe('missing-manifest');
    expect(await refusal({ path: join(work, 'nowhere') })).toBe('missing-manifest');
  });

  test('interrupted-write: a .part in the folder', async () => {
    await writeFile(join(folder, `${FILE}.part`), 'x');
    expect(await refusal()).toBe('interrupted-write');
  });

  test('bad-manifest: duplicate key, 1.0, CR, unknown field, a name outside the folder', async () => {
    const text = await manifestText();
    const cases = [
      text.replace('"kind"', '"kind": "master-data-backup",\n  "kind"'),
      text.replace('"formatVersion": 2', '"formatVersion": 2.0'),
      text.replace('"encryption": "age"', '"encryption": "none"'),
      text.replace('  "encryption": "age",\n', ''),
      text.replace(/\n/g, '\r\n'),
      text.replace('"kind"', '"extra": true,\n  "kind"'),
      text.replace(`"name": "${FILE}"`, '"name": "../register-backup.sqlite"'),
      text.replace(`"name": "${FILE}"`, `"name": "${BACKUP_SIGNATURE_FILE}"`),
      text.replace('"bytes": 4096', '"bytes": 4.096e3'),
      '[]',
    ];
    for (const damaged of cases) {
      expect(damaged).not.toBe(text);
      await writeFile(join(folder, BACKUP_MANIFEST_FILE), damaged);
      expect([damaged, await refusal()]).toEqual([damaged, 'bad-manifest']);
    }
  });

  test('unknown-format-version: a later one, and 1 (the clear backup before encryption)', async () => {
    for (const version of ['3', '1']) {
      await writeFile(
        join(folder, BACKUP_MANIFEST_FILE),
        (await manifestText()).replace('"formatVersion": 2', `"formatVersion": ${version}`),
      );
      expect(await refusal()).toBe('unknown-format-version');
    }
  });

  test("identity-mismatch: the typed customer number is not the manifest's, not even with leading zeros", async () => {
    expect(await refusal({ customerNumber: '51001' })).toBe('identity-mismatch');
    expect(await refusal({ customerNumber: '051000' })).toBe('identity-mismatch');
  });

  test("misplaced: the manifest lies in another register's folder", async () => {
    const other = join(work, 'DAYSTICK', '51000-4', 'masterdata');
    await mkdir(join(work, 'DAYSTICK', '51000-4'));
    await (await import('node:fs/promises')).rename(folder, other);
    expect(await refusal({ path: other })).toBe('misplaced');
  });

  test('unknown-register and pinned-key-conflict: the key head office pinned decides', async () => {
    expect(await refusal({ key: null })).toBe('unknown-register');
    const stranger = await loadOrCreateRegisterKeyPair(join(work, 'stranger-keys'));
    expect(await refusal({ key: { publicKeyId: stranger.keyId, publicKeyPem: stranger.publicKeyPem } })).toBe(
      'pinned-key-conflict',
    );
    // A pinned row whose id does not belong to its key is no pin to trust.
    expect(await refusal({ key: { publicKeyId: pinned.publicKeyId, publicKeyPem: stranger.publicKeyPem } })).toBe(
      'pinned-key-conflict',
    );
  });

  test('missing-signature and bad-signature', async () => {
    const signature = await readFile(join(folder, BACKUP_SIGNATURE_FILE), 'utf8');
    await writeFile(join(folder, BACKUP_SIGNATURE_FILE), signature.replace('\n', '\r\n'));
    expect(await refusal()).toBe('bad-signature');
    await writeFile(join(folder, BACKUP_MANIFEST_FILE), (await manifestText()).replace('20261022', '20261021'));
    await writeFile(join(folder, BACKUP_SIGNATURE_FILE), signature);
    expect(await refusal()).toBe('bad-signature');
    await rm(join(folder, BACKUP_SIGNATURE_FILE));
    expect(await refusal()).toBe('missing-signature');
  });

  test('missing-data and data-hash-mismatch', async () => {
    await writeFile(join(folder, FILE), Buffer.alloc(4095, 7));
    expect(await refusal()).toBe('data-hash-mismatch');
    await writeFile(join(folder, FILE), Buffer.alloc(4096, 8));
    expect(await refusal()).toBe('data-hash-mismatch');
    await rm(join(folder, FILE));
    expect(await refusal()).toBe('missing-data');
  });
});
