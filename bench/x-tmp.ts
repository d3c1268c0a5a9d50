import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { PostgresSearchIndex } from '../src/adapters/sql/postgres-search.ts';
import { Search } from '../src/app/search.ts';
import { BENCH_USERS, word } from './support/search-corpus.ts';
const url = process.argv[2] ?? '';
const captured: { sql: string; params: readonly unknown[] }[] = [];
const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }), log: (e) => { if (e.level === 'query') captured.push({ sql: e.query.sql, params: e.query.parameters }); } });
const s = new Search(new PostgresSearchIndex(db));
const who = process.argv[4] === 'nothing' ? BENCH_USERS.nothing : BENCH_USERS.reach;
const kind = process.argv[3];
if (kind === 'title') await s.titles(who, { q: process.argv[5] ?? word(3).slice(0, 4), limit: 10 });
else await s.search(who, { q: process.argv[5] ?? word(40), limit: 20 });
const c = new pg.Client({ connectionString: url }); await c.connect();
for (const q of captured) {
  if (!/^\s*(with|select)/i.test(q.sql) || q.sql.includes('set_config')) continue;
  const r = await c.query(`explain (analyze, buffers) ${q.sql}`, q.params as unknown[]);
  console.log(r.rows.map((x) => x['QUERY PLAN']).join('\n'));
}
await c.end(); await db.destroy();
