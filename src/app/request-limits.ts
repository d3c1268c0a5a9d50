/**
 * Per-tenant request limits (ARCHITECTURE §6): every API request counts against its workspace's
 * bucket (plan rate or operator override) or, outside a workspace, its user's; expensive
 * operations also count against a tighter bucket of their own per user (per address before
 * log-in). Decisions come from the shared store (Redis) and, when it fails, from this instance's
 * in-process buckets: limits then hold per instance — never "no limit", never "everything 503".
 *
 * A refusal is remembered until its Retry-After has passed [RL9]: a bucket that refused cannot
 * allow anything sooner (GCRA refusals change nothing, and other instances only spend it further),
 * so a flooding tenant's further requests are refused here without a round trip to the store —
 * the flood costs the instance as little as possible, and the store not at all.
 *
 * Allowed requests spend tokens this instance leased from the shared bucket [RL12] when the
 * bucket is fast enough to lease (src/app/rate-leases.ts): a round trip to the store per lease,
 * not per request.
 *
 * Workspace and user buckets also have a peak bucket [RL11] (the burst factor × the rate, one
 * second deep) kept in process: it spreads a burst over time on the instance that serves it, so
 * a full bucket cannot land on one instance at once, and costs no round trip to the store.
 */
import { LRUCache } from 'lru-cache';
import {
  type BurstShape,
  burstPolicy,
  type PlanRates,
  peakPolicy,
  type RateDecision,
  type RatePolicy,
  workspacePolicy,
} from '../domain/rate-limits.ts';
import type { Plan } from '../domain/roles.ts';
import type { RateLimitStore, Sql } from './ports.ts';
import { type LeaseOptions, RateLeases } from './rate-leases.ts';

/** Operations with a bucket of their own on top of the workspace's. */
export type ExpensiveOperation = 'search' | 'export' | 'image' | 'invite' | 'login';

export type RequestLimitsOptions = {
  planRates: PlanRates;
  burst: BurstShape;
  /** Sustained rate per second of each expensive operation, per user (login: per address). */
  expensivePerSecond: Record<ExpensiveOperation, number>;
  /** How long a workspace's plan and override are trusted before being read again. */
  planCacheMs: number;
  /** While the shared store fails, it is tried again at most this often. */
  storeRetryMs: number;
  /** At most one "limited" log line per bucket per this period. */
  logEveryMs: number;
  /** Leases of the shared buckets [RL12]; absent: every request asks the store. */
  lease?: LeaseOptions;
  /** The clock (tests inject one); Date.now by default. */
  now?: () => number;
};

export type LimitSubject =
  | { kind: 'workspace'; workspaceId: string; userId: string }
  | { kind: 'user'; userId: string }
  | { kind: 'address'; ip: string };

export type Decided = { policy: RatePolicy; decision: RateDecision };
export type LimitOutcome = {
  /** Every bucket this request was counted against, in the order checked. */
  decided: Decided[];
  /** The first bucket that refused it, if any. */
  limited?: Decided;
};

export type RequestLimitsObserver = {
  decision(outcome: 'allowed' | 'limited', plan: string, scope: string, fallback: boolean): void;
  degraded(on: boolean, err?: unknown): void;
  /** One call to the shared store (a decision or a lease). */
  storeCall?(): void;
  limited(event: { scope: string; plan: string; subject: string; limitPerSecond: number; suppressed: number }): void;
};

/** A workspace's plan and override, with the policy they make (one object per cached row). */
type PlanRow = { plan: Plan; override: number | null; policy: RatePolicy; peak: RatePolicy | undefined };
const MAX_LOGGED_BUCKETS = 10_000;
/** Buckets whose refusal is remembered at once; a flood of distinct keys evicts the oldest. */
const MAX_REFUSED_BUCKETS = 10_000;

/** A remembered refusal: clock times until which nothing is allowed, and the bucket is full again. */
type Refusal = { retryAt: number; resetAt: number };

