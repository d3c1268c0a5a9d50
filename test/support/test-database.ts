/**
 * A migrated database for unit tests of use cases and adapters: embedded (in-memory PGlite) always,
 * real PostgreSQL (a fresh `cd_test_*` database, dropped on close) when DATABASE_URL is set.
 */
import { type Database, openDatabase } from '../../src/adapters/sql/database.ts';
import { migrateToLatest } from '../../src/adapters/sql/migrator.ts';
import { loadConfig } from '../../src/config/config.ts';
import { Metrics } from '../../src/observability/metrics.ts';
import { createTestDatabase } from './backends.ts';

export type TestDatabase = { database: Database; metrics: Metrics; close(): Promise<void> };

export async function openTestDatabase(): Promise<TestDatabase> {
  const metrics = new Metrics();
  const database = await openDatabase(loadConfig({}), { metrics, logError: () => undefined, inMemory: true });
  await migrateToLatest(database.admin);
  return {
    database,
    metrics,
    async close() {
      await database.close();
      metrics.close();
    },
  };
}

export async function openPostgresTestDatabase(): Promise<TestDatabase> {
  const created = await createTestDatabase();
  const metrics = new Metrics();
  const database = await openDatabase(loadConfig({ DATABASE_URL: created.url, DB_POOL_ACQUIRE_TIMEOUT_MS: '2000' }), {
    metrics,
    logError: () => undefined,
  });
  await migrateToLatest(database.admin);
  return {
    database,
    metrics,
    async close() {
      await database.close();
      metrics.close();
      await created.drop();
    },
  };
}

/** The backends to run a database test against: embedded always, PostgreSQL when DATABASE_URL is set. */
export const testDatabases: { name: string; open: () => Promise<TestDatabase> }[] = [
  { name: 'embedded', open: openTestDatabase },
  ...(process.env.DATABASE_URL ? [{ name: 'postgres', open: openPostgresTestDatabase }] : []),
];
