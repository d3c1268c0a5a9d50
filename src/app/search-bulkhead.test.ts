/**
 * The search bulkhead (docs/spec/limits.md [RL13]): each kind of search runs at most `concurrency`
 * at once, the rest wait in turn up to `queueMax`, and past that the caller gets 503 with
 * Retry-After while the other kind keeps its own lane.
 */
import { describe, expect, it } from 'vitest';
import { Unavailable } from '../domain/errors.ts';
import type { SearchIndex } from './ports.ts';
import { Search, type SearchKind } from './search.ts';

/** An index whose queries finish only when the test says so, counting how many run at once. */
function heldIndex() {
  const held: Array<() => void> = [];
  let running = 0;
  let peak = 0;
  const hold = async <T>(value: T): Promise<T> => {
    running++;
    peak = Math.max(peak, running);
    await new Promise<void>((resolve) => held.push(resolve));
    running--;
    return value;
  };
  const index: SearchIndex = {
    documents: () => hold({ hits: [], windowFull: false }),
    titles: () => hold([]),
  };
  const releaseOne = async () => {
    held.shift()?.();
    // Let the finished query's turn pass to the next in line.
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { index, held, releaseOne, running: () => running, peak: () => peak };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('search bulkhead [RL13]', () => {
  it('runs at most `concurrency` searches at once; the rest wait their turn and all complete', async () => {
    const probe = heldIndex();
    const search = new Search(probe.index, undefined, { concurrency: 2, queueMax: 10 });
    const all = Array.from({ length: 6 }, (_, i) => search.search('u', { q: `word${i}`, limit: 5 }));
    await settle();
    expect(probe.running()).toBe(2);
    expect(search.waiting('documents')).toBe(4);
    while (probe.held.length) {
      await probe.releaseOne();
      await settle();
    }
    const pages = await Promise.all(all);
    expect(pages).toHaveLength(6);
    expect(probe.peak()).toBe(2);
    expect(search.waiting('documents')).toBe(0);
  });

  it('answers 503 with Retry-After once `queueMax` are waiting, and counts the refusal', async () => {
    const probe = heldIndex();
    const rejected: SearchKind[] = [];
    const search = new Search(probe.index, undefined, {
      concurrency: 1,
      queueMax: 2,
      onRejected: (kind) => rejected.push(kind),
    });
    const admitted = [1, 2, 3].map((i) => search.search('u', { q: `word${i}`, limit: 5 }));
    await settle();
    const refused = search.search('u', { q: 'one too many', limit: 5 });
    await expect(refused).rejects.toBeInstanceOf(Unavailable);
    await expect(refused).rejects.toMatchObject({ status: 503, retryAfterSeconds: 1 });
    expect(rejected).toEqual(['documents']);
    // The quick switcher has its own lane: a full search queue does not refuse it.
    const title = search.titles('u', { q: 'plan', limit: 5 });
    await settle();
    expect(search.waiting('titles')).toBe(0);
    while (probe.held.length) {
      await probe.releaseOne();
      await settle();
    }
    await Promise.all([...admitted, title]);
  });

  it('a failing search frees its turn for the next', async () => {
    let calls = 0;
    const index: SearchIndex = {
      documents: async () => {
        calls++;
        if (calls === 1) throw new Error('statement failed');
        return { hits: [], windowFull: false };
      },
      titles: async () => [],
    };
    const search = new Search(index, undefined, { concurrency: 1, queueMax: 5 });
    const first = search.search('u', { q: 'alpha', limit: 5 });
    const second = search.search('u', { q: 'beta', limit: 5 });
    await expect(first).rejects.toThrow('statement failed');
    await expect(second).resolves.toMatchObject({ items: [] });
  });
});
