/**
 * A Clock (src/sync/clock.ts) for tests: time stands still until the test calls `advance`, which
 * runs the timers that fall due, in order, each at its own time. Zero-delay timers ("as soon as
 * possible", e.g. a persist batch of 0 ms) run on the next real turn of the event loop, so
 * group commit and acknowledgements keep flowing without the test stepping time for them.
 */
import type { Clock, Timer } from '../../src/sync/clock.ts';

type Scheduled = { at: number; seq: number; callback: () => void };

export class FakeClock implements Clock {
  private time = 1_000;
  private seq = 0;
  private readonly timers = new Map<Timer, Scheduled>();
  private readonly immediates = new Map<Timer, NodeJS.Immediate>();

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): Timer {
    const timer = {} as Timer;
    if (ms <= 0) {
      this.immediates.set(
        timer,
        setImmediate(() => {
          this.immediates.delete(timer);
          callback();
        }),
      );
    } else {
      this.timers.set(timer, { at: this.time + ms, seq: this.seq++, callback });
    }
    return timer;
  }

  clearTimeout(timer: Timer | undefined): void {
    if (!timer) return;
    this.timers.delete(timer);
    const immediate = this.immediates.get(timer);
    if (immediate) clearImmediate(immediate);
    this.immediates.delete(timer);
  }

  /**
   * Moves time forward without running any timer, as if the code running now took `ms` (an
   * injected slow send uses it to make a broadcast "take" time). Due timers run at the next `advance`.
   */
  elapse(ms: number): void {
    this.time += ms;
  }

  /** Timers waiting for time to pass. */
  get pending(): number {
    return this.timers.size;
  }

  /**
   * Moves time forward by `ms`, running every timer that falls due (also those scheduled by the
   * timers themselves), each at its own time, letting promises settle after each one.
   */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    for (;;) {
      let next: [Timer, Scheduled] | undefined;
      for (const entry of this.timers) {
        if (entry[1].at > target) continue;
        if (!next || entry[1].at < next[1].at || (entry[1].at === next[1].at && entry[1].seq < next[1].seq))
          next = entry;
      }
      if (!next) break;
      this.timers.delete(next[0]);
      this.time = Math.max(this.time, next[1].at);
      next[1].callback();
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.time = target;
    await new Promise((resolve) => setImmediate(resolve));
  }
}
