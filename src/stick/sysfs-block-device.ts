import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';

export interface BlockDeviceFacts {
  /** Kernel name of the whole disk (`sdb` for `sdb1`), for power-off. */
  disk: string;
  /** The disk's own `removable` flag is 1 (card readers, most sticks). */
  removableFlag: boolean;
  /** The device hangs below a USB controller (many sticks report removable=0). */
  onUsb: boolean;
}

/**
 * What sysfs says about the block device `major:minor`. `sysfsRoot` is a
 * parameter so tests can hand in a tree of their own. Null when the device
 * has no entry below `dev/block` (FUSE and other virtual file systems).
 */
export async function describeBlockDevice(majorMinor: string, sysfsRoot = '/sys'): Promise<BlockDeviceFacts | null> {
  let devicePath: string;
  try {
    devicePath = await realpath(path.join(sysfsRoot, 'dev', 'block', majorMinor));
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
  const onUsb = devicePath.split(path.sep).some((segment) => /^usb\d+$/.test(segment));
  // A partition's folder holds a "partition" file and sits inside its disk's folder.
  const isPartition = (await readOptional(path.join(devicePath, 'partition'))) !== null;
  const diskDir = isPartition ? path.dirname(devicePath) : devicePath;
  const removableFlag = (await readOptional(path.join(diskDir, 'removable')))?.trim() === '1';
  return { disk: path.basename(diskDir), removableFlag, onUsb };
}

export function isRemovable(facts: BlockDeviceFacts | null): boolean {
  return facts !== null && (facts.removableFlag || facts.onUsb);
}

async function readOptional(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
