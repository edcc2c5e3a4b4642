import { generateKeyPairSync } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeAcknowledgement } from '../../src/package/acknowledgement.js';
import { activate } from '../../src/plugin/activate.js';
import { createTestHost, makeTestDir, removeTestDir, type TestHost } from '../support/test-host.js';
import { manifestsOn, REGISTER_FOLDER } from './plugin-helpers.js';

type M = { packageId: string; businessDay: string; kind: string };

function headOfficeKey() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

const COUNTS = {
  receiptsNew: 1,
  receiptsAlreadyPresent: 0,
  receiptConflicts: 0,
  stockPostingsNew: 0,
  stockPostingsAlreadyPresent: 0,
  stockPostingConflicts: 0,
  stockPostingsSkipped: 0,
  timeRecordsNew: 0,
  timeRecordsAlreadyPresent: 0,
  timeRecordConflicts: 0,
  quarantinedKept: 0,
};

async function acknowledge(stickPath: string, m: M, key = headOfficeKey(), name: 'plain' | 'keyed' = 'plain') {
  return writeAcknowledgement(
    join(stickPath, REGISTER_FOLDER),
    {
      packageId: m.packageId,
      customerNumber: '10001',
      registerId: '1',
      businessDay: m.businessDay,
      packageKind: m.kind as 'day-close',
      manifestSha256: '0'.repeat(64),
      importedAt: '2026-01-05T08:00:00.000Z',
      status: 'imported',
      counts: COUNTS,
    },
    key,
    undefined,
    name,
  );
}

