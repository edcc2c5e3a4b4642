import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createDemoJournalFile } from '../src/journal/demo-journal.js';
import { JOURNAL_TABLES } from '../src/journal/journal-schema.js';
import { openJournalDatabase } from '../src/journal/open-journal.js';
import { BACKUP_FILE_NAME, ENCRYPTED_SUFFIX, SqliteMasterDataBackup } from '../src/journal/sqlite-master-data-backup.js';
import { decryptFile, encryptingStream, loadOrCreateIdentityFile, readIdentityFile } from '../src/package/age-file.js';
import { describeWithFuse, makeFatImage, mountStick, pullStick, releaseAllSticks } from './support/fuse-stick.js';

function tableContents(db: Database.Database): string {
  return JSON.stringify(JOURNAL_TABLES.map((t) => db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all()));
}

describe('master-data backup with SQLite online backup', () => {
  let dir: string;
  let db: Database.Database;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'daystick-backup-'));
    const path = join(dir, 'journal.sqlite');
    await createDemoJournalFile(path, {
      start: '20261001',
      days: 20,
      receiptsPerDay: 200,
      seed: 'backup',
      badRecords: 0,
      closedDays: 19,
    });
    db = openJournalDatabase(path, { readonly: false });
  });

  afterAll(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('with encrypt, only age ciphertext reaches the target, and it decrypts to the same rows', async () => {
    const target = join(dir, 'stick', 'encrypted');
    const identityFile = join(dir, 'headoffice-age-identity.txt');
    const recipient = await loadOrCreateIdentityFile(identityFile);
    const result = await new SqliteMasterDataBackup(db, 16).run(
      target,
      new AbortController().signal,
      undefined,
      join(dir, 'work'),
      (plain) => encryptingStream(plain, [recipient]),
    );
    const name = `${BACKUP_FILE_NAME}${ENCRYPTED_SUFFIX}`;
    expect(result.files).toEqual([name]);
    expect(readdirSync(target)).toEqual([name]);
    const onStick = readFileSync(join(target, name));
    expect(result.bytes).toBe(onStick.length);
    expect(onStick.subarray(0, 22).toString('latin1')).toBe('age-encryption.org/v1\n');
    const someReceiptId = db.prepare('SELECT receipt_id FROM F_RECEIPT LIMIT 1').pluck().get() as string;
    expect(onStick.includes('SQLite format 3')).toBe(false);
    expect(onStick.includes(someReceiptId)).toBe(false);
    const clear = join(dir, 'decrypted.sqlite');
    await decryptFile(join(target, name), clear, await readIdentityFile(identityFile));
    const copy = new Database(clear, { readonly: true, fileMustExist: true });
    expect(tableContents(copy)).toBe(tableContents(db));
    copy.close();
  });

  it('writes an openable copy with the same rows and reports progress up to the total', async () => {
    const target = join(dir, 'stick', 'backup');
    const progress: [number, number][] = [];
    const result = await new SqliteMasterDataBackup(db, 16).run(target, new AbortController().signal, (d, t) =>
      progress.push([d, t]),
    );
    expect(result.files).toEqual([BACKUP_FILE_NAME]);
    expect(readdirSync(target)).toEqual([BACKUP_FILE_NAME]);
    const copy = new Database(join(target, BACKUP_FILE_NAME), { readonly: true, fileMustExist: true });
    expect(tableContents(copy)).toBe(tableContents(db));
    copy.close();
    expect(progress.length).toBeGreaterThan(3);
    const [done, total] = progress.at(-1)!;
    expect(done).toBe(total);
    expect(progress.map(([d]) => d)).toEqual([...progress.map(([d]) => d)].sort((a, b) => a - b));
    // Progress counts the snapshot's pages, then the same pages again while they are copied and read back.
    expect(result.bytes).toBe((total / 3) * (db.pragma('page_size', { simple: true }) as number));
  });

  it('aborts mid-copy, rejects with the abort reason and leaves no file behind', async () => {
    const target = join(dir, 'stick2', 'backup');
    const controller = new AbortController();
    let steps = 0;
    const run = new SqliteMasterDataBackup(db, 4).run(target, controller.signal, () => {
      if (++steps === 3) controller.abort(new Error('stick pulled during backup'));
    });
    await expect(run).rejects.toThrow('stick pulled during backup');
    expect(steps).toBe(3);
    expect(readdirSync(target)).toEqual([]);
    // The register database stays usable for the next close.
    expect(db.prepare('SELECT COUNT(*) FROM F_RECEIPT').pluck().get()).toBe(20 * 200);
  });

  it('aborts while copying onto the target and leaves neither the file nor its temporary part', async () => {
    const target = join(dir, 'stick3', 'backup');
    const controller = new AbortController();
    const run = new SqliteMasterDataBackup(db).run(target, controller.signal, (done, total) => {
      if (done > total / 2) controller.abort(new Error('stick pulled during copy'));
    });
    await expect(run).rejects.toThrow('stick pulled during copy');
    expect(readdirSync(target)).toEqual([]);
  });

  it('refuses to start when already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('cancelled'));
    await expect(new SqliteMasterDataBackup(db).run(join(dir, 'never'), controller.signal)).rejects.toThrow(
      'cancelled',
    );
  });

  it('fails with the file system error when the target cannot be a folder', async () => {
    const notAFolder = join(dir, 'journal.sqlite', 'backup');
    await expect(new SqliteMasterDataBackup(db).run(notAFolder, new AbortController().signal)).rejects.toMatchObject({
      code: 'ENOTDIR',
    });
  });
});

describeWithFuse('master-data backup onto a real FAT32 stick pulled mid-copy', ['fat32'], () => {
  let dir: string;
  let db: Database.Database;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'daystick-backup-fuse-'));
    await createDemoJournalFile(join(dir, 'journal.sqlite'), {
      start: '20261001',
      days: 5,
      receiptsPerDay: 2000,
      seed: 'backup-fuse',
      badRecords: 0,
      closedDays: 4,
    });
    db = openJournalDatabase(join(dir, 'journal.sqlite'), { readonly: false });
  });

  afterAll(async () => {
    db.close();
    await releaseAllSticks();
    rmSync(dir, { recursive: true, force: true });
  });

  it('replaces the .part the pull left instead of reopening it with truncate, and keeps its work folder empty', async () => {
    const image = join(dir, 'stick.img');
    const mountPoint = join(dir, 'stick.mnt');
    await makeFatImage(image, 64, 'fat32');
    let mount = await mountStick(image, mountPoint);
    const target = join(mountPoint, 'backup');
    const work = join(dir, 'work');
    let pulled: Promise<void> | null = null;
    const first = new SqliteMasterDataBackup(db).run(
      target,
      new AbortController().signal,
      (done, total) => {
        if (done > total / 2 && pulled === null) pulled = pullStick(mount);
      },
      work,
    );
    await expect(first).rejects.toThrow();
    await pulled;
    expect(readdirSync(work)).toEqual([]);

    mount = await mountStick(image, mountPoint);
    expect(readdirSync(target)).toEqual([`${BACKUP_FILE_NAME}.part`]);
    const result = await new SqliteMasterDataBackup(db).run(target, new AbortController().signal, undefined, work);
    expect(result.files).toEqual([BACKUP_FILE_NAME]);
    expect(readdirSync(target)).toEqual([BACKUP_FILE_NAME]);
    const copy = new Database(join(target, BACKUP_FILE_NAME), { readonly: true, fileMustExist: true });
    expect(tableContents(copy)).toBe(tableContents(db));
    copy.close();
    expect(readdirSync(work)).toEqual([]);
  }, 120_000);
});
