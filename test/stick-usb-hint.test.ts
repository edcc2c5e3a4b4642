import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { StickInfo } from '../src/host/ports.js';
import { createRemovableMedia } from '../src/stick/index.js';
import type { HotplugSource } from '../src/stick/usb-hotplug-hint.js';
import { MemoryLogger } from './support/test-host.js';

// The USB bus cannot exist in a container: the real package must fall back; a fake source stands in for the bus.

let dir: string;
let root: string;
const strays: unknown[] = [];
const recordStray = (reason: unknown) => strays.push(reason);
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'daystick-usbhint-'));
  root = path.join(dir, 'media');
  await mkdir(root);
  strays.length = 0;
  process.on('unhandledRejection', recordStray);
  process.on('uncaughtException', recordStray);
});
afterEach(async () => {
  process.off('unhandledRejection', recordStray);
  process.off('uncaughtException', recordStray);
  await rm(dir, { recursive: true, force: true });
});

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

class ReasonLogger extends MemoryLogger {
  readonly reasons: unknown[] = [];
  override info(message: string, data?: Record<string, unknown>): void {
    super.info(message);
    if (data?.reason !== undefined) this.reasons.push(data.reason);
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

test('without /sys/bus/usb it says once that it polls, and polling still finds sticks', async () => {
  const logger = new MemoryLogger();
  const media = createRemovableMedia({
    stickRoots: [root],
    usbHint: true,
    pollMs: 50,
    logger,
    sysfsRoot: path.join(dir, 'no-sysfs'),
  });
  try {
    await until(() => logger.lines.includes('info no USB bus, polling mounts'), 'the fallback message');
    const inserted = new Promise<StickInfo>((resolve) => media.onInserted(resolve));
    await mkdir(path.join(root, 'STICK'));
    expect((await inserted).label).toBe('STICK');
    await settle();
    expect(logger.lines.filter((l) => l === 'info no USB bus, polling mounts')).toHaveLength(1);
    expect(strays).toEqual([]);
  } finally {
    media.dispose();
  }
});

test('the real usb package, whose getDevices() rejects here, falls back without a stray rejection', async () => {
  // A sysfs with bus/usb passes the first check, so the real package is loaded and asked.
  const fakeSysfs = path.join(dir, 'sys');
  await mkdir(path.join(fakeSysfs, 'bus', 'usb'), { recursive: true });
  const logger = new ReasonLogger();
  const media = createRemovableMedia({ stickRoots: [root], usbHint: true, pollMs: 50, logger, sysfsRoot: fakeSysfs });
  try {
    await until(
      () => logger.lines.some((l) => l.startsWith('info no USB bus') || l.includes('USB hot-plug events')),
      'the hint to settle',
    );
    await settle();
    expect(logger.lines).toContain('info no USB bus, polling mounts');
    expect(String(logger.reasons[0])).toMatch(/getDevices/);
    expect(strays).toEqual([]);
    expect(await media.list()).toEqual([]);
  } finally {
    media.dispose();
  }
});

class FakeUsbBus implements HotplugSource {
  readonly listeners = new Map<string, Set<() => void>>();
  async getDevices(): Promise<unknown[]> {
    return [];
  }
  addEventListener(type: 'connect' | 'disconnect', listener: () => void): void {
    const set = this.listeners.get(type) ?? new Set();
    set.add(listener);
    this.listeners.set(type, set);
  }
  removeEventListener(type: 'connect' | 'disconnect', listener: () => void): void {
    this.listeners.get(type)?.delete(listener);
  }
  fire(type: 'connect' | 'disconnect'): void {
    for (const listener of this.listeners.get(type) ?? []) listener();
  }
  count(): number {
    return [...this.listeners.values()].reduce((sum, set) => sum + set.size, 0);
  }
}

test('a USB connect triggers a rescan at once, long before the next poll; dispose drops the listeners', async () => {
  const bus = new FakeUsbBus();
  const fakeSysfs = path.join(dir, 'sys');
  await mkdir(path.join(fakeSysfs, 'bus', 'usb'), { recursive: true });
  const logger = new MemoryLogger();
  const media = createRemovableMedia({
    stickRoots: [root],
    usbHint: true,
    pollMs: 600_000,
    logger,
    sysfsRoot: fakeSysfs,
    loadUsbSource: async () => bus,
  });
  try {
    await media.list();
    await until(() => bus.count() === 2, 'the hot-plug listeners');
    const inserted = new Promise<StickInfo>((resolve) => media.onInserted(resolve));
    await mkdir(path.join(root, 'HOTPLUGGED'));
    bus.fire('connect');
    expect((await inserted).label).toBe('HOTPLUGGED');
    const removed = new Promise<StickInfo>((resolve) => media.onRemoved(resolve));
    await rm(path.join(root, 'HOTPLUGGED'), { recursive: true });
    bus.fire('disconnect');
    expect((await removed).label).toBe('HOTPLUGGED');
  } finally {
    media.dispose();
  }
  expect(bus.count()).toBe(0);
});
