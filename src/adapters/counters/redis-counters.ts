/** Redis fixed-window counters: one atomic script increments and sets the window's expiry. */
import { Redis } from 'ioredis';
import type { CounterStore, Hit } from '../../app/ports.ts';

const INCREMENT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}`;

export class RedisCounters implements CounterStore {
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(url: string, prefix: string, onError: (err: unknown) => void) {
    this.prefix = `${prefix}counter:`;
    this.redis = new Redis(url, { maxRetriesPerRequest: 1, connectionName: 'collab-docs:counters' });
    this.redis.on('error', onError);
    this.redis.defineCommand('windowIncrement', { numberOfKeys: 1, lua: INCREMENT });
  }

  async increment(key: string, windowSeconds: number): Promise<Hit> {
    const [count, ttlMs] = (await (
      this.redis as unknown as {
        windowIncrement(k: string, ms: number): Promise<[number, number]>;
      }
    ).windowIncrement(this.prefix + key, windowSeconds * 1000)) as [number, number];
    return { count, resetInSeconds: Math.ceil(ttlMs / 1000) };
  }

  async peek(key: string): Promise<Hit> {
    const [raw, ttlMs] = await Promise.all([this.redis.get(this.prefix + key), this.redis.pttl(this.prefix + key)]);
    if (raw === null || ttlMs < 0) return { count: 0, resetInSeconds: 0 };
    return { count: Number(raw), resetInSeconds: Math.ceil(ttlMs / 1000) };
  }

  async reset(key: string): Promise<void> {
    await this.redis.del(this.prefix + key);
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => undefined);
  }
}
