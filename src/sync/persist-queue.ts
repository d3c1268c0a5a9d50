/**
 * Group commit for one document: updates accepted within `batchMs` (and while a write is in
 * flight) are merged into one log row; each sender is told "saved up to frame N" only after that
 * row commits. A failed write keeps its updates and acknowledgements and retries with backoff.
 */
import * as Y from 'yjs';
import { type Clock, systemClock, type Timer } from './clock.ts';

/** Whoever should hear "your first N update frames are durable". */
export interface AckTarget {
  acknowledge(count: number): void;
}

export type PersistQueueOptions = {
  batchMs: number;
  /** Defaults to the real clock. */
  clock?: Clock;
  append: (update: Uint8Array) => Promise<void>;
  onBatch?: (updates: number, bytes: number, seconds: number) => void;
  onError?: (err: unknown, attempt: number) => void;
};

const RETRY_BASE_MS = 50;
const RETRY_MAX_MS = 5_000;

export class PersistQueue {
  private readonly opts: PersistQueueOptions;
  private readonly clock: Clock;
  private pending: Uint8Array[] = [];
  private acks = new Map<AckTarget, number>();
  private timer: Timer | undefined;
  private inflight: Promise<void> | undefined;
  private failures = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(opts: PersistQueueOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? systemClock;
  }

  /** Queues an update; `target` hears about frame `count` once it is durable. */
  add(update: Uint8Array, target?: AckTarget, count?: number): void {
    this.pending.push(update);
    if (target && count !== undefined) this.noteAck(target, count);
    this.schedule(this.opts.batchMs);
  }

  /** Acknowledges frame `count` once everything queued before it is durable (no bytes of its own). */
  barrier(target: AckTarget, count: number): void {
    if (this.idle) {
      target.acknowledge(count);
      return;
    }
    this.noteAck(target, count);
    this.schedule(this.opts.batchMs);
  }

  get idle(): boolean {
    return this.pending.length === 0 && this.acks.size === 0 && !this.inflight;
  }

  get pendingUpdates(): number {
    return this.pending.length;
  }

  /** Writes whatever is queued now and resolves when the queue is empty (shutdown, unload). */
  async drain(): Promise<void> {
    if (this.idle) return;
    const done = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    if (!this.inflight) this.schedule(0, true);
    await done;
  }

  /** Forget a target whose socket closed (its acknowledgements have nowhere to go). */
  forget(target: AckTarget): void {
    this.acks.delete(target);
  }

  private noteAck(target: AckTarget, count: number): void {
    const known = this.acks.get(target);
    if (known === undefined || count > known) this.acks.set(target, count);
  }

  private schedule(delayMs: number, replace = false): void {
    if (this.inflight) return; // the write in flight reschedules when it ends
    if (this.timer) {
      if (!replace) return;
      this.clock.clearTimeout(this.timer);
    }
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, delayMs);
  }

  private flush(): void {
    const updates = this.pending;
    const acks = this.acks;
    this.pending = [];
    this.acks = new Map();
    this.inflight = this.write(updates, acks).finally(() => {
      this.inflight = undefined;
      if (this.pending.length > 0 || this.acks.size > 0) {
        // Under load the next batch goes out as soon as this one committed; after a failure, back off.
        const delay = this.failures === 0 ? 0 : Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (this.failures - 1));
        this.schedule(delay);
      } else {
        for (const resolve of this.idleWaiters.splice(0)) resolve();
      }
    });
  }

  private async write(updates: Uint8Array[], acks: Map<AckTarget, number>): Promise<void> {
    if (updates.length > 0) {
      const merged = updates.length === 1 ? updates[0]! : Y.mergeUpdates(updates);
      const started = this.clock.now();
      try {
        await this.opts.append(merged);
      } catch (err) {
        this.failures++;
        this.opts.onError?.(err, this.failures);
        // Put the batch back in front, keeping order; acknowledgements wait for it.
        this.pending = [merged, ...this.pending];
        for (const [target, count] of acks) this.noteAck(target, count);
        return;
      }
      this.failures = 0;
      this.opts.onBatch?.(updates.length, merged.byteLength, (this.clock.now() - started) / 1000);
    }
    for (const [target, count] of acks) target.acknowledge(count);
  }
}
