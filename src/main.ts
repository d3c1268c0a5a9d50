/**
 * Composition root: builds one process from the config — the shared infrastructure, then each
 * role it serves (src/wiring/*.ts) in the order their dependencies dictate — and owns start-up
 * and graceful shutdown. src/wiring is the only code that knows every concrete class.
 */
import cluster from 'node:cluster';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Database } from './adapters/sql/database.ts';
import { freeDiskMb } from './adapters/sql/database.ts';
import type { SigningKeys } from './app/auth/signing-keys.ts';
import type { DocumentCache } from './app/document-cache.ts';
import type { PermissionCache } from './app/permissions.ts';
import type { EventBus } from './app/ports.ts';
import { type Config, resolveStorageBackend } from './config/config.ts';
import type { ExportWorker } from './export/worker.ts';
import { buildServer } from './http/server.ts';
import { createLogger } from './observability/logger.ts';
import type { Metrics, TraceSamplingStats } from './observability/metrics.ts';
import { childMetrics } from './supervisor/cluster-metrics.ts';
import { CHILD_LISTENING } from './supervisor/supervisor.ts';
import type { RoomRegistry } from './sync/rooms.ts';
import { DEFAULT_WEB_DIR } from './web/web-build.ts';
import { wireApi, wireDocumentCache } from './wiring/api.ts';
import { wireComments } from './wiring/comments.ts';
import { wireIdentity } from './wiring/identity.ts';
import { type Infrastructure, openInfrastructure, startOutboxRelay } from './wiring/infrastructure.ts';
import { wireMail } from './wiring/mail.ts';
import { routePermissionEvents } from './wiring/permission-events.ts';
import { wireSync } from './wiring/sync.ts';
import { type TrashPurge, wireTrashPurge } from './wiring/trash.ts';
import { wireVersionRetention } from './wiring/versions.ts';
import { wireExportPipeline } from './wiring/worker.ts';

export type RunningApp = {
  config: Config;
  server: FastifyInstance;
  logger: Logger;
  metrics: Metrics;
  database: Database;
  bus: EventBus;
  permissions?: PermissionCache;
  /** Document rows served from memory, when this process has the `api` role. */
  documentCache?: DocumentCache;
  signingKeys?: SigningKeys;
  rooms?: RoomRegistry;
  /** The export worker, when this process has the `worker` role. */
  exportWorker?: ExportWorker;
  /** The trash purge, when this process has the `worker` role. */
  trashPurge?: TrashPurge;
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
  /** Continuous profiling's route labels (src/observability/continuous-profiling.ts). */
  onRouteStarted?: (route: string) => void;
};

const readinessChecks = (config: Config, infra: Infrastructure) => [
  { name: 'database', check: () => infra.database.ping() },
  ...(config.redisUrl ? [{ name: 'redis', check: () => infra.bus.ping() }] : []),
  {
    name: 'disk',
    check: async () => {
      const free = freeDiskMb(config.dataDir);
      if (free < config.readyMinFreeDiskMb) throw new Error(`only ${Math.round(free)} MB free`);
    },
  },
];

export async function createApp(config: Config, opts: CreateAppOptions = {}): Promise<RunningApp> {
  const logger = opts.logger ?? createLogger({ level: config.logLevel, service: 'collab-docs' });
  const roles = new Set(config.roles);
  const infra = await openInfrastructure(config, { ...opts, logger });

  // Each step takes what the earlier ones built; none reaches back to patch an earlier one.
  const exports = wireExportPipeline(config, infra);
  const trashPurge = wireTrashPurge(config, infra, { exports });
  const versionRetention = wireVersionRetention(config, infra);
  const identity = roles.has('api') || roles.has('sync') ? await wireIdentity(config, infra) : undefined;
  const sync = wireSync(config, infra, identity);
  const mail = roles.has('api') && identity ? wireMail(config, infra) : undefined;
  const comments = mail && identity ? wireComments(config, infra, identity, { rooms: sync.rooms, mail }) : undefined;
  const documentCache = mail && identity && comments ? await wireDocumentCache(config, infra) : undefined;
  const api =
    mail && identity && comments && documentCache
      ? wireApi(config, infra, identity, { exports, rooms: sync.rooms, mail, comments, documentCache })
      : undefined;
  if (identity)
    await routePermissionEvents(infra, {
      invalidate: identity.permissions,
      alsoInvalidate: [identity.reach],
      recheck: sync.rooms,
    });
  const stopRelay = startOutboxRelay(infra, roles);
  exports.start();
  mail?.start();
  comments?.start();
  trashPurge?.start();
  versionRetention?.start();

  let draining = false;
  // A child of the SYNC_PROCESSES supervisor shares the port with its siblings (src/supervisor).
  const sharedPort = cluster.isWorker;
  const signingKeys = identity?.signingKeys;
  const server = await buildServer({
    logger,
    metrics: infra.metrics,
    isolationMetrics: infra.isolationMetrics,
    topTalkers: infra.topTalkers,
    operatorToken: config.ops.operatorToken,
    onRouteStarted: opts.onRouteStarted,
    publicUrl: config.publicUrl,
    trustProxy: config.trustProxy,
    webDir: config.web.dir ?? DEFAULT_WEB_DIR,
    api,
    ops: {
      checks: readinessChecks(config, infra),
      isDraining: () => draining,
      scrape: sharedPort ? childMetrics(infra.metrics.registry) : undefined,
      jwks: signingKeys && !config.auth.oidcIssuer ? () => signingKeys.publicJwks() : undefined,
    },
  });
  sync.attach(server.server);

  let closing: Promise<void> | undefined;
  return {
    config,
    server,
    logger,
    metrics: infra.metrics,
    database: infra.database,
    bus: infra.bus,
    permissions: identity?.permissions,
    documentCache,
    signingKeys,
    rooms: sync.rooms,
    exportWorker: exports.worker,
    trashPurge,
    async listen() {
      // exclusive: our own SO_REUSEPORT socket, not one the cluster primary holds and round-robins.
      const address = await server.listen({
        port: config.port,
        host: config.host,
        ...(sharedPort && { reusePort: true, exclusive: true }),
      });
      logger.info(
        {
          address,
          roles: config.roles,
          database: infra.database.kind,
          bus: config.redisUrl ? 'redis' : 'memory',
          storage: resolveStorageBackend(config),
        },
        'listening',
      );
      if (sharedPort) process.send?.({ type: CHILD_LISTENING });
      return address;
    },
    close() {
      closing ??= (async () => {
        draining = true;
        logger.info({ drainMs: config.shutdown.drainMs }, 'shutting down: readiness now fails');
        if (config.shutdown.drainMs > 0) await new Promise((r) => setTimeout(r, config.shutdown.drainMs));
        stopRelay();
        trashPurge?.stop();
        versionRetention?.stop();
        identity?.stop();
        // Sockets first: pending batches are written and acknowledged, then clients are told to reconnect (1012).
        // Exports stop claiming at once; running ones finish or go back to the queue.
        await Promise.all([sync.close(), exports.stop(), comments?.stop(), mail?.stop()]);
        await server.close();
        await infra.close();
        logger.info('shutdown complete');
      })();
      return closing;
    },
  };
}
