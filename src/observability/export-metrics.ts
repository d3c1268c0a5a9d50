/**
 * Metrics of the export pipeline. Queue depth (`export_jobs_queued`, what the worker autoscaler
 * reads) and the fleet-wide running count come from the database at scrape time (cached for a
 * second); everything else is counted where it happens. It fits the export worker's ExportObserver
 * port structurally (the wiring hands it over as one); observability imports no subsystem.
 */
import client from 'prom-client';

const ATTEMPT_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const BREAKER_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;
const QUEUE_SNAPSHOT_TTL_MS = 1_000;

export type BreakerState = keyof typeof BREAKER_VALUE;
export type QueueDepth = { queued: number; running: number; dead: number; oldestDueSeconds: number };

export type ExportGauges = {
  /** Fleet-wide queued and running jobs (a database query); absent where no worker runs. */
  queueDepth?: () => Promise<QueueDepth>;
  /** Jobs this process is running now. */
  inFlight?: () => number;
  /** The external renderer's breaker; absent when none is configured. */
  breakerState?: () => BreakerState;
};

export class ExportMetrics {
  readonly requested: client.Counter<'format' | 'comments'>;
  readonly quotaRejections: client.Counter<'plan'>;
  private readonly outcomes: client.Counter<'outcome' | 'format'>;
  private readonly deadLetters: client.Counter<'reason'>;
  private readonly attemptDuration: client.Histogram<'format' | 'outcome'>;
  private readonly webhooks: client.Counter<'result'>;
  private readonly expired: client.Counter;
  private readonly loopErrors: client.Counter<'loop'>;
  private snapshot: { at: number; value: Promise<QueueDepth> } | undefined;
  private lastDepth: QueueDepth = { queued: 0, running: 0, dead: 0, oldestDueSeconds: 0 };

  constructor(registry: client.Registry, gauges: ExportGauges = {}) {
    const registers = [registry];
    this.requested = new client.Counter({
      name: 'export_jobs_requested_total',
      help: 'Export jobs accepted (202), by format and the comment threads asked for (none, open, all)',
      labelNames: ['format', 'comments'],
      registers,
    });
    this.quotaRejections = new client.Counter({
      name: 'export_quota_rejections_total',
      help: 'Export requests refused with 429 because the monthly quota was used up, by plan',
      labelNames: ['plan'],
      registers,
    });
    this.outcomes = new client.Counter({
      name: 'export_job_attempts_total',
      help: 'Finished export attempts by outcome (succeeded, retry, failed, dead, superseded, released)',
      labelNames: ['outcome', 'format'],
      registers,
    });
    this.deadLetters = new client.Counter({
      name: 'export_jobs_dead_lettered_total',
      help: 'Export jobs moved to the dead-letter queue, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.attemptDuration = new client.Histogram({
      name: 'export_attempt_duration_seconds',
      help: 'Time from claim to recorded result of one export attempt',
      labelNames: ['format', 'outcome'],
      buckets: ATTEMPT_BUCKETS,
      registers,
    });
    this.webhooks = new client.Counter({
      name: 'export_webhook_deliveries_total',
      help: 'Webhook POST attempts by result (delivered, retry, failed)',
      labelNames: ['result'],
      registers,
    });
    this.expired = new client.Counter({
      name: 'export_files_expired_total',
      help: 'Export files deleted after their retention time',
      registers,
    });
    this.loopErrors = new client.Counter({
      name: 'export_loop_errors_total',
      help: 'Errors of the export background loops (claim, webhook, cleanup), e.g. database unavailable',
      labelNames: ['loop'],
      registers,
    });
    for (const loop of ['claim', 'webhook', 'cleanup']) this.loopErrors.inc({ loop }, 0);
    for (const reason of ['retries_exhausted', 'permanent_error', 'lease_expired']) this.deadLetters.inc({ reason }, 0);
    const { queueDepth, inFlight, breakerState } = gauges;
    if (queueDepth) {
      const depth = () => this.queueDepth(queueDepth);
      new client.Gauge({
        name: 'export_jobs_queued',
        help: 'Export jobs waiting for a worker (including those waiting out a retry backoff), fleet-wide',
        registers,
        async collect() {
          this.set((await depth()).queued);
        },
      });
      new client.Gauge({
        name: 'export_jobs_dead',
        help: 'Export jobs in the dead-letter queue (retries exhausted or permanent errors), fleet-wide',
        registers,
        async collect() {
          this.set((await depth()).dead);
        },
      });
      new client.Gauge({
        name: 'export_queue_oldest_due_seconds',
        help: 'How long the oldest queued job that is due (not backing off) has waited for a worker, fleet-wide',
        registers,
        async collect() {
          this.set((await depth()).oldestDueSeconds);
        },
      });
      new client.Gauge({
        name: 'export_jobs_running',
        help: 'Export jobs being rendered now, fleet-wide',
        registers,
        async collect() {
          this.set((await depth()).running);
        },
      });
    }
    if (inFlight) {
      new client.Gauge({
        name: 'export_worker_jobs_in_flight',
        help: 'Export jobs this process is running now',
        registers,
        collect() {
          this.set(inFlight());
        },
      });
    }
    if (breakerState) {
      new client.Gauge({
        name: 'export_renderer_breaker_state',
        help: 'External renderer circuit breaker: 0 closed, 1 half-open, 2 open',
        registers,
        collect() {
          this.set(BREAKER_VALUE[breakerState()]);
        },
      });
    }
  }

  /**
   * One database query per second at most, however many scrapers ask. A failed query keeps the
   * last known value (and counts a loop error): one slow pool must not fail the whole scrape.
   */
  private queueDepth(load: () => Promise<QueueDepth>): Promise<QueueDepth> {
    const now = Date.now();
    if (!this.snapshot || now - this.snapshot.at > QUEUE_SNAPSHOT_TTL_MS) {
      const value = load().then(
        (depth) => {
          this.lastDepth = depth;
          return depth;
        },
        () => {
          this.loopErrors.inc({ loop: 'claim' });
          return this.lastDepth;
        },
      );
      this.snapshot = { at: now, value };
    }
    return this.snapshot.value;
  }

  attemptFinished(format: string, outcome: string, seconds: number): void {
    this.outcomes.inc({ outcome, format });
    this.attemptDuration.observe({ format, outcome }, seconds);
  }

  deadLettered(reason: string, count = 1): void {
    this.deadLetters.inc({ reason }, count);
  }

  webhookAttempt(result: 'delivered' | 'retry' | 'failed'): void {
    this.webhooks.inc({ result });
  }

  filesExpired(count: number): void {
    this.expired.inc(count);
  }

  loopError(loop: 'claim' | 'webhook' | 'cleanup'): void {
    this.loopErrors.inc({ loop });
  }
}
