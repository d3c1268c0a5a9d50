import { describe, expect, it } from 'vitest';
import { relativeTime } from './format.ts';

const NOW = Date.parse('2026-06-15T12:00:00Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();
const MIN = 60_000;

describe('relativeTime', () => {
  it('says "just now" under a minute, and for clocks slightly ahead', () => {
    expect(relativeTime(ago(30_000), NOW)).toBe('just now');
    expect(relativeTime(ago(-5_000), NOW)).toBe('just now');
  });

  it('counts minutes, hours and days in words', () => {
    expect(relativeTime(ago(MIN), NOW)).toBe('1 minute ago');
    expect(relativeTime(ago(59 * MIN), NOW)).toBe('59 minutes ago');
    expect(relativeTime(ago(60 * MIN), NOW)).toBe('1 hour ago');
    expect(relativeTime(ago(23 * 60 * MIN), NOW)).toBe('23 hours ago');
    expect(relativeTime(ago(30 * 60 * MIN), NOW)).toBe('yesterday');
    expect(relativeTime(ago(3 * 24 * 60 * MIN), NOW)).toBe('3 days ago');
  });

  it('shows a date after a week, with the year only when it differs', () => {
    const sameYear = relativeTime('2026-03-02T10:00:00Z', NOW);
    expect(sameYear).toMatch(/Mar/);
    expect(sameYear).not.toMatch(/2026/);
    expect(relativeTime('2024-03-02T10:00:00Z', NOW)).toMatch(/2024/);
  });

  it('returns an empty string for a value that is not a date', () => {
    expect(relativeTime('soon', NOW)).toBe('');
  });
});
