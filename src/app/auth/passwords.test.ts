/**
 * Password hashing: hashes verify, and derivations are bounded so a burst of log-ins queues for a
 * turn instead of taking every libuv thread and core from the event loop (docs/benchmarks.md
 * "Load test").
 */
import { describe, expect, it } from 'vitest';
import { HASH_CONCURRENCY, hashPassword, passwordHashing, verifyPassword } from './passwords.ts';

/** The cheapest cost the schema allows: these tests check behaviour, not strength. */
const COST = 1024;

describe('password hashing', () => {
  it('verifies the right password and refuses a wrong one', async () => {
    const stored = await hashPassword('correct horse battery', COST);
    expect(stored).toMatch(/^scrypt\$1024\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(await verifyPassword('correct horse battery', stored)).toBe(true);
    expect(await verifyPassword('wrong horse battery', stored)).toBe(false);
  });

  it('runs at most HASH_CONCURRENCY derivations at once (leaving a core to the event loop); the rest wait their turn', async () => {
    expect(HASH_CONCURRENCY).toBeGreaterThanOrEqual(1);
    const burst = HASH_CONCURRENCY + 4;
    const hashes = Array.from({ length: burst }, (_, i) => hashPassword(`burst password ${i}`, COST));
    let mostActive = 0;
    let sawWaiting = false;
    const watching = (async () => {
      for (;;) {
        const now = passwordHashing();
        mostActive = Math.max(mostActive, now.active);
        if (now.waiting > 0) sawWaiting = true;
        if (now.active === 0 && now.waiting === 0) return;
        await new Promise((r) => setImmediate(r));
      }
    })();
    const stored = await Promise.all(hashes);
    await watching;
    expect(stored).toHaveLength(burst);
    expect(mostActive).toBeLessThanOrEqual(HASH_CONCURRENCY);
    expect(mostActive).toBeGreaterThanOrEqual(1);
    expect(sawWaiting).toBe(true);
    expect(passwordHashing()).toEqual({ active: 0, waiting: 0 });
  });
});