export class RequestLimits {
  private readonly store: RateLimitStore | undefined;
  private readonly leases: RateLeases | undefined;
  private readonly fallback: RateLimitStore;
  private readonly db: Sql;
  private readonly opts: RequestLimitsOptions;
  private readonly observer: RequestLimitsObserver;
  private readonly plans: LRUCache<string, PlanRow>;
  private readonly loads = new Map<string, Promise<PlanRow | undefined>>();
  /** Per bucket: until when further "limited" lines are held back, and how many were. */
  private readonly logged = new Map<string, { until: number; suppressed: number }>();
  private readonly expensive: Record<ExpensiveOperation, RatePolicy>;
  /** Outside any workspace a user gets the free plan's rate. */
  private readonly userPolicy: RatePolicy;
  private readonly userPeak: RatePolicy | undefined;
  /** Refusals still in force, per bucket key [RL9]. */
  private readonly refused: LRUCache<string, Refusal>;
  private readonly now: () => number;
  private skipStoreUntil = 0;
  private degradedNow = false;

  /** `store` undefined: the in-process buckets are the limiter (embedded default). */
  constructor(
    db: Sql,
    store: RateLimitStore | undefined,
    fallback: RateLimitStore,
    opts: RequestLimitsOptions,
    observer: RequestLimitsObserver,
  ) {
    this.db = db;
    this.store = store;
    this.fallback = fallback;
    this.opts = opts;
    this.observer = observer;
    this.now = opts.now ?? Date.now;
    this.leases =
      store && opts.lease && opts.lease.maxTokens > 1
        ? new RateLeases(store, opts.lease, this.now, () => observer.storeCall?.())
        : undefined;
    this.plans = new LRUCache({ max: 100_000, ttl: Math.max(1, opts.planCacheMs) });
    this.refused = new LRUCache({ max: MAX_REFUSED_BUCKETS });
    this.userPolicy = burstPolicy('user', opts.planRates.free, opts.burst);
    this.userPeak = peakPolicy(this.userPolicy, opts.burst.factor);
    this.expensive = Object.fromEntries(
      Object.entries(opts.expensivePerSecond).map(([op, rate]) => [op, burstPolicy(op, rate, opts.burst)]),
    ) as Record<ExpensiveOperation, RatePolicy>;
  }

  get degraded(): boolean {
    return this.degradedNow;
  }

  /** Forgets a workspace's cached plan (after an operator changed it on this instance). */
  forgetPlan(workspaceId: string): void {
    this.plans.delete(workspaceId);
  }

  /** Counts one request against its buckets; stops at the first that refuses it. */
  async check(subject: LimitSubject, operation?: ExpensiveOperation): Promise<LimitOutcome> {
    const buckets: Array<{ key: string; policy: RatePolicy; plan: string; label: string; local?: boolean }> = [];
    if (subject.kind === 'workspace') {
      const row = await this.planOf(subject.workspaceId);
      if (row) {
        if (row.peak) {
          buckets.push({
            key: `peak:ws:${subject.workspaceId}`,
            policy: row.peak,
            plan: row.plan,
            label: subject.workspaceId,
            local: true,
          });
        }
        buckets.push({
          key: `ws:${subject.workspaceId}`,
          policy: row.policy,
          plan: row.plan,
          label: subject.workspaceId,
        });
      }
    }
    if (subject.kind === 'user' || (subject.kind === 'workspace' && buckets.length === 0)) {
      if (this.userPeak) {
        buckets.push({
          key: `peak:user:${subject.userId}`,
          policy: this.userPeak,
          plan: 'none',
          label: subject.userId,
          local: true,
        });
      }
      buckets.push({
        key: `user:${subject.userId}`,
        policy: this.userPolicy,
        plan: 'none',
        label: subject.userId,
      });
    }
    if (operation) {
      const who = subject.kind === 'address' ? subject.ip : subject.userId;
      buckets.push({
        key: `${operation}:${who}`,
        policy: this.expensive[operation],
        plan: buckets[0]?.plan ?? 'none',
        label: who,
      });
    }
    const decided: Decided[] = [];
    for (const b of buckets) {
      const { decision, fallback } = await this.consume(b.key, b.policy, b.local === true);
      decided.push({ policy: b.policy, decision });
      this.observer.decision(decision.allowed ? 'allowed' : 'limited', b.plan, b.policy.name, fallback);
      if (!decision.allowed) {
        this.noteLimited(b.key, b.policy, b.plan, b.label);
        return { decided, limited: { policy: b.policy, decision } };
      }
    }
    return { decided };
  }

