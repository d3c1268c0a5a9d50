/**
 * Images in documents: the upload/fetch use cases on the `api` role and the cleanup that deletes
 * the images of purged documents on the `worker` role, both over the file store's "images"
 * namespace, with their metrics and log lines.
 */
import { ImageCleaner } from '../app/image-cleanup.ts';
import { DocumentImages } from '../app/images.ts';
import type { PermissionCache } from '../app/permissions.ts';
import type { Config } from '../config/config.ts';
import { API_PREFIX } from '../http/server.ts';
import { ImageMetrics } from '../observability/image-metrics.ts';
import { withSpan } from '../observability/tracing.ts';
import type { Infrastructure } from './infrastructure.ts';

const metricsByInfra = new WeakMap<Infrastructure, ImageMetrics>();
/** One set of image metrics per process, whichever role asks first. */
function metricsOf(infra: Infrastructure): ImageMetrics {
  let metrics = metricsByInfra.get(infra);
  if (!metrics) {
    metrics = new ImageMetrics(infra.metrics.registry);
    metricsByInfra.set(infra, metrics);
  }
  return metrics;
}

export function wireImages(config: Config, infra: Infrastructure, permissions: PermissionCache): DocumentImages {
  const metrics = metricsOf(infra);
  const log = infra.logger.child({ component: 'images' });
  return new DocumentImages(infra.database.pool('api'), permissions, infra.imageFiles('api'), {
    maxBytes: config.images.maxBytes,
    workspaceMaxBytes: config.images.workspaceMaxBytes === 0 ? null : config.images.workspaceMaxBytes,
    apiPrefix: API_PREFIX,
    onUpload: (outcome, type, bytes) => {
      metrics.uploads.inc({ outcome, type });
      if (outcome === 'stored') metrics.storedBytes.inc(bytes);
      if (outcome === 'quota') log.warn({ event: 'image_quota_reached', bytes }, 'a workspace is out of image space');
    },
  });
}

/** The worker's cleanup pass: images of documents that are gone, and files no row names. */
export function wireImageCleanup(infra: Infrastructure): () => Promise<number> {
  const metrics = metricsOf(infra);
  const log = infra.logger.child({ component: 'images' });
  const cleaner = new ImageCleaner(infra.database.pool('worker'), infra.imageFiles('worker'));
  return () =>
    withSpan('image.cleanup', {}, async () => {
      const deleted = await cleaner.runOnce();
      if (deleted > 0) {
        metrics.cleaned.inc(deleted);
        log.info({ event: 'images_cleaned', files: deleted }, 'image files of deleted documents removed');
      }
      return deleted;
    });
}
