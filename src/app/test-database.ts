/** An in-memory embedded database with migrations applied, for unit tests of use cases. */
import { type Database, openDatabase } from '../adapters/sql/database.ts';
import { migrateToLatest } from '../adapters/sql/migrator.ts';
import { loadConfig } from '../config/config.ts';
import { Metrics } from '../observability/metrics.ts';

export async function openTestDatabase(): Promise<{ database: Database; metrics: Metrics; close(): Promise<void> }> {
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
