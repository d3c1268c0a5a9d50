/**
 * In-process GCRA buckets: the limiter of the embedded default, and every instance's fallback
 * while Redis is away (then limits hold per instance). Keys whose bucket is full again are swept.
 */
import type { RateLimitStore } from '../../app/ports.ts';
import { decide, grant, type RateDecision, type RateGrant, type RatePolicy } from '../../domain/rate-limits.ts';

const SWEEP_INTERVAL_MS = 10_000;

export class MemoryRateLimitStore implements RateLimitStore {
  /** key → theoretical arrival time (ms). */
  private readonly tats = new Map<string, number>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  /** A key whose arrival time has passed is a full bucket: the same as no key at all. */
  sweep(): void {
    const t = this.now();
    for (const [key, tat] of this.tats) if (tat <= t) this.tats.delete(key);
  }

  get size(): number {
    return this.tats.size;
  }

  async consume(key: string, policy: RatePolicy): Promise<RateDecision> {
    const d = decide(this.tats.get(key), this.now(), policy);
    if (d.allowed) this.tats.set(key, d.tatMs);
    return { allowed: d.allowed, remaining: d.remaining, resetMs: d.resetMs, retryAfterMs: d.retryAfterMs };
  }

  async take(key: string, policy: RatePolicy, want: number): Promise<RateGrant> {
    const g = grant(this.tats.get(key), this.now(), policy, want);
    if (g.allowed) this.tats.set(key, g.tatMs);
    return {
      allowed: g.allowed,
      granted: g.granted,
      remaining: g.remaining,
      resetMs: g.resetMs,
      retryAfterMs: g.retryAfterMs,
    };
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.tats.clear();
  }
}
