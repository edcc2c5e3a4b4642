import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { listPackagesInRegisterFolder } from '../../src/package/reader.js';
import { verifyPackage } from '../../src/package/verify.js';
import { TEST_HEAD_OFFICE_IDENTITY } from '../support/test-host.js';

export const REGISTER_FOLDER = join('DAYSTICK', '10001-1');

/** The manifests daystick left in this register's folder on a stick, parsed. */
export async function manifestsOn(stickPath: string): Promise<Record<string, unknown>[]> {
  const folder = join(stickPath, REGISTER_FOLDER);
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return [];
  }
  const manifests = names.filter((n) => n.endsWith('.manifest.json')).sort();
  // Version 2 keeps closing number, entries and totals inside the encryption: read as head office reads them.
  const packages = await listPackagesInRegisterFolder(folder);
  return Promise.all(
    manifests.map(async (n) => {
      const stored = JSON.parse(await readFile(join(folder, n), 'utf8'));
      if (stored.formatVersion === 1) return stored;
      const location = packages.find((p) => p.manifestPath === join(folder, n));
      const verdict = location ? await verifyPackage(location, { identities: [TEST_HEAD_OFFICE_IDENTITY] }) : null;
      return verdict?.manifest ?? stored;
    }),
  );
}

export async function filesOn(stickPath: string): Promise<string[]> {
  try {
    return (await readdir(join(stickPath, REGISTER_FOLDER))).sort();
  } catch {
    return [];
  }
}
