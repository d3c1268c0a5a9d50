/** Redis fixed-window counters: one atomic script increments and sets the window's expiry. */
import { Redis } from 'ioredis';
import type { CounterStore, Hit } from '../../app/ports.ts';
import { Unavailable } from '../../domain/errors.ts';

const INCREMENT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}`;

const RETRY_AFTER_SECONDS = 5;

type WithScript = Redis & { windowIncrement(key: string, windowMs: number): Promise<[number, number]> };

/** Fail closed: throttling that cannot count must not silently let everything through. */
async function unavailableOnError<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    throw new Unavailable(`counter store unavailable: ${(err as Error).message}`, RETRY_AFTER_SECONDS);
  }
}

export class RedisCounters implements CounterStore {
  private readonly redis: WithScript;
  private readonly prefix: string;

  constructor(url: string, prefix: string, onError: (err: unknown) => void) {
    this.prefix = `${prefix}counter:`;
    // No offline queue: while Redis is away, callers get Unavailable at once instead of waiting.
    const redis = new Redis(url, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      connectionName: 'collab-docs:counters',
    });
    redis.on('error', onError);
    redis.defineCommand('windowIncrement', { numberOfKeys: 1, lua: INCREMENT });
    this.redis = redis as WithScript;
  }

  async ready(): Promise<void> {
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve) => this.redis.once('ready', () => resolve()));
  }

  async increment(key: string, windowSeconds: number): Promise<Hit> {
    const [count, ttlMs] = await unavailableOnError(
      this.redis.windowIncrement(this.prefix + key, windowSeconds * 1000),
    );
    return { count, resetInSeconds: Math.ceil(ttlMs / 1000) };
  }

  async peek(key: string): Promise<Hit> {
    const [raw, ttlMs] = await unavailableOnError(
      Promise.all([this.redis.get(this.prefix + key), this.redis.pttl(this.prefix + key)]),
    );
    if (raw === null || ttlMs < 0) return { count: 0, resetInSeconds: 0 };
    return { count: Number(raw), resetInSeconds: Math.ceil(ttlMs / 1000) };
  }

  async reset(key: string): Promise<void> {
    await unavailableOnError(this.redis.del(this.prefix + key));
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => undefined);
  }
}
