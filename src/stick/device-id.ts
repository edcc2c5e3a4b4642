import { stat } from 'node:fs/promises';

/** The device id of the file system holding `folder` (symlinks followed), the mark a writer checks the stick by. */
export async function deviceIdAt(folder: string): Promise<number> {
  return (await stat(folder)).dev;
}

/** The same, for adapters whose listing must not fail when a volume does not answer: no id then. */
export async function deviceIdOrNone(folder: string): Promise<{ deviceId?: number }> {
  try {
    return { deviceId: await deviceIdAt(folder) };
  } catch {
    return {};
  }
}
