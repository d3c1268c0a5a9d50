/** FairSlots [S11.9]: capacity, the per-key share, and turns across keys — with gated tasks, no timers. */
import { describe, expect, it } from 'vitest';
import { FairSlots } from './fair-slots.ts';

/** A task the test finishes by hand, recording when it started. */
function gated(log: string[], name: string) {
  let open!: () => void;
  const done = new Promise<void>((r) => {
    open = r;
  });
  return {
    fn: async () => {
      log.push(name);
      await done;
      return name;
    },
    open: () => open(),
  };
}

const settle = () => new Promise<void>((r) => setImmediate(r));

describe('FairSlots', () => {
  it('[S11.9] runs at most `capacity` tasks, and at most `perKey` of one key while others wait', async () => {
    const slots = new FairSlots(4, 2);
    const started: string[] = [];
    const noisy = Array.from({ length: 10 }, (_, i) => gated(started, `noisy${i}`));
    const results = noisy.map((t) => slots.run('noisy', t.fn));
    await settle();
    // Alone, the noisy key still gets only its share.
    expect(started).toEqual(['noisy0', 'noisy1']);
    const quiet = gated(started, 'quiet0');
    const quietResult = slots.run('quiet', quiet.fn);
    await settle();
    // The quiet tenant starts at once: a slot was free for it.
    expect(started).toEqual(['noisy0', 'noisy1', 'quiet0']);
    expect(slots.active).toBe(3);
    quiet.open();
    await expect(quietResult).resolves.toBe('quiet0');
    for (const t of noisy) t.open();
    await expect(Promise.all(results)).resolves.toHaveLength(10);
    expect(slots.active).toBe(0);
    expect(slots.pending).toBe(0);
  });

  it('[S11.9] a freed slot goes to the next key in turn, not to the longest queue', async () => {
    const slots = new FairSlots(1);
    const started: string[] = [];
    const tasks = [
      ...['a0', 'a1', 'a2', 'a3'].map((n) => ({ key: 'a', t: gated(started, n) })),
      ...['b0', 'b1'].map((n) => ({ key: 'b', t: gated(started, n) })),
      { key: 'c', t: gated(started, 'c0') },
    ];
    const results = tasks.map(({ key, t }) => slots.run(key, t.fn));
    for (let i = 0; i < tasks.length; i++) {
      await settle();
      for (const { t } of tasks) t.open(); // finish whatever runs
    }
    await Promise.all(results);
    expect(started).toEqual(['a0', 'b0', 'c0', 'a1', 'b1', 'a2', 'a3']);
  });

  it('[S11.9] a failing task frees its slot and rejects only its own caller', async () => {
    const slots = new FairSlots(1);
    const failed = slots.run('a', async () => {
      throw new Error('log unreadable');
    });
    const thrown = slots.run('a', () => {
      throw new Error('sync throw');
    });
    const next = slots.run('b', async () => 'loaded');
    await expect(failed).rejects.toThrow('log unreadable');
    await expect(thrown).rejects.toThrow('sync throw');
    await expect(next).resolves.toBe('loaded');
    expect(slots.active).toBe(0);
  });
});
