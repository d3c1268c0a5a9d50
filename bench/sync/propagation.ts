/**
 * End-to-end propagation: editors log when each numbered edit left; receivers log when they saw
 * it. Both run in this process, so one clock (performance.now) serves both ends.
 */

export type Distribution = { count: number; p50: number; p95: number; p99: number; max: number; mean: number };

const round = (ms: number) => Math.round(ms * 100) / 100;

/** Nearest-rank percentiles in milliseconds; null when there is nothing to summarise. */
export function distribution(samples: readonly number[]): Distribution | null {
  if (samples.length === 0) return null;
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
  const total = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    p50: round(at(0.5)),
    p95: round(at(0.95)),
    p99: round(at(0.99)),
    max: round(sorted[sorted.length - 1] as number),
    mean: round(total / sorted.length),
  };
}

/** Send times of every edit, per editor (index = sequence number - 1). */
export class SendLog {
  private readonly sent = new Map<string, number[]>();

  /** Records that `editor` sends its next edit now; returns that edit's sequence number. */
  next(editor: string): number {
    let times = this.sent.get(editor);
    if (!times) {
      times = [];
      this.sent.set(editor, times);
    }
    times.push(performance.now());
    return times.length;
  }

  sentAt(editor: string, seq: number): number | undefined {
    return this.sent.get(editor)?.[seq - 1];
  }

  /** Edits of `editor` sent in [from, until). */
  sentBetween(editor: string, from: number, until: number): number {
    let n = 0;
    for (const t of this.sent.get(editor) ?? []) if (t >= from && t < until) n++;
    return n;
  }

  get total(): number {
    let n = 0;
    for (const t of this.sent.values()) n += t.length;
    return n;
  }
}

/**
 * Latencies seen by a group of receivers. A frame may carry several edits of one editor (a
 * server that merges updates per tick); each of them is counted, with its own send time.
 */
export class Receipts {
  readonly latencies: number[] = [];
  private readonly seen = new Map<string, number>();
  /** Only edits sent after this moment count (the handshake and warm-up are not measured). */
  private measuringFrom = Number.POSITIVE_INFINITY;
  private measuringUntil = Number.POSITIVE_INFINITY;
  private readonly log: SendLog;

  constructor(log: SendLog) {
    this.log = log;
  }

  /** Called by one receiver; `receiver` tells receivers apart. */
  listener(receiver: number) {
    return (editor: string, seq: number, receivedAt: number) => {
      const key = `${receiver}\u0000${editor}`;
      const last = this.seen.get(key) ?? 0;
      if (seq <= last) return;
      this.seen.set(key, seq);
      for (let s = last + 1; s <= seq; s++) {
        const sentAt = this.log.sentAt(editor, s);
        if (sentAt !== undefined && sentAt >= this.measuringFrom && sentAt < this.measuringUntil)
          this.latencies.push(receivedAt - sentAt);
      }
    };
  }

  /** Editors whose edits these receivers should see, with how many receivers each. */
  private readonly audience = new Map<string, number>();

  /** Declares that `receivers` receivers of this group should see every edit of `editor`. */
  expect(editor: string, receivers: number) {
    this.audience.set(editor, (this.audience.get(editor) ?? 0) + receivers);
  }

  start() {
    this.measuringFrom = performance.now();
  }

  stop() {
    this.measuringUntil = performance.now();
  }

  /** Deliveries due in the measured window, and how many never arrived (call after a drain). */
  delivery() {
    let expected = 0;
    for (const [editor, receivers] of this.audience)
      expected += receivers * this.log.sentBetween(editor, this.measuringFrom, this.measuringUntil);
    return { expected, received: this.latencies.length, missing: Math.max(0, expected - this.latencies.length) };
  }
}
