import { closeSync, openSync, writeSync } from 'node:fs';
import Database from 'better-sqlite3';

/**
 * Damages a real journal file where only a day's export reads: one leaf page
 * of the F_RECEIPT table, `fromEnd` pages before its last. The day counts
 * (summary, booked days) walk the indexes alone and still work; streaming
 * the newest day's receipts reads that page and SQLite answers
 * SQLITE_CORRUPT after the rows of the pages before it.
 */
export function corruptReceiptPage(file: string, fromEnd = 3): { pageNo: number } {
  const db = new Database(file, { readonly: true });
  let pageSize: number;
  let pageNo: number;
  try {
    pageSize = db.pragma('page_size', { simple: true }) as number;
    const leaves = db
      .prepare("SELECT pageno FROM dbstat WHERE name = 'F_RECEIPT' AND pagetype = 'leaf' ORDER BY path")
      .pluck()
      .all() as number[];
    if (leaves.length <= fromEnd) throw new Error(`F_RECEIPT has only ${leaves.length} leaf pages; make the journal larger`);
    pageNo = leaves[leaves.length - 1 - fromEnd]!;
  } finally {
    db.close();
  }
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, Buffer.alloc(pageSize, 0xff), 0, pageSize, (pageNo - 1) * pageSize);
  } finally {
    closeSync(fd);
  }
  return { pageNo };
}
