import { access } from 'node:fs/promises';
import path from 'node:path';
import type { LoggerPort } from '../host/ports.js';

/** The part of usb v3's WebUSB this module uses, so tests can hand in their own. */
export interface HotplugSource {
  getDevices(): Promise<unknown[]>;
  addEventListener(type: 'connect' | 'disconnect', listener: () => void): void;
  removeEventListener(type: 'connect' | 'disconnect', listener: () => void): void;
}

export interface UsbHintOptions {
  logger: LoggerPort;
  platform: NodeJS.Platform;
  sysfsRoot?: string;
  /** Loads the USB event source; defaults to the `usb` package, imported only when needed. */
  loadSource?: () => Promise<HotplugSource>;
}

/**
 * Calls `onChange` when a USB device comes or goes, so a stick is seen before
 * the next poll. Everything that can fail here only means "no hint": it
 * resolves to null after saying once why, and polling carries on alone.
 *
 * usb v3's addEventListener fires a getDevices() whose rejection nobody
 * catches (an unhandled rejection ends the process), so the bus is probed
 * first: on Linux `/sys/bus/usb` must exist and getDevices() must resolve.
 * Returns the function that removes the listeners.
 */
export async function startUsbHotplugHint(onChange: () => void, options: UsbHintOptions): Promise<(() => void) | null> {
  const fallBack = (reason: string): null => {
    options.logger.info('no USB bus, polling mounts', { reason });
    return null;
  };
  if (options.platform === 'linux') {
    try {
      await access(path.join(options.sysfsRoot ?? '/sys', 'bus', 'usb'));
    } catch {
      return fallBack('/sys/bus/usb is absent');
    }
  }
  let source: HotplugSource;
  try {
    source = await (options.loadSource ?? loadUsbPackage)();
    await source.getDevices();
  } catch (error) {
    return fallBack(error instanceof Error ? error.message : String(error));
  }
  const listener = (): void => {
    try {
      onChange();
    } catch (error) {
      options.logger.error('USB hot-plug handler threw', { error: String(error) });
    }
  };
  try {
    source.addEventListener('connect', listener);
    source.addEventListener('disconnect', listener);
  } catch (error) {
    return fallBack(error instanceof Error ? error.message : String(error));
  }
  options.logger.info('USB hot-plug events trigger a stick rescan');
  return () => {
    try {
      source.removeEventListener('connect', listener);
      source.removeEventListener('disconnect', listener);
    } catch (error) {
      options.logger.warn('removing the USB hot-plug listener failed', { error: String(error) });
    }
  };
}

async function loadUsbPackage(): Promise<HotplugSource> {
  const usb = await import('usb');
  // A WebUSB of our own that admits every device, so connect/disconnect fire for sticks too.
  return new usb.WebUSB({ allowAllDevices: true }) as unknown as HotplugSource;
}
