/**
 * Leased tokens of shared rate-limit buckets [RL12]: an instance takes several requests at once
 * from a fleet-wide bucket (one Redis script) and spends them in process, so an allowed request
 * does not pay a round trip to the store every time. Tokens are taken from the shared bucket
 * before they are spent, so the fleet never admits more than the bucket; what a lease costs is
 * reservation: at most 2 × the lease size per instance per bucket (the lease and one refill taken
 * ahead), alive at most `ms`, and tokens a lease does not spend before it expires are not given
 * back (a tenant at its limit may be admitted slightly less than its rate, never more).
 *
 * A lease is at most `rate × ms` requests and `maxTokens`, so a slow bucket (a few requests a
 * second: search, export, log-in) is still decided request by request. Its size adapts to the
 * demand seen on this instance: it starts at one, doubles while leases run out before they
 * expire, and shrinks to what the last one spent — an idle tenant reserves almost nothing.
 * Hand-written: rate-limiter libraries decide per request (no leases) or count fixed windows.
 */
import { LRUCache } from 'lru-cache';
import type { RateDecision, RateGrant, RatePolicy } from '../domain/rate-limits.ts';
import type { RateLimitStore } from './ports.ts';

export type LeaseOptions = {
  /** Most requests one lease holds (1: no leases, every request asks the store). */
  maxTokens: number;
  /** A lease's lifetime, and with the rate its size: at most rate × ms / 1000 requests. */
  ms: number;
};

/** Counts every call to the shared store (a metric). */
export type StoreCallCounter = () => void;

type Lease = {
  tokens: number;
  /** Requests this lease was taken for, and how many of them it has spent. */
  size: number;
  used: number;
  expiresAt: number;
  /** What the store said was left in the bucket, and when it is full again (clock time). */
  remaining: number;
  resetAt: number;
};

type Pending = { grant: Promise<RateGrant>; waiters: number };

/** Buckets with a lease on one instance; a flood of distinct keys evicts the oldest. */
const MAX_LEASES = 10_000;

export class RateLeases {
  private readonly store: RateLimitStore;
  private readonly opts: LeaseOptions;
  private readonly now: () => number;
  private readonly leases = new LRUCache<string, Lease>({ max: MAX_LEASES });
  /** A fetch in flight per bucket: others wait for it rather than fetch beside it. */
  private readonly fetching = new Map<string, Pending>();
  /** Refills taken ahead of need, per bucket. */
  private readonly refilling = new Set<string>();

  private readonly counted: StoreCallCounter;

  constructor(
    store: RateLimitStore,
    opts: LeaseOptions,
    now: () => number,
    counted: StoreCallCounter = () => undefined,
  ) {
    this.store = store;
    this.counted = counted;
    this.opts = opts;
    this.now = now;
  }

  /** The most requests one lease of `policy` may hold. */
  cap(policy: RatePolicy): number {
    return Math.max(1, Math.min(this.opts.maxTokens, Math.floor((policy.ratePerSecond * this.opts.ms) / 1000)));
  }

  /** Decides one request: from this instance's lease when it holds one, else from the store. Rejects when the store fails. */
  async consume(key: string, policy: RatePolicy): Promise<RateDecision> {
    const cap = this.cap(policy);
    if (cap <= 1) {
      this.counted();
      return this.store.consume(key, policy);
    }
    let waited = 0;
    for (;;) {
      const now = this.now();
      const lease = this.leases.get(key);
      if (lease && lease.tokens > 0 && now < lease.expiresAt) {
        lease.tokens--;
        lease.used++;
        if (lease.tokens * 4 <= lease.size && lease.size > 1) this.refillAhead(key, policy, lease);
        return {
          allowed: true,
          remaining: lease.remaining + lease.tokens,
          resetMs: Math.max(0, lease.resetAt - now),
          retryAfterMs: 0,
        };
      }
      const pending = this.fetching.get(key);
      if (pending) {
        pending.waiters++;
        const grant = await pending.grant;
        // A refusal answers everyone who waited for it; a grant may have been spent by others.
        if (!grant.allowed) return this.refusal(grant);
        waited = Math.max(waited, pending.waiters);
        continue;
      }
      // Run out before it expired: demand outgrew the lease. Expired unspent: it was too large.
      const size = !lease
        ? 1 + waited
        : lease.tokens === 0 && now < lease.expiresAt
          ? Math.max(lease.size * 2, 1 + waited)
          : Math.max(lease.used, 1 + waited);
      const want = Math.min(cap, size);
      this.counted();
      const entry: Pending = { grant: this.store.take(key, policy, want), waiters: 0 };
      this.fetching.set(key, entry);
      let grant: RateGrant;
      try {
        grant = await entry.grant;
      } finally {
        this.fetching.delete(key);
      }
      if (!grant.allowed) return this.refusal(grant);
      const credited = this.credit(key, grant, want, 1);
      return { allowed: true, remaining: grant.remaining + credited.tokens, resetMs: grant.resetMs, retryAfterMs: 0 };
    }
  }

  /** Forgets every lease (tests; a store that failed gets no credit for what it granted before). */
  clear(): void {
    this.leases.clear();
  }

  /** Takes the next lease while this one still has a quarter left, so requests rarely wait for the store. */
  private refillAhead(key: string, policy: RatePolicy, lease: Lease): void {
    if (this.refilling.has(key) || this.fetching.has(key)) return;
    this.refilling.add(key);
    const want = Math.min(this.cap(policy), lease.size * 2);
    this.counted();
    this.store
      .take(key, policy, want)
      .then((grant) => {
        if (grant.allowed) this.credit(key, grant, want, 0);
      })
      // A failed refill changes nothing: the next request that finds no tokens asks the store and
      // meets the failure itself (then the in-process fallback decides).
      .catch(() => undefined)
      .finally(() => this.refilling.delete(key));
  }

  /**
   * Adds a grant to the bucket's lease, `spent` of it already used by the request that asked.
   * Unspent tokens of a live lease are carried over: a refill and a fetch may land in either order.
   */
  private credit(key: string, grant: RateGrant, size: number, spent: number): Lease {
    const at = this.now();
    const current = this.leases.get(key);
    const carried = current && at < current.expiresAt ? current.tokens : 0;
    const lease: Lease = {
      tokens: carried + grant.granted - spent,
      size,
      used: spent,
      expiresAt: at + this.opts.ms,
      remaining: grant.remaining,
      resetAt: at + grant.resetMs,
    };
    this.leases.set(key, lease);
    return lease;
  }

  private refusal(grant: RateGrant): RateDecision {
    return { allowed: false, remaining: 0, resetMs: grant.resetMs, retryAfterMs: grant.retryAfterMs };
  }
}
