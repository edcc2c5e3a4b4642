import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * What a register vendor's code gets from the built package's "exports", by
 * the package's own name in a real Node process (needs `npm run build`).
 */
async function exportsOf(specifier: string): Promise<string[]> {
  const script = `const m = await import(${JSON.stringify(specifier)}); console.log(JSON.stringify(Object.keys(m).sort()));`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT });
  return JSON.parse(stdout) as string[];
}

describe("the package's public entry points", () => {
  test('"." loads the plugin and its named errors', async () => {
    expect(await exportsOf('daystick')).toEqual(
      expect.arrayContaining([
        'activate',
        'BusinessDayError',
        'HostRequestError',
        'SettingsError',
        'StateCorruptError',
        'ManifestError',
        'JOURNAL_SUMMARY_MISMATCH',
      ]),
    );
  });

  test('"./stick" is the removable-media adapter over stick folders and mounts', async () => {
    expect(await exportsOf('daystick/stick')).toEqual(['PolledRemovableMedia', 'createRemovableMedia']);
  });

  test('"./host" is the contract: ports as types, record schemas and business-day helpers, no adapter', async () => {
    const names = await exportsOf('daystick/host');
    expect(names).toEqual(
      expect.arrayContaining(['BusinessDayError', 'HostRequestError', 'ReceiptSchema', 'parseBusinessDay']),
    );
    expect(names).not.toContain('createRemovableMedia');
    expect(names).not.toContain('activate');
  });
});
