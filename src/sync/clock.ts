/**
 * Time as the sync core sees it: a monotonic `now()` in milliseconds and one-shot timers. The
 * core never calls `setTimeout` or `performance.now()` itself, so tests drive it with a fake
 * clock (test/support/fake-clock.ts) instead of sleeping.
 */

/** An opaque timer handle: only the clock that made it can clear it. */
export type Timer = { readonly __timer: unique symbol };

export interface Clock {
  /** Milliseconds on a monotonic scale (only differences mean anything). */
  now(): number;
  /** Runs `callback` after `ms`; 0 (or less) means "at the end of this event-loop turn". */
  setTimeout(callback: () => void, ms: number): Timer;
  clearTimeout(timer: Timer | undefined): void;
}

type NodeTimer = { timeout?: NodeJS.Timeout; immediate?: NodeJS.Immediate };

/**
 * The real clock: `performance.now()` and Node's timers. A zero delay is a `setImmediate` (after
 * the I/O callbacks of this turn, so whatever arrived together is handled together), not
 * `setTimeout(0)`, which waits at least 1 ms.
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => {
    const timer: NodeTimer = ms > 0 ? { timeout: setTimeout(callback, ms) } : { immediate: setImmediate(callback) };
    return timer as unknown as Timer;
  },
  clearTimeout: (timer) => {
    if (!timer) return;
    const t = timer as unknown as NodeTimer;
    if (t.timeout) clearTimeout(t.timeout);
    if (t.immediate) clearImmediate(t.immediate);
  },
};
