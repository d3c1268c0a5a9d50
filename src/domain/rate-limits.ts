/**
 * Request-rate limits as pure rules: the generic cell rate algorithm (GCRA) that decides one
 * request, the policy of each plan and of each expensive operation, and the IETF RateLimit header
 * values (draft-ietf-httpapi-ratelimit-headers). Stores (in-process, Redis) keep only the
 * theoretical arrival time per key and run `decide` (or the same arithmetic in Lua).
 */
import type { Plan } from './roles.ts';

/** A token bucket in GCRA form: a sustained rate, and how many requests may come at once. */
export type RatePolicy = {
  /** Label in metrics and in the RateLimit headers: workspace, user, search, export, invite, login. */
  name: string;
  ratePerSecond: number;
  /** Bucket capacity in requests (≥ 1). */
  burst: number;
};

export type RateDecision = {
  allowed: boolean;
  /** Requests that could be made right now after this one. */
  remaining: number;
  /** Milliseconds until the bucket is full again. */
  resetMs: number;
  /** Milliseconds until a request would be allowed (0 when allowed). */
  retryAfterMs: number;
};

/** Overrides above this are typos, not plans. */
export const MAX_RATE_LIMIT_PER_SECOND = 100_000;

/**
 * One GCRA step. `tatMs` is the stored theoretical arrival time (absent for a fresh key); the
 * returned `tatMs` is what to store when the request is allowed (unchanged when it is not).
 * `cost` weighs the request in units of the rate (bytes for a byte budget; 1 for a request): a
 * cost above the burst is never allowed.
 */
export function decide(
  tatMs: number | undefined,
  nowMs: number,
  policy: RatePolicy,
  cost = 1,
): RateDecision & { tatMs: number } {
  const interval = 1000 / policy.ratePerSecond;
  const tolerance = policy.burst * interval;
  const tat = Math.max(tatMs ?? nowMs, nowMs);
  const next = tat + interval * cost;
  const allowAt = next - tolerance;
  if (nowMs < allowAt) {
    return { allowed: false, remaining: 0, resetMs: tat - nowMs, retryAfterMs: allowAt - nowMs, tatMs: tat };
  }
  return {
    allowed: true,
    remaining: Math.floor((nowMs - allowAt) / interval),
    resetMs: next - nowMs,
    retryAfterMs: 0,
    tatMs: next,
  };
}

/** A decision that may hand out several requests at once (a lease): `granted` of them, ≥ 1 when allowed. */
export type RateGrant = RateDecision & { granted: number };

/**
 * Up to `want` requests at once from one bucket [RL12]: as many as it holds right now, at least
 * one or none (then the same refusal as `decide`). `grant(t, now, p, 1)` is `decide(t, now, p)`.
 * `remaining` counts what is left in the bucket after the grant.
 */
export function grant(
  tatMs: number | undefined,
  nowMs: number,
  policy: RatePolicy,
  want: number,
): RateGrant & { tatMs: number } {
  const interval = 1000 / policy.ratePerSecond;
  const tolerance = policy.burst * interval;
  const tat = Math.max(tatMs ?? nowMs, nowMs);
  // Requests the bucket holds now: each needs tat + k·interval − tolerance ≤ now. The epsilon
  // keeps a float just under an integer from refusing what decide() allows.
  const holds = Math.floor((nowMs + tolerance - tat) / interval + 1e-9);
  if (holds < 1) {
    const allowAt = tat + interval - tolerance;
    return {
      allowed: false,
      granted: 0,
      remaining: 0,
      resetMs: tat - nowMs,
      retryAfterMs: allowAt - nowMs,
      tatMs: tat,
    };
  }
  const granted = Math.max(1, Math.min(Math.floor(want), holds));
  const next = tat + interval * granted;
  return { allowed: true, granted, remaining: holds - granted, resetMs: next - nowMs, retryAfterMs: 0, tatMs: next };
}

export type BurstShape = {
  /** Bursts may run at this multiple of the rate… */
  factor: number;
  /** …for this long, from a full bucket. */
  seconds: number;
};

/**
 * A policy that sustains `ratePerSecond` and, from idle, serves `factor` × that rate for at least
 * `seconds`: the bucket holds one second of the rate plus the excess of the burst.
 */
export function burstPolicy(name: string, ratePerSecond: number, shape: BurstShape): RatePolicy {
  const excess = Math.max(0, shape.factor - 1) * ratePerSecond * shape.seconds;
  return { name, ratePerSecond, burst: Math.max(1, Math.floor(ratePerSecond + excess)) };
}

/**
 * The peak that goes with a burst policy: `factor` × its rate, with one second of that as its own
 * bucket. The burst bucket alone would let a full bucket out at once (1,100 requests in a moment
 * for 100 req/s with 2x bursts for 10 s); the peak holds a burst to "2x" while it lasts. Undefined
 * when it would allow nothing the burst bucket does not already refuse.
 */
export function peakPolicy(policy: RatePolicy, factor: number): RatePolicy | undefined {
  const ratePerSecond = policy.ratePerSecond * Math.max(1, factor);
  const burst = Math.max(1, Math.floor(ratePerSecond));
  return burst >= policy.burst ? undefined : { name: `${policy.name}-peak`, ratePerSecond, burst };
}

export type PlanRates = Record<Plan, number>;

/** The workspace's policy: its operator override when set, else its plan's rate. */
export function workspacePolicy(
  plan: Plan,
  overridePerSecond: number | null,
  rates: PlanRates,
  shape: BurstShape,
): RatePolicy {
  return burstPolicy('workspace', overridePerSecond ?? rates[plan], shape);
}

/** `RateLimit-Policy` item: quota = the bucket, window = the time the rate takes to refill it. */
export function policyHeaderItem(policy: RatePolicy): string {
  const window = Math.max(1, Math.ceil(policy.burst / policy.ratePerSecond));
  return `"${policy.name}";q=${policy.burst};w=${window}`;
}

/** `RateLimit` item: what is left of the bucket and the seconds until it is full again. */
export function limitHeaderItem(policy: RatePolicy, decision: RateDecision): string {
  return `"${policy.name}";r=${decision.remaining};t=${Math.max(0, Math.ceil(decision.resetMs / 1000))}`;
}

export const retryAfterSeconds = (decision: RateDecision): number =>
  Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
