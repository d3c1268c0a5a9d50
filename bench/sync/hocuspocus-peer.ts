/**
 * The peer for `bench:sync`: a stock Hocuspocus server in its own process, persisting through
 * @hocuspocus/extension-database into the bench's PostgreSQL and, with REDIS_URL, fanning out
 * through @hocuspocus/extension-redis. Run by bench/sync/hocuspocus-process.ts, never by hand.
 *
 * Environment: PEER_PORT, PEER_EDITOR_TOKEN, PEER_VIEWER_TOKEN, DATABASE_URL (optional: in memory
 * without it), REDIS_URL and REDIS_PREFIX (optional).
 */
import { Database } from '@hocuspocus/extension-database';
import { Redis } from '@hocuspocus/extension-redis';
import { type Extension, Server } from '@hocuspocus/server';
import pg from 'pg';

const env = process.env;
const port = Number(env.PEER_PORT);
const editorToken = env.PEER_EDITOR_TOKEN;
const viewerToken = env.PEER_VIEWER_TOKEN;
if (!port || !editorToken || !viewerToken)
  throw new Error('PEER_PORT, PEER_EDITOR_TOKEN and PEER_VIEWER_TOKEN are required');
/** The same size as our server's sync pool (DB_POOL_SYNC_MAX default). */
const POOL_MAX = 5;
const TABLE = 'hocuspocus_documents';

const extensions: Extension[] = [];
let pool: pg.Pool | undefined;
if (env.DATABASE_URL) {
  pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: POOL_MAX });
  await pool.query(`create table if not exists ${TABLE} (name text primary key, data bytea not null)`);
  const db = pool;
  extensions.push(
    new Database({
      fetch: async ({ documentName }) => {
        const r = await db.query<{ data: Buffer }>(`select data from ${TABLE} where name = $1`, [documentName]);
        return r.rows[0]?.data ?? null;
      },
      store: async ({ documentName, state }) => {
        await db.query(
          `insert into ${TABLE} (name, data) values ($1, $2) on conflict (name) do update set data = excluded.data`,
          [documentName, state],
        );
      },
    }),
  );
}
if (env.REDIS_URL) {
  const u = new URL(env.REDIS_URL);
  extensions.push(
    new Redis({ host: u.hostname, port: Number(u.port || 6379), prefix: `${env.REDIS_PREFIX ?? ''}hocuspocus` }),
  );
}

const server = new Server({
  port,
  address: '127.0.0.1',
  quiet: true,
  extensions,
  async onAuthenticate({ token, connectionConfig }) {
    // A shared secret per role: Hocuspocus does no JWT or permission lookup here (ours does both, cached).
    if (token === viewerToken) connectionConfig.readOnly = true;
    else if (token !== editorToken) throw new Error('bad token');
  },
  async onDestroy() {
    await pool?.end();
  },
});
await server.listen();
process.stdout.write(`hocuspocus peer listening on ${port} (${extensions.length} extensions)\n`);