describe("head office's acknowledgements, read by the plugin at its next stick", () => {
  let dir: string;
  let host: TestHost;
  beforeEach(async () => {
    dir = await makeTestDir('acks');
    host = await createTestHost({
      dir,
      days: { '20260102': { receipts: 4 }, '20260103': { receipts: 5 }, '20260104': { receipts: 6 }, '20260105': { receipts: 7 } },
      settings: { unconfirmedResendAfterCloses: 2 },
    });
  });
  afterEach(async () => removeTestDir(dir));

  test('an acknowledged day is shown confirmed; status tells confirmed from unconfirmed', async () => {
    const stick = await host.media.insert('STICK1');
    const plugin = await activate(host);
    await plugin.onDayClose({ businessDay: '20260103', closingNumber: 1 });
    await plugin.onDayClose({ businessDay: '20260104', closingNumber: 2 });
    const [m3] = (await manifestsOn(stick.mountPath)) as M[];
    expect(m3!.businessDay).toBe('20260103');
    await acknowledge(stick.mountPath, m3!);

    await plugin.onDayClose({ businessDay: '20260105', closingNumber: 3 });
    const confirmed = host.display.shown.find((p) => p.id === 'ACKS_CONFIRMED');
    expect(confirmed?.text).toBe('Head office confirmed the import of 1 day: 3 Jan 2026.');
    await plugin.onCommand({ key: 'DAYSTICK_STATUS', digits: '' });
    const lines = host.display.shown.slice(-3).map((p) => p.id);
    expect(lines).toEqual(['STATUS_CONFIRMED', 'STATUS_SENT', 'STATUS_SENT']);
    await plugin.dispose();
  });

  test('a day not confirmed after the configured number of closes is written again by itself', async () => {
    const stick = await host.media.insert('STICK1');
    const plugin = await activate(host);
    expect((await plugin.onDayClose({ businessDay: '20260102', closingNumber: 1 })).sentDays).toEqual(['20260102']);
    expect((await plugin.onDayClose({ businessDay: '20260103', closingNumber: 2 })).sentDays).toEqual(['20260103']);
    // Third close: 20260102 has waited two closes without a confirmation.
    expect((await plugin.onDayClose({ businessDay: '20260104', closingNumber: 3 })).sentDays).toEqual([
      '20260102',
      '20260104',
    ]);
    const kinds = ((await manifestsOn(stick.mountPath)) as M[])
      .filter((m) => m.businessDay === '20260102')
      .map((m) => m.kind)
      .sort();
    expect(kinds).toEqual(['day-close', 're-send']);
    await plugin.dispose();
  });

  test('a confirmed day is not written again; a tampered acknowledgement confirms nothing and is reported', async () => {
    const stick = await host.media.insert('STICK1');
    const plugin = await activate(host);
    await plugin.onDayClose({ businessDay: '20260102', closingNumber: 1 });
    await plugin.onDayClose({ businessDay: '20260103', closingNumber: 2 });
    const manifests = (await manifestsOn(stick.mountPath)) as M[];
    const key = headOfficeKey();
    await acknowledge(stick.mountPath, manifests.find((m) => m.businessDay === '20260102')!, key);
    const ack3 = await acknowledge(stick.mountPath, manifests.find((m) => m.businessDay === '20260103')!, key);
    const envelope = JSON.parse(await readFile(ack3, 'utf8'));
    envelope.payload = envelope.payload.replace('"status":"imported"', '"status":"already-imported"');
    await writeFile(ack3, JSON.stringify(envelope));

    const result = await plugin.onDayClose({ businessDay: '20260104', closingNumber: 3 });
    expect(result.sentDays).toEqual(['20260104']);
    expect(host.display.shown.find((p) => p.id === 'ACKS_CONFIRMED')?.text).toMatch(/1 day: 2 Jan 2026\.$/);
    expect(host.display.shown.find((p) => p.id === 'ACK_INVALID')?.text).toMatch(/bad-signature/);
    // 20260103 stays unconfirmed: at the next close it has waited two closes and goes again.
    expect((await plugin.onDayClose({ businessDay: '20260105', closingNumber: 4 })).sentDays).toEqual([
      '20260103',
      '20260105',
    ]);
    expect((await readdir(join(stick.mountPath, REGISTER_FOLDER, 'acks'))).length).toBe(3);
    await plugin.dispose();
  });

  test("a second head-office machine's ack beside the trusted one confirms quietly; alone it is reported and confirms nothing", async () => {
    const stick = await host.media.insert('STICK1');
    const plugin = await activate(host);
    await plugin.onDayClose({ businessDay: '20260102', closingNumber: 1 });
    const machineA = headOfficeKey();
    const machineB = headOfficeKey();
    const [m2] = (await manifestsOn(stick.mountPath)) as M[];
    // The register pins machine A's key with the first ack it reads.
    await acknowledge(stick.mountPath, m2!, machineA);
    await plugin.onDayClose({ businessDay: '20260103', closingNumber: 2 });
    expect(host.display.shown.filter((p) => p.id === 'ACKS_CONFIRMED').map((p) => p.text)).toEqual([
      'Head office confirmed the import of 1 day: 2 Jan 2026.',
    ]);

    const m3 = ((await manifestsOn(stick.mountPath)) as M[]).find((m) => m.businessDay === '20260103')!;
    await acknowledge(stick.mountPath, m3, machineA);
    await acknowledge(stick.mountPath, m3, machineB, 'keyed');
    await plugin.onDayClose({ businessDay: '20260104', closingNumber: 3 });
    expect(host.display.shown.filter((p) => p.id === 'ACKS_CONFIRMED').at(-1)?.text).toBe('Head office confirmed the import of 1 day: 3 Jan 2026.');
    expect(host.display.shown.filter((p) => p.id === 'ACK_INVALID')).toEqual([]);

    const m4 = ((await manifestsOn(stick.mountPath)) as M[]).find((m) => m.businessDay === '20260104')!;
    await acknowledge(stick.mountPath, m4, machineB, 'keyed');
    await plugin.onDayClose({ businessDay: '20260105', closingNumber: 4 });
    expect(host.display.shown.filter((p) => p.id === 'ACK_INVALID').map((p) => p.text)).toEqual([expect.stringMatching(/untrusted-key/)]);
    await plugin.onCommand({ key: 'DAYSTICK_STATUS', digits: '' });
    expect(host.display.shown.slice(-4).map((p) => p.id)).toEqual(['STATUS_CONFIRMED', 'STATUS_CONFIRMED', 'STATUS_SENT', 'STATUS_SENT']);
    await plugin.dispose();
  });
});
