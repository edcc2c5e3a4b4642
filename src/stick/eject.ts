import type { LoggerPort } from '../host/ports.js';
import { type CommandRunner, describeOutcome } from './command-runner.js';
import type { DetectedStick } from './detected-stick.js';

export interface EjectOptions {
  platform: NodeJS.Platform;
  runCommand: CommandRunner;
  logger: LoggerPort;
}

/**
 * Asks the platform to eject. Resolves in every case: a refused or failed
 * eject is logged as a warning and never reaches the day-close flow, because
 * the data was verified on the stick before anyone asks to eject it.
 */
export function createEjector(options: EjectOptions): (stick: DetectedStick) => Promise<void> {
  const { logger, runCommand } = options;
  const attempt = async (what: string, file: string, args: string[], stick: DetectedStick): Promise<boolean> => {
    const outcome = await runCommand(file, args, { timeoutMs: 30_000 });
    if (outcome.code === 0) return true;
    logger.warn(`eject: ${what} refused; remove the stick only when the system allows it`, {
      id: stick.info.id,
      command: [file, ...args].join(' '),
      result: describeOutcome(outcome),
    });
    return false;
  };
  return async (stick) => {
    if (stick.ejectTarget === null) {
      logger.debug('eject: a folder or an image mount, nothing to eject', { id: stick.info.id });
      return;
    }
    const target = stick.ejectTarget;
    switch (options.platform) {
      case 'linux': {
        const unmounted = await attempt(
          'unmount',
          'udisksctl',
          ['unmount', '--block-device', target, '--no-user-interaction'],
          stick,
        );
        // udisks finds the drive behind a partition, so the partition works when the disk is unknown.
        if (unmounted)
          await attempt(
            'power-off',
            'udisksctl',
            ['power-off', '--block-device', stick.disk ?? target, '--no-user-interaction'],
            stick,
          );
        break;
      }
      case 'darwin':
        await attempt('diskutil eject', 'diskutil', ['eject', stick.disk ?? target], stick);
        break;
      case 'win32':
        await attempt(
          'Shell.Application Eject',
          'powershell.exe',
          ['-NoProfile', '-NonInteractive', '-Command', windowsEjectScript(target)],
          stick,
        );
        break;
      default:
        logger.warn('eject: not supported on this platform', { platform: options.platform, id: stick.info.id });
    }
  };
}

/** Explorer's "Eject" verb on the drive letter; `target` is checked to be a bare drive like `E:`. */
export function windowsEjectScript(driveLetter: string): string {
  if (!/^[A-Za-z]:$/.test(driveLetter)) throw new Error(`not a drive letter: ${driveLetter}`);
  return `(New-Object -ComObject Shell.Application).Namespace(17).ParseName('${driveLetter}').InvokeVerb('Eject')`;
}
