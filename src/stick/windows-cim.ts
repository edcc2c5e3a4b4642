import { z } from 'zod';
import { type CommandRunner, describeOutcome } from './command-runner.js';
import type { DetectedStick, StickScan } from './detected-stick.js';
import { deviceIdOrNone } from './device-id.js';

// Not yet run on real Windows hardware: written against the documented CIM classes and tested on fixtures.

/** USB disk drives -> their partitions -> their logical disks (drive letters), one JSON object per drive letter. */
export const WINDOWS_USB_VOLUMES_SCRIPT = [
  '$ErrorActionPreference = "Stop"',
  "$volumes = @(Get-CimInstance Win32_DiskDrive | Where-Object InterfaceType -eq 'USB' | ForEach-Object {",
  '  $drive = $_',
  '  Get-CimAssociatedInstance -InputObject $drive -ResultClassName Win32_DiskPartition | ForEach-Object {',
  '    Get-CimAssociatedInstance -InputObject $_ -ResultClassName Win32_LogicalDisk | ForEach-Object {',
  '      [pscustomobject]@{ DiskIndex = $drive.Index; PNPDeviceID = $drive.PNPDeviceID; DeviceID = $_.DeviceID;',
  '        VolumeName = $_.VolumeName; VolumeSerialNumber = $_.VolumeSerialNumber; FileSystem = $_.FileSystem;',
  '        FreeSpace = $_.FreeSpace; Size = $_.Size; Access = $_.Access }',
  '    }',
  '  }',
  '})',
  // -InputObject keeps a single volume inside an array; a pipe would unwrap it.
  'ConvertTo-Json -Compress -InputObject $volumes',
].join('\n');

const logicalDiskSchema = z.object({
  DiskIndex: z.number().int(),
  PNPDeviceID: z.string().nullable().optional(),
  DeviceID: z.string().regex(/^[A-Za-z]:$/),
  VolumeName: z.string().nullable().optional(),
  VolumeSerialNumber: z.string().nullable().optional(),
  FileSystem: z.string().nullable().optional(),
  FreeSpace: z.number().nullable().optional(),
  Size: z.number().nullable().optional(),
  // Win32_LogicalDisk.Access: 0 unknown, 1 readable, 2 writeable, 3 read/write, 4 write once.
  Access: z.number().int().nullable().optional(),
});

/**
 * Parses the script's output. ConvertTo-Json prints a lone object without
 * the array around it and nothing at all for no USB volume.
 */
export function parseWindowsUsbVolumes(json: string): DetectedStick[] {
  const text = json.trim();
  if (text === '') return [];
  const raw: unknown = JSON.parse(text);
  const disks = z.array(logicalDiskSchema).parse(Array.isArray(raw) ? raw : [raw]);
  return disks.map((disk) => {
    const letter = disk.DeviceID.toUpperCase();
    return {
      info: {
        id: `usb-disk:${disk.DiskIndex}:${disk.VolumeSerialNumber ?? ''}:${letter}`,
        mountPath: `${letter}\\`,
        label: disk.VolumeName || letter,
        fsType: disk.FileSystem ?? null,
        readOnly: disk.Access === 1,
        freeBytes: disk.FreeSpace ?? null,
      },
      ejectTarget: letter,
      disk: disk.PNPDeviceID ?? null,
    };
  });
}

export function createWindowsScan(runCommand: CommandRunner): StickScan {
  return async () => {
    const outcome = await runCommand('powershell.exe', [
      '-NoProfile',
      '-NonInteractive',
      '-Command',
      WINDOWS_USB_VOLUMES_SCRIPT,
    ]);
    if (outcome.code !== 0) throw new Error(`PowerShell USB volume query failed: ${describeOutcome(outcome)}`);
    const sticks = parseWindowsUsbVolumes(outcome.stdout);
    // On Windows stat's dev is the volume serial number: another volume under the same letter has another.
    for (const stick of sticks) Object.assign(stick.info, await deviceIdOrNone(stick.info.mountPath));
    return sticks;
  };
}
