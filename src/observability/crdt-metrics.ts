/** Metrics of the CRDT worker pool (content/crdt-pool.ts): rebuilds by kind and outcome, their time, the queue. */
import client from 'prom-client';
import { LATENCY_BUCKETS } from './metrics.ts';

export class CrdtMetrics {
  private readonly tasks: client.Counter<'kind' | 'outcome'>;
  private readonly duration: client.Histogram<'kind'>;

  constructor(registry: client.Registry, gauges: { queued: () => number }) {
    const registers = [registry];
    this.tasks = new client.Counter({
      name: 'crdt_rebuilds_total',
      help: 'Stored documents rebuilt in the CRDT worker pool, by kind (rebuild, repair) and outcome (ok, over_budget, unreadable, failed)',
      labelNames: ['kind', 'outcome'],
      registers,
    });
    this.duration = new client.Histogram({
      name: 'crdt_rebuild_duration_seconds',
      help: 'Time from asking the CRDT pool for a rebuild to its answer, queueing included',
      labelNames: ['kind'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    new client.Gauge({
      name: 'crdt_rebuilds_queued',
      help: 'Rebuilds waiting for a CRDT worker thread',
      registers,
      collect() {
        this.set(gauges.queued());
      },
    });
  }

  observe(kind: string, outcome: string, seconds: number): void {
    this.tasks.inc({ kind, outcome });
    this.duration.observe({ kind }, seconds);
  }
}
