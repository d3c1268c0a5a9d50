/**
 * The `sync` role: the room registry (Yjs rooms over the update log and the bus) and, once the
 * HTTP server exists, the WebSocket endpoint on it. Sync metrics exist in every process; their
 * gauges read zero where no rooms run.
 */
import type { Server } from 'node:http';
import { MemorySeats } from '../adapters/seats/memory-seats.ts';
import { RedisSeats } from '../adapters/seats/redis-seats.ts';
import { SqlUpdateLog } from '../adapters/sql/update-log.ts';
import { documentChanged } from '../app/document-cache.ts';
import { DocumentVisits } from '../app/document-visits.ts';
import { DOCUMENTS_CHANNEL } from '../app/events.ts';
import type { Config } from '../config/config.ts';
import { projectDocument } from '../content/projection.ts';
import { maxNestingDepth } from '../content/prosemirror-json.ts';
import { clientAddressOf } from '../http/client-address.ts';
import { SyncMetrics } from '../observability/sync-metrics.ts';
import type { SeatLedger } from '../sync/ports.ts';
import { RoomRegistry } from '../sync/rooms.ts';
import { SyncTenantLimiter } from '../sync/tenant-limits.ts';
import { SyncEndpoint } from '../ws/sync-endpoint.ts';
import type { Identity } from './identity.ts';
import type { Infrastructure } from './infrastructure.ts';
import { versionRecorder } from './versions.ts';

export type SyncRole = {
  metrics: SyncMetrics;
  /** Present when this process has the `sync` role. */
  rooms?: RoomRegistry;
  /** Serves `/sync/:documentId` upgrades on the server (sync role only). */
  attach(server: Server): void;
  /** Writes pending batches, acknowledges them, then tells clients to reconnect (1012). */
  close(): Promise<void>;
};

