/**
 * Picks and builds the file store for this configuration (`STORAGE_BACKEND`, see
 * `resolveStorageBackend`) and decorates it with metrics, spans and error logs, the same for every
 * backend.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Sql } from '../../app/ports.ts';
import { type Config, resolveStorageBackend, type StorageBackend } from '../../config/config.ts';
import type { FileStorage } from '../../export/ports.ts';
import type { StorageMetrics, StorageOp } from '../../observability/storage-metrics.ts';
import { withSpan } from '../../observability/tracing.ts';
import { LocalDirectoryStorage } from './local.ts';
import { PostgresStorage } from './postgres.ts';
import { S3Storage } from './s3.ts';

/**
 * One store per use (`namespace`: "exports" today, editor images later): a directory under
 * DATA_DIR (or EXPORT_STORAGE_DIR for exports), a namespace in the table, a prefix in the bucket.
 */
export function openFileStorage(
  config: Config,
  namespace: string,
  deps: { sql: () => Sql; metrics: StorageMetrics; logger: Logger },
): { storage: FileStorage; backend: StorageBackend } {
  const backend = resolveStorageBackend(config);
  let inner: FileStorage;
  if (backend === 's3') {
    const s3 = config.storage.s3;
    inner = new S3Storage({
      bucket: s3.bucket as string,
      prefix: `${s3.prefix}${namespace}/`,
      region: s3.region,
      endpoint: s3.endpoint,
      forcePathStyle: s3.forcePathStyle,
      credentials:
        s3.accessKeyId && s3.secretAccessKey
          ? { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey }
          : undefined,
    });
  } else if (backend === 'postgres') {
    inner = new PostgresStorage(deps.sql(), { namespace });
  } else {
    const dir =
      namespace === 'exports' && config.export.storageDir ? config.export.storageDir : join(config.dataDir, namespace);
    inner = new LocalDirectoryStorage(dir);
  }
  return { storage: meteredStorage(inner, backend, deps.metrics, deps.logger), backend };
}

/** Counts, times and traces every call; a failure is logged once here with the backend and key. */
export function meteredStorage(
  inner: FileStorage,
  backend: string,
  metrics: StorageMetrics,
  logger: Logger,
): FileStorage {
  metrics.init(backend);
  const run = async <T>(
    op: StorageOp,
    key: string | undefined,
    fn: () => Promise<T>,
    outcomeOf: (result: T) => 'ok' | 'missing' = () => 'ok',
  ): Promise<T> => {
    const started = performance.now();
    try {
      const result = await withSpan(
        `storage.${op}`,
        { 'storage.backend': backend, ...(key ? { 'storage.key': key } : {}) },
        fn,
      );
      metrics.observe(backend, op, outcomeOf(result), (performance.now() - started) / 1000);
      return result;
    } catch (err) {
      metrics.observe(backend, op, 'error', (performance.now() - started) / 1000);
      logger.error({ err, backend, op, key }, 'file storage operation failed');
      throw err;
    }
  };
  return {
    put: (key, bytes) =>
      run('put', key, async () => {
        await inner.put(key, bytes);
        metrics.transferred(backend, 'in', bytes.byteLength);
      }),
    open: (key) =>
      run(
        'open',
        key,
        async () => {
          const file = await inner.open(key);
          if (file) metrics.transferred(backend, 'out', file.size);
          return file;
        },
        (file) => (file ? 'ok' : 'missing'),
      ),
    delete: (key) => run('delete', key, () => inner.delete(key)),
    sweep: (olderThan, keep) => run('sweep', undefined, () => inner.sweep(olderThan, keep)),
    close: async () => {
      await inner.close?.();
    },
  };
}
