/**
 * The backends every integration suite runs against: always the embedded default (PGlite +
 * in-process bus), plus real PostgreSQL and Redis when DATABASE_URL and REDIS_URL are set
 * (CI sets both). Each test app gets its own fresh database and Redis prefix.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export type BackendName = 'embedded' | 'postgres+redis';
export type Backend = {
  name: BackendName;
  /** Creates an isolated database (and Redis prefix); returns env overrides and a cleanup. */
  provision(): Promise<{ env: Record<string, string>; inMemoryDatabase: boolean; cleanup(): Promise<void> }>;
};

const realDatabaseUrl = process.env.DATABASE_URL;
const realRedisUrl = process.env.REDIS_URL;

export const realServersConfigured = Boolean(realDatabaseUrl && realRedisUrl);

export function databaseUrlFor(base: string, name: string): string {
  const u = new URL(base);
  u.pathname = `/${name}`;
  return u.toString();
}

/** A fresh PostgreSQL database on the configured server; dropped by the cleanup. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  if (!realDatabaseUrl) throw new Error('DATABASE_URL is not set');
  const name = `cd_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: realDatabaseUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  return {
    url: databaseUrlFor(realDatabaseUrl, name),
    async drop() {
      const c = new pg.Client({ connectionString: realDatabaseUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

const embedded: Backend = {
  name: 'embedded',
  async provision() {
    return { env: {}, inMemoryDatabase: true, cleanup: async () => undefined };
  },
};

const real: Backend = {
  name: 'postgres+redis',
  async provision() {
    const db = await createTestDatabase();
    return {
      env: {
        DATABASE_URL: db.url,
        REDIS_URL: realRedisUrl as string,
        REDIS_PREFIX: `test:${randomBytes(4).toString('hex')}:`,
      },
      inMemoryDatabase: false,
      cleanup: () => db.drop(),
    };
  },
};

/** Suites loop over this list (`describe.each`), so real servers are exercised whenever present. */
export const backends: Backend[] = realServersConfigured ? [embedded, real] : [embedded];

/**
 * Browser suites test the web app, which talks to either backend through the same HTTP API and
 * sync protocol that every integration suite already runs on both. So each browser suite names
 * the one backend it runs on (the suites alternate, so both are driven from a real browser), and
 * the core journeys (test/e2e/app, collaboration) take `backends`. This keeps the CI run within
 * its time budget; `E2E_ALL_BACKENDS=1` runs every browser suite on every backend.
 */
export function browserBackends(preferred: BackendName): Backend[] {
  if (process.env.E2E_ALL_BACKENDS === '1') return backends;
  return [backends.find((b) => b.name === preferred) ?? embedded];
}
