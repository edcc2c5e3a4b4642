import { resolve } from 'node:path';
import type { CentralStore } from './central-store.js';
import { PostgresCentralStore } from './postgres-central-store.js';
import { SqliteCentralStore } from './sqlite-central-store.js';

export function isPostgresUrl(central: string): boolean {
  return /^postgres(ql)?:\/\//i.test(central);
}

/** `--central FILE|postgres://…`: a connection string picks PostgreSQL, anything else is an SQLite file path. */
export function openCentralStore(central: string): Promise<CentralStore> {
  return isPostgresUrl(central) ? PostgresCentralStore.open(central) : SqliteCentralStore.open(resolve(central));
}
