import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLinuxScan } from '../src/stick/linux-scan.js';
import {
  decodeMountField,
  findContainingMount,
  findMountAt,
  MountInfoParseError,
  parseMountInfo,
  readMountInfo,
} from '../src/stick/mountinfo.js';
import { describeBlockDevice, isRemovable } from '../src/stick/sysfs-block-device.js';
import { MemoryLogger } from './support/test-host.js';

const fixture = path.join(import.meta.dirname, 'fixtures', 'stick', 'linux-mountinfo.txt');

describe('mountinfo parser on recorded text', () => {
  test('decodes the escapes of space, tab and backslash', async () => {
    const entries = parseMountInfo(await readFile(fixture, 'utf8'));
    const points = entries.map((e) => e.mountPoint);
    expect(points).toContain('/tmp/fx/root/My Stick');
    expect(points).toContain('/media/kasse/Day Stick\tB\\x');
    expect(decodeMountField('a\\040b\\134\\011')).toBe('a b\\\t');
  });

  test('reads the fusefat mounts as the kernel lists them: fs type, source, read-only flag, anonymous device', async () => {
    const entries = parseMountInfo(await readFile(fixture, 'utf8'));
    const rw = findMountAt(entries, '/tmp/fx/root/My Stick');
    const ro = findMountAt(entries, '/tmp/fx/root/RO');
    expect(rw).toMatchObject({ fsType: 'fuse.fusefat', source: 'fusefat', readOnly: false, majorMinor: '0:39' });
    expect(ro).toMatchObject({ fsType: 'fuse.fusefat', readOnly: true, majorMinor: '0:40', mountId: 43 });
  });

  test('skips optional fields up to the separator', async () => {
    const entries = parseMountInfo(await readFile(fixture, 'utf8'));
    const usb = findMountAt(entries, '/media/kasse/KINGSTON');
    expect(usb).toMatchObject({ fsType: 'vfat', source: '/dev/sdb1', majorMinor: '8:17', readOnly: false });
    const exfat = findMountAt(entries, '/media/kasse/Day Stick\tB\\x');
    expect(exfat).toMatchObject({ fsType: 'exfat', source: '/dev/sdc1', readOnly: true, parentId: 29 });
  });

  test('finds the mount that contains a path by the longest mount point, not by a name prefix', async () => {
    const entries = parseMountInfo(await readFile(fixture, 'utf8'));
    expect(findContainingMount(entries, '/tmp/fx/root/My Stick/DAYSTICK/x.zip')?.mountId).toBe(42);
    expect(findContainingMount(entries, '/tmp/fx/root/My Sticky')?.mountPoint).toBe('/');
    expect(findMountAt(entries, '/media/kasse')).toBeNull();
  });

  test('a malformed line is refused by line number', () => {
    const text = '22 27 0:21 / /proc rw,relatime - proc proc rw\n23 27 nonsense\n';
    expect(() => parseMountInfo(text)).toThrow(MountInfoParseError);
    expect(() => parseMountInfo(text)).toThrow(/line 2/);
  });

  test("this process's own mount table parses and has a root mount", async () => {
    const entries = await readMountInfo();
    expect(entries.some((e) => e.mountPoint === '/')).toBe(true);
  });
});

