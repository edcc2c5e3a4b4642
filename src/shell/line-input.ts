import type { Interface } from 'node:readline';

/**
 * Lines typed at the register, pulled one at a time. Commands and the answers
 * to yes/no questions come from the same sequence, so in scripted mode an
 * answer is simply the line after the command that asked for it.
 */
export class LineInput {
  private readonly queued: string[] = [];
  private readonly waiting: ((line: string | null) => void)[] = [];
  private ended = false;
  private diverted: ((line: string) => void) | null = null;

  constructor(lines: Interface) {
    lines.on('line', (line) => {
      const waiter = this.waiting.shift();
      if (waiter) waiter(line);
      else if (this.diverted) this.diverted(line);
      else this.queued.push(line);
    });
    lines.on('close', () => {
      this.ended = true;
      for (const waiter of this.waiting.splice(0)) waiter(null);
    });
  }

  /** The next line, or null once input has ended; rejects with the signal's reason on abort. */
  next(signal?: AbortSignal): Promise<string | null> {
    const line = this.queued.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.ended) return Promise.resolve(null);
    signal?.throwIfAborted();
    return new Promise((resolve, reject) => {
      const waiter = (value: string | null) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(value);
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  /**
   * While a day close runs, a line nobody asked for (no question is open) goes
   * to `handler` at once instead of waiting in the queue to run after the
   * close. Returns the function that ends the diversion.
   */
  divert(handler: (line: string) => void): () => void {
    this.diverted = handler;
    return () => {
      if (this.diverted === handler) this.diverted = null;
    };
  }

  /** The oldest line read but not yet taken, without waiting for one. */
  takeQueued(): string | undefined {
    return this.queued.shift();
  }

  get hasEnded(): boolean {
    return this.ended && this.queued.length === 0;
  }
}
