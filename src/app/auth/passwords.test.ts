/**
 * Password hashing: hashes verify, and derivations are bounded so a burst of log-ins queues for a
 * turn instead of taking every libuv thread and core from the event loop (docs/benchmarks.md
 * "Load test").
 */
import { describe, expect, it } from 'vitest';
import {
  HASH_CONCURRENCY,
  hashPassword,
  passwordHashing,
  setPasswordHashConcurrency,
  verifyPassword,
} from './passwords.ts';

/**
 * Lets queued derivations start (p-limit starts them on microtasks) but none finish: scrypt's
 * callback needs a turn of the event loop, which microtasks never give.
 */
async function startedAll(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

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

  it('PASSWORD_HASH_CONCURRENCY raises the bound (0 restores the default)', async () => {
    setPasswordHashConcurrency(HASH_CONCURRENCY + 2);
    try {
      const hashes = Array.from({ length: HASH_CONCURRENCY + 2 }, (_, i) => hashPassword(`wide ${i}`, COST));
      await startedAll();
      expect(passwordHashing()).toEqual({ active: HASH_CONCURRENCY + 2, waiting: 0 });
      await Promise.all(hashes);
    } finally {
      setPasswordHashConcurrency(0);
    }
    const narrow = Array.from({ length: HASH_CONCURRENCY + 1 }, (_, i) => hashPassword(`narrow ${i}`, COST));
    await startedAll();
    expect(passwordHashing().active).toBe(HASH_CONCURRENCY);
    await Promise.all(narrow);
  });
});
