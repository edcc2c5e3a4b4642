import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { publicKeyIdOf } from '../package/signing.js';
import {
  MANIFEST_SUFFIX,
  PUBLIC_KEY_FILE,
  STICK_ROOT_FOLDER,
  TEMP_SUFFIX,
  parsePackageFileName,
  registerFolderName,
} from '../package/layout.js';
import { ExportError, type RegisterIdentity, type StickConflict } from './export-contract.js';

/** The stick cannot take this register's data without breaking something that is not the register's own. */
export class StickConflictError extends ExportError {
  constructor(readonly conflict: StickConflict) {
    super(
      'stick-conflict',
      conflict.kind === 'foreign-register'
        ? `${conflict.entry} holds the key of another register with the same identity; nothing was written`
        : `${conflict.entry} is not a file or folder daystick can use; nothing was written`,
    );
    this.name = 'StickConflictError';
  }
}

/**
 * Looks at the names this register's writer needs, before it writes or
 * removes anything: each must be absent or of the kind the writer makes,
 * and the folder's key must be this register's. A stick that fails is
 * refused by name rather than failing every close with an errno.
 */
export async function findStickConflict(
  stickPath: string,
  identity: RegisterIdentity,
  ownKeyId: string,
): Promise<StickConflict | null> {
  const folder = `${STICK_ROOT_FOLDER}/${registerFolderName(identity.customerNumber, identity.registerId)}`;
  const blocked = (entry: string): StickConflict => ({ kind: 'blocked-name', folder, entry });
  for (const entry of [STICK_ROOT_FOLDER, folder]) {
    const kind = await kindOf(join(stickPath, entry));
    if (kind === 'absent') return null;
    if (kind !== 'folder') return blocked(entry);
  }
  const dir = join(stickPath, folder);
  const keyEntry = `${folder}/${PUBLIC_KEY_FILE}`;
  const keyKind = await kindOf(join(dir, PUBLIC_KEY_FILE));
  if (keyKind !== 'absent' && keyKind !== 'file') return blocked(keyEntry);
  const keyId = keyKind === 'file' ? await keyIdOfFile(join(dir, PUBLIC_KEY_FILE)) : null;
  if (keyId === ownKeyId) return null;
  if (keyId !== null) return { kind: 'foreign-register', folder, entry: keyEntry };
  // No usable key file: the packages themselves still say whose folder this is.
  const foreignManifest = await manifestOfAnotherKey(dir, ownKeyId);
  if (foreignManifest !== null) return { kind: 'foreign-register', folder, entry: `${folder}/${foreignManifest}` };
  const partKind = await kindOf(join(dir, PUBLIC_KEY_FILE + TEMP_SUFFIX));
  if (partKind !== 'absent' && partKind !== 'file') return blocked(`${keyEntry}${TEMP_SUFFIX}`);
  return null;
}

type EntryKind = 'absent' | 'file' | 'folder' | 'other';

async function kindOf(path: string): Promise<EntryKind> {
  try {
    const s = await lstat(path);
    return s.isFile() ? 'file' : s.isDirectory() ? 'folder' : 'other';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw err;
  }
}

async function keyIdOfFile(path: string): Promise<string | null> {
  const pem = await readFile(path, 'utf8');
  try {
    return publicKeyIdOf(pem);
  } catch {
    return null;
  }
}

async function manifestOfAnotherKey(dir: string, ownKeyId: string): Promise<string | null> {
  const names = (await readdir(dir)).filter((n) => {
    const info = parsePackageFileName(n);
    return info !== null && !info.temporary && info.role === 'manifest' && n.endsWith(MANIFEST_SUFFIX);
  });
  for (const name of names.sort()) {
    if ((await kindOf(join(dir, name))) !== 'file') continue;
    let keyId: unknown;
    try {
      keyId = (JSON.parse(await readFile(join(dir, name), 'utf8')) as { publicKeyId?: unknown }).publicKeyId;
    } catch {
      continue;
    }
    if (typeof keyId === 'string' && /^[0-9a-f]{64}$/.test(keyId) && keyId !== ownKeyId) return name;
  }
  return null;
}
