/**
 * Version history's wiring: one store, source and metrics per process and role pool. The sync role
 * gets the recorder its rooms call for automatic versions (through the sync pool); the api role
 * gets the use cases behind /documents/{id}/versions (through the api pool), with the live rooms
 * of this process when it runs the sync role too (a restore then goes straight into the room).
 */
import { SqlUpdateLog } from '../adapters/sql/update-log.ts';
import type { Documents } from '../app/documents.ts';
import { type VersionRetention, VersionStore } from '../app/version-store.ts';
import { type VersionObserver, Versions } from '../app/versions.ts';
import type { Config } from '../config/config.ts';
import { withSpan } from '../observability/tracing.ts';
import { VersionMetrics } from '../observability/version-metrics.ts';
import { DocumentVersions } from '../sync/document-versions.ts';
import type { RoomRegistry } from '../sync/rooms.ts';
import type { VersioningOptions, VersionRecorder } from '../sync/versioning.ts';
import type { Infrastructure } from './infrastructure.ts';

const metricsByInfra = new WeakMap<Infrastructure, VersionMetrics>();

function metricsOf(infra: Infrastructure): VersionMetrics {
  let m = metricsByInfra.get(infra);
  if (!m) {
    m = new VersionMetrics(infra.metrics.registry);
    metricsByInfra.set(infra, m);
  }
  return m;
}

const retentionOf = (config: Config): VersionRetention => {
  const days = (n: number) => (n === 0 ? null : n);
  const r = config.versions.retentionDays;
  return { free: days(r.free), business: days(r.business), enterprise: days(r.enterprise) };
};

function observerOf(infra: Infrastructure): VersionObserver {
  const metrics = metricsOf(infra);
  const log = infra.logger.child({ component: 'history' });
  return {
    created(kind, bytes, documentId, actor) {
      metrics.created.inc({ kind });
      metrics.bytes.observe(bytes);
      log.info({ event: 'version_created', kind, bytes, documentId, userId: actor }, 'document version stored');
    },
    skipped: () => metrics.skipped.inc(),
    restored(documentId, versionId, actor) {
      metrics.restores.inc();
      log.info({ event: 'version_restored', documentId, versionId, userId: actor }, 'document version restored');
    },
  };
}

/** The sync role's recorder for automatic versions; undefined when they are off (VERSION_IDLE_MS=0). */
export function versionRecorder(
  config: Config,
  infra: Infrastructure,
): { recorder: VersionRecorder; options: VersioningOptions } | undefined {
  if (config.versions.idleMs === 0) return undefined;
  const db = infra.database.pool('sync');
  const versions = new Versions({
    store: new VersionStore(db, retentionOf(config)),
    source: new DocumentVersions({
      log: new SqlUpdateLog(db),
      crdt: infra.crdt(),
      bus: infra.bus,
      quarantine: infra.quarantine('sync'),
    }),
    authorize: () => Promise.reject(new Error('the sync role answers no requests')),
    observer: observerOf(infra),
  });
  const metrics = metricsOf(infra);
  const counted =
    (op: 'auto_version' | 'record_authors') =>
    (err: unknown): never => {
      metrics.failures.inc({ op });
      throw err;
    };
  return {
    recorder: {
      noteAuthors: (documentId, users, clients) =>
        versions.noteAuthors(documentId, users, clients).catch(counted('record_authors')),
      autoVersion: (documentId) => versions.autoVersion(documentId).catch(counted('auto_version')),
    },
    options: {
      idleMs: config.versions.idleMs,
      intervalMs: config.versions.intervalMs,
      authorRecordMs: config.versions.authorRecordMs,
    },
  };
}

/** The api role's version-history use cases. */
export function wireVersionHistory(
  config: Config,
  infra: Infrastructure,
  deps: { documents: Documents; rooms: RoomRegistry | undefined },
): Versions {
  const db = infra.database.pool('api');
  return new Versions({
    store: new VersionStore(db, retentionOf(config)),
    source: new DocumentVersions({
      log: new SqlUpdateLog(db),
      crdt: infra.crdt(),
      bus: infra.bus,
      quarantine: infra.quarantine('api'),
      rooms: deps.rooms,
    }),
    authorize: (actor, documentId, action) => deps.documents.authorize(actor, documentId, action),
    observer: observerOf(infra),
  });
}

export type VersionRetentionSweep = {
  /** One pass now (tests, and the timer); resolves with the versions deleted. */
  runOnce(): Promise<number>;
  start(): void;
  stop(): void;
};

/** The worker role's retention sweep, every VERSION_PRUNE_INTERVAL_MS [V8]; undefined elsewhere. */
export function wireVersionRetention(config: Config, infra: Infrastructure): VersionRetentionSweep | undefined {
  if (!config.roles.includes('worker')) return undefined;
  const store = new VersionStore(infra.database.pool('worker'), retentionOf(config));
  const metrics = metricsOf(infra);
  const log = infra.logger.child({ component: 'history' });
  const runOnce = () =>
    withSpan('history.prune', {}, async () => {
      const pruned = await store.pruneExpired();
      if (pruned > 0) {
        metrics.pruned.inc(pruned);
        log.info({ event: 'versions_pruned', versions: pruned }, 'versions past their retention deleted');
      }
      return pruned;
    });
  let timer: NodeJS.Timeout | undefined;
  return {
    runOnce,
    start() {
      timer = setInterval(() => {
        runOnce().catch((err) => {
          metrics.failures.inc({ op: 'prune' });
          log.error({ err }, 'version retention sweep failed');
        });
      }, config.versions.pruneIntervalMs);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
    },
  };
}
