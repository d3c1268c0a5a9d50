/**
 * Builds the search benchmark's corpus directly in PostgreSQL with set-returning SQL (no
 * round trip per document): workspaces of Zipf-distributed sizes, documents of log-normal
 * length (3 to 5,000 words) drawn from a Zipf vocabulary of synthetic words, titles, shares, and
 * the bench's three callers. A `bench_corpus` row records the parameters; a database whose row
 * matches is reused as it is, and one that only lacks migrations added since is migrated forward.
 */

import { readdirSync } from 'node:fs';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { MIGRATIONS_DIR, migrateToLatest } from '../../src/adapters/sql/migrator.ts';

/** Bump when the generator changes: an older corpus is rebuilt. */
const CORPUS_VERSION = 2;
const CHUNK_DOCS = 25_000;
/** Syllables of the synthetic words (two letters each; every word has two to four). */
const SYLLABLES = 'kalominuratovizobadufagojikuposi';
const BASE = SYLLABLES.length / 2;

export type CorpusParams = {
  version: number;
  documents: number;
  workspaces: number;
  vocabulary: number;
  /** Share rows between random users and random documents, beyond the bench callers'. */
  shares: number;
  /** The schema the corpus was built with: a new migration rebuilds it. */
  migrations: string[];
};

export function corpusParams(documents: number): CorpusParams {
  return {
    migrations: readdirSync(MIGRATIONS_DIR)
      .filter((f) => f.endsWith('.sql'))
      .sort(),
    version: CORPUS_VERSION,
    documents,
    workspaces: Math.max(10, Math.round(documents / 100)),
    vocabulary: 50_000,
    shares: Math.round(documents / 100),
  };
}

/** Word number k (0 = most frequent) in SQL: base-16 digits of k + 16, one syllable each. */
function wordSql(k: string): string {
  const n = `(${k} + ${BASE})`;
  const digit = (d: number) => `substr('${SYLLABLES}', 1 + 2 * ((${n} / ${BASE ** d}) % ${BASE}), 2)`;
  return `(${digit(0)} || ${digit(1)}
    || case when ${n} >= ${BASE ** 2} then ${digit(2)} else '' end
    || case when ${n} >= ${BASE ** 3} then ${digit(3)} else '' end)`;
}

/** The same word in JS (for queries). */
export function word(k: number): string {
  let n = k + BASE;
  let out = '';
  do {
    out += SYLLABLES.slice(2 * (n % BASE), 2 * (n % BASE) + 2);
    n = Math.floor(n / BASE);
  } while (n > 0);
  return out;
}

/** Zipf-like rank in [0, v): P(k) ∝ 1/(k+1). */
const zipfSql = (v: number) => `(floor(exp(random() * ln(${v})))::int - 1)`;

/** Ids of the bench's own rows, stable across builds. */
const ids = {
  user: (n: number | string) => `md5('user' || ${n})::uuid`,
  workspace: (n: number | string) => `md5('ws' || ${n})::uuid`,
};
export const BENCH_USERS = {
  reach: 'a0000000-0000-4000-8000-000000000001',
  nothing: 'a0000000-0000-4000-8000-000000000002',
};

export async function corpusIsCurrent(url: string, params: CorpusParams): Promise<boolean> {
  const c = new pg.Client({ connectionString: url });
  try {
    await c.connect();
    const r = await c.query('select params from bench_corpus');
    const stored = r.rows[0]?.params as CorpusParams | undefined;
    if (!stored) return false;
    // jsonb stores keys in its own order: compare key by key, not the serialized text.
    const same = (a: CorpusParams, b: CorpusParams) =>
      JSON.stringify(a, Object.keys(a).sort()) === JSON.stringify(b, Object.keys(b).sort());
    if (same(stored, params)) return true;
    // Only migrations added since the build (in any order: the migrator allows unordered ones):
    // apply them, as a deployment would, instead of rebuilding a million documents (each
    // migration backfills what it changes).
    const current = new Set(params.migrations);
    const added = params.migrations.filter((m) => !stored.migrations.includes(m));
    const sameCorpus = same({ ...stored, migrations: [] }, { ...params, migrations: [] });
    if (!sameCorpus || !stored.migrations.every((m) => current.has(m)) || added.length === 0) return false;
    const db = new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }) });
    try {
      await migrateToLatest(db as never);
    } finally {
      await db.destroy();
    }
    await c.query('update bench_corpus set params = $1', [JSON.stringify(params)]);
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

type Log = (msg: string) => void;

