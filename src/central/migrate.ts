import { CENTRAL_MIGRATIONS, CENTRAL_SCHEMA_VERSION, type Dialect } from './central-schema.js';
import { type CentralQueries, CentralStoreError } from './central-store.js';

export const SCHEMA_VERSION_TABLE_SQL =
  'CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)';

/** The highest migration recorded, 0 for a journal with none yet. */
export async function currentSchemaVersion(q: CentralQueries): Promise<number> {
  const rows = await q.all<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_version');
  return rows[0]?.v ?? 0;
}

/**
 * Brings a central journal up to this build's schema inside the caller's
 * transaction. A journal already at a newer version is refused: an older
 * importer would otherwise write rows the newer schema does not expect.
 */
export async function applyMigrations(tx: CentralQueries, dialect: Dialect, now: () => Date = () => new Date()): Promise<number> {
  await tx.run(SCHEMA_VERSION_TABLE_SQL);
  const current = await currentSchemaVersion(tx);
  if (current > CENTRAL_SCHEMA_VERSION) {
    throw new CentralStoreError(
      'newer-schema',
      `central journal has schema version ${current}, this daystick knows up to ${CENTRAL_SCHEMA_VERSION}: update daystick`,
    );
  }
  for (const migration of CENTRAL_MIGRATIONS) {
    if (migration.version <= current) continue;
    for (const sql of migration.statements(dialect)) await tx.run(sql);
    await tx.run('INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)', [
      migration.version,
      migration.description,
      now().toISOString(),
    ]);
  }
  return CENTRAL_SCHEMA_VERSION;
}
