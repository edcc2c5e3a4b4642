import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/**
 * The rooms of src/, lowest first. A room may import only from rooms on a
 * lower line; rooms on one line do not know each other. A new folder under
 * src/ fails this test until it is given its line here, so the order is
 * decided, not drifted into. README.md ("Rooms") says why each line is where it is.
 */
const ROOM_ORDER: readonly (readonly string[])[] = [
  ['types', 'durable', 'host'],
  ['package', 'stick', 'state', 'prompts'],
  ['settings'],
  ['journal', 'export', 'central'],
  ['machine', 'headoffice'],
  ['plugin', 'console'],
  ['shell'],
  ['cli'],
  ['bench'],
];

const SRC = resolve('src');

interface Import {
  file: string;
  specifier: string;
  from: string;
  to: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return /\.(ts|js)$/.test(e.name) ? [path] : [];
  });
}

/** Every relative import, re-export and dynamic import() of the file that lands in another room under src/. */
function crossRoomImports(file: string, text: string): Import[] {
  const from = relative(SRC, file).split('/')[0]!;
  // The compiler's own pre-processor: it sees `import type`, `export … from` and `import()` as tsc does.
  const { importedFiles } = ts.preProcessFile(text, true, true);
  return importedFiles.flatMap(({ fileName: specifier }) => {
    if (!specifier.startsWith('.')) return [];
    const target = relative(SRC, resolve(dirname(file), specifier));
    if (target.startsWith('..')) return [];
    const to = target.split('/')[0]!;
    return to === from ? [] : [{ file: relative(SRC, file), specifier, from, to }];
  });
}

function lineOf(room: string): number {
  return ROOM_ORDER.findIndex((line) => line.includes(room));
}

/** Each import that goes sideways or up, said as the room rule it breaks. */
function breaches(imports: readonly Import[]): string[] {
  return imports
    .filter((i) => lineOf(i.to) >= lineOf(i.from))
    .map((i) => {
      const how = lineOf(i.to) === lineOf(i.from) ? 'beside it' : 'above it';
      return `${i.file} imports ${i.specifier}: room ${i.from} may not import room ${i.to} (${how})`;
    });
}

describe('rooms of src/', () => {
  const files = sourceFiles(SRC);
  const imports = files.flatMap((f) => crossRoomImports(f, readFileSync(f, 'utf8')));

  it('gives every room under src/ its line in the order', () => {
    const rooms = readdirSync(SRC, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
    expect(rooms.filter((r) => lineOf(r) < 0)).toEqual([]);
    expect(ROOM_ORDER.flat().filter((r) => !rooms.includes(r))).toEqual([]);
  });

  it('has no room importing from a room beside or above it', () => {
    expect(breaches(imports)).toEqual([]);
  });

  it('sees the imports it judges (static, type-only, re-exports and dynamic)', () => {
    const seen = new Set(imports.map((i) => `${i.from}->${i.to}`));
    for (const edge of ['console->central', 'headoffice->central', 'package->durable', 'export->durable', 'cli->console']) {
      expect(seen).toContain(edge);
    }
    const sample = [
      "import { a } from '../export/a.js';",
      "import type { B } from '../shell/b.js';",
      "export { c } from '../cli/c.js';",
      "const d = await import('../plugin/d.js');",
      "import { e } from './e.js';",
      "import { f } from '../host/f.js';",
    ].join('\n');
    expect(breaches(crossRoomImports(join(SRC, 'package', 'x.ts'), sample))).toEqual([
      'package/x.ts imports ../export/a.js: room package may not import room export (above it)',
      'package/x.ts imports ../shell/b.js: room package may not import room shell (above it)',
      'package/x.ts imports ../cli/c.js: room package may not import room cli (above it)',
      'package/x.ts imports ../plugin/d.js: room package may not import room plugin (above it)',
    ]);
    expect(breaches(crossRoomImports(join(SRC, 'stick', 'y.ts'), "import { z } from '../state/z.js';"))).toEqual([
      'stick/y.ts imports ../state/z.js: room stick may not import room state (beside it)',
    ]);
  });
});
