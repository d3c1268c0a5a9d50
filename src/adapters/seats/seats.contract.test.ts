/** [S5.6] One contract, every SeatLedger adapter: in-process and Redis (atomic script). */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SeatLedger } from '../../sync/ports.ts';
import { MemorySeats } from './memory-seats.ts';
import { RedisSeats } from './redis-seats.ts';

const TTL_MS = 300;
type Backend = { name: string; ledger: SeatLedger; elapse(ms: number): Promise<void> };

function memory(): Backend {
  let t = 0;
  return {
    name: 'memory',
    ledger: new MemorySeats({ ttlMs: TTL_MS, now: () => t }),
    elapse: async (ms) => {
      t += ms;
    },
  };
}
const backends: Backend[] = [memory()];
if (process.env.REDIS_URL) {
  const ledger = new RedisSeats(process.env.REDIS_URL, `t:${randomBytes(4).toString('hex')}:`, {
    ttlMs: TTL_MS,
    onError: () => undefined,
  });
  backends.push({ name: 'redis', ledger, elapse: (ms) => new Promise((r) => setTimeout(r, ms)) });
}

describe.each(backends)('SeatLedger contract [$name]', ({ ledger, elapse }) => {
  beforeAll(async () => {
    await (ledger as { ready?: () => Promise<void> }).ready?.();
  });
  afterAll(() => ledger.close());
  const doc = () => `d-${randomBytes(6).toString('hex')}`;

  it('[S5.6] holds the editor cap across instances, atomically under concurrent claims', async () => {
    const d = doc();
    const claims = await Promise.all(Array.from({ length: 20 }, (_, i) => ledger.claim(d, i % 2 === 0 ? 'A' : 'B', 5)));
    expect(claims.filter((c) => c.granted)).toHaveLength(5);
    const late = await ledger.claim(d, 'C', 5);
    expect(late.granted).toBe(false);
    expect(late.others.editors).toBe(5);
  });

  it('[S5.6] answers the other instances’ counts: seats, published viewers and waiters', async () => {
    const d = doc();
    await ledger.claim(d, 'A', 10);
    await ledger.claim(d, 'A', 10);
    await ledger.claim(d, 'B', 10);
    await ledger.report(d, 'A', { viewers: 300 });
    await ledger.report(d, 'B', { viewers: 40 });
    await ledger.enqueue(d, 'A', 'w1');
    expect(await ledger.report(d, 'B', { viewers: 40 })).toEqual({ editors: 2, viewers: 300, waiting: 1 });
    expect(await ledger.release(d, 'A')).toEqual({ editors: 1, viewers: 40, waiting: 0 });
    expect((await ledger.claim(d, 'C', 10)).others).toEqual({ editors: 2, viewers: 340, waiting: 1 });
  });

  it('[S5.6] a seat freed on one instance goes to the first in line on another, not to a newcomer', async () => {
    const d = doc();
    expect((await ledger.claim(d, 'A', 1)).granted).toBe(true);
    expect((await ledger.claim(d, 'B', 1)).granted).toBe(false);
    await ledger.enqueue(d, 'B', 'first');
    await ledger.enqueue(d, 'A', 'second');
    await ledger.release(d, 'A');
    // A newcomer and the second in line may not pass the first.
    expect((await ledger.claim(d, 'C', 1)).granted).toBe(false);
    expect((await ledger.claim(d, 'A', 1, 'second')).granted).toBe(false);
    const first = await ledger.claim(d, 'B', 1, 'first');
    expect(first).toEqual({ granted: true, others: { editors: 0, viewers: 0, waiting: 1 } });
    await ledger.release(d, 'B');
    expect((await ledger.claim(d, 'A', 1, 'second')).granted).toBe(true);
    expect((await ledger.claim(d, 'C', 1)).others).toEqual({ editors: 1, viewers: 0, waiting: 0 });
  });

  it('[S5.6] a waiter who leaves the line no longer holds it up', async () => {
    const d = doc();
    await ledger.claim(d, 'A', 1);
    await ledger.enqueue(d, 'B', 'gone');
    await ledger.enqueue(d, 'B', 'next');
    await ledger.dequeue(d, 'B', 'gone');
    await ledger.release(d, 'A');
    expect((await ledger.claim(d, 'B', 1, 'next')).granted).toBe(true);
  });

  it('[S5.6] an instance silent for the TTL is dropped: its seats free and its waiters leave the line', async () => {
    const d = doc();
    await ledger.claim(d, 'dead', 2);
    await ledger.claim(d, 'dead', 2);
    await ledger.enqueue(d, 'dead', 'w');
    await ledger.report(d, 'dead', { viewers: 100 });
    await ledger.enqueue(d, 'live', 'w');
    expect((await ledger.claim(d, 'live', 2, 'w')).granted).toBe(false);
    for (let i = 0; i < 3; i++) {
      await elapse(TTL_MS / 2);
      await ledger.heartbeat('live');
    }
    const after = await ledger.claim(d, 'live', 2, 'w');
    expect(after.granted).toBe(true);
    expect(after.others).toEqual({ editors: 0, viewers: 0, waiting: 0 });
  });

  it('[S5.6] report repairs this instance’s seats and waiters; forget and retire drop it', async () => {
    const d = doc();
    await ledger.claim(d, 'A', 10);
    await ledger.enqueue(d, 'A', 'old');
    await ledger.report(d, 'A', { viewers: 5, editors: 3, waiters: ['x', 'y'] });
    expect(await ledger.report(d, 'B', { viewers: 0 })).toEqual({ editors: 3, viewers: 5, waiting: 2 });
    await ledger.forget(d, 'A');
    expect(await ledger.report(d, 'B', { viewers: 0 })).toEqual({ editors: 0, viewers: 0, waiting: 0 });
    await ledger.claim(d, 'A', 10);
    await ledger.retire('A');
    expect((await ledger.claim(d, 'B', 10)).others.editors).toBe(0);
  });
});
