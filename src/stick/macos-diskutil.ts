import { z } from 'zod';
import type { LoggerPort } from '../host/ports.js';
import { type CommandRunner, describeOutcome } from './command-runner.js';
import type { DetectedStick, StickScan } from './detected-stick.js';
import { freeBytesAt } from './free-space.js';
import { deviceIdOrNone } from './device-id.js';
import { parsePlist } from './plist.js';
import { errorCode } from './stick-roots.js';

// Not yet run on real macOS hardware: written against diskutil's documented plist keys and tested on fixtures.

const partitionSchema = z.looseObject({
  DeviceIdentifier: z.string(),
  MountPoint: z.string().optional(),
  VolumeName: z.string().optional(),
});
const diskSchema = z.looseObject({
  DeviceIdentifier: z.string(),
  MountPoint: z.string().optional(),
  VolumeName: z.string().optional(),
  Partitions: z.array(partitionSchema).optional(),
});
const listSchema = z.looseObject({ AllDisksAndPartitions: z.array(diskSchema) });

export interface MountedExternalVolume {
  /** `disk4s1`, or `disk4` for a stick without a partition table. */
  deviceIdentifier: string;
  wholeDisk: string;
  mountPoint: string;
  volumeName: string | null;
}

/** Mounted volumes out of `diskutil list -plist external physical`; unmounted partitions are skipped. */
export function parseDiskutilList(xml: string): MountedExternalVolume[] {
  const list = listSchema.parse(parsePlist(xml));
  const volumes: MountedExternalVolume[] = [];
  for (const disk of list.AllDisksAndPartitions) {
    const candidates = [disk, ...(disk.Partitions ?? [])];
    for (const candidate of candidates) {
      if (candidate.MountPoint === undefined || candidate.MountPoint === '') continue;
      volumes.push({
        deviceIdentifier: candidate.DeviceIdentifier,
        wholeDisk: disk.DeviceIdentifier,
        mountPoint: candidate.MountPoint,
        volumeName: candidate.VolumeName ?? null,
      });
    }
  }
  return volumes;
}

const infoSchema = z.looseObject({
  DeviceIdentifier: z.string(),
  MountPoint: z.string().optional(),
  VolumeName: z.string().optional(),
  FilesystemType: z.string().optional(),
  WritableVolume: z.boolean().optional(),
  ReadOnlyVolume: z.boolean().optional(),
  Ejectable: z.boolean().optional(),
  ParentWholeDisk: z.string().optional(),
});

export interface VolumeDetails {
  deviceIdentifier: string;
  fsType: string | null;
  readOnly: boolean;
  ejectable: boolean;
  wholeDisk: string | null;
}

/** The facts `diskutil info -plist <id>` adds: file system, writability, ejectability. */
export function parseDiskutilInfo(xml: string): VolumeDetails {
  const info = infoSchema.parse(parsePlist(xml));
  return {
    deviceIdentifier: info.DeviceIdentifier,
    fsType: info.FilesystemType ?? null,
    readOnly: info.ReadOnlyVolume === true || info.WritableVolume === false,
    ejectable: info.Ejectable !== false,
    wholeDisk: info.ParentWholeDisk ?? null,
  };
}

export function createMacScan(runCommand: CommandRunner, logger: LoggerPort): StickScan {
  return async () => {
    const listed = await runCommand('diskutil', ['list', '-plist', 'external', 'physical']);
    if (listed.code !== 0) throw new Error(`diskutil list failed: ${describeOutcome(listed)}`);
    const sticks: DetectedStick[] = [];
    for (const volume of parseDiskutilList(listed.stdout)) {
      const described = await runCommand('diskutil', ['info', '-plist', volume.deviceIdentifier]);
      if (described.code !== 0) {
        logger.warn('diskutil info failed, volume skipped', {
          device: volume.deviceIdentifier,
          result: describeOutcome(described),
        });
        continue;
      }
      const details = parseDiskutilInfo(described.stdout);
      let freeBytes: number | null;
      try {
        freeBytes = await freeBytesAt(volume.mountPoint);
      } catch (error) {
        logger.debug('volume does not answer statfs, not a stick', {
          mountPoint: volume.mountPoint,
          code: errorCode(error),
        });
        continue;
      }
      sticks.push({
        info: {
          id: `diskutil:${volume.deviceIdentifier}:${volume.mountPoint}`,
          mountPath: volume.mountPoint,
          label: volume.volumeName ?? volume.deviceIdentifier,
          fsType: details.fsType,
          readOnly: details.readOnly,
          freeBytes,
          ...(await deviceIdOrNone(volume.mountPoint)),
        },
        ejectTarget: details.ejectable ? volume.deviceIdentifier : null,
        disk: details.wholeDisk ?? volume.wholeDisk,
      });
    }
    return sticks;
  };
}
