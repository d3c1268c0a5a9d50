/**
 * What every role stands on: the metrics registry, the database (migrated), the event bus and
 * counters (Redis or in-memory), domain events with their outbox relay, and export file storage.
 */
import type { Logger } from 'pino';
import { MemoryBus } from '../adapters/bus/memory-bus.ts';
import { meteredBus } from '../adapters/bus/metered-bus.ts';
import { RedisBus } from '../adapters/bus/redis-bus.ts';
import { InsuredCounters } from '../adapters/counters/insured-counters.ts';
import { MemoryCounters } from '../adapters/counters/memory-counters.ts';
import { RedisCounters } from '../adapters/counters/redis-counters.ts';
import { MemoryRateLimitStore } from '../adapters/rate-limit/memory-rate-limit-store.ts';
import { RedisRateLimitStore } from '../adapters/rate-limit/redis-rate-limit-store.ts';
import { type Database, openDatabase } from '../adapters/sql/database.ts';
import { migrateToLatest } from '../adapters/sql/migrator.ts';
import { SqlQuarantineStore } from '../adapters/sql/quarantine-store.ts';
import { openFileStorage } from '../adapters/storage/open.ts';
import { DomainEvents } from '../app/events.ts';
import type { CounterStore, EventBus, RateLimitStore } from '../app/ports.ts';
import type { Config, Role } from '../config/config.ts';
import { CrdtPool } from '../content/crdt-pool.ts';
import type { FileStorage } from '../export/ports.ts';
import { CrdtMetrics } from '../observability/crdt-metrics.ts';
import { IsolationMetrics } from '../observability/isolation-metrics.ts';
import { Metrics, type TraceSamplingStats } from '../observability/metrics.ts';
import { RedisMetrics } from '../observability/redis-metrics.ts';
import { StorageMetrics } from '../observability/storage-metrics.ts';
import { TopTalkers } from '../observability/top-talkers.ts';
import { TrashMetrics } from '../observability/trash-metrics.ts';
import type { QuarantineStore } from '../sync/ports.ts';

const OUTBOX_RELAY_INTERVAL_MS = 1_000;
/** Top talkers: per-minute windows; the sketch tracks 10x the keys it reports, for accuracy. */
const TOP_TALKERS_WINDOW_MS = 60_000;
const TOP_TALKERS_SKETCH_FACTOR = 10;

export type Infrastructure = {
  logger: Logger;
  /** `logError('what failed')` is an error callback that logs under that message. */
  logError: (msg: string) => (err: unknown) => void;
  metrics: Metrics;
  /** Rate-limit decisions, idempotency outcomes, plan changes. */
  isolationMetrics: IsolationMetrics;
  /** Trash moves, restores, purges and its size; visits recorded for "Recent". */
  trashMetrics: TrashMetrics;
  /** Busiest workspaces and documents (bounded), fed by the HTTP server and the sync endpoint. */
  topTalkers: TopTalkers;
  database: Database;
  bus: EventBus;
  counters: CounterStore;
  /** Fleet-wide request-rate buckets (Redis); undefined on the embedded default. */
  rateLimitStore: RateLimitStore | undefined;
  /** In-process buckets: the limiter on the embedded default, the fallback while Redis fails. */
  rateLimitFallback: RateLimitStore;
  events: DomainEvents;
  /**
   * The export file store (local directory, PostgreSQL or S3: `STORAGE_BACKEND`) seen through one
   * role's pool, so downloads (api) and writes (worker) stay in their bulkheads.
   */
  exportFiles(role: Role): FileStorage;
  /** The same file store, namespace "images": the images in documents (src/app/images.ts). */
  imageFiles(role: Role): FileStorage;
  /**
   * Worker threads that rebuild stored documents under a time budget (room loads, compaction,
   * content reads, export projections); started on first use, shared by every role.
   */
  crdt(): CrdtPool;
  /** Documents quarantined because their CRDT data is over budget, through one role's pool. */
  quarantine(role: Role): QuarantineStore;
  /** Closes the bus, counters, database and metrics, in that order (after everything using them stopped). */
  close(): Promise<void>;
};

