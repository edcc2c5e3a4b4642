import { appendFileSync } from 'node:fs';
import type { LoggerPort } from '../host/ports.js';

type Level = 'debug' | 'info' | 'warn' | 'error';

/**
 * Log lines as JSON in a file beside the plugin's data, so the screen (and a
 * script's stdout) carries only prompts. Warnings and errors also go to
 * stderr in scripted mode, where nobody looks at a log file. Appends are
 * synchronous: the lines just before a crash are the ones that matter.
 */
export class ShellLogger implements LoggerPort {
  constructor(
    private readonly path: string,
    private readonly echoToStderr: boolean,
  ) {}

  debug(message: string, data?: Record<string, unknown>): void {
    this.write('debug', message, data);
  }
  info(message: string, data?: Record<string, unknown>): void {
    this.write('info', message, data);
  }
  warn(message: string, data?: Record<string, unknown>): void {
    this.write('warn', message, data);
  }
  error(message: string, data?: Record<string, unknown>): void {
    this.write('error', message, data);
  }

  private write(level: Level, message: string, data?: Record<string, unknown>): void {
    const line = JSON.stringify({ at: new Date().toISOString(), level, message, ...(data ? { data } : {}) });
    try {
      appendFileSync(this.path, `${line}\n`);
    } catch (err) {
      process.stderr.write(`daystick shell: cannot write log ${this.path}: ${(err as Error).message}\n`);
    }
    if (this.echoToStderr && (level === 'warn' || level === 'error')) {
      process.stderr.write(`${level}: ${message}${data ? ` ${JSON.stringify(data)}` : ''}\n`);
    }
  }
}
