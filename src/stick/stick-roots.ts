import { constants } from 'node:fs';
import { access, readdir, realpath, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { LoggerPort } from '../host/ports.js';
import type { DetectedStick } from './detected-stick.js';
import { freeBytesAt } from './free-space.js';
import { findContainingMount, findMountAt, type MountEntry } from './mountinfo.js';

/** Where Linux desktops (udisks2) mount sticks: `/media/<user>` on Debian/Ubuntu, `/run/media/<user>` on Fedora/Arch. */
export function defaultLinuxStickRoots(user = currentUserName()): string[] {
  return [path.join('/media', user), path.join('/run/media', user)];
}

function currentUserName(): string {
  try {
    return os.userInfo().username;
  } catch {
    // A uid without a passwd entry (containers) makes userInfo() throw.
    return process.env.USER ?? 'root';
  }
}

export interface StickRootScanOptions {
  roots: readonly string[];
  /** Count only sub-folders that are mount points; plain folders are skipped. */
  mountsOnly: boolean;
  /** The mount table, or null where there is none to read (macOS, Windows). */
  mounts: readonly MountEntry[] | null;
  logger: LoggerPort;
  /**
   * Sub-folders earlier scans saw as mount points, kept by the caller from
   * scan to scan. Such a folder that is a plain folder now is the mount point
   * an unmounted stick left behind, on the register's own disk: not a stick.
   * A name is forgotten once it is gone from its root.
   */
  mountPoints?: Set<string>;
}

/**
 * Every visible sub-folder of a stick root that answers statfs is a stick.
 * A FUSE mount whose daemon died still sits in the mount table but fails
 * statfs with ENOTCONN: that is a pulled stick, so it is left out.
 *
 * A sub-folder is a mount when the mount table has an entry at it, or its
 * device id differs from its root's (the only sign where there is no table);
 * one with its root's device id and no entry is a plain folder stick.
 */
export async function scanStickRoots(options: StickRootScanOptions): Promise<DetectedStick[]> {
  const found: DetectedStick[] = [];
  const present = new Set<string>();
  for (const root of options.roots) {
    let names: string[];
    let rootDevice: number;
    try {
      names = (await readdir(root, { withFileTypes: true }))
        .filter((entry) => !entry.name.startsWith('.') && (entry.isDirectory() || entry.isSymbolicLink()))
        .map((entry) => entry.name)
        .sort();
      rootDevice = (await stat(root)).dev;
    } catch (error) {
      if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') continue;
      throw error;
    }
    for (const name of names) {
      const folder = path.join(root, name);
      present.add(folder);
      const stick = await probeFolder(folder, name, rootDevice, options);
      if (stick !== null) found.push(stick);
    }
  }
  if (options.mountPoints) for (const folder of options.mountPoints) if (!present.has(folder)) options.mountPoints.delete(folder);
  return found;
}

async function probeFolder(
  folder: string,
  label: string,
  rootDevice: number,
  options: StickRootScanOptions,
): Promise<DetectedStick | null> {
  let freeBytes: number | null;
  let resolved: string;
  let deviceId: number;
  try {
    freeBytes = await freeBytesAt(folder);
    resolved = await realpath(folder);
    deviceId = (await stat(folder)).dev;
  } catch (error) {
    options.logger.debug('stick root entry not usable, not a stick', { folder, code: errorCode(error) });
    return null;
  }
  const mount = options.mounts === null ? null : findMountAt(options.mounts, resolved);
  const isMount = mount !== null || deviceId !== rootDevice;
  if (isMount) options.mountPoints?.add(folder);
  else if (options.mountPoints?.has(folder)) {
    options.logger.debug('an unmounted stick left its mount point behind, not a stick', { folder });
    return null;
  }
  if (mount === null && options.mountsOnly) return null;
  const holder = mount ?? (options.mounts === null ? null : findContainingMount(options.mounts, resolved));
  const readOnly = (holder?.readOnly ?? false) || !(await isWritable(folder));
  return {
    info: {
      id: mount === null ? `folder:${folder}` : `mount:${mount.mountId}:${folder}`,
      mountPath: folder,
      label,
      fsType: holder?.fsType ?? null,
      readOnly,
      freeBytes,
      deviceId,
    },
    ejectTarget: mount?.source.startsWith('/dev/') ? mount.source : null,
    disk: null,
  };
}

async function isWritable(folder: string): Promise<boolean> {
  try {
    await access(folder, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}
