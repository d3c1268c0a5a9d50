/** RequestLimits on its own (docs/spec/limits.md): the remembered refusal [RL9] and the peak bucket [RL11], with a fake clock and a counting store. */
import { describe, expect, it } from 'vitest';
import { MemoryRateLimitStore } from '../adapters/rate-limit/memory-rate-limit-store.ts';
import type { RatePolicy } from '../domain/rate-limits.ts';
import type { RateLimitStore, Sql } from './ports.ts';
import { RequestLimits } from './request-limits.ts';

/** The shared store as the limiter sees it: GCRA in memory on the test's clock, every call counted. */
class CountingStore implements RateLimitStore {
  calls = 0;
  private readonly inner: MemoryRateLimitStore;
  constructor(now: () => number) {
    this.inner = new MemoryRateLimitStore(now);
  }
  consume(key: string, policy: RatePolicy) {
    this.calls++;
    return this.inner.consume(key, policy);
  }
  take(key: string, policy: RatePolicy, want: number) {
    this.calls++;
    return this.inner.take(key, policy, want);
  }
  close() {
    return this.inner.close();
  }
}

function limiter(perMinute: number, burst = { factor: 1, seconds: 0 }) {
  let time = 1_000_000;
  const now = () => time;
  const store = new CountingStore(now);
  const trips = { n: 0 };
  const limits = new RequestLimits(
    {} as Sql, // never read: these checks name no workspace
    store,
    new MemoryRateLimitStore(now),
    {
      planRates: { free: 100, business: 100, enterprise: 500 },
      burst,
      expensivePerSecond: { search: perMinute / 60, export: 1, image: 1, invite: 1, login: perMinute / 60 },
      planCacheMs: 1_000,
      storeRetryMs: 1_000,
      logEveryMs: 10_000,
      now,
    },
    { decision: () => undefined, degraded: () => undefined, limited: () => undefined, storeCall: () => trips.n++ },
  );
  return { limits, store, trips, advance: (ms: number) => (time += ms) };
}

describe('RequestLimits', () => {
  it('[RL9] a refused bucket is refused without the store until its Retry-After has passed, with the same answer', async () => {
    const { limits, store, advance } = limiter(60); // one log-in a second per address, no burst
    const address = { kind: 'address', ip: '203.0.113.7' } as const;
    expect((await limits.check(address, 'login')).limited).toBeUndefined();
    const first = await limits.check(address, 'login');
    expect(first.limited?.policy.name).toBe('login');
    const callsAtRefusal = store.calls;
    advance(400);
    for (let i = 0; i < 50; i++) {
      const again = await limits.check(address, 'login');
      expect(again.limited?.decision).toMatchObject({ allowed: false, remaining: 0 });
      expect(again.limited?.decision.retryAfterMs).toBe((first.limited?.decision.retryAfterMs ?? 0) - 400);
    }
    expect(store.calls).toBe(callsAtRefusal);
    // Once the wait is over the store decides again, and allows.
    advance(first.limited?.decision.retryAfterMs ?? 0);
    expect((await limits.check(address, 'login')).limited).toBeUndefined();
    expect(store.calls).toBe(callsAtRefusal + 1);
    // Other buckets never waited for this one.
    expect((await limits.check({ kind: 'address', ip: '203.0.113.8' }, 'login')).limited).toBeUndefined();
  });

  it('[RL11] a full burst bucket is let out at the peak rate (factor × rate), decided in process', async () => {
    // Free plan 100 req/s with bursts of 2x for 10 s: a bucket of 1,100, a peak of 200 a second.
    const { limits, store, trips, advance } = limiter(60, { factor: 2, seconds: 10 });
    const user = { kind: 'user', userId: 'u1' } as const;
    const statuses: boolean[] = [];
    for (let i = 0; i < 300; i++) statuses.push((await limits.check(user)).limited === undefined);
    expect(statuses.filter(Boolean)).toHaveLength(200);
    const refused = await limits.check(user);
    expect(refused.limited?.policy).toEqual({ name: 'user-peak', ratePerSecond: 200, burst: 200 });
    // Only allowed-by-peak requests reached the shared store.
    expect(store.calls).toBe(200);
    // Without leases every store call is one round trip in rate_limit_store_round_trips_total.
    expect(trips.n).toBe(200);
    // A second later the peak has refilled; the burst bucket still holds most of its 1,100.
    advance(1_000);
    let allowed = 0;
    for (let i = 0; i < 300; i++) if ((await limits.check(user)).limited === undefined) allowed++;
    expect(allowed).toBe(200);
    const ok = await limits.check({ kind: 'user', userId: 'u2' });
    expect(ok.decided.map((d) => d.policy.name)).toEqual(['user-peak', 'user']);
  });
});