export function wireSync(config: Config, infra: Infrastructure, identity: Identity | undefined): SyncRole {
  // Gauges are read at scrape time, after the endpoint below exists.
  let endpoint: SyncEndpoint | undefined;
  let rooms: RoomRegistry | undefined;
  const metrics = new SyncMetrics(infra.metrics.registry, {
    openSockets: () => endpoint?.openSockets ?? 0,
    loadedRooms: () => rooms?.roomCount ?? 0,
    roomLoads: () => rooms?.roomLoads ?? { active: 0, waiting: 0 },
    sendBuffers: () => endpoint?.sendBuffers() ?? [],
    roomsByMode: () => rooms?.roomsByMode() ?? {},
  });
  if (!config.roles.includes('sync') || !identity) {
    return { metrics, attach: () => undefined, close: async () => undefined };
  }
  const cfg = config.sync;
  const tenantLimits = new SyncTenantLimiter({
    maxSocketsPerIp: cfg.maxSocketsPerIp,
    connectsPerSecondPerIp: cfg.connectsPerSecondPerIp,
    connectBurstPerIp: cfg.connectBurstPerIp,
    maxSocketsPerUser: cfg.maxSocketsPerUser,
    maxSocketsPerUserPerDoc: cfg.maxSocketsPerUserPerDoc,
    maxJoiningPerUser: cfg.maxJoiningPerUser,
    workspaceFramesPerSecond: cfg.workspaceFramesPerSecond,
    workspaceBytesPerSecond: cfg.workspaceBytesPerSecond,
    workspaceBurstSeconds: cfg.workspaceBurstSeconds,
    workspaceCrdtMsPerSecond: cfg.workspaceCrdtMsPerSecond,
    maxMessageBytes: cfg.maxMessageBytes,
    limitedCooldownMs: cfg.limitedCooldownMs,
  });
  // [S5.6] Editing seats across the fleet: Redis when the instances share one, in process otherwise.
  const seats: SeatLedger = config.redisUrl
    ? new RedisSeats(config.redisUrl, config.redisPrefix, {
        ttlMs: cfg.fleetTtlMs,
        onError: infra.logError('redis seat ledger error'),
      })
    : new MemorySeats({ ttlMs: cfg.fleetTtlMs });
  const registry = new RoomRegistry(
    {
      persistBatchMs: cfg.persistBatchMs,
      sendBufferSoftBytes: cfg.sendBufferSoftBytes,
      sendBufferHardBytes: cfg.sendBufferHardBytes,
      fullPresenceMax: cfg.fullPresenceMax,
      viewOnlyAbove: cfg.viewOnlyAbove,
      maxAwarenessBytes: cfg.maxAwarenessBytes,
      broadcastBatchAbove: cfg.broadcastBatchAbove,
      broadcastTickMs: cfg.broadcastTickMs,
      presenceTickMs: cfg.presenceTickMs,
      presenceSampleSize: cfg.presenceSampleSize,
      viewerPresence: cfg.viewerPresence,
      viewerTickMs: cfg.viewerTickMs,
      viewerTickAbove: cfg.viewerTickAbove,
      editorTickMs: cfg.editorTickMs,
      viewerLagBytes: cfg.viewerLagBytes,
      fleetHotAbove: cfg.fleetHotAbove,
      fleetReportMs: cfg.fleetReportMs,
      fleetTtlMs: cfg.fleetTtlMs,
      crdt: {
        maxStructsPerUpdate: config.crdt.maxStructsPerUpdate,
        maxConcurrentInserts: config.crdt.maxConcurrentInserts,
        maxDepth: maxNestingDepth,
        maxIntegrationSteps: config.crdt.maxIntegrationSteps,
        mainBudgetMs: config.crdt.mainBudgetMs,
        inspectOffThreadBytes: config.crdt.inspectOffThreadBytes,
      },
      roomGraceMs: cfg.roomGraceMs,
      maxConcurrentLoads: cfg.maxConcurrentLoads,
      compactThreshold: cfg.compactThreshold,
      compactIdleMs: cfg.compactIdleMs,
    },
    {
      log: new SqlUpdateLog(infra.database.pool('sync'), config.db.syncPoolMax, {
        onProjectionRejected: (documentId, err) =>
          infra.logger.warn(
            { err, documentId },
            'projection refused by the database; stored empty, compaction went on',
          ),
        // `updated_at` moved: every instance's document cache forgets the row [P4.1].
        onCompacted: (documentId) => infra.events.announce(DOCUMENTS_CHANNEL, documentChanged(documentId)),
      }),
      bus: infra.bus,
      seats,
      observer: metrics,
      logger: infra.logger,
      documentAccess: identity.documentAccess,
      seesComments: identity.seesComments,
      workspaceOf: identity.workspaceOf,
      project: projectDocument,
      crdt: infra.crdt(),
      quarantine: infra.quarantine('sync'),
      cpuBudget: tenantLimits,
      versions: versionRecorder(config, infra),
    },
  );
  rooms = registry;
  const visits = new DocumentVisits(infra.database.pool('sync'), {
    throttleMs: config.documents.recentThrottleMs,
    onError: infra.logError('recording a document visit failed'),
    onRecorded: () => infra.trashMetrics.visitsRecorded.inc(),
  });
  return {
    metrics,
    rooms: registry,
    attach(server) {
      endpoint = new SyncEndpoint(server, {
        registry,
        authenticate: (token) => identity.authenticator.authenticate(token),
        displayName: async (userId) => (await identity.accounts.findUser(userId))?.displayName ?? null,
        documentAccess: identity.documentAccess,
        onOpened: (userId, documentId) => void visits.record(userId, documentId),
        metrics,
        topTalkers: infra.topTalkers,
        logger: infra.logger.child({ component: 'sync' }),
        clientAddress: clientAddressOf(config.trustProxy),
        tenantLimits,
        limits: {
          maxMessageBytes: cfg.maxMessageBytes,
          preauthMaxMessageBytes: cfg.preauthMaxMessageBytes,
          messagesPerSecond: cfg.messagesPerSecond,
          messageBurst: cfg.messageBurst,
          heartbeatMs: cfg.heartbeatMs,
          authTimeoutMs: cfg.authTimeoutMs,
          presenceMinIntervalMs: cfg.presenceMinIntervalMs,
        },
      });
    },
    async close() {
      await endpoint?.close();
      await seats.close();
    },
  };
}
