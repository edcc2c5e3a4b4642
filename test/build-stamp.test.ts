import { mkdirSync, mkdtempSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, STAMP, staleReason } from '../scripts/build.js';

/** `npm start` compiles only when a source changed after the last build; a fresh clone's build counts. */
describe('build stamp: npm start compiles only what changed', () => {
  let root: string;
  const past = new Date(Date.now() - 60_000);

  const write = (path: string, text: string) => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  const age = (path: string, when: Date) => utimesSync(join(root, path), when, when);

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'daystick-build-'));
    write('package.json', '{"type":"module"}\n');
    write('tsconfig.json', '{}\n');
    write(
      'tsconfig.build.json',
      JSON.stringify({
        compilerOptions: { rootDir: 'src', outDir: 'dist', strict: true, module: 'NodeNext', target: 'ES2022' },
        include: ['src'],
      }),
    );
    write('src/cli/main.ts', 'export const answer: number = 42;\n');
    write('src/journal/port.ts', 'export const port = 1;\n');
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** Everything as a finished build leaves it: outputs and inputs older than the stamp. */
  const builtLongAgo = () => {
    write('dist/cli/main.js', 'export const answer = 42;\n');
    write(STAMP, '');
    for (const p of [
      'package.json',
      'tsconfig.json',
      'tsconfig.build.json',
      'src/cli/main.ts',
      'src/journal/port.ts',
    ]) {
      age(p, new Date(past.getTime() - 10_000));
    }
    for (const d of ['src/cli', 'src/journal', 'src']) age(d, new Date(past.getTime() - 10_000));
    age(STAMP, past);
  };

  it('asks for a build without a stamp, and not once every input is older than it', () => {
    expect(staleReason(root)).toMatch(/no build stamp/);
    builtLongAgo();
    expect(staleReason(root)).toBeNull();
  });

  it('asks for a build after a source, a tsconfig, an added or a removed file, or a lost output', () => {
    builtLongAgo();
    writeFileSync(join(root, 'src/journal/port.ts'), 'export const port = 2;\n');
    expect(staleReason(root)).toContain(join('src', 'journal', 'port.ts'));

    builtLongAgo();
    writeFileSync(join(root, 'tsconfig.build.json'), '{}');
    expect(staleReason(root)).toContain('tsconfig.build.json');

    builtLongAgo();
    write('src/journal/new-file.ts', 'export {};\n');
    age('src/journal/new-file.ts', new Date(past.getTime() - 20_000));
    expect(staleReason(root)).toContain(join('src', 'journal'));

    unlinkSync(join(root, 'src/journal/new-file.ts'));
    builtLongAgo();
    unlinkSync(join(root, 'src/journal/port.ts'));
    expect(staleReason(root)).toContain(join('src', 'journal'));
    write('src/journal/port.ts', 'export const port = 1;\n');

    builtLongAgo();
    unlinkSync(join(root, 'dist/cli/main.js'));
    expect(staleReason(root)).toMatch(/main\.js is missing/);
  });

  it('stamps only a build that succeeded, dated when it began', () => {
    writeFileSync(join(root, 'src/journal/port.ts'), 'export const port: string = 1;\n');
    expect(build(root)).not.toBe(0);
    expect(staleReason(root)).toMatch(/no build stamp/);

    writeFileSync(join(root, 'src/journal/port.ts'), 'export const port: number = 1;\n');
    const before = Date.now();
    expect(build(root)).toBe(0);
    expect(statSync(join(root, 'dist/journal/port.js')).isFile()).toBe(true);
    expect(statSync(join(root, STAMP)).mtimeMs).toBeLessThanOrEqual(
      statSync(join(root, 'dist/journal/port.js')).mtimeMs,
    );
    expect(statSync(join(root, STAMP)).mtimeMs).toBeGreaterThanOrEqual(before - 1000);
    expect(staleReason(root)).toBeNull();
  });
});
