import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { activate } from '../../src/plugin/activate.js';
import { createTestHost, makeTestDir, removeTestDir } from '../support/test-host.js';

describe('plugin activation', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await makeTestDir('activation');
  });
  afterEach(async () => removeTestDir(dir));

  test('a host of another API version is refused, the message names both versions', async () => {
    const host = await createTestHost({ dir, days: {}, apiVersion: '2.0' });
    await expect(activate(host)).rejects.toThrow(/speaks host API 1\.0, but this host speaks 2\.0/);
  });

  test("a customer number equal to head office's is refused, saying every register needs its own", async () => {
    const host = await createTestHost({ dir, days: {}, settings: { customerNumber: '10000' } });
    await expect(activate(host)).rejects.toThrow(/needs its own customer number/);
  });

  test('invalid settings are refused by field name', async () => {
    const host = await createTestHost({
      dir,
      days: {},
      settings: { stickReminderSeconds: 1, registerId: 'no spaces allowed' } as never,
    });
    await expect(activate(host)).rejects.toThrow(/registerId: a register id is .*stickReminderSeconds: Too small/s);
  });

  test('switch off: day close does nothing and says nothing, REPORTS stays the register key', async () => {
    const host = await createTestHost({
      dir,
      days: { '20260105': { receipts: 5 } },
      settings: { saveTransactionsForCentral: false, customerNumber: null as never },
    });
    const plugin = await activate(host);
    const result = await plugin.onDayClose({ businessDay: '20260105', closingNumber: 1 });
    expect(result.outcome).toBe('disabled');
    expect(await plugin.onCommand({ key: 'REPORTS', digits: '20260105' })).toMatchObject({ handled: false });
    expect(host.display.shown).toEqual([]);
    await plugin.dispose();
  });

  test('a damaged state file falls back to the last good copy with a warning', async () => {
    const host = await createTestHost({ dir, days: { '20260104': { receipts: 3 } } });
    let plugin = await activate(host);
    await plugin.onCommand({ key: 'REPORTS', digits: '20260104' });
    await plugin.dispose();
    const stateFile = join(host.storage.dir, 'state', 'state.json');
    const good = await readFile(stateFile, 'utf8');
    await writeFile(stateFile, good.slice(0, good.length / 2));
    plugin = await activate(host);
    expect(host.display.ids()).toContain('STATE_RECOVERED');
    const list = await plugin.onCommand({ key: 'DAYSTICK_QUEUE', digits: '' });
    expect(list.promptId).toBe('QUEUE_ENTRY');
    expect(await readFile(stateFile, 'utf8')).toBe(good);
    await plugin.dispose();
  });

  test('state file and its copy both damaged: activation refused by name, files left as they are', async () => {
    const host = await createTestHost({ dir, days: { '20260104': { receipts: 3 } } });
    const plugin = await activate(host);
    await plugin.onCommand({ key: 'REPORTS', digits: '20260104' });
    await plugin.dispose();
    await writeFile(join(host.storage.dir, 'state', 'state.json'), '{"formatVersion":1,');
    await writeFile(join(host.storage.dir, 'state', 'state.last-good.json'), 'garbage');
    await expect(activate(host)).rejects.toThrow(/damaged and has no good copy/);
    expect(await readFile(join(host.storage.dir, 'state', 'state.last-good.json'), 'utf8')).toBe('garbage');
  });
});
