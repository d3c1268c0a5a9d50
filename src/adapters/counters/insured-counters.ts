/**
 * Counters that outlive their store: while Redis fails (Unavailable), this instance counts in
 * process instead, so log-in lock-out and sign-up throttling hold per instance rather than
 * answering every log-in with 503. Counts made meanwhile stay local; Redis's resume when it is back.
 */
import type { CounterStore, Hit } from '../../app/ports.ts';
import { Unavailable } from '../../domain/errors.ts';

export class InsuredCounters implements CounterStore {
  private readonly primary: CounterStore;
  private readonly fallback: CounterStore;
  private readonly onFallback: (err: unknown) => void;

  constructor(primary: CounterStore, fallback: CounterStore, onFallback: (err: unknown) => void) {
    this.primary = primary;
    this.fallback = fallback;
    this.onFallback = onFallback;
  }

  private async either<T>(work: (store: CounterStore) => Promise<T>): Promise<T> {
    try {
      return await work(this.primary);
    } catch (err) {
      if (!(err instanceof Unavailable)) throw err;
      this.onFallback(err);
      return work(this.fallback);
    }
  }

  increment(key: string, windowSeconds: number): Promise<Hit> {
    return this.either((s) => s.increment(key, windowSeconds));
  }

  peek(key: string): Promise<Hit> {
    return this.either((s) => s.peek(key));
  }

  reset(key: string): Promise<void> {
    return this.either((s) => s.reset(key));
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.primary.close(), this.fallback.close()]);
  }
}