describe('sysfs: removable or USB block device, read from a tree given as a parameter', () => {
  let sysfs: string;
  const usbDisk = 'devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0/block/sdb';
  const cardReader = 'devices/platform/soc/mmc_host/mmc0/mmc0:0001/block/mmcblk0';
  const nvme = 'devices/pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0/nvme0n1';

  async function device(dir: string, files: Record<string, string>, majorMinor: string): Promise<void> {
    await mkdir(path.join(sysfs, dir), { recursive: true });
    for (const [name, content] of Object.entries(files)) await writeFile(path.join(sysfs, dir, name), content);
    await symlink(path.join('..', '..', dir), path.join(sysfs, 'dev', 'block', majorMinor));
  }

  beforeAll(async () => {
    sysfs = await mkdtemp(path.join(tmpdir(), 'daystick-sysfs-'));
    await mkdir(path.join(sysfs, 'dev', 'block'), { recursive: true });
    // A USB stick that calls itself non-removable, as many do: the USB path decides.
    await device(usbDisk, { removable: '0\n' }, '8:16');
    await device(`${usbDisk}/sdb1`, { partition: '1\n' }, '8:17');
    await device(cardReader, { removable: '1\n' }, '179:0');
    await device(`${cardReader}/mmcblk0p1`, { partition: '1\n' }, '179:1');
    await device(nvme, { removable: '0\n' }, '259:0');
    await device(`${nvme}/nvme0n1p2`, { partition: '2\n' }, '259:2');
  });
  afterAll(async () => {
    await rm(sysfs, { recursive: true, force: true });
  });

  test('a partition on a USB disk is removable and names its disk', async () => {
    const facts = await describeBlockDevice('8:17', sysfs);
    expect(facts).toEqual({ disk: 'sdb', removableFlag: false, onUsb: true });
    expect(isRemovable(facts)).toBe(true);
  });

  test("a card reader's partition is removable by its disk's flag", async () => {
    const facts = await describeBlockDevice('179:1', sysfs);
    expect(facts).toEqual({ disk: 'mmcblk0', removableFlag: true, onUsb: false });
    expect(isRemovable(facts)).toBe(true);
  });

  test('a fixed NVMe partition is not removable', async () => {
    const facts = await describeBlockDevice('259:2', sysfs);
    expect(facts).toEqual({ disk: 'nvme0n1', removableFlag: false, onUsb: false });
    expect(isRemovable(facts)).toBe(false);
  });

  test('a device without a sysfs entry (FUSE, 0:N) is no block device at all', async () => {
    expect(await describeBlockDevice('0:39', sysfs)).toBeNull();
    expect(isRemovable(null)).toBe(false);
  });

  test("this machine's root file system is not on a removable device", async () => {
    const rootMount = findMountAt(await readMountInfo(), '/');
    expect(rootMount).not.toBeNull();
    expect(isRemovable(await describeBlockDevice(rootMount?.majorMinor ?? '', '/sys'))).toBe(false);
  });
});

describe('default Linux scan: block-device mounts anywhere, kept when their disk is removable', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daystick-linuxscan-'));
    const sysfs = path.join(dir, 'sys');
    await mkdir(path.join(sysfs, 'dev', 'block'), { recursive: true });
    const usbDisk = 'devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0/host2/target2:0:0/2:0:0:0/block/sdc';
    await mkdir(path.join(sysfs, usbDisk, 'sdc1'), { recursive: true });
    await writeFile(path.join(sysfs, usbDisk, 'removable'), '1\n');
    await writeFile(path.join(sysfs, usbDisk, 'sdc1', 'partition'), '1\n');
    await symlink(path.join('..', '..', usbDisk, 'sdc1'), path.join(sysfs, 'dev', 'block', '8:33'));
    const fixed = 'devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/block/sda';
    await mkdir(path.join(sysfs, fixed, 'sda2'), { recursive: true });
    await writeFile(path.join(sysfs, fixed, 'removable'), '0\n');
    await writeFile(path.join(sysfs, fixed, 'sda2', 'partition'), '2\n');
    await symlink(path.join('..', '..', fixed, 'sda2'), path.join(sysfs, 'dev', 'block', '8:2'));
    await mkdir(path.join(dir, 'mnt', 'usb stick'), { recursive: true });
    await mkdir(path.join(dir, 'mnt', 'data'), { recursive: true });
    const esc = (p: string) => p.replaceAll(' ', '\\040');
    await writeFile(
      path.join(dir, 'mountinfo'),
      [
        `30 1 8:2 / ${esc(path.join(dir, 'mnt', 'data'))} rw,relatime shared:1 - ext4 /dev/sda2 rw`,
        `31 1 8:33 / ${esc(path.join(dir, 'mnt', 'usb stick'))} ro,relatime shared:2 - vfat /dev/sdc1 ro`,
        `32 1 0:50 / ${esc(path.join(dir, 'mnt'))} rw - tmpfs tmpfs rw`,
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('the USB partition is a stick with its device and disk for eject; the fixed disk is not', async () => {
    const scan = createLinuxScan({
      roots: [path.join(dir, 'no-such-root')],
      mountsOnly: true,
      includeRemovableMounts: true,
      logger: new MemoryLogger(),
      mountInfoPath: path.join(dir, 'mountinfo'),
      sysfsRoot: path.join(dir, 'sys'),
    });
    const found = await scan();
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      info: {
        id: `mount:31:${path.join(dir, 'mnt', 'usb stick')}`,
        mountPath: path.join(dir, 'mnt', 'usb stick'),
        label: 'usb stick',
        fsType: 'vfat',
        readOnly: true,
      },
      ejectTarget: '/dev/sdc1',
      disk: '/dev/sdc',
    });
  });
});
