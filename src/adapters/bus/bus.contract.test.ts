/** One contract, every EventBus adapter: the in-process bus and Redis pub/sub. */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { BusMessage, EventBus } from '../../app/ports.ts';
import { MemoryBus } from './memory-bus.ts';
import { RedisBus } from './redis-bus.ts';

type Factory = { name: string; make(prefix: string): Promise<EventBus> };
const factories: Factory[] = [{ name: 'memory', make: async () => new MemoryBus() }];
const redisUrl = process.env.REDIS_URL;
if (redisUrl) {
  factories.push({
    name: 'redis',
    async make(prefix) {
      const bus = new RedisBus(redisUrl, prefix, () => undefined);
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

describe.each(factories)('EventBus contract [$name]', (factory) => {
  const open: EventBus[] = [];
  const make = async (prefix: string) => {
    const b = await factory.make(prefix);
    open.push(b);
    return b;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((b) => b.close()));
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
  });
}
