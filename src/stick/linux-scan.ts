import path from 'node:path';
import type { LoggerPort } from '../host/ports.js';
import type { DetectedStick, StickScan } from './detected-stick.js';
import { deviceIdAt } from './device-id.js';
import { freeBytesAt } from './free-space.js';
import { type MountEntry, readMountInfo } from './mountinfo.js';
import { errorCode, scanStickRoots } from './stick-roots.js';
import { type BlockDeviceFacts, describeBlockDevice, isRemovable } from './sysfs-block-device.js';

export interface LinuxScanOptions {
  roots: readonly string[];
  mountsOnly: boolean;
  /** Also report block-device mounts anywhere whose disk is removable or on USB. */
  includeRemovableMounts: boolean;
  logger: LoggerPort;
  mountInfoPath?: string;
  sysfsRoot?: string;
}

export function createLinuxScan(options: LinuxScanOptions): StickScan {
  // Mount ids are never reused while the system runs, so what sysfs said about one stays true.
  const factsByMountId = new Map<number, BlockDeviceFacts | null>();
  const mountPoints = new Set<string>();
  return async () => {
    const mounts = await readMountInfo(options.mountInfoPath);
    const underRoots = await scanStickRoots({
      roots: options.roots,
      mountsOnly: options.mountsOnly,
      mounts,
      logger: options.logger,
      mountPoints,
    });
    if (!options.includeRemovableMounts) return underRoots;
    const seen = new Set(underRoots.map((stick) => stick.info.mountPath));
    const elsewhere: DetectedStick[] = [];
    for (const mount of mounts) {
      if (seen.has(mount.mountPoint) || !mount.source.startsWith('/dev/') || mount.majorMinor.startsWith('0:'))
        continue;
      let facts = factsByMountId.get(mount.mountId);
      if (facts === undefined) {
        facts = await describeBlockDevice(mount.majorMinor, options.sysfsRoot);
        factsByMountId.set(mount.mountId, facts);
      }
      if (!isRemovable(facts)) continue;
      const stick = await removableMountStick(mount, facts, options.logger);
      if (stick !== null) {
        seen.add(mount.mountPoint);
        elsewhere.push(stick);
      }
    }
    forgetUnmounted(factsByMountId, mounts);
    return [...underRoots, ...elsewhere];
  };
}

async function removableMountStick(
  mount: MountEntry,
  facts: BlockDeviceFacts | null,
  logger: LoggerPort,
): Promise<DetectedStick | null> {
  let freeBytes: number | null;
  let deviceId: number;
  try {
    freeBytes = await freeBytesAt(mount.mountPoint);
    deviceId = await deviceIdAt(mount.mountPoint);
  } catch (error) {
    logger.debug('removable mount does not answer statfs, not a stick', {
      mountPoint: mount.mountPoint,
      code: errorCode(error),
    });
    return null;
  }
  return {
    info: {
      id: `mount:${mount.mountId}:${mount.mountPoint}`,
      mountPath: mount.mountPoint,
      label: path.basename(mount.mountPoint) || mount.mountPoint,
      fsType: mount.fsType,
      readOnly: mount.readOnly,
      freeBytes,
      deviceId,
    },
    ejectTarget: mount.source,
    disk: facts === null ? null : `/dev/${facts.disk}`,
  };
}

function forgetUnmounted(cache: Map<number, unknown>, mounts: readonly MountEntry[]): void {
  const live = new Set(mounts.map((mount) => mount.mountId));
  for (const id of cache.keys()) if (!live.has(id)) cache.delete(id);
}
