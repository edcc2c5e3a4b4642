import { TEST_HEAD_OFFICE_IDENTITY, TEST_HEAD_OFFICE_RECIPIENT } from '../support/test-host.js';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { closeDay, createMinimalHost } from '../../docs/examples/minimal-host.js';
import { createDemoJournalFile } from '../../src/journal/demo-journal.js';
import { listPackages, verifyPackage } from '../../src/package/index.js';
import { makeTestDir, removeTestDir } from '../support/test-host.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EXAMPLE = 'docs/examples/minimal-host.ts';

/** The code block the guide puts right after its include marker for `path`. */
function quotedBlock(guide: string, path: string): string | null {
  const marker = `<!-- example: ${path} -->`;
  const at = guide.indexOf(marker);
  if (at < 0) return null;
  const match = /^\s*```ts\n([\s\S]*?)\n```/.exec(guide.slice(at + marker.length));
  return match ? `${match[1]}\n` : null;
}

describe("the host guide's example host", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await makeTestDir('host-guide');
  });
  afterEach(async () => removeTestDir(dir));

  test('the guide quotes the example file verbatim', async () => {
    const guide = await readFile(join(ROOT, 'docs/host-guide.md'), 'utf8');
    const file = await readFile(join(ROOT, EXAMPLE), 'utf8');
    expect(quotedBlock(guide, EXAMPLE)).toBe(file);
  });

  test('closes a day on a real SQLite journal onto a folder stick, and the package verifies', async () => {
    const databasePath = join(dir, 'register.sqlite');
    await createDemoJournalFile(databasePath, {
      start: '20260105',
      days: 2,
      receiptsPerDay: 40,
      seed: 'host-guide',
      badRecords: 0,
      closedDays: 0,
    });
    const stick = join(dir, 'sticks', 'STICK1');
    await mkdir(stick, { recursive: true });
    const screen: string[] = [];
    const warnings: string[] = [];
    const { host, close } = createMinimalHost({
      databasePath,
      storageDir: join(dir, 'storage'),
      stickRoots: [join(dir, 'sticks')],
      // Only what this register's clerk set: everything else comes from the manifest's defaults.
      settings: { saveTransactionsForCentral: true, customerNumber: '10001', headOfficeCustomerNumber: '10000', headOfficeRecipients: TEST_HEAD_OFFICE_RECIPIENT },
      print: (line) => screen.push(line),
      log: (level, message) => {
        if (level === 'warn' || level === 'error') warnings.push(message);
      },
    });
    let result: Awaited<ReturnType<typeof closeDay>>;
    try {
      result = await closeDay(host, '20260106', 2);
    } finally {
      close();
    }
    expect(result).toMatchObject({ outcome: 'sent', sentDays: ['20260106'], pendingDays: [], finalPromptId: 'NOTE_2' });
    expect(screen.some((l) => l.startsWith('[STICK_USED]'))).toBe(true);
    expect(screen.some((l) => l.startsWith('[NOTE_1]'))).toBe(true);
    expect(warnings).toEqual([]);

    // The defaults filled in: register id "1" names the folder, the time records and the backup are on.
    const registerDir = join(stick, 'DAYSTICK', '10001-1');
    const packages = await listPackages(stick);
    expect(packages).toHaveLength(1);
    const verdict = await verifyPackage(packages[0]!, { identities: [TEST_HEAD_OFFICE_IDENTITY] });
    expect(verdict.problems).toEqual([]);
    expect(verdict.ok).toBe(true);
    const manifest = verdict.manifest!;
    expect(manifest).toMatchObject({
      businessDay: '20260106',
      closingNumber: 2,
      includesTimeRecords: true,
      quarantined: 0,
    });
    // A host outside Germany: no tseModules method, so the closing names no security module.
    expect(manifest).not.toHaveProperty('tseModules');

    const db = new Database(databasePath, { readonly: true });
    try {
      const count = (sql: string) => db.prepare(sql).pluck().get('20260106') as number;
      const records = Object.fromEntries(manifest.entries.map((e) => [e.name, e.records]));
      expect(records).toEqual({
        'receipts.ndjson': count('SELECT COUNT(*) FROM F_RECEIPT WHERE business_day = ?'),
        'receipt-lines.ndjson': count(
          'SELECT COUNT(*) FROM F_RECEIPT_LINE l JOIN F_RECEIPT r USING (receipt_id) WHERE r.business_day = ?',
        ),
        'payments.ndjson': count(
          'SELECT COUNT(*) FROM F_PAYMENT p JOIN F_RECEIPT r USING (receipt_id) WHERE r.business_day = ?',
        ),
        'stock-postings.ndjson': count('SELECT COUNT(*) FROM F_STOCK_POSTING WHERE business_day = ?'),
        'time-records.ndjson': count('SELECT COUNT(*) FROM F_TIME_RECORD WHERE business_day = ?'),
        'quarantine.ndjson': 0,
      });
      expect(records['receipts.ndjson']).toBe(40);
    } finally {
      db.close();
    }
    // The example's backup landed beside the packages and left no local copy in the plugin's storage.
    // …and committed: the example's one file of its exact size gets the signed manifest (stick format 10.1).
    expect((await readdir(join(registerDir, 'masterdata'))).sort()).toEqual([
      'backup.manifest.json',
      'backup.manifest.sig',
      'register-backup.sqlite.age',
    ]);
    expect(await readdir(join(dir, 'storage', 'backup-work')).catch(() => [])).toEqual([]);
  });
});
