import { readFile } from 'node:fs/promises';
import { z } from 'zod';

/** The host contract version this build of the plugin speaks. */
export const PLUGIN_API_VERSION = '1.0';

const SemVer = z.string().regex(/^\d+\.\d+\.\d+$/, 'expected a version like 1.2.3');

const SettingSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('boolean'), default: z.boolean(), label: z.string() }),
  z.strictObject({ type: z.literal('string'), default: z.string().nullable(), label: z.string() }),
  z.strictObject({
    type: z.literal('integer'),
    default: z.number().int(),
    /** The range the settings schema (src/settings) enforces, declared for the host's settings form. */
    min: z.number().int().optional(),
    max: z.number().int().optional(),
    label: z.string(),
  }),
  z.strictObject({
    type: z.literal('enum'),
    values: z.array(z.string()).min(1),
    default: z.string(),
    label: z.string(),
  }),
]);

export const PluginManifestSchema = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9-]*$/),
  name: z.string().min(1),
  version: SemVer,
  apiVersion: z.string().regex(/^\d+\.\d+$/),
  minHostVersion: SemVer,
  main: z.string().min(1),
  hooks: z.array(z.enum(['dayClose'])).min(1),
  commands: z.array(
    z.strictObject({
      key: z.string().regex(/^[A-Z_]+$/),
      input: z.enum(['date-yyyymmdd', 'none']),
      description: z.string(),
    }),
  ),
  settings: z.record(z.string(), SettingSchema),
  permissions: z.array(
    z.enum(['removable-media-write', 'journal-read', 'time-recording-read', 'master-data-backup']),
  ),
});

export type PluginManifest = z.infer<typeof PluginManifestSchema>;

export class ManifestError extends Error {
  override name = 'ManifestError';
}

export function parseManifest(raw: unknown, source = 'plugin.manifest.json'): PluginManifest {
  const result = PluginManifestSchema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ManifestError(`${source} is invalid: ${issues}`);
  }
  return result.data;
}

export async function readManifest(path: string): Promise<PluginManifest> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ManifestError(`cannot read plugin manifest ${path}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ManifestError(`${path} is not JSON: ${(err as Error).message}`);
  }
  return parseManifest(raw, path);
}

function compareSemVer(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Throws when a host cannot load this plugin; the message names both versions. */
export function checkHostCompatibility(
  manifest: PluginManifest,
  host: { apiVersion: string; hostVersion: string },
): void {
  if (host.apiVersion !== manifest.apiVersion) {
    throw new ManifestError(
      `plugin ${manifest.id} ${manifest.version} speaks host API ${manifest.apiVersion}, but this host speaks ${host.apiVersion}; refusing to load`,
    );
  }
  if (!/^\d+\.\d+\.\d+$/.test(host.hostVersion) || compareSemVer(host.hostVersion, manifest.minHostVersion) < 0) {
    throw new ManifestError(
      `plugin ${manifest.id} ${manifest.version} needs host version ${manifest.minHostVersion} or newer, this host is ${host.hostVersion}`,
    );
  }
}

/** Default settings as declared in the manifest, for a host that has none stored yet. */
export function manifestDefaults(manifest: PluginManifest): Record<string, unknown> {
  return Object.fromEntries(Object.entries(manifest.settings).map(([k, s]) => [k, s.default]));
}
