import { statfs } from 'node:fs/promises';

/**
 * Free bytes for an unprivileged writer, or null when the file system does
 * not tell: fusefat answers statfs with zero blocks in total, which must not
 * read as "stick full".
 */
export async function freeBytesAt(folder: string): Promise<number | null> {
  const stats = await statfs(folder);
  if (stats.blocks === 0 || stats.bsize === 0) return null;
  return stats.bavail * stats.bsize;
}
