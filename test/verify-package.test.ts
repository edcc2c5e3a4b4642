import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { writeDayPackage } from '../src/export/index.js';
import { PRIVATE_KEY_FILE } from '../src/export/register-keys.js';
import { listPackages, type PackageVerdict, publicKeyIdOf, signManifest, verifyPackage } from '../src/package/index.js';
import { createSyntheticJournal } from './support/synthetic-journal.js';

// `daystick verify` and the verifier library on a good package and on every kind of damage.

const run = promisify(execFile);
const DAY = '20260505';
/** How daystick verify shows DAY in English. */
const DAY_SHOWN = '5 May 2026';
const REGISTER = '40123-1';

let work: string;
let good: string;
let keyDir: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'daystick-verify-'));
  good = join(work, 'good-stick');
  keyDir = join(work, 'plugin-storage');
  await mkdir(good);
  const synthetic = createSyntheticJournal({ days: { [DAY]: { receipts: 400, badRecords: 4 } } });
  await writeDayPackage({
    stickPath: good,
    identity: { customerNumber: '40123', registerId: '1' },
    businessDay: DAY,
    closingNumber: 12,
    kind: 'day-close',
    includeTimeRecords: true,
    journal: synthetic.journal,
    timeRecording: synthetic.timeRecording,
    keyDir,
    now: () => Date.UTC(2026, 4, 5, 20),
    signal: new AbortController().signal,
  });
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

interface Copy {
  stick: string;
  dir: string;
  stem: string;
  manifest: string;
  zip: string;
  sig: string;
}

let copies = 0;
async function copyOfGood(): Promise<Copy> {
  const stick = join(work, `copy-${copies++}`);
  await cp(good, stick, { recursive: true });
  const dir = join(stick, 'DAYSTICK', REGISTER);
  const stem = (await readdir(dir)).find((n) => n.endsWith('.zip'))!.slice(0, -'.zip'.length);
  return {
    stick,
    dir,
    stem,
    manifest: join(dir, `${stem}.manifest.json`),
    zip: join(dir, `${stem}.zip`),
    sig: join(dir, `${stem}.manifest.sig`),
  };
}

async function verdictOf(stick: string): Promise<PackageVerdict> {
  const locations = await listPackages(stick);
  expect(locations).toHaveLength(1);
  return verifyPackage(locations[0]!);
}

const codes = (v: PackageVerdict) => v.problems.map((p) => (p.entry ? `${p.code}:${p.entry}` : p.code));

/** Rewrites the manifest and signs it with the register's own key, as only the register could. */
async function resignedManifest(copy: Copy, change: (m: Record<string, unknown>) => void): Promise<void> {
  const manifest = JSON.parse(await readFile(copy.manifest, 'utf8'));
  change(manifest);
  const bytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
  await writeFile(copy.manifest, bytes);
  await writeFile(copy.sig, signManifest(bytes, await readFile(join(keyDir, PRIVATE_KEY_FILE), 'utf8')));
}

test('a package as written is whole', async () => {
  const v = await verdictOf(good);
  expect(v.problems).toEqual([]);
  expect(v.ok).toBe(true);
  expect(v.manifest?.controlTotals.receipts).toBe(400);
});

test('a truncated data file is named as truncated', async () => {
  const copy = await copyOfGood();
  const size = (await readFile(copy.zip)).length;
  await truncate(copy.zip, Math.floor(size / 2));
  const v = await verdictOf(copy.stick);
  expect(v.ok).toBe(false);
  expect(codes(v)).toContain('truncated');
  expect(codes(v)).toContain('unreadable-zip');
});

/** Replaces one entry's text inside the data zip (with Info-ZIP, not the writer's library), keeping the entry order. */
async function rezipWith(
  copy: Copy,
  entry: string,
  edit: (text: string) => string,
  order = ['receipts', 'receipt-lines', 'payments', 'stock-postings', 'time-records', 'quarantine'],
  zipFlags: string[] = [],
): Promise<void> {
  const x = join(work, `unzipped-${copies++}`);
  await mkdir(x);
  await run('unzip', ['-q', copy.zip, '-d', x]);
  await writeFile(join(x, entry), edit(await readFile(join(x, entry), 'utf8')));
  await unlink(copy.zip);
  await run('zip', ['-q', '-X', '-j', ...zipFlags, copy.zip, ...order.map((n) => join(x, `${n}.ndjson`))]);
}

