/**
 * Metrics of version history: versions written by kind and their size (the storage cost,
 * docs/operations.md "Version history"), automatic versions skipped because nothing changed,
 * restores, and automatic versions that failed (the history then has a gap: an operator looks).
 */
import client from 'prom-client';

/** Encoded Yjs states: a few hundred bytes for a note to megabytes for a book. */
const SIZE_BUCKETS = [256, 1_024, 4_096, 16_384, 65_536, 262_144, 1_048_576, 4_194_304, 16_777_216];

export class VersionMetrics {
  readonly created: client.Counter<'kind'>;
  readonly bytes: client.Histogram;
  readonly skipped: client.Counter;
  readonly restores: client.Counter;
  readonly failures: client.Counter<'op'>;
  readonly pruned: client.Counter;

  constructor(registry: client.Registry) {
    const registers = [registry];
    this.created = new client.Counter({
      name: 'history_versions_created_total',
      help: 'Document versions stored, by kind (auto, named, restore, pre-restore)',
      labelNames: ['kind'],
      registers,
    });
    this.bytes = new client.Histogram({
      name: 'history_version_bytes',
      help: 'Size of each stored version (its encoded Yjs state), in bytes',
      buckets: SIZE_BUCKETS,
      registers,
    });
    this.skipped = new client.Counter({
      name: 'history_versions_skipped_total',
      help: 'Automatic versions not stored because the document had not changed since the latest one',
      registers,
    });
    this.restores = new client.Counter({
      name: 'history_restores_total',
      help: 'Versions restored (each is a new change on the live document)',
      registers,
    });
    this.failures = new client.Counter({
      name: 'history_failures_total',
      help: 'Version-history work that failed, by operation (auto_version, record_authors, prune)',
      labelNames: ['op'],
      registers,
    });
    this.pruned = new client.Counter({
      name: 'history_versions_pruned_total',
      help: 'Versions deleted by the retention sweep (past their workspace plan’s retention)',
      registers,
    });
    this.pruned.inc(0);
    for (const kind of ['auto', 'named', 'restore', 'pre-restore']) this.created.inc({ kind }, 0);
    for (const op of ['auto_version', 'record_authors', 'prune']) this.failures.inc({ op }, 0);
    this.skipped.inc(0);
    this.restores.inc(0);
  }
}
