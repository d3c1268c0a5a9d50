/**
 * `npm run bench:search`: search at scale. Builds (or reuses) a corpus of BENCH_SEARCH_DOCS
 * documents in its own PostgreSQL database, then times every query shape through the real
 * search use case and PostgreSQL adapter, one query at a time: latency percentiles and the
 * PostgreSQL backend's CPU per query (/proc, same machine). Also index sizes, the time from a
 * saved edit to a searchable word, and what the index costs each content write.
 * Prints one JSON object on stdout; progress on stderr.
 *
 * Environment (all optional):
 *   BENCH_DATABASE_URL / DATABASE_URL  admin URL (default postgres://postgres:postgres@127.0.0.1:5432/postgres)
 *   BENCH_SEARCH_DOCS (1000000)        corpus size; the database is bench_search_corpus_<docs>
 *   BENCH_SEARCH_ITERATIONS (40)       measured queries per shape and caller
 *   BENCH_SEARCH_REBUILD (0)           1: drop and rebuild the corpus even when it is current
 * Building a million documents takes minutes and both cores: run it under the heavy lock.
 */
import { readFileSync } from 'node:fs';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { PostgresSearchIndex } from '../src/adapters/sql/postgres-search.ts';
import type { DB } from '../src/app/schema.ts';
import { Search } from '../src/app/search.ts';
import { BENCH_USERS, buildCorpus, corpusIsCurrent, corpusParams, word } from './support/search-corpus.ts';

const DEFAULT_DATABASE_URL = 'postgres://postgres:postgres@127.0.0.1:5432/postgres';
const TICKS_PER_SECOND = 100;
const WARMUP = 3;
const TERMS_PER_SHAPE = 10;
const WRITES = 200;

