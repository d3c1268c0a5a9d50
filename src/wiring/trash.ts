/**
 * The trash purge on the `worker` role: every TRASH_PURGE_INTERVAL_MS it deletes documents whose
 * time in the trash is up (their events close what is still open anywhere), sets the trash-size
 * gauge, and logs and counts what it did; the export and image cleanups then delete their stored files.
 */
import { TrashPurger } from '../app/trash.ts';
import type { Config } from '../config/config.ts';
import { withSpan } from '../observability/tracing.ts';
import { wireImageCleanup } from './images.ts';
import type { Infrastructure } from './infrastructure.ts';
import type { ExportPipeline } from './worker.ts';

export type TrashPurge = {
  /** One pass now (tests, and the timer); resolves with the documents deleted. */
  runOnce(): Promise<number>;
  start(): void;
  stop(): void;
};

export function wireTrashPurge(
  config: Config,
  infra: Infrastructure,
  deps: { exports: Pick<ExportPipeline, 'cleanupOnce'> },
): TrashPurge | undefined {
  if (!config.roles.includes('worker')) return undefined;
  const cfg = config.documents;
  const purger = new TrashPurger(infra.database.pool('worker'), infra.events, {
    retentionMs: cfg.trashRetentionDays * 86_400_000,
  });
  const logger = infra.logger.child({ component: 'trash' });
  const metrics = infra.trashMetrics;
  const cleanImages = wireImageCleanup(infra);
  const runOnce = () =>
    withSpan('trash.purge', {}, async () => {
      const purged = await purger.runOnce();
      if (purged > 0) {
        metrics.purged.inc({ reason: 'expired' }, purged);
        logger.info({ event: 'trash_purged', documents: purged }, 'expired documents deleted from the trash');
        // Their export files now belong to no document: the export cleanup deletes them at once.
        await deps.exports.cleanupOnce();
      }
      // Every pass, not only after a purge here: "delete forever" (api role) and deleted workspaces leave images too.
      await cleanImages();
      metrics.inTrash.set(await purger.size());
      return purged;
    });
  let timer: NodeJS.Timeout | undefined;
  return {
    runOnce,
    start() {
      timer = setInterval(() => {
        runOnce().catch((err) => {
          metrics.purgeFailures.inc();
          logger.error({ err }, 'trash purge failed');
        });
      }, cfg.trashPurgeIntervalMs);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
    },
  };
}
