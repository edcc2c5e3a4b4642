import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** One line of `/proc/<pid>/mountinfo` (see proc(5)), with the octal escapes decoded. */
export interface MountEntry {
  mountId: number;
  parentId: number;
  /** `major:minor` of the device; FUSE and other virtual file systems get an anonymous `0:N`. */
  majorMinor: string;
  /** Path inside the file system that is mounted here (`/` for a whole file system). */
  root: string;
  mountPoint: string;
  mountOptions: string[];
  fsType: string;
  /** `/dev/sdb1`, an image path, or a name such as `fusefat`: whatever the mounter wrote. */
  source: string;
  superOptions: string[];
  /** Read-only either for this mount or for the whole super block. */
  readOnly: boolean;
}

// The kernel escapes space, tab, newline and backslash as \040, \011, \012 and \134.
export function decodeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_match, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

export class MountInfoParseError extends Error {
  constructor(
    readonly lineNumber: number,
    readonly line: string,
    reason: string,
  ) {
    super(`mountinfo line ${lineNumber} is not understood (${reason}): ${line}`);
    this.name = 'MountInfoParseError';
  }
}

export function parseMountInfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? '';
    if (line.trim() === '') continue;
    entries.push(parseMountInfoLine(line, index + 1));
  }
  return entries;
}

function parseMountInfoLine(line: string, lineNumber: number): MountEntry {
  const fields = line.split(' ');
  // Optional fields (shared:N, master:N, ...) end at a lone "-"; everything after it is fixed.
  const separator = fields.indexOf('-', 6);
  if (fields.length < 10 || separator < 0 || fields.length < separator + 4) {
    throw new MountInfoParseError(lineNumber, line, 'too few fields');
  }
  const [mountId, parentId, majorMinor, root, mountPoint, mountOptions] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (!/^\d+$/.test(mountId) || !/^\d+$/.test(parentId) || !/^\d+:\d+$/.test(majorMinor)) {
    throw new MountInfoParseError(lineNumber, line, 'mount id or major:minor malformed');
  }
  const fsType = decodeMountField(fields[separator + 1] ?? '');
  const source = decodeMountField(fields[separator + 2] ?? '');
  const superOptions = (fields[separator + 3] ?? '').split(',');
  const options = mountOptions.split(',');
  return {
    mountId: Number(mountId),
    parentId: Number(parentId),
    majorMinor,
    root: decodeMountField(root),
    mountPoint: decodeMountField(mountPoint),
    mountOptions: options,
    fsType,
    source,
    superOptions,
    readOnly: options.includes('ro') || superOptions.includes('ro'),
  };
}

export async function readMountInfo(file = '/proc/self/mountinfo'): Promise<MountEntry[]> {
  return parseMountInfo(await readFile(file, 'utf8'));
}

/**
 * The mount that holds `absolutePath`: the last-mounted entry with the longest
 * mount point that is a prefix of it. Later lines win because a mount stacked
 * on the same point hides the earlier one.
 */
export function findContainingMount(entries: readonly MountEntry[], absolutePath: string): MountEntry | null {
  const target = path.resolve(absolutePath);
  let best: MountEntry | null = null;
  for (const entry of entries) {
    const point = entry.mountPoint;
    const contains = point === '/' || target === point || target.startsWith(point.endsWith('/') ? point : point + '/');
    if (!contains) continue;
    if (best === null || point.length >= best.mountPoint.length) best = entry;
  }
  return best;
}

/** The mount whose mount point is exactly `absolutePath` (the top one when mounts are stacked). */
export function findMountAt(entries: readonly MountEntry[], absolutePath: string): MountEntry | null {
  const target = path.resolve(absolutePath);
  let found: MountEntry | null = null;
  for (const entry of entries) if (entry.mountPoint === target) found = entry;
  return found;
}