const num = (name: string, dflt: number): number => {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? dflt : Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}=${raw}: expected a number`);
  return n;
};
const log = (msg: string) => process.stderr.write(`[bench:search] ${msg}\n`);

const docs = num('BENCH_SEARCH_DOCS', 1_000_000);
const iterations = num('BENCH_SEARCH_ITERATIONS', 40);
const adminUrl = process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
const dbName = `bench_search_corpus_${docs}`;
const url = (() => {
  const u = new URL(adminUrl);
  u.pathname = `/${dbName}`;
  return u.toString();
})();

/** utime + stime of one process, in ticks. */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

async function ensureCorpus() {
  const params = corpusParams(docs);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const exists = (await admin.query('select 1 from pg_database where datname = $1', [dbName])).rowCount === 1;
  const rebuild = process.env.BENCH_SEARCH_REBUILD === '1' || !exists || !(await corpusIsCurrent(url, params));
  let builtSeconds: number | null = null;
  if (rebuild) {
    log(`building ${dbName}: ${JSON.stringify(params)}`);
    await admin.query(`drop database if exists ${dbName} with (force)`);
    await admin.query(`create database ${dbName}`);
    builtSeconds = await buildCorpus(url, params, log);
    log(`corpus built in ${builtSeconds.toFixed(0)} s`);
  } else log(`reusing ${dbName}`);
  await admin.end();
  return { params, builtSeconds };
}

type Shape = { name: string; run: (i: number) => Promise<unknown> };

async function main() {
  const corpus = await ensureCorpus();
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }) });
  const pid = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)).rows[0]?.pid ?? 0;
  const search = new Search(new PostgresSearchIndex(db));

  // Document frequencies decide which words are "common" and "rare" in this corpus.
  const df = async (w: string) =>
    Number(
      (
        await sql<{
          n: string;
        }>`select count(*) as n from document_search where body @@ to_tsquery('english', ${w})`.execute(db)
      ).rows[0]?.n,
    );
  const range = (from: number) => Array.from({ length: TERMS_PER_SHAPE }, (_, i) => word(from + i));
  const common = range(40);
  const rare = range(30_000);
  const middle = range(300);
  const frequencies = {
    common: await df(common[0] ?? ''),
    rare: await df(rare[0] ?? ''),
    middle: await df(middle[0] ?? ''),
  };
  log(`document frequency: ${JSON.stringify(frequencies)} of ${docs}`);
  const biggestWorkspace = (
    await sql<{ workspace_id: string; n: string }>`
      select m.workspace_id, (select count(*) from documents d where d.workspace_id = m.workspace_id) as n
      from workspace_members m where m.user_id = ${BENCH_USERS.reach} order by n desc limit 1`.execute(db)
  ).rows[0];
  const reachDocs = Number(
    (
      await sql<{ n: string }>`select (select count(*) from documents where workspace_id in
        (select workspace_id from workspace_members where user_id = ${BENCH_USERS.reach}))
        + (select count(*) from document_shares where user_id = ${BENCH_USERS.reach}) as n`.execute(db)
    ).rows[0]?.n,
  );

  const callers = {
    scoped: { actor: BENCH_USERS.reach, workspaceId: biggestWorkspace?.workspace_id },
    reach: { actor: BENCH_USERS.reach, workspaceId: undefined },
    nothing: { actor: BENCH_USERS.nothing, workspaceId: undefined },
  };
  const titlePrefix = (i: number) => word(i % 50).slice(0, 4);
  const typo = (i: number) => {
    const w = word(200 + (i % 50));
    return `${w.slice(0, 2)}${w[3]}${w[2]}${w.slice(4)}`;
  };
  const results: Record<string, unknown> = {};
  for (const [who, c] of Object.entries(callers)) {
    const q = (text: string, cursor?: string) =>
      search.search(c.actor, { q: text, workspaceId: c.workspaceId, limit: 20, cursor });
    const shapes: Shape[] = [
      { name: 'rare', run: (i) => q(rare[i % rare.length] ?? '') },
      { name: 'common', run: (i) => q(common[i % common.length] ?? '') },
      { name: 'twoTermAnd', run: (i) => q(`${common[i % common.length]} ${middle[i % middle.length]}`) },
      { name: 'phrase', run: (i) => q(`"${word(i % 10)} ${word((i % 10) + 1)}"`) },
      {
        name: 'commonPage3',
        run: async (i) => {
          let page = await search.search(c.actor, {
            q: common[i % common.length] ?? '',
            workspaceId: c.workspaceId,
            limit: 50,
          });
          for (let p = 0; p < 2 && page.nextCursor; p++) {
            page = await search.search(c.actor, {
              q: common[i % common.length] ?? '',
              workspaceId: c.workspaceId,
              limit: 50,
              cursor: page.nextCursor,
            });
          }
          return page;
        },
      },
      {
        name: 'titlePrefix',
        run: (i) => search.titles(c.actor, { q: titlePrefix(i), workspaceId: c.workspaceId, limit: 10 }),
      },
      { name: 'titleTypo', run: (i) => search.titles(c.actor, { q: typo(i), workspaceId: c.workspaceId, limit: 10 }) },
    ];
    const byShape: Record<string, unknown> = {};
    for (const shape of shapes) {
      for (let i = 0; i < WARMUP; i++) await shape.run(i);
      const times: number[] = [];
      let results0 = 0;
      const ticks = cpuTicks(pid);
      for (let i = 0; i < iterations; i++) {
        const t = performance.now();
        const r = await shape.run(i);
        times.push(performance.now() - t);
        if (i === 0) results0 = Array.isArray(r) ? r.length : ((r as { items: unknown[] }).items?.length ?? 0);
      }
      const cpuMs = ((cpuTicks(pid) - ticks) * 1000) / TICKS_PER_SECOND / iterations;
      times.sort((a, b) => a - b);
      // commonPage3 is three requests: report per request.
      const per = shape.name === 'commonPage3' ? 3 : 1;
      byShape[shape.name] = {
        p50Ms: round(pct(times, 50) / per),
        p95Ms: round(pct(times, 95) / per),
        p99Ms: round(pct(times, 99) / per),
        postgresCpuMsPerQuery: round(cpuMs / per),
        resultsFirstQuery: results0,
      };
      log(`${who}.${shape.name}: ${JSON.stringify(byShape[shape.name])}`);
    }
    results[who] = byShape;
  }

  const sizes = (
    await sql<{ name: string; bytes: string }>`
      select c.relname as name, pg_total_relation_size(c.oid) as bytes from pg_class c
      where c.relname in ('documents', 'document_search', 'document_search_body_idx',
        'documents_title_search_idx', 'documents_title_trgm_idx', 'document_search_recent_idx',
        'documents_title_recent_idx')`.execute(db)
  ).rows.reduce<Record<string, number>>((m, r) => {
    m[r.name] = Math.round(Number(r.bytes) / 1_048_576);
    return m;
  }, {});
  log(`sizes (MB): ${JSON.stringify(sizes)}`);

  const writes = await writeCosts(db);
  const out = {
    bench: 'search',
    corpus: { ...corpus.params, database: dbName, builtSeconds: corpus.builtSeconds, frequencies, reachDocs },
    iterations,
    latency: results,
    sizesMb: sizes,
    writes,
  };
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  await db.destroy();
}

/**
 * A content write as compaction does it (content_text replaced) on random documents, with the
 * search trigger and without: the difference is the index's cost per write. Then a new word:
 * how long until search finds it. Everything rolls back; the corpus stays as built.
 */
async function writeCosts(db: Kysely<DB>) {
  class Rollback extends Error {}
  const ids = (
    await sql<{
      id: string;
    }>`select document_id as id from document_search tablesample system (1) limit ${WRITES}`.execute(db)
  ).rows.map((r) => r.id);
  const timeWrites = async (tx: Kysely<DB>) => {
    const t = performance.now();
    for (const [i, id] of ids.entries()) {
      await sql`update documents set content_text = content_text || ${` edit${i}`} where id = ${id}`.execute(tx);
    }
    return (performance.now() - t) / ids.length;
  };
  const out: Record<string, number> = {};
  try {
    await db.transaction().execute(async (tx) => {
      out.msPerWriteWithIndex = round(await timeWrites(tx), 3);
      throw new Rollback();
    });
  } catch (e) {
    if (!(e instanceof Rollback)) throw e;
  }
  try {
    await db.transaction().execute(async (tx) => {
      await sql`alter table documents disable trigger documents_search_update`.execute(tx);
      out.msPerWriteWithoutIndex = round(await timeWrites(tx), 3);
      throw new Rollback();
    });
  } catch (e) {
    if (!(e instanceof Rollback)) throw e;
  }
  try {
    await db.transaction().execute(async (tx) => {
      const id = ids[0] ?? '';
      const owner =
        (await sql<{ u: string }>`select created_by as u from documents where id = ${id}`.execute(tx)).rows[0]?.u ?? '';
      const t = performance.now();
      await sql`update documents set content_text = content_text || ' zyxwquartz' where id = ${id}`.execute(tx);
      const found = await new Search(new PostgresSearchIndex(tx)).search(owner, { q: 'zyxwquartz', limit: 5 });
      out.msFromCompactionToSearchable = round(performance.now() - t, 3);
      out.foundAfterCompaction = found.items.some((h) => h.id === id) ? 1 : 0;
      throw new Rollback();
    });
  } catch (e) {
    if (!(e instanceof Rollback)) throw e;
  }
  log(`writes: ${JSON.stringify(out)}`);
  return out;
}

main().catch((err: unknown) => {
  log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
