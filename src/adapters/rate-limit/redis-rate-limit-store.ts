/**
 * Fleet-wide GCRA buckets in Redis: one Lua script per decision reads the bucket, decides and
 * writes it atomically, on Redis's own clock (instances' clocks may disagree). The key expires
 * when its bucket is full again. Hand-written rather than rate-limiter-flexible: that library's
 * Redis limiter counts fixed windows, and its burst helper needs a second call per decision
 * and refills bursts on a window boundary; GCRA gives "2x for 10 s, then the rate" exactly
 * (docs/architecture.md, rate limits).
 */
import { Redis } from 'ioredis';
import type { RateLimitStore } from '../../app/ports.ts';
import type { RateDecision, RateGrant, RatePolicy } from '../../domain/rate-limits.ts';

// Same arithmetic as decide() in src/domain/rate-limits.ts (the contract test runs both).
const GCRA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2]) * interval
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local nxt = tat + interval
local allowAt = nxt - tolerance
if now < allowAt then
  return {0, 0, tostring(tat - now), tostring(allowAt - now)}
end
redis.call('SET', KEYS[1], tostring(nxt), 'PX', math.ceil(nxt - now) + 1)
return {1, math.floor((now - allowAt) / interval), tostring(nxt - now), '0'}`;

// Up to ARGV[3] requests at once (a lease, RL12): grant() in src/domain/rate-limits.ts.
const GRANT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2]) * interval
local want = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local holds = math.floor((now + tolerance - tat) / interval + 1e-9)
if holds < 1 then
  return {0, 0, 0, tostring(tat - now), tostring(tat + interval - tolerance - now)}
end
local granted = math.max(1, math.min(want, holds))
local nxt = tat + interval * granted
redis.call('SET', KEYS[1], tostring(nxt), 'PX', math.ceil(nxt - now) + 1)
return {1, granted, holds - granted, tostring(nxt - now), '0'}`;

/** A decision that takes longer than this is treated as a failed store (the fallback decides). */
const COMMAND_TIMEOUT_MS = 250;

type WithScript = Redis & {
  gcra(key: string, intervalMs: number, burst: number): Promise<[number, number, string, string]>;
  grant(
    key: string,
    intervalMs: number,
    burst: number,
    want: number,
  ): Promise<[number, number, number, string, string]>;
};

export class RedisRateLimitStore implements RateLimitStore {
  private readonly redis: WithScript;
  private readonly prefix: string;

  constructor(url: string, prefix: string, onError: (err: unknown) => void) {
    this.prefix = `${prefix}rl:`;
    // No offline queue and no retries per command: while Redis is away every call fails at once
    // and the insured limiter decides in-process instead of waiting.
    const redis = new Redis(url, {
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      commandTimeout: COMMAND_TIMEOUT_MS,
      connectionName: 'collab-docs:rate-limits',
    });
    redis.on('error', onError);
    redis.defineCommand('gcra', { numberOfKeys: 1, lua: GCRA });
    redis.defineCommand('grant', { numberOfKeys: 1, lua: GRANT });
    this.redis = redis as WithScript;
  }

  async ready(): Promise<void> {
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve) => this.redis.once('ready', () => resolve()));
  }

  async consume(key: string, policy: RatePolicy): Promise<RateDecision> {
    const [allowed, remaining, resetMs, retryAfterMs] = await this.redis.gcra(
      this.prefix + key,
      1000 / policy.ratePerSecond,
      policy.burst,
    );
    return { allowed: allowed === 1, remaining, resetMs: Number(resetMs), retryAfterMs: Number(retryAfterMs) };
  }

  async take(key: string, policy: RatePolicy, want: number): Promise<RateGrant> {
    const [allowed, granted, remaining, resetMs, retryAfterMs] = await this.redis.grant(
      this.prefix + key,
      1000 / policy.ratePerSecond,
      policy.burst,
      Math.max(1, Math.floor(want)),
    );
    return {
      allowed: allowed === 1,
      granted,
      remaining,
      resetMs: Number(resetMs),
      retryAfterMs: Number(retryAfterMs),
    };
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => undefined);
  }
}
