import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { PostgresSearchIndex } from '../src/adapters/sql/postgres-search.ts';
import { Search } from '../src/app/search.ts';
import { BENCH_USERS, word } from './support/search-corpus.ts';

const url = process.argv[2] ?? '';
const captured: { sql: string; params: readonly unknown[] }[] = [];
const db = new Kysely<any>({
  dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }),
  log: (e) => {
    if (e.level === 'query') captured.push({ sql: e.query.sql, params: e.query.parameters });
  },
});
const s = new Search(new PostgresSearchIndex(db));
const who = process.argv[4] === 'nothing' ? BENCH_USERS.nothing : BENCH_USERS.reach;
const kind = process.argv[3];
const c = new pg.Client({ connectionString: url });
await c.connect();
const ws =
  process.argv[6] === 'scoped'
    ? (
        await c.query(
          `select m.workspace_id, (select count(*) from documents d where d.workspace_id = m.workspace_id) n from workspace_members m where user_id = $1 order by n desc limit 1`,
          [who],
        )
      ).rows[0].workspace_id
    : undefined;
const q = (process.argv[5] ?? '').replace(/w\((\d+)\)/g, (_, n) => word(Number(n)));
if (kind === 'title') await s.titles(who, { q, limit: 10, workspaceId: ws });
else await s.search(who, { q, limit: 20, workspaceId: ws });
for (const x of captured) {
  if (!/^\s*(with|select)/i.test(x.sql) || x.sql.includes('set_config')) continue;
  const r = await c.query(`explain (analyze, buffers) ${x.sql}`, x.params as unknown[]);
  console.log(r.rows.map((y) => y['QUERY PLAN']).join('\n'));
}
await c.end();
await db.destroy();
