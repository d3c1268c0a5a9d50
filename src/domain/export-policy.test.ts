import { describe, expect, it } from 'vitest';
import { ExportQuotaExceeded, quotaMonth, retryDelayMs } from './export-policy.ts';

describe('export policy', () => {
  it('[E4.3] backs off 1 s, 2 s, 4 s from a 1 s base, jitter adding at most 25 %', () => {
    expect([1, 2, 3].map((n) => retryDelayMs(n, 1_000, 0))).toEqual([1_000, 2_000, 4_000]);
    expect([1, 2, 3].map((n) => retryDelayMs(n, 1_000, 0.999))).toEqual([1_250, 2_500, 4_999]);
  });

  it('[E3.1] counts in UTC calendar months and resets on the first of the next one', () => {
    const { start, resetsAt } = quotaMonth(new Date('2026-12-31T23:59:59.999Z'));
    expect(start.toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(resetsAt.toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });

  it('[E3.1] an exceeded quota says which plan, the limit and when it resets, with Retry-After until then', () => {
    const now = new Date('2026-11-30T23:00:00.000Z');
    const err = new ExportQuotaExceeded('business', 1_000, now);
    expect(err.status).toBe(429);
    expect(err.message).toContain('business plan allows 1000 exports');
    expect(err.message).toContain('2026-12-01T00:00:00.000Z');
    expect(err.retryAfterSeconds).toBe(3_600);
  });
});
