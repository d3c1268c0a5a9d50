/**
 * Opens the SQL backend: real PostgreSQL through one `pg` pool per role (bulkheads), or the
 * embedded PGlite when no DATABASE_URL is set. Both expose the same Kysely API and pool stats.
 */

import { mkdirSync, statfsSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { btree_gin } from '@electric-sql/pglite/contrib/btree_gin';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Sql } from '../../app/ports.ts';
import type { DB } from '../../app/schema.ts';
import type { Config, Role } from '../../config/config.ts';
import { Unavailable } from '../../domain/errors.ts';
import type { Metrics } from '../../observability/metrics.ts';
import { PgliteDialect, PgliteLock } from './pglite-dialect.ts';
import { boundedConnect } from './pool-acquire.ts';
import { withPortErrors } from './port-errors.ts';
import { preparing } from './prepared-statements.ts';

export interface Database {
  readonly kind: 'postgres' | 'pglite';
  /** The pool (bulkhead) of one role; roles that share nothing never wait on each other. */
  pool(role: Role): Sql;
  /** A pool used only for migrations and maintenance. */
  readonly admin: Sql;
  ping(): Promise<void>;
  close(): Promise<void>;
}

const INT8_OID = 20;
/** Counts and sequence numbers fit in a double; return numbers, not strings. */
const pgTypes = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? (v: string) => Number.parseInt(v, 10) : pg.types.getTypeParser(oid, format),
};

/** Embedded mode is a single in-process database; waits there are longer but harmless. */
const EMBEDDED_MIN_ACQUIRE_TIMEOUT_MS = 10_000;

function poolSize(cfg: Config, role: Role | 'admin'): number {
  if (role === 'api') return cfg.db.apiPoolMax;
  if (role === 'sync') return cfg.db.syncPoolMax;
  if (role === 'worker') return cfg.db.workerPoolMax;
  return 2;
}

/** Pools are created on first use, so a process opens only the pools of the roles it serves. */
function poolPerRole(created: Map<string, Sql>, make: (role: Role) => Sql): (role: Role) => Sql {
  return (role) => {
    let db = created.get(role);
    if (!db) {
      db = make(role);
      created.set(role, db);
    }
    return db;
  };
}

function instrumentPgPool(
  name: string,
  pool: pg.Pool,
  opts: { acquireTimeoutMs: number; preparedStatements: boolean },
  metrics: Metrics,
): pg.Pool {
  const { acquireTimeoutMs } = opts;
  const connect = boundedConnect(pool, acquireTimeoutMs);
  // Kysely only calls connect(); time it so acquire-wait is measured per pool.
  (pool as unknown as { connect: () => Promise<pg.PoolClient> }).connect = async () => {
    const started = performance.now();
    try {
      // DB_PREPARED_STATEMENTS=false: marked statements run unnamed (their mark is a comment).
      const client = opts.preparedStatements ? preparing(await connect()) : await connect();
      metrics.poolAcquireWait.observe({ pool: name }, (performance.now() - started) / 1000);
      return client;
    } catch (err) {
      if (err instanceof Error && /timeout/i.test(err.message)) {
        metrics.poolAcquireTimeouts.inc({ pool: name });
        throw new Unavailable(`database pool "${name}" exhausted`);
      }
      throw err;
    }
  };
  metrics.registerPool(name, () => ({
    size: pool.totalCount,
    max: pool.options.max ?? 10,
    inUse: pool.totalCount - pool.idleCount,
    idle: pool.idleCount,
    waiting: pool.waitingCount,
  }));
  return pool;
}

