/**
 * Composition root: reads the config, wires adapters into use cases and the HTTP server,
 * and owns start-up and graceful shutdown. The only module that knows every concrete class.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { JWK } from 'jose';
import type { Logger } from 'pino';
import { MemoryBus } from './adapters/bus/memory-bus.ts';
import { meteredBus } from './adapters/bus/metered-bus.ts';
import { RedisBus } from './adapters/bus/redis-bus.ts';
import { MemoryCounters } from './adapters/counters/memory-counters.ts';
import { RedisCounters } from './adapters/counters/redis-counters.ts';
import { type Database, freeDiskMb, openDatabase } from './adapters/sql/database.ts';
import { migrateToLatest } from './adapters/sql/migrator.ts';
import { SqlUpdateLog } from './adapters/sql/update-log.ts';
import { LocalDirectoryStorage } from './adapters/storage/local.ts';
import { Accounts } from './app/auth/accounts.ts';
import { Authenticator } from './app/auth/authenticator.ts';
import { KeySetCache } from './app/auth/key-set-cache.ts';
import { SigningKeys } from './app/auth/signing-keys.ts';
import { TokenVerifier } from './app/auth/token-verifier.ts';
import { Documents } from './app/documents.ts';
import { DomainEvents, PERMISSIONS_CHANNEL, type PermissionEvent } from './app/events.ts';
import { Exports } from './app/exports.ts';
import { PermissionCache } from './app/permissions.ts';
import type { BusMessage, CounterStore, EventBus } from './app/ports.ts';
import { Search } from './app/search.ts';
import { Workspaces } from './app/workspaces.ts';
import type { Config } from './config/config.ts';
import type { ExportQuotas } from './domain/export-policy.ts';
import { ExpiryCleaner } from './export/cleanup.ts';
import { JobQueue } from './export/job-queue.ts';
import { withExportTables } from './export/job-schema.ts';
import { createRenderer } from './export/renderer.ts';

import { WebhookDispatcher } from './export/webhook.ts';
import { ExportWorker } from './export/worker.ts';
import { API_PREFIX, buildServer } from './http/server.ts';
import { ExportMetrics } from './observability/export-metrics.ts';
import { createLogger } from './observability/logger.ts';
import { Metrics, type TraceSamplingStats } from './observability/metrics.ts';
import { RedisMetrics } from './observability/redis-metrics.ts';
import { RenderMetrics } from './observability/render-metrics.ts';
import { SyncMetrics } from './observability/sync-metrics.ts';
import { TopTalkers } from './observability/top-talkers.ts';
import { DocumentContent } from './sync/document-content.ts';
import { projectDocument } from './sync/projection.ts';
import { RoomRegistry } from './sync/rooms.ts';
import { DEFAULT_WEB_DIR } from './web/web-build.ts';
import { SyncEndpoint } from './ws/sync-endpoint.ts';

const OUTBOX_RELAY_INTERVAL_MS = 1_000;
const OIDC_JWKS_TIMEOUT_MS = 5_000;
/** How soon a key rotation made elsewhere starts signing here. */
const SIGNING_KEY_RELOAD_MS = 60_000;
/** Our own key table is cheap to re-read; a remote JWKS gets the long cooldown. */
const BUILT_IN_UNKNOWN_KID_COOLDOWN_MS = 1_000;
const OIDC_UNKNOWN_KID_COOLDOWN_MS = 30_000;
/** Top talkers: per-minute windows; the sketch tracks 10x the keys it reports, for accuracy. */
const TOP_TALKERS_WINDOW_MS = 60_000;
const TOP_TALKERS_SKETCH_FACTOR = 10;

export type RunningApp = {
  config: Config;
  server: FastifyInstance;
  logger: Logger;
  metrics: Metrics;
  database: Database;
  bus: EventBus;
  permissions?: PermissionCache;
  signingKeys?: SigningKeys;
  rooms?: RoomRegistry;
  /** The export worker, when this process has the `worker` role. */
  exportWorker?: ExportWorker;
  /** Starts listening; resolves with the bound address. */
  listen(): Promise<string>;
  /** Graceful shutdown: readiness fails, in-flight requests finish, pools close. */
  close(): Promise<void>;
};

