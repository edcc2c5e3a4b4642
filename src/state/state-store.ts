import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { LoggerPort } from '../host/ports.js';
import { emptyState, type PluginState, PluginStateSchema } from './plugin-state.js';

const CURRENT = 'state.json';
const BACKUP = 'state.last-good.json';

export class StateCorruptError extends Error {
  override name = 'StateCorruptError';
}

type Loaded = { state: PluginState } | { problem: string } | null;

/**
 * The plugin's durable state: one JSON file replaced atomically (temp file,
 * fsync, rename, fsync of the folder), and a second copy of the last good
 * content. kill -9 at any instant leaves the old or the new file, never a
 * mix; a file damaged some other way falls back to the copy, never to an
 * empty queue.
 */
export class StateStore {
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly dir: string,
    private current: PluginState,
  ) {}

  static async open(dir: string, logger: LoggerPort): Promise<{ store: StateStore; recovered: boolean }> {
    await mkdir(dir, { recursive: true });
    const main = await load(join(dir, CURRENT));
    if (main && 'state' in main) return { store: new StateStore(dir, main.state), recovered: false };
    const copy = await load(join(dir, BACKUP));
    if (main === null && copy === null) return { store: new StateStore(dir, emptyState()), recovered: false };
    if (copy && 'state' in copy) {
      logger.warn('state file unreadable, using the last good copy', { problem: main?.problem ?? 'missing' });
      const store = new StateStore(dir, copy.state);
      await store.persist(copy.state);
      return { store, recovered: true };
    }
    throw new StateCorruptError(
      `daystick state in ${dir} is damaged and has no good copy (${CURRENT}: ${main?.problem ?? 'missing'}; ${BACKUP}: ${copy?.problem ?? 'missing'}). ` +
        'Nothing was changed. Restore the folder from a backup or move both files aside to start afresh (pending days are then planned again from the journal only for today).',
    );
  }

  get state(): PluginState {
    return this.current;
  }

  /** Applies `change` and persists the result; updates run one at a time in call order. */
  update(change: (state: PluginState) => PluginState): Promise<PluginState> {
    const run = this.chain.then(async () => {
      const next = PluginStateSchema.parse(change(this.current));
      await this.persist(next);
      this.current = next;
      return next;
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Resolves once every update asked for so far is on disk (or has failed). */
  async flush(): Promise<void> {
    await this.chain;
  }

  private async persist(state: PluginState): Promise<void> {
    const bytes = `${JSON.stringify(state, null, 2)}\n`;
    await writeAtomically(this.dir, CURRENT, bytes);
    await writeAtomically(this.dir, BACKUP, bytes);
  }
}

async function load(path: string): Promise<Loaded> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    return { problem: (err as Error).message };
  }
  try {
    const parsed = PluginStateSchema.safeParse(JSON.parse(text));
    if (parsed.success) return { state: parsed.data };
    return { problem: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
  } catch (err) {
    return { problem: `not JSON (${(err as Error).message})` };
  }
}

export async function writeAtomically(dir: string, name: string, bytes: string | Buffer): Promise<void> {
  const tmp = join(dir, `.${name}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(tmp, 'w', 0o600);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await handle.close();
  await rename(tmp, join(dir, name));
  await fsyncDir(dir);
}

async function fsyncDir(dir: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Some platforms and file systems refuse fsync on a folder; the rename is still atomic there.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
