/**
 * The pool's two bounds against the real PostgreSQL: a connection that is slow to open (a cold
 * pool on a loaded host, reproduced by a TCP proxy that delays every new connection) is not a
 * saturated pool; a request queued behind busy connections still fails fast with a 503.
 */
import net from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/config.ts';
import { Unavailable } from '../../domain/errors.ts';
import { Metrics } from '../../observability/metrics.ts';
import { openDatabase } from './database.ts';

const realUrl = process.env.DATABASE_URL;
const OPEN_DELAY_MS = 300;

/** Forwards to PostgreSQL, holding every new connection for `OPEN_DELAY_MS` first. */
function slowToOpenProxy(target: URL): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('error', () => client.destroy());
    client.on('close', () => sockets.delete(client));
    setTimeout(() => {
      const upstream = net.connect(Number(target.port || 5432), target.hostname);
      sockets.add(upstream);
      upstream.on('error', () => client.destroy());
      upstream.on('close', () => client.destroy());
      client.on('close', () => upstream.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
    }, OPEN_DELAY_MS);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      resolve({
        port,
        close: () =>
          new Promise((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

describe.skipIf(!realUrl)('PostgreSQL pool bounds (DB_POOL_ACQUIRE_TIMEOUT_MS vs DB_POOL_CONNECT_TIMEOUT_MS)', () => {
  let proxy: Awaited<ReturnType<typeof slowToOpenProxy>>;
  let proxiedUrl: string;

  beforeAll(async () => {
    const target = new URL(realUrl as string);
    proxy = await slowToOpenProxy(target);
    const u = new URL(target);
    u.hostname = '127.0.0.1';
    u.port = String(proxy.port);
    proxiedUrl = u.toString();
  });
  afterAll(async () => {
    await proxy?.close();
  });

  async function open(env: Record<string, string>) {
    const metrics = new Metrics();
    const database = await openDatabase(loadConfig({ DATABASE_URL: proxiedUrl, ...env }), {
      metrics,
      logError: () => undefined,
    });
    return {
      metrics,
      database,
      async close() {
        await database.close();
        metrics.close();
      },
    };
  }

  it('a cold pool whose connections take longer to open than the acquire timeout answers every request', async () => {
    const { database, metrics, close } = await open({ DB_POOL_API_MAX: '2', DB_POOL_ACQUIRE_TIMEOUT_MS: '50' });
    try {
      const api = database.pool('api');
      // Six requests at once on an empty pool of two: two open connections (300 ms each), four
      // queue behind them — before the split, all six failed at 50 ms with a 503.
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) => sql<{ n: number }>`select ${i}::int as n`.execute(api)),
      );
      expect(results.map((r) => r.rows[0]?.n)).toEqual([0, 1, 2, 3, 4, 5]);
      const text = await metrics.registry.metrics();
      expect(text).toMatch(/db_pool_acquire_timeouts_total\{pool="api"[^}]*\} 0\n/);
    } finally {
      await close();
    }
  }, 30_000);

  it('a request queued behind a busy connection fails fast with 503, and the pool recovers', async () => {
    const { database, metrics, close } = await open({
      DB_POOL_API_MAX: '1',
      DB_POOL_ACQUIRE_TIMEOUT_MS: '50',
      DB_POOL_CONNECT_TIMEOUT_MS: '10000',
    });
    try {
      const api = database.pool('api');
      await sql`select 1`.execute(api); // open the only connection
      const busy = sql`select pg_sleep(0.6)`.execute(api);
      await new Promise((r) => setTimeout(r, 50));
      const started = performance.now();
      const error = await sql`select 1`.execute(api).then(
        () => undefined,
        (err: unknown) => err,
      );
      const waited = performance.now() - started;
      expect(error).toBeInstanceOf(Unavailable);
      expect(String((error as Error).message)).toMatch(/pool "api" exhausted/);
      // Failed at the acquire bound, nowhere near the 10 s connect bound.
      expect(waited).toBeLessThan(5_000);
      await busy;
      // The connection handed to the abandoned waiter went back to the pool: the next request is served.
      const after = await sql<{ n: number }>`select 7::int as n`.execute(api);
      expect(after.rows[0]?.n).toBe(7);
      const text = await metrics.registry.metrics();
      expect(text).toMatch(/db_pool_acquire_timeouts_total\{pool="api"[^}]*\} 1\n/);
    } finally {
      await close();
    }
  }, 30_000);
});
