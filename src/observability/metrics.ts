/** The Prometheus registry and every metric the process exports, created once per app instance. */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import client from 'prom-client';

/** Latency buckets (seconds); 0.2 s is a boundary so the 200 ms SLO is measured exactly. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5, 10];

export type PoolStats = { size: number; max: number; inUse: number; idle: number; waiting: number };
export type TraceSamplingStats = {
  keptTraces: number;
  droppedTraces: number;
  evictedTraces: number;
  droppedSpans: number;
  pendingTraces: number;
};

export class Metrics {
  readonly registry = new client.Registry();
  readonly httpRequests: client.Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: client.Histogram<'method' | 'route'>;
  readonly httpErrors: client.Counter<'method' | 'route'>;
  readonly poolAcquireWait: client.Histogram<'pool'>;
  readonly poolAcquireTimeouts: client.Counter<'pool'>;
  readonly permissionCache: client.Counter<'kind' | 'result'>;
  readonly tokenCache: client.Counter<'result'>;
  readonly documentsCreated: client.Counter;
  /** Pre-bound children for the per-request hot path: no label hashing per increment. */
  readonly tokenCacheHit: client.Counter.Internal;
  readonly tokenCacheMiss: client.Counter.Internal;
  private readonly permissionChildren = new Map<string, client.Counter.Internal>();
  readonly busMessages: client.Counter<'direction' | 'type'>;
  readonly busBytes: client.Counter<'direction'>;
  readonly authFailures: client.Counter<'reason'>;
  readonly loginRejections: client.Counter<'reason'>;
  private readonly pools = new Map<string, () => PoolStats>();
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 10 });
  private lastElu = performance.eventLoopUtilization();

  constructor(service = 'collab-docs') {
    const r = this.registry;
    r.setDefaultLabels({ service });
    client.collectDefaultMetrics({ register: r, eventLoopMonitoringPrecision: 10 });
    this.httpRequests = new client.Counter({
      name: 'http_requests_total',
      help: 'HTTP requests by route template and status',
      labelNames: ['method', 'route', 'status'],
      registers: [r],
    });
    this.httpDuration = new client.Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency by route template',
      labelNames: ['method', 'route'],
      buckets: LATENCY_BUCKETS,
      registers: [r],
    });
    this.httpErrors = new client.Counter({
      name: 'http_request_errors_total',
      help: 'HTTP responses with a 5xx status (the error SLI)',
      labelNames: ['method', 'route'],
      registers: [r],
    });
    this.poolAcquireWait = new client.Histogram({
      name: 'db_pool_acquire_wait_seconds',
      help: 'Time spent waiting for a database connection',
      labelNames: ['pool'],
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.2, 0.5, 1],
      registers: [r],
    });
    this.poolAcquireTimeouts = new client.Counter({
      name: 'db_pool_acquire_timeouts_total',
      help: 'Connection acquisitions that timed out',
      labelNames: ['pool'],
      registers: [r],
    });
    const pools = this.pools;
    const poolGauge = (name: string, help: string, pick: (s: PoolStats) => number) =>
      new client.Gauge({
        name,
        help,
        labelNames: ['pool'],
        registers: [r],
        collect() {
          for (const [pool, stats] of pools) this.set({ pool }, pick(stats()));
        },
      });
    poolGauge('db_pool_connections_in_use', 'Connections checked out', (s) => s.inUse);
    poolGauge('db_pool_connections_idle', 'Idle connections', (s) => s.idle);
    poolGauge('db_pool_waiting', 'Callers waiting for a connection', (s) => s.waiting);
    poolGauge('db_pool_size_max', 'Configured pool size', (s) => s.max);
    this.permissionCache = new client.Counter({
      name: 'permission_cache_lookups_total',
      help: 'Permission cache lookups by kind and hit/miss',
      labelNames: ['kind', 'result'],
      registers: [r],
    });
    this.tokenCache = new client.Counter({
      name: 'token_verify_cache_lookups_total',
      help: 'Verified-token cache lookups',
      labelNames: ['result'],
      registers: [r],
    });
    this.tokenCacheHit = this.tokenCache.labels({ result: 'hit' });
    this.tokenCacheMiss = this.tokenCache.labels({ result: 'miss' });
    this.documentsCreated = new client.Counter({
      name: 'documents_created_total',
      help: 'Documents created',
      registers: [r],
    });
    this.busMessages = new client.Counter({
      name: 'bus_messages_total',
      help: 'Event bus messages published and received',
      labelNames: ['direction', 'type'],
      registers: [r],
    });
    this.busBytes = new client.Counter({
      name: 'bus_bytes_total',
      help: 'Binary event bus payload bytes (Yjs updates, awareness) published and received',
      labelNames: ['direction'],
      registers: [r],
    });
    for (const direction of ['in', 'out']) this.busBytes.inc({ direction }, 0);
    this.authFailures = new client.Counter({
      name: 'auth_failures_total',
      help: 'Rejected access tokens by reason',
      labelNames: ['reason'],
      registers: [r],
    });
    this.loginRejections = new client.Counter({
      name: 'login_rejections_total',
      help: 'Refused log-ins: bad_credentials or throttled',
      labelNames: ['reason'],
      registers: [r],
    });
    for (const reason of ['bad_credentials', 'throttled']) this.loginRejections.inc({ reason }, 0);
    const loopDelay = this.loopDelay;
    loopDelay.enable();
    new client.Gauge({
      name: 'event_loop_delay_p99_seconds',
      help: 'p99 event-loop delay since the last scrape',
      registers: [r],
      collect() {
        this.set(loopDelay.percentile(99) / 1e9);
        loopDelay.reset();
      },
    });
    const self = this;
    new client.Gauge({
      name: 'event_loop_utilization_ratio',
      help: 'Event-loop utilization since the last scrape (0..1)',
      registers: [r],
      collect() {
        const now = performance.eventLoopUtilization();
        this.set(performance.eventLoopUtilization(now, self.lastElu).utilization);
        self.lastElu = now;
      },
    });
  }

  permissionCacheLookup(kind: string, hit: boolean): client.Counter.Internal {
    const key = `${kind}:${hit}`;
    let child = this.permissionChildren.get(key);
    if (!child) {
      child = this.permissionCache.labels({ kind, result: hit ? 'hit' : 'miss' });
      this.permissionChildren.set(key, child);
    }
    return child;
  }

  /** Tail-sampling decisions (cumulative counts, read at scrape time). */
  registerTraceSampling(stats: () => TraceSamplingStats | undefined): void {
    const r = this.registry;
    new client.Gauge({
      name: 'trace_tail_sampling_traces',
      help: 'Local traces by tail-sampling outcome since start (kept, dropped, evicted) and pending now',
      labelNames: ['outcome'],
      registers: [r],
      collect() {
        const s = stats();
        if (!s) return;
        this.set({ outcome: 'kept' }, s.keptTraces);
        this.set({ outcome: 'dropped' }, s.droppedTraces);
        this.set({ outcome: 'evicted' }, s.evictedTraces);
        this.set({ outcome: 'pending' }, s.pendingTraces);
      },
    });
  }

  registerPool(name: string, stats: () => PoolStats): void {
    this.pools.set(name, stats);
  }

  close(): void {
    this.loopDelay.disable();
    this.registry.clear();
  }
}
