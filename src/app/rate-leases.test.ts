/** Leased tokens of shared buckets [RL12] on a fake clock: what the fleet admits, and how often the store is asked. */
import { describe, expect, it } from 'vitest';
import { MemoryRateLimitStore } from '../adapters/rate-limit/memory-rate-limit-store.ts';
import type { RatePolicy } from '../domain/rate-limits.ts';
import type { RateLimitStore, Sql } from './ports.ts';
import { RateLeases } from './rate-leases.ts';
import { RequestLimits } from './request-limits.ts';

/** The shared store as instances see it: GCRA in memory on the test's clock, every call counted. */
class CountingStore implements RateLimitStore {
  calls = 0;
  failing = false;
  /** Event-loop turns each lease's answer takes. */
  latencyTicks = 0;
  private readonly inner: MemoryRateLimitStore;
  constructor(now: () => number) {
    this.inner = new MemoryRateLimitStore(now);
  }
  consume(key: string, policy: RatePolicy) {
    this.calls++;
    if (this.failing) return Promise.reject(new Error('store down'));
    return this.inner.consume(key, policy);
  }
  async take(key: string, policy: RatePolicy, want: number) {
    this.calls++;
    if (this.failing) throw new Error('store down');
    const grant = await this.inner.take(key, policy, want);
    // A round trip: the answer arrives after other requests have run (as Redis's would).
    for (let i = 0; i < this.latencyTicks; i++) await new Promise((r) => setImmediate(r));
    return grant;
  }
  close() {
    return this.inner.close();
  }
}

function fleet(instances: number, lease = { maxTokens: 32, ms: 100 }) {
  let time = 1_000_000;
  const now = () => time;
  const store = new CountingStore(now);
  const members = Array.from({ length: instances }, () => new RateLeases(store, lease, now));
  return { store, members, advance: (ms: number) => (time += ms) };
}

const busy: RatePolicy = { name: 'workspace', ratePerSecond: 1_000, burst: 500 };

describe('RateLeases [RL12]', () => {
  it('[RL12] two instances sharing a bucket admit no more than the bucket, asking the store far less than once per request', async () => {
    const { store, members } = fleet(2);
    let allowed = 0;
    // The clock stands still: the bucket (500) is all there is to admit.
    for (let i = 0; i < 500; i++) {
      if ((await members[i % 2]?.consume('ws:a', busy))?.allowed) allowed++;
    }
    // Leases of 1, 2, 4 … 32 per instance: a few dozen round trips for 500 requests.
    expect(store.calls).toBeLessThan(60);
    for (let i = 0; i < 500; i++) {
      if ((await members[i % 2]?.consume('ws:a', busy))?.allowed) allowed++;
    }
    expect(allowed).toBeLessThanOrEqual(500);
    // What a lease holds but never spends is lost: at most two leases of 32 per instance.
    expect(allowed).toBeGreaterThanOrEqual(500 - 2 * 2 * 32);
  });

  it('[RL12] a steady flow under the rate is admitted whole through leases', async () => {
    const { store, members, advance } = fleet(1);
    const policy: RatePolicy = { name: 'workspace', ratePerSecond: 100, burst: 100 };
    // 80 req/s for 10 s, one every 12.5 ms: leases of up to 10 (100 ms of the rate).
    let allowed = 0;
    for (let i = 0; i < 800; i++) {
      advance(12.5);
      if ((await members[0]?.consume('ws:b', policy))?.allowed) allowed++;
    }
    expect(allowed).toBe(800);
    expect(store.calls).toBeLessThan(800 / 4);
  });

  it('[RL12] a flood at twice the rate, two requests at a time, is admitted exactly what the bucket gives (no token lost between leases)', async () => {
    const { store, members, advance } = fleet(1);
    store.latencyTicks = 3;
    const policy: RatePolicy = { name: 'workspace', ratePerSecond: 100, burst: 100 };
    let allowed = 0;
    // 10 s: the bucket gives its 100 plus 100 a second; refills taken ahead and fetches interleave.
    for (let i = 0; i < 1_000; i++) {
      advance(10);
      const both = await Promise.all([members[0]?.consume('ws:e', policy), members[0]?.consume('ws:e', policy)]);
      allowed += both.filter((d) => d?.allowed).length;
    }
    expect(allowed).toBeLessThanOrEqual(1_100);
    expect(allowed).toBeGreaterThanOrEqual(1_090);
  });

  it('[RL12] a slow bucket (search, log-in) is decided request by request', async () => {
    const { store, members } = fleet(1);
    const search: RatePolicy = { name: 'search', ratePerSecond: 10, burst: 110 };
    for (let i = 0; i < 20; i++) await members[0]?.consume('search:u', search);
    expect(store.calls).toBe(20);
  });

  it('[RL12] concurrent requests wait for one lease, and a refusal answers all who waited', async () => {
    const { store, members } = fleet(1);
    const small: RatePolicy = { name: 'workspace', ratePerSecond: 1_000, burst: 3 };
    const all = await Promise.all(Array.from({ length: 10 }, () => members[0]?.consume('ws:c', small)));
    expect(all.filter((d) => d?.allowed)).toHaveLength(3);
    expect(all.filter((d) => d && !d.allowed && d.retryAfterMs > 0)).toHaveLength(7);
    // One lease of one, one for the nine who waited (two left), a refill ahead, the refusal.
    expect(store.calls).toBeLessThanOrEqual(4);
  });

  it('[RL12] a lease lapses after its lifetime: its unspent tokens are never spent later', async () => {
    const { store, members, advance } = fleet(1);
    const slowRefill: RatePolicy = { name: 'workspace', ratePerSecond: 1_000, burst: 200 };
    for (let i = 0; i < 40; i++) await members[0]?.consume('ws:d', slowRefill);
    const calls = store.calls;
    advance(101);
    await members[0]?.consume('ws:d', slowRefill);
    expect(store.calls).toBe(calls + 1);
  });

  it('[RL12][RL8] with leases, a failing store still leaves a per-instance limit (never no limit)', async () => {
    const now = () => 1_000_000;
    const store = new CountingStore(now);
    store.failing = true;
    const limits = new RequestLimits(
      {} as Sql,
      store,
      new MemoryRateLimitStore(now),
      {
        planRates: { free: 100, business: 100, enterprise: 500 },
        burst: { factor: 1, seconds: 0 },
        expensivePerSecond: { search: 1, export: 1, image: 1, invite: 1, login: 1 },
        planCacheMs: 1_000,
        storeRetryMs: 1_000,
        logEveryMs: 10_000,
        lease: { maxTokens: 32, ms: 100 },
        now,
      },
      {
        decision: () => undefined,
        degraded: () => undefined,
        limited: () => undefined,
        storeCall: () => roundTrips++,
      },
    );
    let roundTrips = 0;
    let allowed = 0;
    for (let i = 0; i < 300; i++)
      if ((await limits.check({ kind: 'user', userId: 'u' })).limited === undefined) allowed++;
    expect(allowed).toBe(100);
    expect(limits.degraded).toBe(true);
    // The metric counts every call to the store: one failed lease, then a second of the fallback.
    expect(roundTrips).toBe(store.calls);
    expect(roundTrips).toBe(1);
  });
});
