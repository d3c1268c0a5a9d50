/**
 * Metrics of the trash and the home lists: documents moved to the trash, restored and purged
 * (by the worker's expiry or "delete forever"), how many sit in the trash now (set by each purge
 * pass), and visits recorded for "Recent". A purge pass that fails is counted too: documents
 * would then outlive their retention (docs/operations.md "Trash").
 */
import client from 'prom-client';

export class TrashMetrics {
  readonly trashed: client.Counter;
  readonly restored: client.Counter;
  readonly purged: client.Counter<'reason'>;
  readonly inTrash: client.Gauge;
  readonly purgeFailures: client.Counter;
  readonly visitsRecorded: client.Counter;

  constructor(registry: client.Registry) {
    const registers = [registry];
    this.trashed = new client.Counter({
      name: 'documents_trashed_total',
      help: 'Documents moved to the trash',
      registers,
    });
    this.restored = new client.Counter({
      name: 'documents_restored_total',
      help: 'Documents restored from the trash',
      registers,
    });
    this.purged = new client.Counter({
      name: 'documents_purged_total',
      help: 'Documents deleted for good, by reason (expired: the retention ran out; requested: "delete forever")',
      labelNames: ['reason'],
      registers,
    });
    this.inTrash = new client.Gauge({
      name: 'documents_in_trash',
      help: 'Documents in the trash at the last purge pass (worker role)',
      registers,
    });
    this.purgeFailures = new client.Counter({
      name: 'trash_purge_failures_total',
      help: 'Purge passes that failed (documents may outlive their retention)',
      registers,
    });
    this.visitsRecorded = new client.Counter({
      name: 'document_visits_recorded_total',
      help: 'Document opens written for "Recent" (after throttling)',
      registers,
    });
    // Zero from the start, so rate() and alerts see the first one after a restart.
    this.purged.inc({ reason: 'expired' }, 0);
    this.purged.inc({ reason: 'requested' }, 0);
    this.purgeFailures.inc(0);
  }
}
