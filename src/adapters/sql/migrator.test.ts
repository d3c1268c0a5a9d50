/**
 * The migrator applies a migration numbered below one already applied: several people number
 * their migrations in parallel (0010, 0011, 0012 landed as 0010, 0012, 0011), and a database
 * migrated in between must still start.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, expect, it } from 'vitest';
import { loadConfig } from '../../config/config.ts';
import { Metrics } from '../../observability/metrics.ts';
import { openDatabase } from './database.ts';
import { migrateToLatest } from './migrator.ts';

const dir = mkdtempSync(join(tmpdir(), 'cd-migrations-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('applies a migration that lands after a higher-numbered one', async () => {
  const metrics = new Metrics();
  const database = await openDatabase(loadConfig({}), { metrics, logError: () => undefined, inMemory: true });
  try {
    writeFileSync(join(dir, '0001_first.sql'), 'create table first_table (id int);');
    writeFileSync(join(dir, '0003_third.sql'), 'create table third_table (id int);');
    expect(await migrateToLatest(database.admin, dir)).toEqual(['0001_first', '0003_third']);
    writeFileSync(join(dir, '0002_second.sql'), 'create table second_table (id int);');
    expect(await migrateToLatest(database.admin, dir)).toEqual(['0002_second']);
    const tables = await sql<{ n: string }>`select count(*) as n from information_schema.tables
      where table_name in ('first_table', 'second_table', 'third_table')`.execute(database.admin);
    expect(Number(tables.rows[0]?.n)).toBe(3);
  } finally {
    await database.close();
    metrics.close();
  }
});
