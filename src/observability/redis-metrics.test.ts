/** Redis latency and reconnects are measured for every ioredis client through its diagnostics channels. */
import { Redis } from 'ioredis';
import client from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrivateRedis, startPrivateRedis } from '../../test/support/private-redis.ts';
import { RedisMetrics } from './redis-metrics.ts';

const reconnects = async (registry: client.Registry) =>
  Number(/^redis_reconnects_total (\d+)$/m.exec(await registry.metrics())?.[1]);

describe('Redis metrics', () => {
  let redis: PrivateRedis;
  beforeAll(async () => {
    redis = await startPrivateRedis();
  });
  afterAll(async () => {
    await redis.kill();
  });

  it('times commands by name and outcome, counts in-flight commands and reconnects', async () => {
    const registry = new client.Registry();
    const metrics = new RedisMetrics(registry);
    const conn = new Redis(redis.url, { maxRetriesPerRequest: 1, retryStrategy: () => 20 });
    // ECONNREFUSED while Redis is down is the point of the test, not a failure.
    conn.on('error', () => undefined);
    try {
      await conn.set('k', 'v');
      await conn.get('k');
      await expect(conn.call('nosuchcommand')).rejects.toThrow();
      const text = await registry.metrics();
      expect(text).toMatch(/redis_command_duration_seconds_count\{command="set",outcome="ok"\} 1/);
      expect(text).toMatch(/redis_command_duration_seconds_count\{command="get",outcome="ok"\} 1/);
      expect(text).toMatch(/redis_command_duration_seconds_count\{command="nosuchcommand",outcome="error"\} 1/);
      expect(text).toMatch(/redis_commands_in_flight 0/);
      expect(text).toMatch(/redis_reconnects_total 0/);

      // Kill Redis: the client reconnects once it is back.
      const closed = new Promise((resolve) => conn.once('close', resolve));
      await redis.kill();
      await closed;
      const ready = new Promise((resolve) => conn.once('ready', resolve));
      await redis.start();
      await ready;
      await conn.ping();
      expect(await reconnects(registry)).toBeGreaterThanOrEqual(1);
    } finally {
      conn.disconnect();
      metrics.close();
    }
  });
});
