import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { manifestDefaults, type PluginManifest } from '../plugin/manifest.js';

export const SETTINGS_FILE_NAME = 'settings.json';

export class ShellSettingsError extends Error {
  override name = 'ShellSettingsError';
}

/**
 * What the reference shell configures when nobody else has, so `npm start`
 * works on a fresh clone: the export switched on and a demo customer number
 * that differs from head office's (the vendor's licence rule).
 */
export const DEMO_REGISTER_SETTINGS: Readonly<Record<string, unknown>> = {
  saveTransactionsForCentral: true,
  customerNumber: '10001',
  headOfficeCustomerNumber: '10000',
  registerId: '1',
};

/** A schema for stored settings built from the manifest's declarations, so the host checks types as the manifest states them. */
function storedSettingsSchema(manifest: PluginManifest) {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, declared] of Object.entries(manifest.settings)) {
    shape[key] =
      declared.type === 'boolean'
        ? z.boolean()
        : declared.type === 'string'
          ? z.string().nullable()
          : declared.type === 'integer'
            ? z.number().int()
            : z.enum(declared.values as [string, ...string[]]);
  }
  return z.strictObject(shape).partial();
}

/** The settings file in the data folder; none means nothing stored yet. */
export async function readSettingsFile(manifest: PluginManifest, dataDir: string): Promise<Record<string, unknown>> {
  const path = join(dataDir, SETTINGS_FILE_NAME);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ShellSettingsError(`cannot read settings file ${path}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ShellSettingsError(`settings file ${path} is not JSON: ${(err as Error).message}`);
  }
  const parsed = storedSettingsSchema(manifest).safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) =>
      i.code === 'unrecognized_keys' ? `unknown setting(s) ${i.keys.join(', ')}` : `${i.path.join('.')}: ${i.message}`,
    );
    throw new ShellSettingsError(`settings file ${path} is invalid: ${problems.join('; ')}`);
  }
  return parsed.data;
}

export interface SettingsOverrides {
  backup: boolean | null;
  lang: 'en' | 'de' | null;
}

/** Manifest defaults, then the shell's demo register, then the settings file, then the command line. */
export function buildShellSettings(
  manifest: PluginManifest,
  stored: Record<string, unknown>,
  overrides: SettingsOverrides,
): Record<string, unknown> {
  const settings: Record<string, unknown> = { ...manifestDefaults(manifest), ...DEMO_REGISTER_SETTINGS, ...stored };
  if (overrides.backup !== null) settings.masterDataBackup = overrides.backup;
  if (overrides.lang !== null) settings.language = overrides.lang;
  return settings;
}