test('a changed record is a hash mismatch naming its entry, and the control totals no longer add up', async () => {
  const copy = await copyOfGood();
  await rezipWith(copy, 'receipts.ndjson', (text) =>
    text.replace(/"grossMinor":(\d+)/, (_m, n) => `"grossMinor":${Number(n) + 1}`),
  );
  const v = await verdictOf(copy.stick);
  expect(codes(v)).toEqual(['data-hash-mismatch', 'hash-mismatch:receipts.ndjson', 'control-totals-mismatch']);
  expect(v.problems.find((p) => p.code === 'control-totals-mismatch')?.message).toMatch(/controlTotals\.grossMinor/);
});

test('a row that breaks its schema or belongs to another day is a bad record, named with entry and line', async () => {
  const copy = await copyOfGood();
  await rezipWith(copy, 'receipt-lines.ndjson', (text) => text.replace(/"grossMinor":(\d+)/, '"grossMinor":1.5'));
  const v = await verdictOf(copy.stick);
  expect(codes(v)).toContain('bad-record:receipt-lines.ndjson');
  expect(v.problems.find((p) => p.code === 'bad-record')?.message).toMatch(/^receipt-lines\.ndjson record 1: grossMinor: /);

  const other = await copyOfGood();
  await rezipWith(other, 'stock-postings.ndjson', (text) => text.replace(`"businessDay":"${DAY}"`, '"businessDay":"20260504"'));
  const w = await verdictOf(other.stick);
  expect(codes(w)).toContain('bad-record:stock-postings.ndjson');
  expect(w.problems.find((p) => p.code === 'bad-record')?.message).toMatch(/belongs to business day 20260504/);
});

test('a flipped byte inside the data file is caught', async () => {
  const copy = await copyOfGood();
  const bytes = await readFile(copy.zip);
  bytes[Math.floor(bytes.length / 3)]! ^= 0xff;
  await writeFile(copy.zip, bytes);
  const v = await verdictOf(copy.stick);
  expect(v.ok).toBe(false);
  expect(codes(v)[0]).toBe('data-hash-mismatch');
  expect(codes(v).length).toBeGreaterThan(1);
});

test('a package without manifest is an interrupted write', async () => {
  const copy = await copyOfGood();
  await unlink(copy.manifest);
  const v = await verdictOf(copy.stick);
  expect(codes(v)).toEqual(['interrupted-write']);
  expect(v.problems[0]!.message).toMatch(/interrupted/);
});

test('a leftover temporary file is reported as an interrupted write even beside a manifest', async () => {
  const copy = await copyOfGood();
  await writeFile(`${copy.zip}.part`, 'half');
  expect(codes(await verdictOf(copy.stick))).toEqual(['interrupted-write']);
});

test('a manifest signed by another key is a foreign key', async () => {
  const copy = await copyOfGood();
  const other = generateKeyPairSync('ed25519');
  const otherPublic = other.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const otherPrivate = other.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const manifest = JSON.parse(await readFile(copy.manifest, 'utf8'));
  manifest.publicKeyId = publicKeyIdOf(otherPublic);
  const bytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
  await writeFile(copy.manifest, bytes);
  await writeFile(copy.sig, signManifest(bytes, otherPrivate));
  expect(codes(await verdictOf(copy.stick))).toEqual(['foreign-key']);
});

test('a signature that does not match the manifest is a bad signature', async () => {
  const copy = await copyOfGood();
  const other = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  await writeFile(copy.sig, signManifest(await readFile(copy.manifest), other));
  expect(codes(await verdictOf(copy.stick))).toEqual(['bad-signature']);
});

test('an edited manifest without a new signature is a bad signature', async () => {
  const copy = await copyOfGood();
  const text = await readFile(copy.manifest, 'utf8');
  await writeFile(copy.manifest, text.replace('"closingNumber": 12', '"closingNumber": 13'));
  expect(codes(await verdictOf(copy.stick))).toEqual(['bad-signature']);
});

test('a version-1 manifest relabelled version 2 is no version-2 manifest', async () => {
  const copy = await copyOfGood();
  await resignedManifest(copy, (m) => {
    m.formatVersion = 2;
  });
  const v = await verdictOf(copy.stick);
  expect(codes(v)).toEqual(['bad-manifest']);
});

test('an unknown format version is refused before anything else', async () => {
  const copy = await copyOfGood();
  await resignedManifest(copy, (m) => {
    m.formatVersion = 3;
  });
  const v = await verdictOf(copy.stick);
  expect(codes(v)).toEqual(['unknown-format-version']);
  expect(v.manifest).toBeNull();
});

