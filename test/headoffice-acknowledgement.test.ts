import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateHeadOfficeKey } from '../src/headoffice/head-office-keys.js';
import {
  type Acknowledgement,
  ackFileName,
  acknowledgementPayload,
  isOwnAckFile,
  keyedAckFileName,
  readAcknowledgements,
  writeAcknowledgement,
} from '../src/package/acknowledgement.js';

// The acknowledgement format on its own: every way an ack can be wrong comes back named, none is dropped.

let work: string;
let registerDir: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'daystick-acks-'));
  registerDir = join(work, 'DAYSTICK', '40123-2');
  await mkdir(registerDir, { recursive: true });
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

function ack(day: string, packageId = randomUUID()): Omit<Acknowledgement, 'formatVersion' | 'headOfficeKeyId'> {
  return {
    packageId,
    customerNumber: '40123',
    registerId: '2',
    businessDay: day,
    packageKind: 'day-close',
    manifestSha256: 'a'.repeat(64),
    importedAt: '2026-01-06T08:00:00.000Z',
    status: 'imported',
    counts: {
      receiptsNew: 3,
      receiptsAlreadyPresent: 0,
      receiptConflicts: 0,
      stockPostingsNew: 1,
      stockPostingsAlreadyPresent: 0,
      stockPostingConflicts: 0,
      stockPostingsSkipped: 0,
      timeRecordsNew: 2,
      timeRecordsAlreadyPresent: 0,
      timeRecordConflicts: 0,
      quarantinedKept: 0,
    },
  };
}

test('no acks folder: no acks, no error', async () => {
  expect(await readAcknowledgements(registerDir)).toEqual([]);
});

test('written acks read back valid, in file-name order, with the key of two head-office machines side by side', async () => {
  const officeA = await loadOrCreateHeadOfficeKey(join(work, 'office-a'));
  const officeB = await loadOrCreateHeadOfficeKey(join(work, 'office-b'));
  const a = ack('20260105');
  const b = ack('20260106');
  await writeAcknowledgement(registerDir, b, officeB);
  await writeAcknowledgement(registerDir, a, officeA);
  const read = await readAcknowledgements(registerDir);
  expect(read.map((r) => [r.valid, r.businessDay, r.packageId])).toEqual([
    [true, '20260105', a.packageId],
    [true, '20260106', b.packageId],
  ]);
  expect(read[0]).toMatchObject({ headOfficeKeyId: officeA.keyId, counts: a.counts, status: 'imported' });
  expect((await readdir(join(registerDir, 'acks'))).filter((n) => n.endsWith('.pub'))).toHaveLength(2);

  const trusted = await readAcknowledgements(registerDir, { trustedHeadOfficeKeyId: officeA.keyId });
  expect(trusted.map((r) => (r.valid ? 'valid' : r.problem))).toEqual(['valid', 'untrusted-key']);
});

test('an ack this key wrote is known as its own by its bytes; a changed byte, another payload or another key is not', async () => {
  const office = await loadOrCreateHeadOfficeKey(join(work, 'office'));
  const other = await loadOrCreateHeadOfficeKey(join(work, 'other'));
  const a = ack('20260105');
  const text = await readFile(await writeAcknowledgement(registerDir, a, office), 'utf8');
  const payload = acknowledgementPayload(a, office);
  expect(isOwnAckFile(text, [payload], office)).toBe(true);
  // The first import's counts beside a later one's: either payload may be the file's.
  expect(isOwnAckFile(text, [acknowledgementPayload({ ...a, status: 'already-imported' }, office), payload], office)).toBe(true);
  expect(isOwnAckFile(text, [acknowledgementPayload({ ...a, status: 'already-imported' }, office)], office)).toBe(false);
  expect(isOwnAckFile(text, [acknowledgementPayload(a, other)], other)).toBe(false);
  // A signature with one character changed: what readAcknowledgements calls bad-signature is never taken as own.
  const at = text.indexOf('"signature":"') + 20;
  const broken = `${text.slice(0, at)}${text[at] === 'A' ? 'B' : 'A'}${text.slice(at + 1)}`;
  expect(isOwnAckFile(broken, [payload], office)).toBe(false);
  await writeFile(join(registerDir, 'acks', ackFileName(a.businessDay, a.packageId)), broken);
  expect((await readAcknowledgements(registerDir)).map((r) => (r.valid ? 'valid' : r.problem))).toEqual(['bad-signature']);
});

