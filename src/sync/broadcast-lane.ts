/**
 * One batching lane of a big room's fan-out (fanout.ts): updates merged into one frame per
 * broadcast. A broadcast goes out at the end of the event-loop turn in which its first update
 * arrived (what arrived together goes together), and the next one no sooner than the previous
 * one's own duration — at most a tick, at least the lane's floor — after the previous one ENDED:
 * a cheap broadcast delays nothing, one longer than the tick cannot turn into one broadcast per
 * update (whatever arrives meanwhile is merged into the next frame; issue 15). A broadcast to more
 * than `chunk` sockets writes one chunk per event-loop turn, so even 10,000 sockets never hold the
 * loop for more than a few ms. A room runs one lane for everyone, or two: editors with no floor,
 * viewers with the viewer tick as their floor (one merged frame per viewer tick for all of them).
 */
import * as Y from 'yjs';
import type { Clock, Timer } from './clock.ts';
import { encodeSyncUpdate } from './protocol.ts';
import type { Session } from './session.ts';

export type LaneDeps = {
  /** The sessions this broadcast goes to (a snapshot: joins meanwhile got it in their sync step 2). */
  targets(): Session[];
  /**
   * Writes `frame` to targets[from, to); returns how many got it. `before()`: the state vector
   * of the document without this update, for sockets that must catch up later instead.
   */
  deliver(frame: Uint8Array, targets: Session[], from: number, to: number, before: () => Uint8Array): number;
  /** The state vector of the document now, without `update`. */
  stateVectorBefore(update: Uint8Array): Uint8Array;
  propagated(seconds: number, recipients: number): void;
};

export class BroadcastLane {
  private pending: Uint8Array[] = [];
  /** Receipt (clock) of the oldest update waiting, for propagation. */
  private since = 0;
  /** When the last broadcast finished writing to every socket, and how long it took. */
  private lastEnd = Number.NEGATIVE_INFINITY;
  private lastMs = 0;
  /** A chunked broadcast is in progress (its next chunk waits for the next turn). */
  private broadcasting = false;
  private timer: Timer | undefined;
  private readonly clock: Clock;
  private readonly opts: { tickMs: number; floorMs: number; chunk: number };
  private readonly deps: LaneDeps;

  constructor(clock: Clock, opts: BroadcastLane['opts'], deps: LaneDeps) {
    this.clock = clock;
    this.opts = opts;
    this.deps = deps;
  }

  add(update: Uint8Array, receivedAt: number): void {
    if (this.pending.length === 0) this.since = receivedAt || this.clock.now();
    this.pending.push(update);
    if (this.timer || this.broadcasting) return;
    this.schedule();
  }

  private schedule(): void {
    const gap = Math.max(this.opts.floorMs, Math.min(this.opts.tickMs, this.lastMs));
    const wait = Math.max(0, this.lastEnd + gap - this.clock.now());
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, wait);
  }

  private flush(): void {
    const updates = this.pending;
    if (updates.length === 0 || this.broadcasting) return;
    this.pending = [];
    const since = this.since;
    const started = this.clock.now();
    const merged = updates.length === 1 ? updates[0]! : Y.mergeUpdates(updates);
    const frame = encodeSyncUpdate(merged);
    const targets = this.deps.targets();
    let before: Uint8Array | undefined;
    const held = () => {
      before ??= this.deps.stateVectorBefore(merged);
      return before;
    };
    const chunk = Math.max(1, this.opts.chunk);
    // Chunked: later updates reach the document between chunks, so what a socket holds without
    // this one is taken now, before the first chunk.
    if (targets.length > chunk) held();
    let next = 0;
    let recipients = 0;
    const step = () => {
      this.timer = undefined;
      const end = Math.min(targets.length, next + chunk);
      recipients += this.deps.deliver(frame, targets, next, end, held);
      next = end;
      if (next < targets.length) {
        this.broadcasting = true;
        this.timer = this.clock.setTimeout(step, 0);
        return;
      }
      this.broadcasting = false;
      this.lastEnd = this.clock.now();
      this.lastMs = this.lastEnd - started;
      this.deps.propagated((this.lastEnd - since) / 1000, recipients);
      // What arrived during a chunked broadcast goes next, after the pause.
      if (this.pending.length > 0 && !this.timer) this.schedule();
    };
    step();
  }

  stop(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.broadcasting = false;
    this.pending = [];
  }
}
