/**
 * Statements marked PREPARED run as named prepared statements on PostgreSQL — parsed once per
 * connection, then served by a generic plan (planned once) — and give the same rows as unmarked
 * ones on both backends; unmarked statements are never prepared (issue 18: per-request planning).
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/backends.ts';
import { openTestDatabase } from '../../../test/support/test-database.ts';
import { DocumentLists } from '../../app/document-lists.ts';
import { PermissionCache } from '../../app/permissions.ts';
import { PREPARED, type Sql } from '../../app/ports.ts';
import { loadConfig } from '../../config/config.ts';
import { Metrics } from '../../observability/metrics.ts';
import { MemoryBus } from '../bus/memory-bus.ts';
import { type Database, openDatabase } from './database.ts';
import { migrateToLatest } from './migrator.ts';
import { PostgresSearchIndex } from './postgres-search.ts';
import { statementName } from './prepared-statements.ts';

const ids = { user: crypto.randomUUID(), ws: crypto.randomUUID() };
const DOCUMENTS = 30;

async function seed(db: Sql): Promise<void> {
  await db.insertInto('users').values({ id: ids.user, email: 'p@example.test', display_name: 'P' }).execute();
  await db.insertInto('workspaces').values({ id: ids.ws, name: 'W', created_by: ids.user }).execute();
  await db
    .insertInto('workspace_members')
    .values({ workspace_id: ids.ws, user_id: ids.user, role: 'member' })
    .execute();
  await db
    .insertInto('documents')
    .values(
      Array.from({ length: DOCUMENTS }, (_, i) => ({
        id: crypto.randomUUID(),
        workspace_id: ids.ws,
        title: `D${i}`,
        created_by: ids.user,
        owner_id: ids.user,
      })),
    )
    .execute();
}

const listPage = (db: Sql) =>
  new DocumentLists(db, new PermissionCache(db, new MemoryBus(), { ttlMs: 60_000, max: 100 })).inWorkspace(
    ids.user,
    ids.ws,
    { limit: 7, order: 'created' },
  );

describe('prepared statements [embedded]', () => {
  let close: () => Promise<void>;
  let db: Sql;
  beforeAll(async () => {
    const t = await openTestDatabase();
    close = t.close;
    db = t.database.pool('api');
    await seed(db);
  }, 120_000);
  afterAll(async () => close?.());

  it('a marked statement answers like the unmarked one (PGlite runs it as it is)', async () => {
    const q = db.selectFrom('documents').select(['id', 'title']).where('workspace_id', '=', ids.ws).orderBy('id');
    expect(await q.modifyEnd(PREPARED).execute()).toEqual(await q.execute());
    expect((await listPage(db)).items).toHaveLength(7);
  });
});

describe.runIf(process.env.DATABASE_URL)('prepared statements [postgres]', () => {
  let database: Database;
  let metrics: Metrics;
  let drop: () => Promise<void>;
  let url: string;
  /** One api connection: every statement below runs on the session it inspects. */
  let db: Sql;

  beforeAll(async () => {
    const created = await createTestDatabase();
    drop = created.drop;
    url = created.url;
    metrics = new Metrics();
    const cfg = loadConfig({ DATABASE_URL: created.url, DB_POOL_API_MAX: '1', DB_POOL_ACQUIRE_TIMEOUT_MS: '5000' });
    database = await openDatabase(cfg, { metrics, logError: () => undefined });
    await migrateToLatest(database.admin);
    db = database.pool('api');
    await seed(db);
  }, 120_000);
  afterAll(async () => {
    await database?.close();
    metrics?.close();
    await drop?.();
  });

  const prepared = async () =>
    (
      await sql<{ name: string; statement: string; generic_plans: number; custom_plans: number }>`
        select name, statement, generic_plans, custom_plans from pg_prepared_statements`.execute(db)
    ).rows;

  it('runs a marked statement by name, unmarked ones unnamed, with the same rows', async () => {
    const q = db.selectFrom('documents').select(['id', 'title']).where('workspace_id', '=', ids.ws).orderBy('id');
    const marked = q.modifyEnd(PREPARED);
    expect(await marked.execute()).toEqual(await q.execute());
    const names = (await prepared()).map((p) => p.name);
    expect(names).toContain(statementName(marked.compile().sql));
    expect(names).not.toContain(statementName(q.compile().sql));
    expect(names.every((n) => n.startsWith('cd_'))).toBe(true);
  });

  it("search's reach (who may open what) is prepared: its text does not depend on the caller", async () => {
    const index = new PostgresSearchIndex(db);
    const query = { words: ['zebra'], phrases: [], prefixLast: false };
    for (const actor of [ids.user, crypto.randomUUID()]) {
      await index.documents({ actor, query, limit: 5 });
    }
    const reach = (await prepared()).filter((p) => p.statement.includes('as hidden'));
    expect(reach).toHaveLength(1);
    expect((reach[0]?.generic_plans ?? 0) + (reach[0]?.custom_plans ?? 0)).toBe(2);
    expect((await prepared()).some((p) => p.statement.includes('body_hits'))).toBe(false);
  });

  it('DB_PREPARED_STATEMENTS=false (a pooler that cannot keep them): marked statements run unnamed, same rows', async () => {
    const cfg = loadConfig({
      DATABASE_URL: url,
      DB_POOL_API_MAX: '1',
      DB_POOL_ACQUIRE_TIMEOUT_MS: '5000',
      DB_PREPARED_STATEMENTS: 'false',
    });
    const plain = await openDatabase(cfg, { metrics: new Metrics(), logError: () => undefined });
    try {
      const pdb = plain.pool('api');
      const q = pdb.selectFrom('documents').select(['id', 'title']).where('workspace_id', '=', ids.ws).orderBy('id');
      expect(await q.modifyEnd(PREPARED).execute()).toEqual(await q.execute());
      const names = await sql<{ name: string }>`select name from pg_prepared_statements`.execute(pdb);
      expect(names.rows).toEqual([]);
    } finally {
      await plain.close();
    }
  });

  it("one workspace's list is parsed once and, after its first runs, served by a generic plan", async () => {
    const runs = 10;
    const first = await listPage(db);
    for (let i = 1; i < runs; i++) expect(await listPage(db)).toEqual(first);
    const list = (await prepared()).filter((p) => p.statement.includes('from "documents" as "d"'));
    expect(list).toHaveLength(1);
    const [stats] = list;
    expect((stats?.generic_plans ?? 0) + (stats?.custom_plans ?? 0)).toBe(runs);
    // PostgreSQL tries five custom plans, then keeps the generic one when it costs no more.
    expect(stats?.generic_plans).toBeGreaterThanOrEqual(runs - 5);
  });
});
