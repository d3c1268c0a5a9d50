/**
 * A concurrency limit shared fairly by tenants [S11.9]: at most `capacity` tasks run at once, one
 * key (a workspace) holds at most `perKey` of them, and a freed slot goes to the waiting key served
 * longest ago, not to whoever queued first. With `perKey` below `capacity`, a tenant that opens
 * hundreds of cold documents at once leaves slots free for another tenant's room load, which
 * starts at once instead of behind its whole queue.
 *
 * Hand-written because p-limit and p-queue keep one FIFO (p-queue's priorities are not per key);
 * this is the one piece they lack, in ~60 lines.
 */

type Task = () => void;
const MAX_REMEMBERED_KEYS = 10_000;

export class FairSlots {
  private readonly capacity: number;
  private readonly perKey: number;
  private running = 0;
  private readonly runningByKey = new Map<string, number>();
  /** Keys with waiting tasks, in the order they started waiting (ties go to the earlier). */
  private readonly waiting = new Map<string, Task[]>();
  /** When each key last got a slot (a turn number). */
  private readonly servedAt = new Map<string, number>();
  private turn = 0;

  constructor(capacity: number, perKey = capacity) {
    this.capacity = Math.max(1, capacity);
    this.perKey = Math.max(1, Math.min(perKey, this.capacity));
  }

  /** Tasks running now, and waiting for a slot. */
  get active(): number {
    return this.running;
  }
  get pending(): number {
    let n = 0;
    for (const q of this.waiting.values()) n += q.length;
    return n;
  }

  /** Runs `fn` once a slot is free for `key`; settles as `fn` does. */
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const task = () => {
        this.running++;
        this.runningByKey.set(key, (this.runningByKey.get(key) ?? 0) + 1);
        let result: Promise<T>;
        try {
          result = fn();
        } catch (err) {
          result = Promise.reject(err);
        }
        result.then(resolve, reject).finally(() => this.release(key));
      };
      const queue = this.waiting.get(key);
      if (queue) queue.push(task);
      else this.waiting.set(key, [task]);
      this.dispatch();
    });
  }

  private release(key: string): void {
    this.running--;
    const left = (this.runningByKey.get(key) ?? 1) - 1;
    if (left > 0) this.runningByKey.set(key, left);
    else this.runningByKey.delete(key);
    // Turn history only matters for keys still busy; forget the rest when it grows (bounded).
    if (this.servedAt.size > MAX_REMEMBERED_KEYS) {
      for (const k of this.servedAt.keys())
        if (!this.waiting.has(k) && !this.runningByKey.has(k)) this.servedAt.delete(k);
    }
    this.dispatch();
  }

  /**
   * Starts waiting tasks while slots are free: each time, the waiting key (under its share) that
   * was served longest ago — so the key that just got a slot waits for every other key's turn.
   */
  private dispatch(): void {
    while (this.running < this.capacity) {
      let next: string | undefined;
      let oldest = Number.POSITIVE_INFINITY;
      for (const key of this.waiting.keys()) {
        if ((this.runningByKey.get(key) ?? 0) >= this.perKey) continue;
        const served = this.servedAt.get(key) ?? -1;
        if (served < oldest) {
          oldest = served;
          next = key;
        }
      }
      if (next === undefined) return;
      const queue = this.waiting.get(next) ?? [];
      const task = queue.shift();
      if (queue.length === 0) this.waiting.delete(next);
      this.servedAt.set(next, this.turn++);
      task?.();
    }
  }
}
