import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { StickInfo } from '../src/host/ports.js';
import type { CommandOutcome, CommandRunner } from '../src/stick/command-runner.js';
import { runCommand } from '../src/stick/command-runner.js';
import type { DetectedStick } from '../src/stick/detected-stick.js';
import { createEjector, windowsEjectScript } from '../src/stick/eject.js';
import { createRemovableMedia } from '../src/stick/index.js';
import { parseDiskutilInfo, parseDiskutilList } from '../src/stick/macos-diskutil.js';
import { PlistParseError, parsePlist } from '../src/stick/plist.js';
import { parseWindowsUsbVolumes } from '../src/stick/windows-cim.js';
import { MemoryLogger } from './support/test-host.js';

// diskutil and PowerShell cannot run here: their output comes from fixture files, behind the same command runner.

const fixtures = path.join(import.meta.dirname, 'fixtures', 'stick');
const fixture = (name: string) => readFile(path.join(fixtures, name), 'utf8');
const ok = (stdout: string): CommandOutcome => ({ code: 0, stdout, stderr: '', spawnError: null });

/** Answers known commands from fixtures, remembers every call, refuses the rest like a failing tool. */
function scriptedRunner(answers: Record<string, () => Promise<CommandOutcome>>) {
  const calls: string[][] = [];
  const runner: CommandRunner = async (file, args) => {
    calls.push([file, ...args]);
    const answer = answers[[file, ...args].join(' ')];
    return answer
      ? answer()
      : { code: 1, stdout: '', stderr: `no such command in this test: ${file}`, spawnError: null };
  };
  return { runner, calls };
}

describe('macOS diskutil', () => {
  test('list: mounted partitions of external physical disks, entities decoded, unmounted ones skipped', async () => {
    const volumes = parseDiskutilList(await fixture('macos-diskutil-list-external-physical.plist'));
    expect(volumes).toEqual([
      { deviceIdentifier: 'disk4s1', wholeDisk: 'disk4', mountPoint: '/Volumes/KASSE & CO', volumeName: 'KASSE & CO' },
      { deviceIdentifier: 'disk5s2', wholeDisk: 'disk5', mountPoint: '/Volumes/DAYSTICK', volumeName: 'DAYSTICK' },
    ]);
  });

  test('info: file system, writability and ejectability', async () => {
    expect(parseDiskutilInfo(await fixture('macos-diskutil-info-disk4s1.plist'))).toEqual({
      deviceIdentifier: 'disk4s1',
      fsType: 'msdos',
      readOnly: false,
      ejectable: true,
      wholeDisk: 'disk4',
    });
    expect(parseDiskutilInfo(await fixture('macos-diskutil-info-disk5s2.plist'))).toMatchObject({
      fsType: 'exfat',
      readOnly: true,
    });
  });

  test('a plist that is cut off or not a plist is refused by name', () => {
    expect(() => parsePlist('<plist><dict><key>A</key><string>x</string>')).toThrow(PlistParseError);
    expect(() => parsePlist('<plist><dict><key>A</key><integer>12x</integer></dict></plist>')).toThrow(/not a number/);
    expect(() => parseDiskutilList('<plist><dict><key>WholeDisks</key><array/></dict></plist>')).toThrow();
  });

  test('the port on macOS lists both sticks and ejects the whole disk with diskutil', async () => {
    const volumes = await mkdtemp(path.join(tmpdir(), 'daystick-volumes-'));
    try {
      await mkdir(path.join(volumes, 'KASSE & CO'));
      await mkdir(path.join(volumes, 'DAYSTICK'));
      // The mount points must exist for statfs: /Volumes becomes a temp folder.
      const relocate = async (name: string) => ok((await fixture(name)).replaceAll('/Volumes', volumes));
      const { runner, calls } = scriptedRunner({
        'diskutil list -plist external physical': () => relocate('macos-diskutil-list-external-physical.plist'),
        'diskutil info -plist disk4s1': () => relocate('macos-diskutil-info-disk4s1.plist'),
        'diskutil info -plist disk5s2': () => relocate('macos-diskutil-info-disk5s2.plist'),
        'diskutil eject disk4': async () => ok('Disk disk4 ejected\n'),
      });
      const logger = new MemoryLogger();
      const media = createRemovableMedia({ platform: 'darwin', runCommand: runner, logger, usbHint: false });
      try {
        const sticks = await media.list();
        expect(sticks.map((s) => [s.label, s.fsType, s.readOnly])).toEqual([
          ['KASSE & CO', 'msdos', false],
          ['DAYSTICK', 'exfat', true],
        ]);
        expect(sticks[0]?.mountPath).toBe(path.join(volumes, 'KASSE & CO'));
        expect(sticks[0]?.freeBytes).toBeGreaterThan(0);
        await media.eject?.(sticks[0] as StickInfo);
        expect(calls).toContainEqual(['diskutil', 'eject', 'disk4']);
        expect(logger.lines.filter((l) => l.startsWith('warn'))).toEqual([]);
      } finally {
        media.dispose();
      }
    } finally {
      await rm(volumes, { recursive: true, force: true });
    }
  });
});

