// @ts-check
/**
 * `npm run build`: tsc into dist/, then a stamp that says which sources it
 * compiled. `npm start` runs this with --if-stale and compiles only when a
 * source, a folder under src/ (files added, removed, renamed) or a tsconfig
 * changed after the last build started: the shell reaches its prompt
 * without 15 s of tsc when nothing changed.
 *
 * The stamp's time is when the build started, so a file saved while tsc
 * runs counts as changed next time. It is written only after tsc succeeded;
 * a failed build leaves the old stamp, or none, and the next start compiles.
 *
 * Plain JavaScript with only Node built-ins: it runs before anything is compiled.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readdirSync, statSync, utimesSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const STAMP = join('dist', '.build-stamp');
const INPUTS = ['src', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];

/**
 * Why `root` needs compiling, or null when dist/ is newer than every input.
 * @param {string} root
 * @returns {string | null}
 */
export function staleReason(root) {
  let built;
  try {
    built = statSync(join(root, STAMP)).mtimeMs;
  } catch {
    return 'no build stamp (never built, or the last build failed)';
  }
  try {
    statSync(join(root, 'dist', 'cli', 'main.js'));
  } catch {
    return 'dist/cli/main.js is missing';
  }
  /** @param {string} path @returns {string | null} */
  const newer = (path) => {
    let st;
    try {
      st = statSync(path);
    } catch {
      return null;
    }
    if (st.mtimeMs > built) return path;
    if (!st.isDirectory()) return null;
    for (const name of readdirSync(path)) {
      const found = newer(join(path, name));
      if (found) return found;
    }
    return null;
  };
  for (const input of INPUTS) {
    const found = newer(join(root, input));
    if (found) return `${found} changed since the last build`;
  }
  return null;
}

/**
 * tsc -p tsconfig.build.json; on success the stamp, dated when the build began.
 * @param {string} root
 * @returns {number} tsc's exit code
 */
export function build(root) {
  const startedAt = new Date();
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  const code = result.status ?? 1;
  if (code === 0) {
    closeSync(openSync(join(root, STAMP), 'w'));
    utimesSync(join(root, STAMP), startedAt, startedAt);
  }
  return code;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  if (process.argv.includes('--if-stale')) {
    const reason = staleReason(root);
    if (reason === null) process.exit(0);
    process.stderr.write(`daystick: compiling (${reason})\n`);
  }
  process.exit(build(root));
}
