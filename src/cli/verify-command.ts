import { listPackages } from '../package/reader.js';
import { type PackageVerdict, verifyPackage } from '../package/verify.js';

const USAGE = 'usage: daystick verify PATH...\n  PATH: a stick, its DAYSTICK folder, a register folder, or any folder with sticks below it\n';

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
  const unknown = args.find((a) => a.startsWith('-'));
  if (unknown) {
    process.stderr.write(`daystick verify: unknown option ${unknown}\n${USAGE}`);
    return 2;
  }
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
        verdict = await verifyPackage(location);
      } catch (err) {
        verdict = {
          location,
          manifest: null,
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
  const cols = [
    v.location.businessDay,
    v.location.registerFolder,
    m?.kind ?? '-',
    m ? `${m.controlTotals.receipts} receipts` : '- receipts',
    v.ok ? 'OK' : 'FAILED',
  ];
  const head = `${cols.join('  ')}  ${v.location.packageId}`;
  if (v.ok) return head;
  return `${head}\n${v.problems.map((p) => `    ${p.code}${p.entry ? ` [${p.entry}]` : ''}: ${p.message}`).join('\n')}`;
}