function openPostgres(cfg: Config, url: string, metrics: Metrics, logError: (err: Error) => void): Database {
  const kyselies = new Map<string, Sql>();
  const pools: pg.Pool[] = [];
  const make = (name: Role | 'admin'): Sql => {
    const pool = new pg.Pool({
      connectionString: url,
      max: poolSize(cfg, name),
      // Opening a connection gets its own, longer bound; the queue wait is bounded in boundedConnect.
      connectionTimeoutMillis: Math.max(cfg.db.connectTimeoutMs, cfg.db.acquireTimeoutMs),
      idleTimeoutMillis: 30_000,
      maxLifetimeSeconds: cfg.db.maxLifetimeSeconds,
      statement_timeout: name === 'admin' ? 0 : cfg.db.statementTimeoutMs,
      application_name: `collab-docs:${name}`,
      types: pgTypes,
    });
    // An idle client losing its server connection must not crash the process.
    pool.on('error', logError);
    pools.push(pool);
    // Zero from the start, so rate() sees the first timeout after a restart.
    metrics.poolAcquireTimeouts.inc({ pool: name }, 0);
    return new Kysely<DB>({
      dialect: withPortErrors(
        new PostgresDialect({
          pool: instrumentPgPool(
            name,
            pool,
            { acquireTimeoutMs: cfg.db.acquireTimeoutMs, preparedStatements: cfg.db.preparedStatements },
            metrics,
          ),
        }),
      ),
    });
  };
  const adminPool = new pg.Pool({
    connectionString: url,
    max: 2,
    types: pgTypes,
    application_name: 'collab-docs:admin',
  });
  adminPool.on('error', logError);
  pools.push(adminPool);
  const admin = new Kysely<DB>({ dialect: withPortErrors(new PostgresDialect({ pool: adminPool })) });
  return {
    kind: 'postgres',
    pool: poolPerRole(kyselies, make),
    admin,
    async ping() {
      // The admin pool exists in every role, so a sync or worker pod opens no api pool for this.
      await sql`select 1`.execute(admin);
    },
    async close() {
      await Promise.all([...kyselies.values(), admin].map((k) => k.destroy()));
    },
  };
}

async function openPglite(cfg: Config, metrics: Metrics, dataDir: string | undefined): Promise<Database> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  // Search's indexes (migration 0008): trigrams for titles, B-tree keys inside GIN indexes.
  const pglite = await PGlite.create(dataDir ? `file://${dataDir}` : 'memory://', {
    extensions: { pg_trgm, btree_gin },
  });
  const lock = new PgliteLock();
  const acquireTimeoutMs = Math.max(cfg.db.acquireTimeoutMs, EMBEDDED_MIN_ACQUIRE_TIMEOUT_MS);
  const kyselies = new Map<string, Sql>();
  const make = (name: string): Sql => {
    const dialect = new PgliteDialect(pglite, lock, acquireTimeoutMs, (ms) =>
      metrics.poolAcquireWait.observe({ pool: name }, ms / 1000),
    );
    metrics.registerPool(name, () => ({
      size: 1,
      max: 1,
      inUse: dialect.driver.inUse,
      idle: lock.isHeld ? 0 : 1,
      waiting: dialect.driver.waiting,
    }));
    return new Kysely<DB>({ dialect: withPortErrors(dialect) });
  };
  const admin = make('admin');
  return {
    kind: 'pglite',
    pool: poolPerRole(kyselies, make),
    admin,
    async ping() {
      await sql`select 1`.execute(admin);
    },
    async close() {
      await lock.acquire(acquireTimeoutMs);
      await pglite.close();
    },
  };
}

export type OpenDatabaseOptions = { metrics: Metrics; logError: (err: Error) => void; inMemory?: boolean };

export async function openDatabase(cfg: Config, opts: OpenDatabaseOptions): Promise<Database> {
  if (cfg.databaseUrl) return openPostgres(cfg, cfg.databaseUrl, opts.metrics, opts.logError);
  return openPglite(cfg, opts.metrics, opts.inMemory ? undefined : `${cfg.dataDir.replace(/\/$/, '')}/pgdata`);
}

/** Free disk space (MB) where data lives; readiness fails below the configured minimum. */
export function freeDiskMb(dir: string): number {
  try {
    const s = statfsSync(dir);
    return (s.bavail * s.bsize) / 1_048_576;
  } catch {
    // The directory may not exist yet (PostgreSQL mode, nothing written): check the cwd instead.
    const s = statfsSync('.');
    return (s.bavail * s.bsize) / 1_048_576;
  }
}
