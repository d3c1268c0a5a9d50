/** One contract, every CounterStore adapter: in-process and Redis. */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CounterStore } from '../../app/ports.ts';
import { MemoryCounters } from './memory-counters.ts';
import { RedisCounters } from './redis-counters.ts';

const stores: Array<{ name: string; store: CounterStore }> = [{ name: 'memory', store: new MemoryCounters() }];
if (process.env.REDIS_URL) {
  stores.push({
    name: 'redis',
    store: new RedisCounters(process.env.REDIS_URL, `t:${randomBytes(4).toString('hex')}:`, () => undefined),
  });
}

describe.each(stores)('CounterStore contract [$name]', ({ store }) => {
  beforeAll(async () => {
    await (store as { ready?: () => Promise<void> }).ready?.();
  });
  afterAll(async () => {
    await store.close();
  });
  const key = () => `k-${randomBytes(6).toString('hex')}`;

  it('counts hits within a window and reports when it resets', async () => {
    const k = key();
    expect((await store.increment(k, 60)).count).toBe(1);
    const second = await store.increment(k, 60);
    expect(second.count).toBe(2);
    expect(second.resetInSeconds).toBeGreaterThan(0);
    expect(second.resetInSeconds).toBeLessThanOrEqual(60);
    expect((await store.peek(k)).count).toBe(2);
  });

  it('peeks without counting, and reset clears', async () => {
    const k = key();
    expect(await store.peek(k)).toEqual({ count: 0, resetInSeconds: 0 });
    await store.increment(k, 60);
    await store.reset(k);
    expect((await store.peek(k)).count).toBe(0);
  });

  it('starts a new window once the old one expires', async () => {
    const k = key();
    await store.increment(k, 1);
    await new Promise((r) => setTimeout(r, 1_100));
    expect((await store.increment(k, 1)).count).toBe(1);
  });

  it('counts concurrent increments exactly', async () => {
    const k = key();
    await Promise.all(Array.from({ length: 50 }, () => store.increment(k, 60)));
    expect((await store.peek(k)).count).toBe(50);
  });
});