  /** `local`: decided in process only (peak buckets), never by the shared store. */
  private async consume(
    key: string,
    policy: RatePolicy,
    local: boolean,
  ): Promise<{ decision: RateDecision; fallback: boolean }> {
    const now = this.now();
    const refusal = this.refused.get(key);
    if (refusal && now < refusal.retryAt) {
      return {
        decision: { allowed: false, remaining: 0, retryAfterMs: refusal.retryAt - now, resetMs: refusal.resetAt - now },
        fallback: this.degradedNow,
      };
    }
    const decided = local
      ? { decision: await this.fallback.consume(key, policy), fallback: false }
      : await this.decide(key, policy);
    if (decided.decision.allowed) {
      if (refusal) this.refused.delete(key);
    } else {
      const { retryAfterMs, resetMs } = decided.decision;
      this.refused.set(key, { retryAt: now + retryAfterMs, resetAt: now + resetMs });
    }
    return decided;
  }

  private async decide(key: string, policy: RatePolicy): Promise<{ decision: RateDecision; fallback: boolean }> {
    if (!this.store) return { decision: await this.fallback.consume(key, policy), fallback: false };
    if (this.now() >= this.skipStoreUntil) {
      try {
        if (!this.leases) this.observer.storeCall?.();
        const decision = this.leases ? await this.leases.consume(key, policy) : await this.store.consume(key, policy);
        if (this.degradedNow) {
          this.degradedNow = false;
          this.observer.degraded(false);
        }
        return { decision, fallback: false };
      } catch (err) {
        this.skipStoreUntil = this.now() + this.opts.storeRetryMs;
        if (!this.degradedNow) {
          this.degradedNow = true;
          this.observer.degraded(true, err);
        }
      }
    }
    return { decision: await this.fallback.consume(key, policy), fallback: true };
  }

  /** One warn line per bucket per period, saying how many more were refused meanwhile. */
  private noteLimited(key: string, policy: RatePolicy, plan: string, subject: string): void {
    const now = this.now();
    const seen = this.logged.get(key);
    if (seen && now < seen.until) {
      seen.suppressed++;
      return;
    }
    // Bounded: a flood of distinct keys forgets old periods rather than grow without end.
    if (this.logged.size >= MAX_LOGGED_BUCKETS) this.logged.clear();
    this.logged.set(key, { until: now + this.opts.logEveryMs, suppressed: 0 });
    const suppressed = seen?.suppressed ?? 0;
    this.observer.limited({ scope: policy.name, plan, subject, limitPerSecond: policy.ratePerSecond, suppressed });
  }

  private async planOf(workspaceId: string): Promise<PlanRow | undefined> {
    const cached = this.plans.get(workspaceId);
    if (cached) return cached;
    let load = this.loads.get(workspaceId);
    if (!load) {
      load = this.db
        .selectFrom('workspaces')
        .select(['plan', 'rate_limit_per_second'])
        .where('id', '=', workspaceId)
        .executeTakeFirst()
        .then((r) => {
          if (!r) return undefined;
          const policy = workspacePolicy(r.plan, r.rate_limit_per_second, this.opts.planRates, this.opts.burst);
          const row = {
            plan: r.plan,
            override: r.rate_limit_per_second,
            policy,
            peak: peakPolicy(policy, this.opts.burst.factor),
          };
          this.plans.set(workspaceId, row);
          return row;
        })
        .finally(() => this.loads.delete(workspaceId));
      this.loads.set(workspaceId, load);
    }
    return load;
  }
}
