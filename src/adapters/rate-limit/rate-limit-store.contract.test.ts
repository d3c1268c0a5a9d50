/** One contract, every RateLimitStore: in-process and Redis decide GCRA the same way [RL1]. */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RateLimitStore } from '../../app/ports.ts';
import type { RatePolicy } from '../../domain/rate-limits.ts';
import { MemoryRateLimitStore } from './memory-rate-limit-store.ts';
import { RedisRateLimitStore } from './redis-rate-limit-store.ts';

const stores: Array<{ name: string; store: RateLimitStore }> = [{ name: 'memory', store: new MemoryRateLimitStore() }];
if (process.env.REDIS_URL) {
  stores.push({
    name: 'redis',
    store: new RedisRateLimitStore(process.env.REDIS_URL, `t:${randomBytes(4).toString('hex')}:`, () => undefined),
  });
}

// Slow refill (one per 100 s): a slow machine cannot refill a bucket between two calls of a test.
const policy = (burst: number): RatePolicy => ({ name: 'test', ratePerSecond: 0.01, burst });

describe.each(stores)('RateLimitStore contract [$name]', ({ store }) => {
  beforeAll(async () => {
    await (store as { ready?: () => Promise<void> }).ready?.();
  });
  afterAll(async () => {
    await store.close();
  });
  const key = () => `k-${randomBytes(6).toString('hex')}`;

  it('allows the burst, counting remaining down, then refuses with a retry time', async () => {
    const k = key();
    const seen = [];
    for (let i = 0; i < 4; i++) seen.push(await store.consume(k, policy(3)));
    expect(seen.map((d) => d.allowed)).toEqual([true, true, true, false]);
    expect(seen.map((d) => d.remaining)).toEqual([2, 1, 0, 0]);
    expect(seen[3]?.retryAfterMs).toBeGreaterThan(90_000);
    expect(seen[3]?.retryAfterMs).toBeLessThanOrEqual(100_000);
    expect(seen[0]?.resetMs).toBeGreaterThan(90_000);
  });

  it('keeps keys apart', async () => {
    const [a, b] = [key(), key()];
    expect((await store.consume(a, policy(1))).allowed).toBe(true);
    expect((await store.consume(a, policy(1))).allowed).toBe(false);
    expect((await store.consume(b, policy(1))).allowed).toBe(true);
  });

  it('decides concurrent requests exactly: a burst of 10 admits 10 of 30', async () => {
    const k = key();
    const all = await Promise.all(Array.from({ length: 30 }, () => store.consume(k, policy(10))));
    expect(all.filter((d) => d.allowed)).toHaveLength(10);
  });

  it('refills at the rate', async () => {
    const k = key();
    const fast: RatePolicy = { name: 'fast', ratePerSecond: 20, burst: 1 };
    expect((await store.consume(k, fast)).allowed).toBe(true);
    await new Promise((r) => setTimeout(r, 120));
    expect((await store.consume(k, fast)).allowed).toBe(true);
  });

  it('[RL12] take leases up to `want` of what the bucket holds, then refuses', async () => {
    const k = key();
    const a = await store.take(k, policy(10), 4);
    expect(a).toMatchObject({ allowed: true, granted: 4, remaining: 6 });
    const b = await store.take(k, policy(10), 8);
    expect(b).toMatchObject({ allowed: true, granted: 6, remaining: 0 });
    const c = await store.take(k, policy(10), 3);
    expect(c).toMatchObject({ allowed: false, granted: 0, remaining: 0 });
    expect(c.retryAfterMs).toBeGreaterThan(90_000);
    // A lease and single decisions share one bucket.
    expect((await store.consume(k, policy(10))).allowed).toBe(false);
  });

  it('[RL12] concurrent leases never hand out more than the bucket', async () => {
    const k = key();
    const all = await Promise.all(Array.from({ length: 12 }, () => store.take(k, policy(25), 3)));
    expect(all.reduce((n, g) => n + g.granted, 0)).toBe(25);
  });
});
