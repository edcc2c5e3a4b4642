import { parseArgs } from 'node:util';
import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { AGE_IDENTITY_FILE, AgeIdentityError, readIdentityFile } from '../package/age-file.js';
import { listPackages } from '../package/reader.js';
import { type PackageVerdict, verifyPackage } from '../package/verify.js';

const USAGE =
  'usage: daystick verify [--identity FILE] PATH...\n' +
  '  PATH: a stick, its DAYSTICK folder, a register folder, or any folder with sticks below it\n' +
  "  --identity FILE: head office's age identity (default: the demo shell's .daystick/headoffice-age-identity.txt);\n" +
  "                   without one a version-2 package's encrypted contents are not checked\n";

/**
 * `daystick verify PATH...`: one line per package, then a summary. Exit 0
 * only when at least one package was found and every package is whole; 1
 * when any package has a problem or none was found (an empty stick is not
 * proof that a day arrived); 2 for a wrong call or an unreadable PATH.
 */
export async function runVerifyCommand(args: string[]): Promise<number> {
  if (args.length === 0 || args.some((a) => a === '--help' || a === '-h')) {
    (args.length === 0 ? process.stderr : process.stdout).write(USAGE);
    return args.length === 0 ? 2 : 0;
  }
  let paths: string[];
  let identities: string[] = [];
  try {
    const parsed = parseArgs({ args, strict: true, allowPositionals: true, options: { identity: { type: 'string' } } });
    paths = parsed.positionals;
    // Given, else the demo shell's head-office identity when run from the demo's folder.
    const demo = resolve('.daystick', AGE_IDENTITY_FILE);
    const file = parsed.values.identity ?? ((await access(demo).then(() => true, () => false)) ? demo : null);
    if (file !== null) identities = await readIdentityFile(file);
  } catch (err) {
    const known = err instanceof AgeIdentityError;
    process.stderr.write(`daystick verify: ${(err as Error).message}\n${known ? '' : USAGE}`);
    return 2;
  }
  if (paths.length === 0) {
    process.stderr.write(USAGE);
    return 2;
  }
  args = paths;
  let whole = 0;
  let broken = 0;
  for (const path of args) {
    let locations: Awaited<ReturnType<typeof listPackages>>;
    try {
      locations = await listPackages(path);
    } catch (err) {
      process.stderr.write(`daystick verify: cannot read ${path}: ${(err as Error).message}\n`);
      return 2;
    }
    for (const location of locations) {
      let verdict: PackageVerdict;
      try {
        verdict = await verifyPackage(location, { identities });
      } catch (err) {
        verdict = {
          location,
          manifest: null,
          stored: null,
          manifestBytes: null,
          contentsChecked: false,
          plainDataPath: null,
          ok: false,
          problems: [{ code: 'unreadable-zip', message: `could not be read: ${(err as Error).message}` }],
        };
      }
      process.stdout.write(`${formatVerdict(verdict)}\n`);
      if (verdict.ok) whole++;
      else broken++;
    }
  }
  const total = whole + broken;
  if (total === 0) {
    process.stdout.write(`no daystick packages found under ${args.join(', ')}\n`);
    return 1;
  }
  process.stdout.write(
    `${total} package${total === 1 ? '' : 's'} checked: ${whole} whole, ${broken} with problems\n`,
  );
  return broken === 0 ? 0 : 1;
}

export function formatVerdict(v: PackageVerdict): string {
  const m = v.manifest;
  const unchecked = v.ok && !v.contentsChecked;
  const cols = [
    v.location.businessDay,
    v.location.registerFolder,
    m?.kind ?? v.stored?.kind ?? '-',
    m ? `${m.controlTotals.receipts} receipts` : '- receipts',
    v.ok ? (unchecked ? 'OK (manifest, signature, encrypted file)' : 'OK') : 'FAILED',
  ];
  const head = `${cols.join('  ')}  ${v.location.packageId}`;
  if (unchecked) return `${head}\n    contents not checked: encrypted to head office, give --identity FILE to check them`;
  if (v.ok) return head;
  return `${head}\n${v.problems.map((p) => `    ${p.code}${p.entry ? ` [${p.entry}]` : ''}: ${p.message}`).join('\n')}`;
}