export async function openInfrastructure(
  config: Config,
  opts: { logger: Logger; inMemoryDatabase?: boolean; traceSamplingStats?: () => TraceSamplingStats | undefined },
): Promise<Infrastructure> {
  const { logger } = opts;
  const logError = (msg: string) => (err: unknown) => logger.error({ err }, msg);
  const metrics = new Metrics();
  const isolationMetrics = new IsolationMetrics(metrics.registry);
  const trashMetrics = new TrashMetrics(metrics.registry);
  // Process-wide (ioredis publishes on global diagnostics channels): every Redis client is measured.
  const redisMetrics = config.redisUrl ? new RedisMetrics(metrics.registry) : undefined;
  const topTalkers = new TopTalkers(metrics.registry, {
    n: config.ops.topTalkersN,
    capacity: config.ops.topTalkersN * TOP_TALKERS_SKETCH_FACTOR,
    windowMs: TOP_TALKERS_WINDOW_MS,
  });
  if (opts.traceSamplingStats) metrics.registerTraceSampling(opts.traceSamplingStats);

  const database = await openDatabase(config, {
    metrics,
    logError: logError('database pool error'),
    inMemory: opts.inMemoryDatabase,
  });
  if (config.migrateOnStart) {
    logger.info({ database: database.kind }, 'migrating the database');
    const applied = await migrateToLatest(database.admin);
    if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
    else logger.info('database is up to date');
  }

  let bus: EventBus;
  let counters: CounterStore;
  let rateLimitStore: RateLimitStore | undefined;
  if (config.redisUrl) {
    const redisBus = new RedisBus(config.redisUrl, config.redisPrefix, logError('redis bus error'));
    await redisBus.ready();
    bus = meteredBus(redisBus, metrics);
    const redisCounters = new RedisCounters(config.redisUrl, config.redisPrefix, logError('redis counters error'));
    await redisCounters.ready();
    // Log-in lock-out and sign-up throttling count per instance while Redis is away: never open, never 503.
    counters = new InsuredCounters(redisCounters, new MemoryCounters(), () => isolationMetrics.counterFallbacks.inc());
    // Connection errors are not logged one by one: the limiter reports degraded and recovered once each.
    const redisLimits = new RedisRateLimitStore(config.redisUrl, config.redisPrefix, () => undefined);
    await redisLimits.ready();
    rateLimitStore = redisLimits;
  } else {
    bus = meteredBus(new MemoryBus(logError('event handler failed')), metrics);
    counters = new MemoryCounters();
  }
  bus.onResync(() => logger.warn('event bus reconnected: caches dropped'));
  const rateLimitFallback = new MemoryRateLimitStore();

  const storageMetrics = new StorageMetrics(metrics.registry);
  const fileStores = new Map<string, FileStorage>();
  const files = (namespace: 'exports' | 'images', role: Role): FileStorage => {
    let store = fileStores.get(`${namespace}:${role}`);
    if (!store) {
      store = openFileStorage(config, namespace, {
        sql: () => database.pool(role),
        metrics: storageMetrics,
        logger: logger.child({ component: 'storage' }),
      }).storage;
      fileStores.set(`${namespace}:${role}`, store);
    }
    return store;
  };
  const exportFiles = (role: Role): FileStorage => files('exports', role);

  let crdtPool: CrdtPool | undefined;
  const crdtMetrics = new CrdtMetrics(metrics.registry, { queued: () => crdtPool?.stats().queued ?? 0 });
  const crdt = (): CrdtPool => {
    crdtPool ??= new CrdtPool({
      threads: config.crdt.threads,
      workerBudgetMs: config.crdt.workerBudgetMs,
      mainBudgetMs: config.crdt.mainBudgetMs,
      observe: (kind, outcome, seconds) => crdtMetrics.observe(kind, outcome, seconds),
    });
    return crdtPool;
  };

  return {
    logger,
    logError,
    metrics,
    isolationMetrics,
    trashMetrics,
    topTalkers,
    database,
    bus,
    counters,
    rateLimitStore,
    rateLimitFallback,
    events: new DomainEvents(
      bus,
      logError('event publish failed; the outbox relay will retry'),
      logError('announcement not published; other instances keep the old row until DOCUMENT_CACHE_TTL_MS'),
    ),
    exportFiles,
    imageFiles: (role) => files('images', role),
    crdt,
    quarantine: (role) => new SqlQuarantineStore(database.pool(role)),
    async close() {
      await Promise.allSettled([...fileStores.values()].map((store) => store.close?.()));
      await crdtPool?.close();
      await Promise.allSettled([bus.close(), counters.close(), rateLimitStore?.close(), rateLimitFallback.close()]);
      await database.close();
      redisMetrics?.close();
      metrics.close();
    },
  };
}

/**
 * Republishes outbox rows a crash left behind. Runs where commands run (api, else worker);
 * returns the stop function.
 */
export function startOutboxRelay(infra: Infrastructure, roles: ReadonlySet<Role>): () => void {
  const role = roles.has('api') ? 'api' : roles.has('worker') ? 'worker' : undefined;
  if (!role) return () => undefined;
  const db = infra.database.pool(role);
  const relay = setInterval(() => {
    infra.events.relay(db).catch(infra.logError('outbox relay failed'));
  }, OUTBOX_RELAY_INTERVAL_MS);
  relay.unref();
  return () => clearInterval(relay);
}
