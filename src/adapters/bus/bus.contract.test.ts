/** One contract, every EventBus adapter: the in-process bus and Redis pub/sub. */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/support/server-process.ts';
import type { BusMessage, EventBus } from '../../app/ports.ts';
import { Metrics } from '../../observability/metrics.ts';
import { MemoryBus } from './memory-bus.ts';
import { meteredBus } from './metered-bus.ts';
import { RedisBus } from './redis-bus.ts';

type Factory = { name: string; make(prefix: string, onError: (err: unknown) => void): Promise<EventBus> };
const factories: Factory[] = [{ name: 'memory', make: async (_prefix, onError) => new MemoryBus(onError) }];
const redisUrl = process.env.REDIS_URL;
if (redisUrl) {
  factories.push({
    name: 'redis',
    async make(prefix, onError) {
      const bus = new RedisBus(redisUrl, prefix, onError);
      await bus.ready();
      return bus;
    },
  });
}

function nextMessage(bus: EventBus, channel: string): Promise<BusMessage> {
  return new Promise((resolve) => {
    void bus.subscribe(channel, resolve);
  });
}

/** Subscribes (resolving once delivery is live) and collects the payloads that arrive. */
async function collectBytes(bus: EventBus, channel: string) {
  const received: Uint8Array[] = [];
  const waiters: Array<() => void> = [];
  const unsubscribe = await bus.subscribeBytes(channel, (payload) => {
    received.push(payload);
    for (const wake of waiters.splice(0)) wake();
  });
  /** Resolves once `count` payloads have arrived in all; fails after `timeoutMs`. */
  const until = async (count: number, timeoutMs = 5_000): Promise<Uint8Array[]> => {
    const deadline = Date.now() + timeoutMs;
    while (received.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${count} payloads on ${channel}, got ${received.length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return received;
  };
  return { received, until, unsubscribe };
}

const prefixForTest = () => `t:${randomBytes(4).toString('hex')}:`;

describe.each(factories)('EventBus contract [$name]', (factory) => {
  const open: EventBus[] = [];
  let errors: unknown[] = [];
  const make = async (prefix: string) => {
    const b = await factory.make(prefix, (err) => errors.push(err));
    open.push(b);
    return b;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((b) => b.close()));
    errors = [];
  });

  it('delivers a published message to a subscriber of the channel, as a copy', async () => {
    const bus = await make(`t:${randomBytes(4).toString('hex')}:`);
    const got = new Promise<BusMessage>((resolve) => {
      void bus.subscribe('ch', resolve);
    });
    await new Promise((r) => setTimeout(r, 20));
    const sent = { v: 1 as const, type: 'hello', n: 1 };
    await bus.publish('ch', sent);
    const m = await got;
    expect(m).toEqual(sent);
    expect(m).not.toBe(sent);
  });

  it('does not deliver other channels, and stops after unsubscribe', async () => {
    const bus = await make(`t:${randomBytes(4).toString('hex')}:`);
    const seen: string[] = [];
    const unsubscribe = await bus.subscribe('a', (m) => seen.push(String(m.type)));
    await bus.subscribe('b', (m) => seen.push(`b:${String(m.type)}`));
    await bus.publish('a', { v: 1, type: 'one' });
    await bus.publish('b', { v: 1, type: 'two' });
    await unsubscribe();
    await bus.publish('a', { v: 1, type: 'three' });
    const last = nextMessage(bus, 'b');
    await bus.publish('b', { v: 1, type: 'four' });
    await last;
    expect(seen).toEqual(['one', 'b:two', 'b:four']);
  });

  it('isolates a subscriber that throws from the others', async () => {
    const bus = await make(`t:${randomBytes(4).toString('hex')}:`);
    await bus.subscribe('x', () => {
      throw new Error('boom');
    });
    const got = nextMessage(bus, 'x');
    await bus.publish('x', { v: 1, type: 'still-delivered' });
    expect((await got).type).toBe('still-delivered');
  });

  it('reports healthy while connected', async () => {
    const bus = await make(`t:${randomBytes(4).toString('hex')}:`);
    expect(bus.healthy).toBe(true);
    await expect(bus.ping()).resolves.toBeUndefined();
  });

  it('delivers published bytes to the publisher itself, as a copy it may not share', async () => {
    const bus = await make(prefixForTest());
    const doc = await collectBytes(bus, 'doc');
    const sent = new Uint8Array([1, 2, 3]);
    await bus.publishBytes('doc', sent);
    sent.fill(9); // The publisher reuses its buffer as soon as publishing returned.
    const [got] = await doc.until(1);
    expect(got).toBeInstanceOf(Uint8Array);
    expect(Buffer.isBuffer(got)).toBe(false);
    expect([...got]).toEqual([1, 2, 3]);
  });

  it('carries every byte value 0..255 intact, from a view into a larger buffer, and an empty payload', async () => {
    const bus = await make(prefixForTest());
    const doc = await collectBytes(bus, 'doc');
    const backing = new Uint8Array(300).fill(0xaa);
    const every = backing.subarray(7, 7 + 256);
    for (let i = 0; i < 256; i++) every[i] = i;
    await bus.publishBytes('doc', every);
    await bus.publishBytes('doc', new Uint8Array(0));
    const [all, empty] = await doc.until(2);
    expect(all.byteLength).toBe(256);
    expect(Buffer.from(all).equals(Buffer.from(every))).toBe(true);
    expect(empty.byteLength).toBe(0);
  });

  it('stops delivering bytes after unsubscribe, and never to other channels', async () => {
    const bus = await make(prefixForTest());
    const a = await collectBytes(bus, 'a');
    const b = await collectBytes(bus, 'b');
    await bus.publishBytes('a', new Uint8Array([1]));
    await a.until(1);
    await a.unsubscribe();
    await a.unsubscribe(); // Twice is harmless.
    await bus.publishBytes('a', new Uint8Array([2]));
    await bus.publishBytes('b', new Uint8Array([3]));
    await b.until(1); // Published after the second 'a' on the same connection, so delivered after it.
    expect(a.received.map((p) => [...p])).toEqual([[1]]);
    expect(b.received.map((p) => [...p])).toEqual([[3]]);
  });

  it('keeps JSON and bytes channels apart, even for bytes that look like JSON', async () => {
    const bus = await make(prefixForTest());
    const json: BusMessage[] = [];
    await bus.subscribe('events', (m) => json.push(m));
    const doc = await collectBytes(bus, 'doc');
    const nextEvent = nextMessage(bus, 'events');
    await bus.publishBytes('doc', new TextEncoder().encode('{"v":1,"type":"not-an-event"}'));
    await bus.publish('events', { v: 1, type: 'an-event' });
    await nextEvent;
    const [bytes] = await doc.until(1);
    expect(new TextDecoder().decode(bytes)).toBe('{"v":1,"type":"not-an-event"}');
    expect(json.map((m) => m.type)).toEqual(['an-event']);
    expect(doc.received).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  it('isolates a bytes subscriber that throws from the others, reporting the error', async () => {
    const bus = await make(prefixForTest());
    await bus.subscribeBytes('doc', () => {
      throw new Error('boom');
    });
    const doc = await collectBytes(bus, 'doc');
    await bus.publishBytes('doc', new Uint8Array([7]));
    expect([...(await doc.until(1))[0]]).toEqual([7]);
    expect(errors).toEqual([expect.objectContaining({ message: 'boom' })]);
  });
});

describe('meteredBus', () => {
  it('counts bytes messages as type "bytes" and their payload bytes, by direction', async () => {
    const metrics = new Metrics('test');
    const bus = meteredBus(new MemoryBus(), metrics);
    try {
      const doc = await collectBytes(bus, 'doc');
      await bus.publishBytes('doc', new Uint8Array(10));
      await bus.publishBytes('doc', new Uint8Array(5));
      await doc.until(2);
      const messages = (await metrics.busMessages.get()).values;
      expect(messages).toContainEqual(
        expect.objectContaining({ labels: { direction: 'out', type: 'bytes' }, value: 2 }),
      );
      expect(messages).toContainEqual(
        expect.objectContaining({ labels: { direction: 'in', type: 'bytes' }, value: 2 }),
      );
      const bytes = (await metrics.busBytes.get()).values;
      expect(bytes).toContainEqual(expect.objectContaining({ labels: { direction: 'out' }, value: 15 }));
      expect(bytes).toContainEqual(expect.objectContaining({ labels: { direction: 'in' }, value: 15 }));
    } finally {
      await bus.close();
      metrics.close();
    }
  });
});

if (redisUrl) {
  describe('RedisBus across instances', () => {
    it('delivers between two bus instances sharing a prefix', async () => {
      const prefix = `t:${randomBytes(4).toString('hex')}:`;
      const a = new RedisBus(redisUrl, prefix, () => undefined);
      const b = new RedisBus(redisUrl, prefix, () => undefined);
      await Promise.all([a.ready(), b.ready()]);
      const got = nextMessage(b, 'control');
      await new Promise((r) => setTimeout(r, 20));
      await a.publish('control', { v: 1, type: 'from-a' });
      expect((await got).type).toBe('from-a');
      await Promise.all([a.close(), b.close()]);
    });

    it('delivers bytes between two bus instances, and to the publishing instance too', async () => {
      const prefix = prefixForTest();
      const a = new RedisBus(redisUrl, prefix, () => undefined);
      const b = new RedisBus(redisUrl, prefix, () => undefined);
      try {
        await Promise.all([a.ready(), b.ready()]);
        const [atA, atB] = await Promise.all([collectBytes(a, 'doc'), collectBytes(b, 'doc')]);
        await a.publishBytes('doc', new Uint8Array([0, 255, 10, 13]));
        expect([...(await atB.until(1))[0]]).toEqual([0, 255, 10, 13]);
        expect([...(await atA.until(1))[0]]).toEqual([0, 255, 10, 13]);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });

    it('UNSUBSCRIBEs in Redis only when the last handler of a channel leaves, of either kind', async () => {
      const prefix = prefixForTest();
      const bus = new RedisBus(redisUrl, prefix, () => undefined);
      const probe = new Redis(redisUrl);
      const subscribers = async (channel: string) =>
        Number(((await probe.call('PUBSUB', 'NUMSUB', prefix + channel)) as [string, number])[1]);
      try {
        await bus.ready();
        const first = await bus.subscribeBytes('doc', () => undefined);
        const second = await bus.subscribeBytes('doc', () => undefined);
        const events = await bus.subscribe('events', () => undefined);
        expect(await subscribers('doc')).toBe(1);
        await first();
        expect(await subscribers('doc')).toBe(1);
        await second();
        expect(await subscribers('doc')).toBe(0);
        expect(await subscribers('events')).toBe(1);
        await events();
        expect(await subscribers('events')).toBe(0);

        // One channel used for both kinds: one Redis subscription, held until both have left.
        const json = await bus.subscribe('mixed', () => undefined);
        const bytes = await bus.subscribeBytes('mixed', () => undefined);
        await bytes();
        expect(await subscribers('mixed')).toBe(1);
        await json();
        expect(await subscribers('mixed')).toBe(0);
      } finally {
        probe.disconnect();
        await bus.close();
      }
    });
  });

  describe.runIf(redisServerAvailable())('RedisBus when its Redis restarts (a private redis-server)', () => {
    let port: number;
    let url: string;
    let redis: ChildProcess | undefined;
    beforeAll(async () => {
      port = await freePort();
      url = `redis://127.0.0.1:${port}`;
      redis = await startRedis(port);
    });
    afterAll(async () => {
      if (redis) await stopRedis(redis);
    });
    const restart = async (whileDown: () => Promise<void>) => {
      if (redis) await stopRedis(redis);
      redis = undefined;
      await whileDown();
      redis = await startRedis(port);
    };

    it('fails bytes publishing fast while down; bytes subscriptions are live again by the resync', async () => {
      const a = new RedisBus(url, 't:', () => undefined);
      const b = new RedisBus(url, 't:', () => undefined);
      const probe = new Redis(url, { maxRetriesPerRequest: null });
      try {
        await Promise.all([a.ready(), b.ready()]);
        const doc = await collectBytes(b, 'doc');
        const resynced = new Promise<number>((resolve) =>
          b.onResync(() => {
            // Ask Redis at the very moment of the resync: the subscription must already be back.
            void probe.call('PUBSUB', 'NUMSUB', 't:doc').then((r) => resolve(Number((r as [string, number])[1])));
          }),
        );
        await restart(async () => {
          await eventually(() => !b.healthy);
          const started = Date.now();
          await expect(a.publishBytes('doc', new Uint8Array([1]))).rejects.toThrow();
          expect(Date.now() - started).toBeLessThan(1_000);
        });
        expect(await resynced).toBe(1);
        expect(b.healthy).toBe(true);
        await eventually(() => a.healthy);
        await a.ready();
        await a.publishBytes('doc', new Uint8Array([2]));
        expect((await doc.until(1)).map((p) => [...p])).toEqual([[2]]);
      } finally {
        probe.disconnect();
        await Promise.all([a.close(), b.close()]);
      }
    });

    it('lets a subscription refused while Redis is down be retried once it is back', async () => {
      const bus = new RedisBus(url, 't:', () => undefined);
      try {
        await bus.ready();
        const handler = () => undefined;
        await restart(async () => {
          await eventually(() => !bus.healthy);
          await expect(bus.subscribeBytes('late', handler)).rejects.toThrow();
        });
        await bus.ready(); // The publishing connection too.
        const late = await collectBytes(bus, 'late');
        await bus.publishBytes('late', new Uint8Array([42]));
        expect((await late.until(1)).map((p) => [...p])).toEqual([[42]]);
      } finally {
        await bus.close();
      }
    });
  });
}

function redisServerAvailable(): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function startRedis(port: number): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  await eventually(() => {
    try {
      execFileSync('redis-cli', ['-p', String(port), 'ping'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  });
  return child;
}

async function stopRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

async function eventually(probe: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