test('control totals that do not match the records are caught even when properly signed', async () => {
  const copy = await copyOfGood();
  await resignedManifest(copy, (m) => {
    const totals = m.controlTotals as { byPaymentType: { amountMinor: number }[] };
    totals.byPaymentType[0]!.amountMinor += 100;
  });
  const v = await verdictOf(copy.stick);
  expect(codes(v)).toEqual(['control-totals-mismatch']);
  expect(v.problems[0]!.message).toMatch(/byPaymentType\[0\]\.amountMinor/);
});

test('a record count that does not match is named with its entry', async () => {
  const copy = await copyOfGood();
  await resignedManifest(copy, (m) => {
    (m.entries as { name: string; records: number }[]).find((e) => e.name === 'payments.ndjson')!.records += 1;
  });
  expect(codes(await verdictOf(copy.stick))).toEqual(['count-mismatch:payments.ndjson']);
});

test('a missing register.pub is named', async () => {
  const copy = await copyOfGood();
  await unlink(join(copy.dir, 'register.pub'));
  expect(codes(await verdictOf(copy.stick))).toEqual(['missing-public-key']);
});

/** Writes manifest text as given and signs it with the register's key: only the form is wrong, never the signature. */
async function signedManifestText(copy: Copy, edit: (text: string) => string): Promise<void> {
  const bytes = Buffer.from(edit(await readFile(copy.manifest, 'utf8')));
  await writeFile(copy.manifest, bytes);
  await writeFile(copy.sig, signManifest(bytes, await readFile(join(keyDir, PRIVATE_KEY_FILE), 'utf8')));
}