/** Creates the schema (the app's migrations) and the corpus; returns seconds spent. */
export async function buildCorpus(url: string, params: CorpusParams, log: Log): Promise<number> {
  const started = performance.now();
  const db = new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }) });
  await migrateToLatest(db as never);
  await db.destroy();
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const q = async (label: string, text: string) => {
    const t = performance.now();
    await c.query(text);
    log(`${label}: ${((performance.now() - t) / 1000).toFixed(1)} s`);
  };
  const { workspaces: W, documents: N, vocabulary: V } = params;
  await c.query(`set maintenance_work_mem = '1GB'; set synchronous_commit = off; select setseed(0.42)`);
  // Indexes are built once after the load (much faster than row by row).
  await q(
    'drop indexes for the load',
    `drop index documents_title_search_idx, documents_title_trgm_idx, documents_workspace_created_idx,
       document_search_body_idx, document_search_recent_idx, documents_title_recent_idx;
`,
  );
  await q(
    'users and workspaces',
    `insert into users (id, email, display_name)
       select ${ids.user('g')}, 'user' || g || '@corpus.test', 'User ' || g from generate_series(0, ${W} - 1) g;
     insert into users (id, email, display_name) values
       ('${BENCH_USERS.reach}', 'reach@corpus.test', 'Reach'), ('${BENCH_USERS.nothing}', 'nothing@corpus.test', 'Nothing');
     insert into workspaces (id, name, created_by)
       select ${ids.workspace('g')}, 'Workspace ' || g, ${ids.user('g')} from generate_series(0, ${W} - 1) g;
     insert into workspace_members (workspace_id, user_id, role)
       select ${ids.workspace('g')}, ${ids.user('g')}, 'owner' from generate_series(0, ${W} - 1) g;`,
  );
  // Workspace g gets ~1/(g+1) of the documents: the first holds ~10 %, most hold a handful.
  // Two connections fill alternate chunks (both cores); the insert trigger writes the body vectors.
  const chunk = async (worker: pg.Client, lo: number) => {
    const hi = Math.min(N, lo + CHUNK_DOCS) - 1;
    const t = performance.now();
    await worker.query(`
      insert into documents (id, workspace_id, title, created_by, created_at, updated_at, content_text)
      select md5('doc' || i)::uuid, ${ids.workspace('w.g')}, t.title, ${ids.user('w.g')},
        ts.created, ts.created + (now() - ts.created) * random() ^ 4, b.text
      from generate_series(${lo}, ${hi}) i
      cross join lateral (select ${zipfSql(W + 1)} + 0 * i as g) w
      cross join lateral (select now() - interval '730 days' * random() + 0 * i * interval '1 s' as created) ts
      cross join lateral (
        select initcap(string_agg(${wordSql(zipfSql(5000))}, ' ')) as title
        from generate_series(1, 2 + (random() * 4)::int + 0 * i)
      ) t
      cross join lateral (
        select string_agg(${wordSql(zipfSql(V))}, ' ') as text
        from generate_series(1, (case when random() < 0.01 then 2000 + random() * 3000
          else greatest(3, least(5000, exp(4.0 + 1.1 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())))) end)::int + 0 * i)
      ) b`);
    log(`documents ${hi + 1}/${N} (${((performance.now() - t) / 1000).toFixed(1)} s)`);
  };
  const t0 = performance.now();
  const workers = await Promise.all(
    [0.42, 0.24].map(async (seed) => {
      const w = new pg.Client({ connectionString: url });
      await w.connect();
      await w.query(`set synchronous_commit = off; select setseed(${seed})`);
      return w;
    }),
  );
  const starts = Array.from({ length: Math.ceil(N / CHUNK_DOCS) }, (_, i) => i * CHUNK_DOCS);
  await Promise.all(
    workers.map(async (w, wi) => {
      for (const lo of starts.filter((_, i) => i % workers.length === wi)) await chunk(w, lo);
      await w.end();
    }),
  );
  log(`documents and body vectors: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  await q(
    'shares and the bench callers',
    `insert into document_shares (document_id, user_id, role)
       select md5('doc' || (random() * ${N - 1})::int)::uuid, ${ids.user(`(random() * ${W - 1})::int`)}, 'viewer'
       from generate_series(1, ${params.shares}) on conflict do nothing;
     -- reach: member of a big, a middle and a small workspace, plus 200 shares elsewhere.
     insert into workspace_members (workspace_id, user_id, role) values
       (${ids.workspace(1)}, '${BENCH_USERS.reach}', 'member'),
       (${ids.workspace(30)}, '${BENCH_USERS.reach}', 'member'),
       (${ids.workspace(Math.min(W - 1, 2000))}, '${BENCH_USERS.reach}', 'member'),
       (${ids.workspace(W - 1)}, '${BENCH_USERS.nothing}', 'member');
     insert into document_shares (document_id, user_id, role)
       select md5('doc' || (${N - 1} - g * ${Math.max(1, Math.floor(N / 400))}))::uuid, '${BENCH_USERS.reach}', 'viewer'
       from generate_series(0, 199) g on conflict do nothing;
     insert into document_shares (document_id, user_id, role)
       select md5('doc' || g)::uuid, '${BENCH_USERS.nothing}', 'viewer' from generate_series(7, 8) g on conflict do nothing;`,
  );
  await q(
    'index: document_search body (GIN)',
    'create index document_search_body_idx on document_search using gin (workspace_id, body)',
  );
  await q(
    'index: documents title vector (GIN)',
    'create index documents_title_search_idx on documents using gin (workspace_id, title_search)',
  );
  await q(
    'index: documents title trigrams (GIN)',
    'create index documents_title_trgm_idx on documents using gin (workspace_id, title gin_trgm_ops)',
  );
  await q(
    'index: documents workspace',
    'create index documents_workspace_created_idx on documents (workspace_id, created_at desc, id desc)',
  );
  await q(
    'index: document_search recency (B-tree)',
    'create index document_search_recent_idx on document_search (workspace_id, content_updated_at desc, document_id desc)',
  );
  await q(
    'index: documents title recency (covering B-tree)',
    `create index documents_title_recent_idx on documents (workspace_id, updated_at desc, id desc)
       include (title, title_search) where trashed_at is null`,
  );
  await q('vacuum analyze', 'vacuum analyze');
  await c.query('create table bench_corpus (params jsonb not null, built_seconds real not null)');
  const seconds = (performance.now() - started) / 1000;
  await c.query('insert into bench_corpus values ($1, $2)', [JSON.stringify(params), seconds]);
  await c.end();
  return seconds;
}
