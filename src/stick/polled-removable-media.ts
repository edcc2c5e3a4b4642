import { EventEmitter } from 'eventemitter3';
import type { Disposable, LoggerPort, RemovableMediaPort, StickInfo } from '../host/ports.js';
import type { DetectedStick, StickScan } from './detected-stick.js';

export type Ejector = (stick: DetectedStick) => Promise<void>;

interface MediaEvents {
  inserted: [StickInfo];
  removed: [StickInfo];
}

/**
 * The removable-media port over any scan: rescans every `pollMs` and on
 * demand (USB hot-plug hints, list()), and reports the difference between
 * two scans as insertions and removals. Scans never overlap, so events come
 * in the order the sticks changed.
 */
export class PolledRemovableMedia implements RemovableMediaPort, Disposable {
  private readonly events = new EventEmitter<MediaEvents>();
  private known = new Map<string, DetectedStick>();
  private chain: Promise<unknown> = Promise.resolve();
  private timer: ReturnType<typeof setInterval> | null;
  private scanPending = false;
  private disposed = false;
  private readonly cleanups: (() => void)[] = [];
  private lastScanError: string | null = null;

  constructor(
    private readonly scan: StickScan,
    private readonly options: { pollMs: number; logger: LoggerPort; eject: Ejector },
  ) {
    this.timer = setInterval(() => this.requestRescan(), options.pollMs);
    this.requestRescan();
  }

  async list(): Promise<StickInfo[]> {
    if (this.disposed) throw new Error('removable media: list() called after dispose()');
    return (await this.rescan()).map((stick) => stick.info);
  }

  onInserted(listener: (stick: StickInfo) => void): Disposable {
    return this.subscribe('inserted', listener);
  }

  onRemoved(listener: (stick: StickInfo) => void): Disposable {
    return this.subscribe('removed', listener);
  }

  async eject(stick: StickInfo): Promise<void> {
    const detected = this.known.get(stick.id);
    if (detected === undefined) {
      this.options.logger.warn('eject: stick is not present any more, nothing to eject', { id: stick.id });
      return;
    }
    try {
      await this.options.eject(detected);
    } catch (error) {
      this.options.logger.warn('eject failed; the data on the stick is not affected', {
        id: stick.id,
        error: String(error),
      });
    }
  }

  /** Scan soon unless a scan is already waiting to run; for timers and hot-plug hints. */
  requestRescan(): void {
    if (this.disposed || this.scanPending) return;
    this.scanPending = true;
    void this.rescan().catch(() => {
      // rescan() already logged it; a timer has nobody to hand the error to.
    });
  }

  /** Runs after `cleanup` on dispose, e.g. to drop a USB listener. */
  addCleanup(cleanup: () => void): void {
    if (this.disposed) cleanup();
    else this.cleanups.push(cleanup);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    for (const cleanup of this.cleanups.splice(0)) {
      try {
        cleanup();
      } catch (error) {
        this.options.logger.warn('removable media: cleanup failed', { error: String(error) });
      }
    }
    this.events.removeAllListeners();
  }

  private subscribe(event: keyof MediaEvents, listener: (stick: StickInfo) => void): Disposable {
    this.events.on(event, listener);
    return { dispose: () => void this.events.off(event, listener) };
  }

  private rescan(): Promise<DetectedStick[]> {
    const next = this.chain.then(async () => {
      this.scanPending = false;
      if (this.disposed) return [...this.known.values()];
      let found: DetectedStick[];
      try {
        found = await this.scan();
      } catch (error) {
        this.reportScanError(error);
        throw error;
      }
      if (this.lastScanError !== null) {
        this.options.logger.info('stick scan works again');
        this.lastScanError = null;
      }
      this.apply(found);
      return found;
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  private apply(found: DetectedStick[]): void {
    const next = new Map(found.map((stick) => [stick.info.id, stick]));
    const previous = this.known;
    this.known = next;
    if (this.disposed) return;
    for (const [id, stick] of previous) if (!next.has(id)) this.emit('removed', stick.info);
    for (const [id, stick] of next) if (!previous.has(id)) this.emit('inserted', stick.info);
  }

  private emit(event: keyof MediaEvents, stick: StickInfo): void {
    this.options.logger.info(event === 'inserted' ? 'stick inserted' : 'stick removed', { ...stick });
    for (const listener of this.events.listeners(event)) {
      try {
        listener(stick);
      } catch (error) {
        this.options.logger.error(`a stick ${event} listener threw`, { id: stick.id, error: String(error) });
      }
    }
  }

  private reportScanError(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    // Once per distinct failure: the same error every second would drown the log.
    if (message !== this.lastScanError) this.options.logger.error('stick scan failed', { error: message });
    this.lastScanError = message;
  }
}