describe('every rule of section 8, by name', () => {
  test('a manifest naming a key twice is a bad manifest, not read with the last value', async () => {
    const copy = await copyOfGood();
    await signedManifestText(copy, (t) => t.replace('"closingNumber": 12,', '"closingNumber": 12,\n  "closingNumber": 13,'));
    const v = await verdictOf(copy.stick);
    expect(codes(v)).toEqual(['bad-manifest']);
    expect(v.problems[0]!.message).toMatch(/key twice/);
  });

  test('1.0 where an integer belongs is a bad manifest; so are a non-integer and a missing formatVersion', async () => {
    const fraction = await copyOfGood();
    await signedManifestText(fraction, (t) => t.replace('"closingNumber": 12', '"closingNumber": 12.0'));
    expect(codes(await verdictOf(fraction.stick))).toEqual(['bad-manifest']);
    const version = await copyOfGood();
    await signedManifestText(version, (t) => t.replace('"formatVersion": 1', '"formatVersion": 1.0'));
    expect(codes(await verdictOf(version.stick))).toEqual(['bad-manifest']);
    const missing = await copyOfGood();
    await signedManifestText(missing, (t) => t.replace('"formatVersion": 1,', ''));
    expect(codes(await verdictOf(missing.stick))).toEqual(['bad-manifest']);
  });

  test('CRLF line ends are refused in the manifest and in an entry', async () => {
    const manifest = await copyOfGood();
    await signedManifestText(manifest, (t) => t.replaceAll('\n', '\r\n'));
    expect(codes(await verdictOf(manifest.stick))).toEqual(['bad-manifest']);
    const entry = await copyOfGood();
    await rezipWith(entry, 'receipts.ndjson', (t) => t.replaceAll('\n', '\r\n'));
    expect(codes(await verdictOf(entry.stick))).toContain('bad-record:receipts.ndjson');
  });

  test('an integer written as 1.0 in a row is a bad record', async () => {
    const copy = await copyOfGood();
    await rezipWith(copy, 'receipts.ndjson', (t) => t.replace(/"receiptNo":(\d+)/, '"receiptNo":$1.0'));
    const v = await verdictOf(copy.stick);
    expect(codes(v)).toContain('bad-record:receipts.ndjson');
    expect(v.problems.find((p) => p.code === 'bad-record')?.message).toMatch(/receiptNo: a number is written with a fraction/);
  });

  test('dataFile.name naming another file is misplaced', async () => {
    const copy = await copyOfGood();
    await resignedManifest(copy, (m) => {
      (m.dataFile as { name: string }).name = '20260505_00000000-0000-4000-8000-000000000000.zip';
    });
    expect(codes(await verdictOf(copy.stick))).toEqual(['misplaced']);
  });

  test("a receipt's wrong lineCount is a count mismatch even when the sum of lineCount still agrees", async () => {
    const copy = await copyOfGood();
    await rezipWith(copy, 'receipts.ndjson', (t) => {
      const rows = t.trimEnd().split('\n').map((l) => JSON.parse(l) as { lineCount: number });
      const [a, b] = [rows.findIndex((r) => r.lineCount > 0), rows.findLastIndex((r) => r.lineCount > 0)];
      rows[a]!.lineCount++;
      rows[b]!.lineCount--;
      return `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`;
    });
    const v = await verdictOf(copy.stick);
    expect(codes(v)).toEqual(['data-hash-mismatch', 'count-mismatch:receipt-lines.ndjson', 'hash-mismatch:receipts.ndjson']);
  });

  test('the same receipt id twice in one package is a duplicate id', async () => {
    const copy = await copyOfGood();
    await rezipWith(copy, 'receipts.ndjson', (t) => {
      const lines = t.split('\n');
      lines.splice(1, 0, lines[0]!);
      return lines.join('\n');
    });
    expect(codes(await verdictOf(copy.stick))).toContain('duplicate-id:receipts.ndjson');
  });

  test('a line or payment of a receipt that is not in the package is an orphan row', async () => {
    const copy = await copyOfGood();
    await rezipWith(copy, 'payments.ndjson', (t) => t.replace(/"receiptId":"[^"]*"/, '"receiptId":"not-in-this-package"'));
    expect(codes(await verdictOf(copy.stick))).toContain('orphan-row:payments.ndjson');
  });

  test('a ZIP64 data file is a bad zip', async () => {
    const copy = await copyOfGood();
    await rezipWith(copy, 'receipts.ndjson', (t) => t, undefined, ['-fz']);
    expect(codes(await verdictOf(copy.stick))).toContain('bad-zip');
  });

  test('entries out of order are named', async () => {
    const copy = await copyOfGood();
    await rezipWith(copy, 'receipts.ndjson', (t) => t, ['receipt-lines', 'receipts', 'payments', 'stock-postings', 'time-records', 'quarantine']);
    expect(codes(await verdictOf(copy.stick))).toContain('entry-order');
  });

  test('a register.pub that is not an Ed25519 key is a missing public key, not a foreign key', async () => {
    const copy = await copyOfGood();
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    await writeFile(join(copy.dir, 'register.pub'), rsa);
    expect(codes(await verdictOf(copy.stick))).toEqual(['missing-public-key']);
  });

  test('a signature file not of the one allowed form is a bad signature', async () => {
    const copy = await copyOfGood();
    const sig = await readFile(copy.sig, 'utf8');
    await writeFile(copy.sig, ` ${sig.trimEnd()}\r\n`);
    const v = await verdictOf(copy.stick);
    expect(codes(v)).toEqual(['bad-signature']);
    expect(v.problems[0]!.message).toMatch(/88 Base64/);
  });
});

describe('daystick verify (the built command in a child process)', () => {
  const bin = resolve('bin/daystick.js');
  const daystick = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await run(process.execPath, [bin, 'verify', ...args]);
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  test('exit 0 and one OK line per package when every package is whole', async () => {
    const r = await daystick(good);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^${DAY_SHOWN}  ${REGISTER}  day-close  400 receipts  OK  [0-9a-f-]{36}$`));
    expect(lines[1]).toBe('1 package checked: 1 whole, 0 with problems');
  });

  test('exit 1, each broken package named with its problems, when any package is not whole', async () => {
    const mixed = join(work, 'mixed');
    await cp(good, join(mixed, 'stick-a'), { recursive: true });
    const broken = await copyOfGood();
    await unlink(broken.manifest);
    await cp(broken.stick, join(mixed, 'stick-b'), { recursive: true });
    const r = await daystick(mixed);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/ OK /);
    expect(r.stdout).toMatch(new RegExp(`${DAY_SHOWN}  ${REGISTER}  -  - receipts  FAILED`));
    expect(r.stdout).toMatch(/interrupted-write: no manifest/);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('2 packages checked: 1 whole, 1 with problems');
  });

  test('exit 1 when there is nothing to verify, exit 2 for a path that is not there', async () => {
    const empty = join(work, 'empty');
    await mkdir(empty);
    const none = await daystick(empty);
    expect(none.code).toBe(1);
    expect(none.stdout).toMatch(/no daystick packages found/);
    const missing = await daystick(join(work, 'no-such-folder'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read .*no-such-folder/);
  });
});
