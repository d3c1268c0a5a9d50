/** The Prometheus registry and every metric the process exports, created once per app instance. */
import { performance } from 'node:perf_hooks';
import client from 'prom-client';

/** Latency buckets (seconds); 0.2 s is a boundary so the 200 ms SLO is measured exactly. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5, 10];

/** How often the loop-delay timer fires; its lateness is one observation. */
const LOOP_SAMPLE_MS = 50;
const LOOP_DELAY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * A timer due every LOOP_SAMPLE_MS observes how late it ran. (perf_hooks' monitorEventLoopDelay
 * gives percentiles that only mean something if reset per scrape; a histogram of samples stays
 * cumulative.) Unref'd: it never keeps the process alive.
 */
function sampleLoopDelay(histogram: client.Histogram): NodeJS.Timeout {
  let due = performance.now() + LOOP_SAMPLE_MS;
  const timer = setInterval(() => {
    const now = performance.now();
    histogram.observe(Math.max(0, now - due) / 1000);
    due = now + LOOP_SAMPLE_MS;
  }, LOOP_SAMPLE_MS);
  timer.unref();
  return timer;
}

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
  /** Document rows served from memory (hit) or read from the database (miss) [P4.1]. */
  readonly documentCacheHit: client.Counter.Internal;
  readonly documentCacheMiss: client.Counter.Internal;
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
  readonly refreshTokenReuse: client.Counter;
  private readonly pools = new Map<string, () => PoolStats>();
  private readonly loopDelay: client.Histogram;
  private readonly loopSampler: NodeJS.Timeout;

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
    const documentCache = new client.Counter({
      name: 'document_cache_lookups_total',
      help: 'Document row cache lookups (GET /documents/:id) by hit/miss',
      labelNames: ['result'],
      registers: [r],
    });
    this.documentCacheHit = documentCache.labels({ result: 'hit' });
    this.documentCacheMiss = documentCache.labels({ result: 'miss' });
    for (const result of ['hit', 'miss']) documentCache.inc({ result }, 0);
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
    this.refreshTokenReuse = new client.Counter({
      name: 'auth_refresh_token_reuse_total',
      help: 'Rotated refresh tokens presented again (a stolen or replayed token); each revokes its session family',
      registers: [r],
    });
    this.refreshTokenReuse.inc(0);
    // Event-loop health as monotonic series, so any number of Prometheus servers (HA pairs) and
    // any rate() window read the same thing. Gauges that reset at each scrape ("since the last
    // scrape") give each scraper half the story when two scrape one process.
    this.loopDelay = new client.Histogram({
      name: 'event_loop_delay_seconds',
      help: `Event-loop delay: lateness of a timer due every ${LOOP_SAMPLE_MS} ms (one observation per timer)`,
      buckets: LOOP_DELAY_BUCKETS,
      registers: [r],
    });
    this.loopSampler = sampleLoopDelay(this.loopDelay);
    let lastElu = performance.eventLoopUtilization();
    const loopActive = new client.Counter({
      name: 'event_loop_active_seconds_total',
      help: 'Time the event loop spent busy (not waiting for I/O); rate() of it is the utilization, 0..1',
      registers: [r],
      collect() {
        const now = performance.eventLoopUtilization();
        loopActive.inc(Math.max(0, (now.active - lastElu.active) / 1000));
        lastElu = now;
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

  /** Tail-sampling decisions: running totals turned into counters at scrape time, plus what is pending now. */
  registerTraceSampling(stats: () => TraceSamplingStats | undefined): void {
    const r = this.registry;
    const reported = { kept: 0, dropped: 0, evicted: 0 };
    const traces = new client.Counter({
      name: 'trace_tail_sampling_traces_total',
      help: 'Local traces by tail-sampling outcome (kept, dropped, evicted)',
      labelNames: ['outcome'],
      registers: [r],
      collect() {
        const s = stats();
        if (!s) return;
        const now = { kept: s.keptTraces, dropped: s.droppedTraces, evicted: s.evictedTraces };
        for (const outcome of ['kept', 'dropped', 'evicted'] as const) {
          traces.inc({ outcome }, Math.max(0, now[outcome] - reported[outcome]));
          reported[outcome] = now[outcome];
        }
      },
    });
    new client.Gauge({
      name: 'trace_tail_sampling_pending_traces',
      help: 'Local traces waiting for their tail-sampling decision',
      registers: [r],
      collect() {
        const s = stats();
        if (s) this.set(s.pendingTraces);
      },
    });
  }

  registerPool(name: string, stats: () => PoolStats): void {
    this.pools.set(name, stats);
  }

  close(): void {
    clearInterval(this.loopSampler);
    this.registry.clear();
  }
}