test("a second head-office key's ack of the same package sits beside the first under its keyed name; a keyed name naming another key is misplaced", async () => {
  const officeA = await loadOrCreateHeadOfficeKey(join(work, 'office-a'));
  const officeB = await loadOrCreateHeadOfficeKey(join(work, 'office-b'));
  const a = ack('20260105');
  const plain = await writeAcknowledgement(registerDir, a, officeA);
  const keyed = await writeAcknowledgement(registerDir, { ...a, status: 'already-imported' }, officeB, undefined, 'keyed');
  expect(keyed.split('/').at(-1)).toBe(keyedAckFileName('20260105', a.packageId, officeB.keyId));
  const read = await readAcknowledgements(registerDir);
  expect(read.map((r) => [r.file, r.valid, r.valid && r.headOfficeKeyId])).toEqual([
    [plain, true, officeA.keyId],
    [keyed, true, officeB.keyId],
  ]);

  const wrongName = join(registerDir, 'acks', keyedAckFileName('20260105', a.packageId, officeA.keyId));
  await rename(keyed, wrongName);
  expect((await readAcknowledgements(registerDir)).find((r) => r.file === wrongName)).toMatchObject({ valid: false, problem: 'misplaced' });
});

test('every broken ack is reported with its cause and nothing is dropped', async () => {
  const office = await loadOrCreateHeadOfficeKey(join(work, 'office'));
  const acks = join(registerDir, 'acks');
  const write = async (day: string) => {
    const a = ack(day);
    const path = await writeAcknowledgement(registerDir, a, office);
    return { a, path };
  };

  const swapped = await write('20260101');
  const text = JSON.parse(await readFile(swapped.path, 'utf8')) as { payload: string; signature: string };
  await writeFile(swapped.path, JSON.stringify({ payload: text.payload.replace('"receiptsNew":3', '"receiptsNew":4'), signature: text.signature }));

  const moved = await write('20260102');
  await rename(moved.path, join(acks, ackFileName('20260103', moved.a.packageId)));

  const partial = await write('20260104');
  await rename(partial.path, `${partial.path}.part`);

  await writeFile(join(acks, ackFileName('20260105', randomUUID())), 'not json');

  const future = await write('20260106');
  const futureText = JSON.parse(await readFile(future.path, 'utf8')) as { payload: string; signature: string };
  await writeFile(future.path, JSON.stringify({ ...futureText, payload: futureText.payload.replace('"formatVersion":1', '"formatVersion":2') }));

  await writeFile(join(acks, 'notes.ack.json'), '{}');

  const read = await readAcknowledgements(registerDir);
  const problems = Object.fromEntries(read.map((r) => [r.file.split('/').at(-1)!, r.valid ? 'valid' : r.problem]));
  expect(problems).toEqual({
    [ackFileName('20260101', swapped.a.packageId)]: 'bad-signature',
    [ackFileName('20260103', moved.a.packageId)]: 'misplaced',
    [`${ackFileName('20260104', partial.a.packageId)}.part`]: 'interrupted-write',
    [read.find((r) => r.businessDay === '20260105')!.file.split('/').at(-1)!]: 'bad-format',
    [ackFileName('20260106', future.a.packageId)]: 'unknown-format-version',
    'notes.ack.json': 'bad-format',
  });

  const keyFile = (await readdir(acks)).find((n) => n.endsWith('.pub'))!;
  await unlink(join(acks, keyFile));
  const withoutKey = await write('20260107');
  await unlink(join(acks, keyFile));
  const again = await readAcknowledgements(registerDir);
  expect(again.find((r) => r.packageId === withoutKey.a.packageId)).toMatchObject({ valid: false, problem: 'missing-public-key' });
  const other = await loadOrCreateHeadOfficeKey(join(work, 'other'));
  await writeFile(join(acks, keyFile), other.publicKeyPem);
  expect((await readAcknowledgements(registerDir)).find((r) => r.packageId === withoutKey.a.packageId)).toMatchObject({
    valid: false,
    problem: 'foreign-key',
  });
});

test('an ack for another register is not written into this folder', async () => {
  const office = await loadOrCreateHeadOfficeKey(join(work, 'office'));
  await expect(writeAcknowledgement(registerDir, { ...ack('20260105'), registerId: '3' }, office)).rejects.toThrow(
    'cannot go into folder 40123-2',
  );
  expect(await readAcknowledgements(registerDir)).toEqual([]);
});
