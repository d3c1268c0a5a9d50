/** In-process fixed-window counters for the embedded mode; expired windows are swept. */
import type { CounterStore, Hit } from '../../app/ports.ts';

const SWEEP_INTERVAL_MS = 60_000;

export class MemoryCounters implements CounterStore {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  private sweep(): void {
    const t = this.now();
    for (const [k, w] of this.windows) if (w.resetAt <= t) this.windows.delete(k);
  }

  async increment(key: string, windowSeconds: number): Promise<Hit> {
    const t = this.now();
    let w = this.windows.get(key);
    if (!w || w.resetAt <= t) {
      w = { count: 0, resetAt: t + windowSeconds * 1000 };
      this.windows.set(key, w);
    }
    w.count++;
    return { count: w.count, resetInSeconds: Math.ceil((w.resetAt - t) / 1000) };
  }

  async peek(key: string): Promise<Hit> {
    const t = this.now();
    const w = this.windows.get(key);
    if (!w || w.resetAt <= t) return { count: 0, resetInSeconds: 0 };
    return { count: w.count, resetInSeconds: Math.ceil((w.resetAt - t) / 1000) };
  }

  async reset(key: string): Promise<void> {
    this.windows.delete(key);
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.windows.clear();
  }
}
