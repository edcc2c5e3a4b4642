import type { Disposable, LoggerPort, RemovableMediaPort } from '../host/ports.js';
import { type CommandRunner, runCommand as runRealCommand } from './command-runner.js';
import type { StickScan } from './detected-stick.js';
import { createEjector } from './eject.js';
import { createLinuxScan } from './linux-scan.js';
import { createMacScan } from './macos-diskutil.js';
import { PolledRemovableMedia } from './polled-removable-media.js';
import { defaultLinuxStickRoots, scanStickRoots } from './stick-roots.js';
import { type HotplugSource, startUsbHotplugHint } from './usb-hotplug-hint.js';
import { createWindowsScan } from './windows-cim.js';

export type { CommandOutcome, CommandRunner } from './command-runner.js';
export type { DetectedStick } from './detected-stick.js';
export { PolledRemovableMedia } from './polled-removable-media.js';

export interface RemovableMediaOptions {
  /**
   * Folders in which every visible sub-folder is a stick (a mount point, or a
   * plain folder to simulate one). Default: on Linux `/media/<user>` and
   * `/run/media/<user>` plus every mount of a removable/USB block device; on
   * macOS and Windows the platform's list of external USB volumes.
   */
  stickRoots?: string[];
  /** Rescan interval; removal and insertion are noticed within it. Default 1000. */
  pollMs?: number;
  logger: LoggerPort;
  /** Rescan at once on USB connect/disconnect. Default: on when no stickRoots are given. */
  usbHint?: boolean;
  platform?: NodeJS.Platform;
  /** Under stick roots, count only mount points, not plain folders. Default: true for the default roots, false for given ones. */
  mountsOnly?: boolean;
  /** For tests: where to read the mount table and sysfs, how to run diskutil/PowerShell/udisksctl, which USB source. */
  mountInfoPath?: string;
  sysfsRoot?: string;
  runCommand?: CommandRunner;
  loadUsbSource?: () => Promise<HotplugSource>;
}

/**
 * The removable-media port for a real register. Starts scanning at once: a
 * stick already present is reported through onInserted to listeners added
 * right after creation, and list() always scans afresh.
 */
export function createRemovableMedia(options: RemovableMediaOptions): RemovableMediaPort & Disposable {
  const platform = options.platform ?? process.platform;
  const runCommand = options.runCommand ?? runRealCommand;
  const pollMs = options.pollMs ?? 1000;
  if (!Number.isFinite(pollMs) || pollMs < 10) throw new RangeError(`pollMs must be at least 10, got ${pollMs}`);
  const media = new PolledRemovableMedia(chooseScan(platform, options, runCommand), {
    pollMs,
    logger: options.logger,
    eject: createEjector({ platform, runCommand, logger: options.logger }),
  });
  if (options.usbHint ?? options.stickRoots === undefined) {
    void startUsbHotplugHint(() => media.requestRescan(), {
      logger: options.logger,
      platform,
      ...(options.sysfsRoot === undefined ? {} : { sysfsRoot: options.sysfsRoot }),
      ...(options.loadUsbSource === undefined ? {} : { loadSource: options.loadUsbSource }),
    }).then(
      (stop) => {
        if (stop !== null) media.addCleanup(stop);
      },
      (error: unknown) => options.logger.warn('USB hot-plug hint failed, polling mounts', { error: String(error) }),
    );
  }
  return media;
}

function chooseScan(platform: NodeJS.Platform, options: RemovableMediaOptions, runCommand: CommandRunner): StickScan {
  const given = options.stickRoots;
  if (platform === 'linux') {
    return createLinuxScan({
      roots: given ?? defaultLinuxStickRoots(),
      mountsOnly: options.mountsOnly ?? given === undefined,
      includeRemovableMounts: given === undefined,
      logger: options.logger,
      ...(options.mountInfoPath === undefined ? {} : { mountInfoPath: options.mountInfoPath }),
      ...(options.sysfsRoot === undefined ? {} : { sysfsRoot: options.sysfsRoot }),
    });
  }
  if (given !== undefined) {
    // No mount table to read off Linux: a stick root's sub-folders are told apart by device id alone.
    const mountPoints = new Set<string>();
    return () => scanStickRoots({ roots: given, mountsOnly: false, mounts: null, logger: options.logger, mountPoints });
  }
  if (platform === 'darwin') return createMacScan(runCommand, options.logger);
  if (platform === 'win32') return createWindowsScan(runCommand);
  throw new Error(`stick detection: platform ${platform} needs stickRoots`);
}
