/**
 * The `worker` role: the export queue, renderers (worker threads, external PDF renderer behind a
 * breaker), the export worker, webhook dispatcher and expiry cleaner. Export metrics exist in
 * every process (the API counts requests); their gauges only where a worker runs.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { StoredImageSource } from '../app/image-source.ts';
import type { Config } from '../config/config.ts';
import { ExpiryCleaner } from '../export/cleanup.ts';
import { JobQueue } from '../export/job-queue.ts';
import { withExportTables } from '../export/job-schema.ts';
import { createRenderer } from '../export/renderer.ts';
import { WebhookDispatcher } from '../export/webhook.ts';
import { ExportWorker } from '../export/worker.ts';
import { API_PREFIX } from '../http/server.ts';
import { ExportMetrics } from '../observability/export-metrics.ts';
import { RenderMetrics } from '../observability/render-metrics.ts';
import type { Infrastructure } from './infrastructure.ts';

export type ExportPipeline = {
  metrics: ExportMetrics;
  /** Present when this process has the `worker` role. */
  worker?: ExportWorker;
  /** One cleanup pass now: expired files and those of documents that are gone (after a trash purge). */
  cleanupOnce(): Promise<number>;
  /** Starts claiming jobs, delivering webhooks and deleting expired files. */
  start(): void;
  /** Stops claiming; running jobs get `config.export.shutdownGraceMs` to finish, then go back to the queue. */
  stop(): Promise<void>;
};

export function wireExportPipeline(config: Config, infra: Infrastructure): ExportPipeline {
  if (!config.roles.includes('worker')) {
    return {
      metrics: new ExportMetrics(infra.metrics.registry),
      cleanupOnce: async () => 0,
      start: () => undefined,
      stop: async () => undefined,
    };
  }
  const cfg = config.export;
  // Workers touch only the worker pool.
  const db = withExportTables(infra.database.pool('worker'));
  const queue = new JobQueue(db, `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`);
  const logger = infra.logger.child({ component: 'export' });
  const renderMetrics = new RenderMetrics(infra.metrics.registry);
  const renderer = createRenderer({
    threads: cfg.renderThreads,
    taskTimeoutMs: cfg.taskTimeoutMs,
    externalPdfUrl: cfg.externalRendererUrl,
    breaker: cfg.breaker,
    logger: infra.logger.child({ component: 'export-render' }),
    observer: renderMetrics,
  });
  renderMetrics.watch(renderer);
  const metrics = new ExportMetrics(infra.metrics.registry, {
    queueDepth: () => queue.depth(),
    // Read at scrape time, after the worker below exists.
    inFlight: () => worker.inFlight,
    breakerState: cfg.externalRendererUrl
      ? () => {
          const state = renderer.breakerState();
          return state === 'none' ? 'closed' : state;
        }
      : undefined,
  });
  const worker = new ExportWorker(
    {
      queue,
      renderer,
      storage: infra.exportFiles('worker'),
      observer: metrics,
      logger,
      crdt: infra.crdt(),
      images: new StoredImageSource(infra.database.pool('worker'), infra.imageFiles('worker')),
    },
    {
      concurrency: cfg.workerConcurrency,
      pollIntervalMs: cfg.pollIntervalMs,
      leaseMs: cfg.leaseMs,
      maxAttempts: cfg.maxRetries + 1,
      backoffBaseMs: cfg.backoffBaseMs,
      perWorkspaceRunningMax: cfg.workspaceRunningMax,
      taskTimeoutMs: cfg.taskTimeoutMs,
      resultRetentionMs: cfg.retentionMs,
    },
  );
  const webhooks = new WebhookDispatcher(
    db,
    {
      logger,
      onAttempt: (result) => metrics.webhookAttempt(result),
      onLoopError: () => metrics.loopError('webhook'),
    },
    {
      pollIntervalMs: cfg.pollIntervalMs,
      leaseMs: cfg.webhook.timeoutMs * 2,
      timeoutMs: cfg.webhook.timeoutMs,
      maxAttempts: cfg.webhook.maxAttempts,
      backoffBaseMs: cfg.backoffBaseMs,
      allowPrivateTargets: cfg.webhook.allowPrivate,
      serverSecret: cfg.webhook.secret,
      publicUrl: config.publicUrl,
      apiPrefix: API_PREFIX,
    },
  );
  const cleaner = new ExpiryCleaner(
    db,
    infra.exportFiles('worker'),
    { logger, onExpired: (n) => metrics.filesExpired(n) },
    { retentionMs: cfg.retentionMs },
  );
  let cleanup: NodeJS.Timeout | undefined;
  return {
    metrics,
    worker,
    cleanupOnce: () => cleaner.runOnce(),
    start() {
      cleanup = setInterval(() => {
        cleaner.runOnce().catch((err) => {
          metrics.loopError('cleanup');
          logger.error({ err }, 'export cleanup failed');
        });
      }, cfg.cleanupIntervalMs);
      cleanup.unref();
      worker.start();
      webhooks.start();
    },
    async stop() {
      clearInterval(cleanup);
      await Promise.all([worker.stop(cfg.shutdownGraceMs), webhooks.stop()]);
      await renderer.close();
    },
  };
}
