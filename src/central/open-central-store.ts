import { resolve } from 'node:path';
import type { CentralStore } from './central-store.js';
import type { PostgresStoreOptions } from './postgres-central-store.js';
import { SqliteCentralStore } from './sqlite-central-store.js';

export function isPostgresUrl(central: string): boolean {
  return /^postgres(ql)?:\/\//i.test(central);
}

/**
 * `--central FILE|postgres://…`: a connection string picks PostgreSQL, anything else is an SQLite file path.
 * The PostgreSQL driver loads only when asked for: a daily SQLite run pays nothing for it.
 */
export async function openCentralStore(central: string, postgres: PostgresStoreOptions = {}): Promise<CentralStore> {
  if (!isPostgresUrl(central)) return SqliteCentralStore.open(resolve(central));
  const { PostgresCentralStore } = await import('./postgres-central-store.js');
  return PostgresCentralStore.open(central, postgres);
}
