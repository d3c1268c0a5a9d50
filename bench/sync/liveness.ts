/**
 * Samples a server's liveness endpoint throughout a workload (one request at a time, every
 * `intervalMs`): a process whose event loop is drowning in fan-out answers late or not at all,
 * and that is what an orchestrator's probe would see. Timeouts count at the timeout's length.
 */
import { type Distribution, distribution } from './propagation.ts';

const INTERVAL_MS = 100;
const TIMEOUT_MS = 2_000;

export type LivenessReport = Distribution & { timeouts: number; failures: number };

export class LivenessSampler {
  private readonly url: string;
  private readonly samples: number[] = [];
  private timeouts = 0;
  private failures = 0;
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(url: string) {
    this.url = url;
  }

  start(): this {
    this.running = true;
    this.loop = this.run();
    return this;
  }

  private async run(): Promise<void> {
    while (this.running) {
      const started = performance.now();
      try {
        const res = await fetch(this.url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
        await res.arrayBuffer();
        if (!res.ok) this.failures++;
        this.samples.push(performance.now() - started);
      } catch (err) {
        if (err instanceof Error && err.name === 'TimeoutError') {
          this.timeouts++;
          this.samples.push(TIMEOUT_MS);
        } else this.failures++;
      }
      const wait = INTERVAL_MS - (performance.now() - started);
      if (wait > 0 && this.running) await new Promise((r) => setTimeout(r, wait));
    }
  }

  async stop(): Promise<LivenessReport | null> {
    this.running = false;
    await this.loop;
    const d = distribution(this.samples);
    return d && { ...d, timeouts: this.timeouts, failures: this.failures };
  }
}