export type CreateAppOptions = {
  logger?: Logger;
  inMemoryDatabase?: boolean;
  /** The tail sampler's counters, exported as metrics when tracing runs. */
  traceSamplingStats?: () => TraceSamplingStats | undefined;
};

/** 0 in the environment means unlimited. */
const quotasOf = (config: Config): ExportQuotas => {
  const q = (n: number) => (n === 0 ? null : n);
  return {
    free: q(config.exportQuotaFree),
    business: q(config.exportQuotaBusiness),
    enterprise: q(config.exportQuotaEnterprise),
  };
};

async function fetchRemoteJwks(url: string): Promise<JWK[]> {
  const res = await fetch(url, { signal: AbortSignal.timeout(OIDC_JWKS_TIMEOUT_MS) });
  if (!res.ok) throw new Error(`JWKS fetch from ${url} failed: HTTP ${res.status}`);
  const body = (await res.json()) as { keys?: JWK[] };
  return body.keys ?? [];
}

export async function createApp(config: Config, opts: CreateAppOptions = {}): Promise<RunningApp> {
  const logger = opts.logger ?? createLogger({ level: config.logLevel, service: 'collab-docs' });
  const metrics = new Metrics();
  // Process-wide (ioredis publishes on global diagnostics channels): every Redis client is measured.
  const redisMetrics = config.redisUrl ? new RedisMetrics(metrics.registry) : undefined;
  const topTalkers = new TopTalkers(metrics.registry, {
    n: config.topTalkersN,
    capacity: config.topTalkersN * TOP_TALKERS_SKETCH_FACTOR,
    windowMs: TOP_TALKERS_WINDOW_MS,
  });
  if (opts.traceSamplingStats) metrics.registerTraceSampling(opts.traceSamplingStats);
  const logError = (msg: string) => (err: unknown) => logger.error({ err }, msg);
  const roles = new Set(config.roles);

  const database = await openDatabase(config, {
    metrics,
    logError: logError('database pool error'),
    inMemory: opts.inMemoryDatabase,
  });
  if (config.migrateOnStart) {
    const applied = await migrateToLatest(database.admin);
    if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
  }

  let bus: EventBus;
  let counters: CounterStore;
  if (config.redisUrl) {
    const redisBus = new RedisBus(config.redisUrl, config.redisPrefix, logError('redis bus error'));
    await redisBus.ready();
    bus = meteredBus(redisBus, metrics);
    const redisCounters = new RedisCounters(config.redisUrl, config.redisPrefix, logError('redis counters error'));
    await redisCounters.ready();
    counters = redisCounters;
  } else {
    bus = meteredBus(new MemoryBus(logError('event handler failed')), metrics);
    counters = new MemoryCounters();
  }
  bus.onResync(() => logger.warn('event bus reconnected: caches dropped'));

  const timers: NodeJS.Timeout[] = [];
  let permissions: PermissionCache | undefined;
  let signingKeys: SigningKeys | undefined;
  let api: Parameters<typeof buildServer>[0]['api'];
  const events = new DomainEvents(bus, logError('event publish failed; the outbox relay will retry'));
  const relayRole = roles.has('api') ? 'api' : roles.has('worker') ? 'worker' : undefined;

  // Export: the API queues jobs, the worker role renders them. Workers touch only the worker pool.
  const exportStorage = new LocalDirectoryStorage(config.exportStorageDir ?? join(config.dataDir, 'exports'));
  const exportDb = roles.has('worker') ? withExportTables(database.pool('worker')) : undefined;
  const exportQueue = exportDb && new JobQueue(exportDb, `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`);
  const renderMetrics = exportQueue && new RenderMetrics(metrics.registry);
  const renderer = exportQueue
    ? createRenderer({
        threads: config.exportRenderThreads,
        taskTimeoutMs: config.exportTaskTimeoutMs,
        externalPdfUrl: config.exportExternalRendererUrl,
        breaker: {
          callTimeoutMs: config.exportBreakerTimeoutMs,
          errorThresholdPercentage: config.exportBreakerErrorPercent,
          rollingWindowMs: config.exportBreakerWindowMs,
          resetTimeoutMs: config.exportBreakerResetMs,
          volumeThreshold: config.exportBreakerMinCalls,
        },
        logger: logger.child({ component: 'export-render' }),
        observer: renderMetrics,
      })
    : undefined;
  if (renderer) renderMetrics?.watch(renderer);
  let exportWorker: ExportWorker | undefined;
  const exportMetrics = new ExportMetrics(metrics.registry, {
    queueDepth: exportQueue && (() => exportQueue.depth()),
    inFlight: exportQueue && (() => exportWorker?.inFlight ?? 0),
    breakerState:
      renderer && config.exportExternalRendererUrl
        ? () => {
            const state = renderer.breakerState();
            return state === 'none' ? 'closed' : state;
          }
        : undefined,
  });

  let authenticator: Authenticator | undefined;
  if (roles.has('api') || roles.has('sync')) {
    // Both roles authenticate and authorize with the same tokens, cache and policy.
    const db = database.pool(roles.has('api') ? 'api' : 'sync');
    permissions = new PermissionCache(db, bus, {
      ttlMs: config.permissionCacheTtlMs,
      max: config.permissionCacheMax,
      onLookup: (kind, hit) => metrics.permissionCacheLookup(kind, hit).inc(),
    });
    const cache = permissions;
    events.onLocal(PERMISSIONS_CHANNEL, (m) => cache.apply(m));
    await permissions.start();

    const external = Boolean(config.oidcIssuer);
    signingKeys = new SigningKeys(db, {
      issuer: config.jwtIssuer,
      audience: config.jwtAudience,
      accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    });
    await signingKeys.ensureKey();
    const keys = signingKeys;
    const reload = setInterval(() => {
      keys.reloadCurrent().catch(logError('signing key reload failed'));
    }, SIGNING_KEY_RELOAD_MS);
    reload.unref();
    timers.push(reload);
    const oidcJwksUrl = config.oidcJwksUrl;
    const keySet = new KeySetCache(
      external && oidcJwksUrl ? () => fetchRemoteJwks(oidcJwksUrl) : () => keys.publicJwks(),
      {
        ttlMs: config.jwksCacheTtlMs,
        unknownKidCooldownMs:
          config.unknownKidCooldownMs ?? (external ? OIDC_UNKNOWN_KID_COOLDOWN_MS : BUILT_IN_UNKNOWN_KID_COOLDOWN_MS),
        onRefreshError: logError('signing key refresh failed; serving cached keys'),
      },
    );
    await keySet.refresh();
    const verifier = new TokenVerifier(keySet, {
      issuer: external ? (config.oidcIssuer as string) : config.jwtIssuer,
      audience: external ? (config.oidcAudience ?? config.jwtAudience) : config.jwtAudience,
      onCache: (hit) => (hit ? metrics.tokenCacheHit : metrics.tokenCacheMiss).inc(),
      onReject: (reason) => metrics.authFailures.inc({ reason: reason.split(' ')[0] ?? 'other' }),
    });
    const accounts = new Accounts(db, signingKeys, counters, {
      ...config,
      onLoginRejected: (reason) => metrics.loginRejections.inc({ reason }),
      onRefreshTokenReuse: ({ userId, familyId }) => {
        metrics.refreshTokenReuse.inc();
        logger.warn(
          { event: 'refresh_token_reuse', userId, familyId },
          'security: a rotated refresh token was presented again; its session family is revoked',
        );
      },
    });
    authenticator = new Authenticator(verifier, accounts, { external });
    if (roles.has('api')) {
      api = {
        accounts,
        authenticator,
        workspaces: new Workspaces(db, permissions, events),
        documents: new Documents(db, permissions, events, () => metrics.documentsCreated.inc()),
        search: new Search(db),
        exports: new Exports(db, permissions, exportStorage, {
          quotas: quotasOf(config),
          allowPrivateWebhooks: config.exportWebhookAllowPrivate,
          serverWebhookSecret: config.exportWebhookSecret,
          apiPrefix: API_PREFIX,
          onRequested: (format) => {
            exportMetrics.requested.inc({ format });
            // In the all-in-one process the job starts now, not at the next poll.
            exportWorker?.wake();
          },
          onQuotaRejected: (plan) => exportMetrics.quotaRejections.inc({ plan }),
        }),
        // Filled in below once the rooms exist: live rooms answer first.
        content: undefined as unknown as DocumentContent,
      };
    }
  }

  let registry: RoomRegistry | undefined;
  let syncEndpoint: SyncEndpoint | undefined;
  const syncMetrics = new SyncMetrics(metrics.registry, {
    openSockets: () => syncEndpoint?.openSockets ?? 0,
    loadedRooms: () => registry?.roomCount ?? 0,
    sendBuffers: () => syncEndpoint?.sendBuffers() ?? [],
  });
  if (roles.has('sync') && permissions) {
    const cache = permissions;
    const rooms = new RoomRegistry(
      {
        persistBatchMs: config.syncPersistBatchMs,
        sendBufferSoftBytes: config.syncSendBufferSoftBytes,
        sendBufferHardBytes: config.syncSendBufferHardBytes,
        fullPresenceMax: config.syncFullPresenceMax,
        viewOnlyAbove: config.syncViewOnlyAbove,
        broadcastBatchAbove: config.syncBroadcastBatchAbove,
        broadcastTickMs: config.syncBroadcastTickMs,
        presenceTickMs: config.syncPresenceTickMs,
        presenceSampleSize: config.syncPresenceSampleSize,
        viewerPresence: config.syncViewerPresence,
        roomGraceMs: config.syncRoomGraceMs,
        compactThreshold: config.syncCompactThreshold,
        compactIdleMs: config.syncCompactIdleMs,
      },
      {
        log: new SqlUpdateLog(database.pool('sync'), config.poolSyncMax, (documentId, err) =>
          logger.warn({ err, documentId }, 'projection refused by the database; stored empty, compaction went on'),
        ),
        bus,
        observer: syncMetrics,
        logger,
        documentAccess: async (userId, documentId) => (await cache.documentAccess(userId, documentId))?.access ?? null,
        project: projectDocument,
      },
    );
    registry = rooms;
    // After the cache dropped its entries (handlers run in registration order), re-check open sockets.
    const recheck = (m: BusMessage) => {
      rooms.applyPermissionEvent(m as PermissionEvent).catch(logError('permission re-check failed'));
    };
    events.onLocal(PERMISSIONS_CHANNEL, recheck);
    await bus.subscribe(PERMISSIONS_CHANNEL, recheck);
  }
  if (api) api.content = new DocumentContent(new SqlUpdateLog(database.pool('api')), registry);

  if (relayRole) {
    const db = database.pool(relayRole);
    const relay = setInterval(() => {
      events.relay(db).catch(logError('outbox relay failed'));
    }, OUTBOX_RELAY_INTERVAL_MS);
    relay.unref();
    timers.push(relay);
  }

  let webhooks: WebhookDispatcher | undefined;
  if (exportDb && exportQueue && renderer) {
    const exportLogger = logger.child({ component: 'export' });
    exportWorker = new ExportWorker(
      { queue: exportQueue, renderer, storage: exportStorage, observer: exportMetrics, logger: exportLogger },
      {
        concurrency: config.exportWorkerConcurrency,
        pollIntervalMs: config.exportPollIntervalMs,
        leaseMs: config.exportLeaseMs,
        maxAttempts: config.exportMaxRetries + 1,
        backoffBaseMs: config.exportBackoffBaseMs,
        perWorkspaceRunningMax: config.exportWorkspaceRunningMax,
        taskTimeoutMs: config.exportTaskTimeoutMs,
        resultRetentionMs: config.exportRetentionMs,
      },
    );
    webhooks = new WebhookDispatcher(
      exportDb,
      {
        logger: exportLogger,
        onAttempt: (result) => exportMetrics.webhookAttempt(result),
        onLoopError: () => exportMetrics.loopError('webhook'),
      },
      {
        pollIntervalMs: config.exportPollIntervalMs,
        leaseMs: config.exportWebhookTimeoutMs * 2,
        timeoutMs: config.exportWebhookTimeoutMs,
        maxAttempts: config.exportWebhookMaxAttempts,
        backoffBaseMs: config.exportBackoffBaseMs,
        allowPrivateTargets: config.exportWebhookAllowPrivate,
        serverSecret: config.exportWebhookSecret,
        publicUrl: config.publicUrl,
        apiPrefix: API_PREFIX,
      },
    );
    const cleaner = new ExpiryCleaner(
      exportDb,
      exportStorage,
      { logger: exportLogger, onExpired: (n) => exportMetrics.filesExpired(n) },
      { retentionMs: config.exportRetentionMs },
    );
    const cleanup = setInterval(() => {
      cleaner.runOnce().catch((err) => {
        exportMetrics.loopError('cleanup');
        exportLogger.error({ err }, 'export cleanup failed');
      });
    }, config.exportCleanupIntervalMs);
    cleanup.unref();
    timers.push(cleanup);
    exportWorker.start();
    webhooks.start();
  }

  let draining = false;
  const checks = [
    { name: 'database', check: () => database.ping() },
    ...(config.redisUrl ? [{ name: 'redis', check: () => bus.ping() }] : []),
    {
      name: 'disk',
      check: async () => {
        const free = freeDiskMb(config.dataDir);
        if (free < config.readyMinFreeDiskMb) throw new Error(`only ${Math.round(free)} MB free`);
      },
    },
  ];
  const server = await buildServer({
    logger,
    metrics,
    topTalkers,
    publicUrl: config.publicUrl,
    trustProxy: config.trustProxy,
    webDir: config.webDir ?? DEFAULT_WEB_DIR,
    api,
    ops: {
      checks,
      isDraining: () => draining,
      jwks: signingKeys && !config.oidcIssuer ? () => (signingKeys as SigningKeys).publicJwks() : undefined,
    },
  });

  if (registry && authenticator && permissions) {
    const auth = authenticator;
    const cache = permissions;
    syncEndpoint = new SyncEndpoint(server.server, {
      registry,
      authenticate: (token) => auth.authenticate(token),
      documentAccess: async (userId, documentId) => (await cache.documentAccess(userId, documentId))?.access ?? null,
      metrics: syncMetrics,
      topTalkers,
      logger: logger.child({ component: 'sync' }),
      limits: {
        maxMessageBytes: config.syncMaxMessageBytes,
        messagesPerSecond: config.syncMessagesPerSecond,
        messageBurst: config.syncMessageBurst,
        heartbeatMs: config.syncHeartbeatMs,
        authTimeoutMs: config.syncAuthTimeoutMs,
      },
    });
  }

  let closing: Promise<void> | undefined;
  return {
    config,
    server,
    logger,
    metrics,
    database,
    bus,
    permissions,
    signingKeys,
    rooms: registry,
    exportWorker,
    async listen() {
      const address = await server.listen({ port: config.port, host: config.host });
      logger.info(
        { address, roles: config.roles, database: database.kind, bus: config.redisUrl ? 'redis' : 'memory' },
        'listening',
      );
      return address;
    },
    close() {
      closing ??= (async () => {
        draining = true;
        logger.info({ drainMs: config.shutdownDrainMs }, 'shutting down: readiness now fails');
        if (config.shutdownDrainMs > 0) await new Promise((r) => setTimeout(r, config.shutdownDrainMs));
        for (const t of timers) clearInterval(t);
        // Sockets first: pending batches are written and acknowledged, then clients are told to reconnect (1012).
        // Exports stop claiming at once; running ones finish or go back to the queue.
        await Promise.all([syncEndpoint?.close(), exportWorker?.stop(config.exportShutdownGraceMs), webhooks?.stop()]);
        await renderer?.close();
        await server.close();
        await Promise.allSettled([bus.close(), counters.close()]);
        await database.close();
        redisMetrics?.close();
        metrics.close();
        logger.info('shutdown complete');
      })();
      return closing;
    },
  };
}
