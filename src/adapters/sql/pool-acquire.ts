/**
 * Bounds the wait for a pooled PostgreSQL connection separately from the time to open one.
 *
 * pg-pool has a single `connectionTimeoutMillis` that bounds both waiting behind busy connections
 * and opening a new one (TCP, fork, SCRAM: 20–40 ms on an idle machine, hundreds on a loaded one).
 * A short queue bound (fail fast with 503 when the pool is saturated) then also failed the first
 * requests of a cold pool on a busy machine — a process start that answered 503 for nothing. So the
 * pool gets the generous connect timeout, and this wrapper applies the short acquire timeout only to
 * requests that queue behind connections that are busy: while a connection is still being opened a
 * queued request keeps waiting (pg-pool's own connect timeout still bounds it). Hand-written because
 * pg-pool exposes no such distinction; it relies only on its public counters.
 */

import type pg from 'pg';

/** The error pg-pool raises for its own timeouts; callers map /timeout/ to a typed Unavailable. */
const QUEUE_TIMEOUT_MESSAGE = 'timeout exceeded when waiting for a pooled connection';

export function boundedConnect(pool: pg.Pool, acquireTimeoutMs: number): () => Promise<pg.PoolClient> {
  const connect = pool.connect.bind(pool) as () => Promise<pg.PoolClient>;
  const max = pool.options.max ?? 10;
  // Connections this wrapper asked pg-pool to open and that are not connected yet.
  let opening = 0;

  const open = async (): Promise<pg.PoolClient> => {
    opening++;
    try {
      return await connect();
    } finally {
      opening--;
    }
  };

  const queue = (): Promise<pg.PoolClient> =>
    new Promise((resolve, reject) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const arm = () => {
        timer = setTimeout(() => {
          if (settled) return;
          // Waiting behind a connection that is still opening is a cold pool, not saturation.
          if (opening > 0) return arm();
          settled = true;
          reject(new Error(QUEUE_TIMEOUT_MESSAGE));
        }, acquireTimeoutMs);
        timer.unref();
      };
      arm();
      connect().then(
        (client) => {
          clearTimeout(timer);
          // Given up already: hand the late connection straight back to the pool.
          if (settled) return client.release();
          settled = true;
          resolve(client);
        },
        (err: unknown) => {
          clearTimeout(timer);
          if (settled) return;
          settled = true;
          reject(err);
        },
      );
    });

  return () => {
    if (pool.idleCount > 0) return connect();
    return pool.totalCount < max ? open() : queue();
  };
}
