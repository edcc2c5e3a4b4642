import { type PackageLocation, listPackages } from '../package/reader.js';
import type { CentralStore } from '../central/central-store.js';
import { type ImportOptions, type PackageImportResult, importPackage } from './import-package.js';
import { knownPackageIndex } from './known-package.js';
import type { ProcessingList } from './processing-list.js';

/** Progress is shown in these steps, so a log file gets a handful of lines per package, not thousands. */
const PROGRESS_STEP_PERCENT = 25;

/**
 * Imports the given packages one after the other, showing each on the
 * processing list as it goes. One package's refusal or failure never stops
 * the others.
 */
export async function importPackages(
  store: CentralStore,
  packages: readonly PackageLocation[],
  options: ImportOptions,
  list: ProcessingList,
): Promise<PackageImportResult[]> {
  const results: PackageImportResult[] = [];
  const acknowledgements = options.acknowledgements ?? new Map();
  // One pass, one look: the journal is asked about the stick's packages once, each folder's register.pub read once.
  // Should the journal not answer now, each package asks on its own and fails on its own, as without the index.
  const knownIndex = options.knownIndex ?? (await knownPackageIndex(store, packages).catch(() => undefined));
  const registerKeys = options.registerKeys ?? new Map();
  for (const location of packages) {
    const row = { register: location.registerFolder, day: location.businessDay, kind: '', receipts: '' };
    let shownPercent = -1;
    const result = await importPackage(store, location, {
      ...options,
      acknowledgements,
      ...(knownIndex ? { knownIndex } : {}),
      registerKeys,
      onPhase: (phase, manifest) => {
        if (manifest) {
          row.kind = manifest.kind;
          row.receipts = String(manifest.controlTotals.receipts);
        }
        list.row({ ...row, status: phase, progress: phase === 'importing' ? '0%' : '' });
      },
      onProgress: (done, total) => {
        const percent = total === 0 ? 100 : Math.floor((done * 100) / total);
        const step = Math.floor(percent / PROGRESS_STEP_PERCENT) * PROGRESS_STEP_PERCENT;
        if (step > shownPercent && step > 0 && step < 100) {
          shownPercent = step;
          list.row({ ...row, status: 'importing', progress: `${step}%` });
        }
      },
    }).catch(
      (err: unknown): PackageImportResult => ({
        location,
        manifest: null,
        status: 'failed',
        // A stick pulled mid-read or an unreadable folder: nothing was committed, the package is tried again next time.
        refusals: [{ code: 'import-failed', message: `could not read the package: ${(err as Error).message}` }],
        counts: null,
        conflicts: [],
        unbalanced: [],
        acknowledgement: { state: 'not-written' },
      }),
    );
    list.result(result);
    results.push(result);
  }
  return results;
}

export async function importFolder(
  store: CentralStore,
  path: string,
  options: ImportOptions,
  list: ProcessingList,
): Promise<PackageImportResult[]> {
  return importPackages(store, await listPackages(path), options, list);
}
