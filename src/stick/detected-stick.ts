import type { StickInfo } from '../host/ports.js';

/** What a scan found: the port's StickInfo plus what eject needs, which the port does not expose. */
export interface DetectedStick {
  info: StickInfo;
  /** Block device or platform id to eject (`/dev/sdb1`, `disk4s1`, `E:`); null for a plain folder or an image mount. */
  ejectTarget: string | null;
  /** Whole disk to power off after unmounting (`/dev/sdb`), when known. */
  disk: string | null;
}

export type StickScan = () => Promise<DetectedStick[]>;
