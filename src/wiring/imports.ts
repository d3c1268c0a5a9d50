/**
 * File imports on the `api` role [I1]: conversion in the CRDT worker pool (untrusted work under
 * its time and heap budget), a metric and a log line per file, the created-documents counter, and
 * the image store for pictures inside files [I4].
 */
import { DocumentImports } from '../app/document-import.ts';
import type { PermissionCache } from '../app/permissions.ts';
import type { Sql } from '../app/ports.ts';
import type { Config } from '../config/config.ts';
import { importMetrics } from '../observability/import-metrics.ts';
import { wireImages } from './images.ts';
import type { Infrastructure } from './infrastructure.ts';

export function wireImports(
  config: Config,
  infra: Infrastructure,
  db: Sql,
  permissions: PermissionCache,
): { imports: DocumentImports; maxBytes: number } {
  const count = importMetrics(infra.metrics.registry);
  const log = infra.logger.child({ component: 'import' });
  const imports = new DocumentImports(
    db,
    permissions,
    (task) => infra.crdt().importFile(task),
    (format, outcome, detail) => {
      count(format, outcome, detail.seconds);
      if (outcome === 'ok') infra.metrics.documentsCreated.inc();
      const fields = { event: 'document_imported', format, outcome, ...detail, ms: Math.round(detail.seconds * 1000) };
      if (outcome === 'over_budget') log.warn(fields, 'an imported file ran out of the conversion budget');
      else log.info(fields, outcome === 'ok' ? 'file imported as a document' : 'imported file refused');
    },
    // [I4] Images inside files: checked and stored like uploads (same limits, store and metrics).
    wireImages(config, infra, permissions),
  );
  return { imports, maxBytes: config.documents.importMaxBytes };
}
