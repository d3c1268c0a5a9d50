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
  setTimeout(callback: () => void, ms: number): Timer;
  clearTimeout(timer: Timer | undefined): void;
}

/** The real clock: `performance.now()` and Node's timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms) as unknown as Timer,
  clearTimeout: (timer) => {
    if (timer) clearTimeout(timer as unknown as NodeJS.Timeout);
  },
};
