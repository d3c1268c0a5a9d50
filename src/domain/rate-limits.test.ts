/** GCRA decisions and policies with a fake clock: exact, no sleeping. */
import { describe, expect, it } from 'vitest';
import {
  burstPolicy,
  decide,
  grant,
  limitHeaderItem,
  policyHeaderItem,
  type RatePolicy,
  retryAfterSeconds,
  workspacePolicy,
} from './rate-limits.ts';

const RATES = { free: 100, business: 100, enterprise: 500 };
const SHAPE = { factor: 2, seconds: 10 };

/** Sends `perSecond` requests a second for `seconds`, evenly spaced; counts what was allowed. */
function drive(policy: RatePolicy, perSecond: number, seconds: number, start = 0) {
  let tat: number | undefined;
  let allowed = 0;
  const step = 1000 / perSecond;
  for (let i = 0; i < perSecond * seconds; i++) {
    const d = decide(tat, start + i * step, policy);
    if (d.allowed) {
      allowed++;
      tat = d.tatMs;
    }
  }
  return allowed;
}

describe('GCRA request limits', () => {
  it('free and business sustain 100 req/s, enterprise 500; an operator override wins', () => {
    expect(workspacePolicy('free', null, RATES, SHAPE).ratePerSecond).toBe(100);
    expect(workspacePolicy('business', null, RATES, SHAPE).ratePerSecond).toBe(100);
    expect(workspacePolicy('enterprise', null, RATES, SHAPE).ratePerSecond).toBe(500);
    expect(workspacePolicy('free', 7, RATES, SHAPE).ratePerSecond).toBe(7);
  });

  it('serves a burst at 2x the rate for 10 s from idle, then only the rate', () => {
    const policy = workspacePolicy('free', null, RATES, SHAPE);
    // 200 req/s for 10 s: everything passes.
    expect(drive(policy, 200, 10)).toBe(2000);
    // Sustained 10x: the bucket plus the rate, nothing more (1,100 + 100/s × 60 s).
    const flood = drive(policy, 1000, 60);
    expect(flood).toBeGreaterThanOrEqual(policy.burst + 100 * 60 - 2);
    expect(flood).toBeLessThanOrEqual(policy.burst + 100 * 60 + 1);
  });

  it('a refused request changes nothing and says when to come back', () => {
    const policy: RatePolicy = { name: 't', ratePerSecond: 1, burst: 2 };
    const a = decide(undefined, 0, policy);
    const b = decide(a.tatMs, 0, policy);
    const c = decide(b.tatMs, 0, policy);
    expect([a.allowed, b.allowed, c.allowed]).toEqual([true, true, false]);
    expect(c.tatMs).toBe(b.tatMs);
    expect(c.retryAfterMs).toBe(1000);
    expect(retryAfterSeconds(c)).toBe(1);
    expect(decide(c.tatMs, 1000, policy).allowed).toBe(true);
  });

  it('remaining counts down from the bucket and resets as time passes', () => {
    const policy: RatePolicy = { name: 't', ratePerSecond: 10, burst: 5 };
    let tat: number | undefined;
    const remaining: number[] = [];
    for (let i = 0; i < 5; i++) {
      const d = decide(tat, 0, policy);
      tat = d.tatMs;
      remaining.push(d.remaining);
    }
    expect(remaining).toEqual([4, 3, 2, 1, 0]);
    expect(decide(tat, 500, policy).remaining).toBe(4);
  });

  it('expensive operations get small buckets: 30 a minute → 5 at once', () => {
    expect(burstPolicy('export', 0.5, SHAPE)).toEqual({ name: 'export', ratePerSecond: 0.5, burst: 5 });
    expect(burstPolicy('tiny', 0.01, SHAPE).burst).toBe(1);
  });

  it('writes the IETF RateLimit-Policy and RateLimit items', () => {
    const policy = workspacePolicy('free', null, RATES, SHAPE);
    expect(policyHeaderItem(policy)).toBe('"workspace";q=1100;w=11');
    const d = decide(undefined, 0, policy);
    expect(limitHeaderItem(policy, d)).toBe('"workspace";r=1099;t=1');
  });

  it('[RL12] grant takes up to `want` of what the bucket holds, at least one, and grant(…, 1) is decide', () => {
    const policy: RatePolicy = { name: 't', ratePerSecond: 10, burst: 20 };
    for (const [tat, now] of [
      [undefined, 0],
      [1_500, 0],
      [1_950, 0],
      [2_000, 0],
      [2_100, 0],
    ] as const) {
      expect(grant(tat, now, policy, 1)).toEqual({
        ...decide(tat, now, policy),
        granted: decide(tat, now, policy).allowed ? 1 : 0,
      });
    }
    // Full bucket of 20: a lease of 8, then 12 of the 15 asked, then refusal with decide's wait.
    const a = grant(undefined, 0, policy, 8);
    expect(a).toMatchObject({ allowed: true, granted: 8, remaining: 12 });
    const b = grant(a.tatMs, 0, policy, 15);
    expect(b).toMatchObject({ allowed: true, granted: 12, remaining: 0 });
    const c = grant(b.tatMs, 0, policy, 5);
    expect(c).toMatchObject({ allowed: false, granted: 0, retryAfterMs: decide(b.tatMs, 0, policy).retryAfterMs });
    // 250 ms later two have refilled.
    expect(grant(b.tatMs, 250, policy, 5)).toMatchObject({ allowed: true, granted: 2, remaining: 0 });
  });
});
