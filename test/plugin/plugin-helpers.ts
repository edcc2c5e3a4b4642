import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

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
  return Promise.all(manifests.map(async (n) => JSON.parse(await readFile(join(folder, n), 'utf8'))));
}

export async function filesOn(stickPath: string): Promise<string[]> {
  try {
    return (await readdir(join(stickPath, REGISTER_FOLDER))).sort();
  } catch {
    return [];
  }
}
