import { EventEmitter } from 'eventemitter3';
import type { DisplayPort, LoggerPort, ProgressUpdate, ShownPrompt } from '../host/ports.js';
import type { Language, PromptId } from './catalog.js';
import { type PromptParams, renderPrompt } from './render.js';

interface BusEvents {
  prompt: (prompt: ShownPrompt) => void;
  progress: (update: ProgressUpdate) => void;
  clear: () => void;
}

/**
 * Carries prompts and progress from the machine to the host's display. A
 * display handler that throws is logged and ignored: a broken screen must
 * never stop a day from reaching the stick.
 */
export class PromptBus {
  private readonly emitter = new EventEmitter<BusEvents>();
  /** Every prompt shown, newest last; for status output and tests. */
  readonly history: ShownPrompt[] = [];

  constructor(
    private readonly language: Language,
    private readonly logger: LoggerPort,
  ) {}

  /** Routes the bus to a host display; returns the function that detaches it. */
  attach(display: DisplayPort): () => void {
    const onPrompt = (p: ShownPrompt) => this.guard('show', () => display.show(p));
    const onProgress = (u: ProgressUpdate) => this.guard('progress', () => display.progress(u));
    const onClear = () => this.guard('clear', () => display.clear());
    this.emitter.on('prompt', onPrompt).on('progress', onProgress).on('clear', onClear);
    return () => {
      this.emitter.off('prompt', onPrompt).off('progress', onProgress).off('clear', onClear);
    };
  }

  render(id: PromptId, params: PromptParams = {}): ShownPrompt {
    return renderPrompt(id, params, this.language);
  }

  show(id: PromptId, params: PromptParams = {}): ShownPrompt {
    const prompt = this.render(id, params);
    this.history.push(prompt);
    if (this.history.length > 200) this.history.shift();
    this.logger.info(`prompt ${id}`, { params });
    this.emitter.emit('prompt', prompt);
    return prompt;
  }

  progress(id: PromptId, params: PromptParams, done: number, total: number): void {
    this.emitter.emit('progress', { id, label: this.render(id, params).text, done, total });
  }

  clear(): void {
    this.emitter.emit('clear');
  }

  dispose(): void {
    this.emitter.removeAllListeners();
  }

  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.logger.error(`display ${what} handler threw; continuing`, { error: String(err) });
    }
  }
}