describe('Windows CIM through PowerShell', () => {
  test('two USB volumes: drive letters, labels, file systems, free space, read-only from Access', async () => {
    const sticks = parseWindowsUsbVolumes(await fixture('windows-usb-volumes-two.json'));
    expect(sticks.map((s) => s.info)).toEqual([
      {
        id: 'usb-disk:1:5C3A1F22:E:',
        mountPath: 'E:\\',
        label: 'KASSE',
        fsType: 'FAT32',
        readOnly: false,
        freeBytes: 15502147584,
      },
      {
        id: 'usb-disk:2:9E4177AB:F:',
        mountPath: 'F:\\',
        label: 'F:',
        fsType: 'exFAT',
        readOnly: true,
        freeBytes: 31900000256,
      },
    ]);
    expect(sticks[0]?.ejectTarget).toBe('E:');
  });

  test('one volume comes as a lone object, none as empty output', async () => {
    expect(parseWindowsUsbVolumes(await fixture('windows-usb-volumes-one.json')).map((s) => s.info.label)).toEqual([
      'KASSE',
    ]);
    expect(parseWindowsUsbVolumes('\r\n')).toEqual([]);
  });

  test('output that is not what the script prints is refused, not half-read', () => {
    expect(() => parseWindowsUsbVolumes('{"DiskIndex":1,"DeviceID":"not a drive"}')).toThrow();
    expect(() => parseWindowsUsbVolumes('Get-CimInstance : Access denied')).toThrow(SyntaxError);
  });

  test('the port on Windows lists from PowerShell, and a failing PowerShell is an error by name, once', async () => {
    let fail = false;
    const runner: CommandRunner = async (file) => {
      if (file !== 'powershell.exe') return { code: 1, stdout: '', stderr: '', spawnError: null };
      return fail
        ? { code: 1, stdout: '', stderr: 'Get-CimInstance : Access denied', spawnError: null }
        : ok(await fixture('windows-usb-volumes-two.json'));
    };
    const logger = new MemoryLogger();
    const media = createRemovableMedia({ platform: 'win32', runCommand: runner, logger, usbHint: false, pollMs: 20 });
    try {
      expect((await media.list()).map((s) => s.mountPath)).toEqual(['E:\\', 'F:\\']);
      fail = true;
      await expect(media.list()).rejects.toThrow(/PowerShell USB volume query failed: exit 1: Get-CimInstance/);
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(logger.lines.filter((l) => l === 'error stick scan failed')).toHaveLength(1);
    } finally {
      media.dispose();
    }
  });

  test("eject goes through Explorer's Eject verb on the drive letter, and only a drive letter", () => {
    expect(windowsEjectScript('E:')).toBe(
      "(New-Object -ComObject Shell.Application).Namespace(17).ParseName('E:').InvokeVerb('Eject')",
    );
    expect(() => windowsEjectScript("E:'); Remove-Item C:\\ -Recurse; ('")).toThrow(/not a drive letter/);
  });
});

describe('eject on Linux', () => {
  const stick: DetectedStick = {
    info: {
      id: 'mount:612:/media/kasse/KINGSTON',
      mountPath: '/media/kasse/KINGSTON',
      label: 'KINGSTON',
      fsType: 'vfat',
      readOnly: false,
      freeBytes: 1,
    },
    ejectTarget: '/dev/sdb1',
    disk: '/dev/sdb',
  };

  test('unmounts the partition, then powers off the disk, through udisksctl', async () => {
    const { runner, calls } = scriptedRunner({
      'udisksctl unmount --block-device /dev/sdb1 --no-user-interaction': async () => ok('Unmounted /dev/sdb1.\n'),
      'udisksctl power-off --block-device /dev/sdb --no-user-interaction': async () => ok(''),
    });
    const logger = new MemoryLogger();
    await createEjector({ platform: 'linux', runCommand: runner, logger })(stick);
    expect(calls.map((c) => c.slice(0, 2).join(' '))).toEqual(['udisksctl unmount', 'udisksctl power-off']);
    expect(logger.lines.filter((l) => l.startsWith('warn'))).toEqual([]);
  });

  test('a refused unmount is a warning, power-off is not tried, and nothing throws', async () => {
    const { runner, calls } = scriptedRunner({});
    const logger = new MemoryLogger();
    await expect(createEjector({ platform: 'linux', runCommand: runner, logger })(stick)).resolves.toBeUndefined();
    expect(calls).toHaveLength(1);
    expect(logger.lines).toContain('warn eject: unmount refused; remove the stick only when the system allows it');
  });

  test('the real runner reports a tool that is not installed as an outcome, not a rejection', async () => {
    const outcome = await runCommand('daystick-no-such-tool', ['x']);
    expect(outcome).toMatchObject({ code: null, spawnError: 'ENOENT' });
    const failed = await runCommand('sh', ['-c', 'echo refused >&2; exit 3']);
    expect(failed).toMatchObject({ code: 3, stderr: 'refused\n', spawnError: null });
  });
});
