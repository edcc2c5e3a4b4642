import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * A real PostgreSQL server for the head-office tests. CI starts one and sets
 * DAYSTICK_TEST_PG (see .ci/run); each suite gets its own fresh database on
 * it, dropped afterwards, so suites never see each other's rows.
 */
export const TEST_PG_ENV = 'DAYSTICK_TEST_PG';

export function postgresTestUrl(): string | null {
  const url = process.env[TEST_PG_ENV];
  return url && url.length > 0 ? url : null;
}

/** `describe` for suites that need PostgreSQL: under CI=true a missing server fails; locally the suite is skipped loudly. */
export function describeWithPostgres(name: string, body: () => void): void {
  if (postgresTestUrl() !== null) {
    describe(name, body);
    return;
  }
  const reason = `${TEST_PG_ENV} is not set (a connection string such as postgres://postgres@127.0.0.1:55432/daystick_test; .ci/run shows how to start one)`;
  if (process.env.CI === 'true') {
    describe(name, () => {
      test('PostgreSQL is available in CI', () => {
        throw new Error(`CI must run the PostgreSQL tests, but ${reason}`);
      });
    });
    return;
  }
  console.warn(`\n!!! SKIPPED "${name}": PostgreSQL tests need a server: ${reason}\n`);
  describe.skip(name, body);
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** Creates an empty database on the test server and returns its connection string. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = postgresTestUrl();
  if (adminUrl === null) throw new Error(`${TEST_PG_ENV} is not set`);
  const name = `daystick_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
