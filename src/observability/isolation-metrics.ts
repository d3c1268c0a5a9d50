/**
 * Metrics of tenant isolation: request-rate decisions per scope and plan (what the
 * `RateLimitedTenant` alert and dashboards read), whether the limiter runs on its per-instance
 * fallback, idempotency-key outcomes, and operator plan changes.
 */
import client from 'prom-client';

export type RateLimitOutcome = 'allowed' | 'limited';
/** Which limit decided: the workspace's, a caller's without one, or an expensive operation's. */
export type RateLimitScope = string;
export type IdempotencyOutcome = 'executed' | 'replayed' | 'mismatch' | 'in_progress';

export class IsolationMetrics {
  private readonly decisions: client.Counter<'outcome' | 'plan' | 'scope'>;
  private readonly decisionChildren = new Map<string, client.Counter.Internal>();
  private readonly fallbackDecisions: client.Counter;
  readonly degraded: client.Gauge;
  /** Round trips to the shared store: one per decision without a lease, one per lease [RL12]. */
  readonly storeRoundTrips: client.Counter;
  private readonly idempotency: client.Counter<'outcome'>;
  readonly planChanges: client.Counter<'plan'>;
  readonly counterFallbacks: client.Counter;

  constructor(registry: client.Registry) {
    const registers = [registry];
    this.decisions = new client.Counter({
      name: 'rate_limit_decisions_total',
      help: 'Request-rate limit decisions by outcome (allowed, limited), scope (workspace, user, search, export, invite, signup, login) and workspace plan ("none" outside a workspace)',
      labelNames: ['outcome', 'plan', 'scope'],
      registers,
    });
    this.fallbackDecisions = new client.Counter({
      name: 'rate_limit_fallback_decisions_total',
      help: 'Decisions taken by the per-instance fallback limiter because the shared store (Redis) failed',
      registers,
    });
    this.storeRoundTrips = new client.Counter({
      name: 'rate_limit_store_round_trips_total',
      help: 'Calls to the shared rate-limit store (Redis): each decides one request or leases several (RATE_LIMIT_LEASE_MAX); compare with rate_limit_decisions_total',
      registers,
    });
    this.degraded = new client.Gauge({
      name: 'rate_limit_degraded',
      help: '1 while this instance limits per instance because the shared store (Redis) is unavailable',
      registers,
    });
    this.idempotency = new client.Counter({
      name: 'idempotency_requests_total',
      help: 'Requests with an Idempotency-Key by outcome (executed, replayed, mismatch = 422, in_progress = 409)',
      labelNames: ['outcome'],
      registers,
    });
    this.counterFallbacks = new client.Counter({
      name: 'abuse_counter_fallbacks_total',
      help: 'Log-in and sign-up throttle counts kept in process because the shared store (Redis) failed',
      registers,
    });
    this.planChanges = new client.Counter({
      name: 'workspace_plan_changes_total',
      help: 'Plans set by the operator (API or CLI seen by this process), by new plan',
      labelNames: ['plan'],
      registers,
    });
  }

  /** Hot path: one pre-bound child per label set, no label hashing per request. */
  decision(outcome: RateLimitOutcome, plan: string, scope: RateLimitScope, fallback: boolean): void {
    const id = `${outcome}|${plan}|${scope}`;
    let child = this.decisionChildren.get(id);
    if (!child) {
      child = this.decisions.labels({ outcome, plan, scope });
      this.decisionChildren.set(id, child);
    }
    child.inc();
    if (fallback) this.fallbackDecisions.inc();
  }

  idempotencyOutcome(outcome: IdempotencyOutcome): void {
    this.idempotency.inc({ outcome });
  }
}
