/** Top talkers: the Space-Saving sketch finds the heavy hitters, windows roll on the clock, and series stay bounded. */
import client from 'prom-client';
import { describe, expect, it } from 'vitest';
import { SpaceSaving, TopTalkers } from './top-talkers.ts';

describe('SpaceSaving', () => {
  it('keeps every key heavier than total/capacity, with an over-estimate bounded by its error', () => {
    const sketch = new SpaceSaving(20); // total 3,750: any key above 187.5 is guaranteed kept
    const truth = new Map<string, number>();
    // 3 heavy hitters among 2,000 one-off keys, interleaved.
    for (let i = 0; i < 2_000; i++) {
      for (const [key, every] of [
        ['heavy-a', 2],
        ['heavy-b', 4],
        ['heavy-c', 8],
      ] as const) {
        if (i % every === 0) {
          sketch.offer(key);
          truth.set(key, (truth.get(key) ?? 0) + 1);
        }
      }
      sketch.offer(`noise-${i}`);
    }
    const top = sketch.top(3);
    expect(top.map((t) => t.id)).toEqual(['heavy-a', 'heavy-b', 'heavy-c']);
    for (const t of top) {
      const actual = truth.get(t.id) ?? 0;
      expect(t.count).toBeGreaterThanOrEqual(actual);
      expect(t.count - t.error).toBeLessThanOrEqual(actual);
    }
  });
});

describe('TopTalkers', () => {
  it('exports the last complete window, top N only, and forgets keys that left it', async () => {
    let now = 0;
    const registry = new client.Registry();
    const talkers = new TopTalkers(registry, { n: 2, capacity: 8, windowMs: 60_000, now: () => now });
    for (const [id, n] of [
      ['w1', 50],
      ['w2', 30],
      ['w3', 10],
    ] as const) {
      for (let i = 0; i < n; i++) talkers.count('workspaceRequests', id);
    }
    talkers.count('documentReceivedBytes', 'd1', 4096);
    // The window is not complete yet: nothing exported.
    expect(await registry.metrics()).not.toMatch(/top_talker_workspace_requests\{/);
    now = 61_000;
    const text = await registry.metrics();
    expect(text).toMatch(/top_talker_workspace_requests\{workspace="w1"\} 50/);
    expect(text).toMatch(/top_talker_workspace_requests\{workspace="w2"\} 30/);
    expect(text).not.toMatch(/workspace="w3"/);
    expect(text).toMatch(/top_talker_document_received_bytes\{document="d1"\} 4096/);
    expect(talkers.view().windowStart).toBe(new Date(0).toISOString());
    // A quiet minute later the old talkers are gone, not frozen.
    talkers.count('workspaceRequests', 'w9');
    now = 121_000;
    const later = await registry.metrics();
    expect(later).toMatch(/top_talker_workspace_requests\{workspace="w9"\} 1/);
    expect(later).not.toMatch(/workspace="w1"/);
    // After a long gap there is no complete window with traffic.
    now = 600_000;
    expect(await registry.metrics()).not.toMatch(/top_talker_workspace_requests\{/);
  });

  it('counts open sockets per document exactly and ranks them at scrape time', async () => {
    const registry = new client.Registry();
    const talkers = new TopTalkers(registry, { n: 2, capacity: 8, windowMs: 60_000 });
    for (let i = 0; i < 5; i++) talkers.socketOpened('hot');
    talkers.socketOpened('warm');
    talkers.socketOpened('warm');
    talkers.socketOpened('cold');
    talkers.socketClosed('hot');
    expect(talkers.topSockets()).toEqual([
      { id: 'hot', count: 4 },
      { id: 'warm', count: 2 },
    ]);
    talkers.socketClosed('cold');
    expect(talkers.view().documents.sockets.map((s) => s.id)).toEqual(['hot', 'warm']);
    expect(await registry.metrics()).toMatch(/top_talker_document_sockets\{document="hot"\} 4/);
  });
});
