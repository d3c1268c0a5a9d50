/**
 * One batching lane of a big room's fan-out (fanout.ts): updates merged into one frame per
 * broadcast. A broadcast goes out at the end of the event-loop turn in which its first update
 * arrived (what arrived together goes together, as Hocuspocus merges per turn). A broadcast that
 * fits in one turn (at most `chunk` sockets) cannot be interleaved with arrivals: what arrives
 * while it is written is read in the next turn and goes merged at that turn's end, with no pause
 * (a pause would add its length to the next edit in a busy small room). A broadcast to more than
 * `chunk` sockets writes one chunk per event-loop turn, so even 10,000 sockets never hold the loop
 * for more than a few ms; after it the next one waits its duration — at most a tick — from its
 * END, so fan-out keeps to about half the event loop and everything that arrives meanwhile is
 * merged into the next frame (never one broadcast per update; issue 15). A lane's floor (the
 * viewer tick) spaces broadcasts' STARTS: at most one per floor, with no added silence. A
 * broadcast carrying one sender's updates only skips that sender (it holds them already). A big
 * room's presence samples ride the next broadcast (`attach`): one write per socket for both.
 * A room runs one lane for everyone, or two: editors with no floor, viewers with the viewer tick
 * as their floor (one merged frame per viewer tick for all of them).
 */
import * as Y from 'yjs';
import type { Clock, Timer } from './clock.ts';
import { encodeSyncUpdate } from './protocol.ts';
import type { Session } from './session.ts';

export type LaneDeps = {
  /** The sessions this broadcast goes to (a snapshot: joins meanwhile got it in their sync step 2). */
  targets(): Session[];
  /**
   * Writes `frame` (none: a broadcast of riders only) and the `riders` (presence frames going in
   * the same write) to targets[from, to), the update not to `skip`; returns how many got the
   * update. `before()`: the state vector of the document without this update, for sockets that
   * must catch up later instead.
   */
  deliver(
    frame: Uint8Array | undefined,
    riders: readonly Uint8Array[],
    targets: Session[],
    from: number,
    to: number,
    before: () => Uint8Array,
    skip: Session | undefined,
  ): number;
  /** The state vector of the document now, without `update`. */
  stateVectorBefore(update: Uint8Array): Uint8Array;
  propagated(seconds: number, recipients: number): void;
  /** A broadcast finished: its length (start to last chunk), updates merged, sockets written. */
  broadcasted(ms: number, updates: number, sockets: number): void;
};

export class BroadcastLane {
  private pending: Uint8Array[] = [];
  /** Presence frames that go with the next broadcast, in the same write to each socket. */
  private riders: Uint8Array[] = [];
  /** The one session every pending update came from (it needs none of them); null when mixed or unknown. */
  private sender: Session | null = null;
  /** Receipt (clock) of the oldest update waiting, for propagation. */
  private since = 0;
  /** When the last broadcast started, finished writing to every socket, and how long it took. */
  private lastStart = Number.NEGATIVE_INFINITY;
  private lastEnd = Number.NEGATIVE_INFINITY;
  private lastMs = 0;
  /** Whether the last broadcast spanned more than one event-loop turn (it was chunked). */
  private lastChunked = false;
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

  /** `from`: the local session that sent the update (undefined: the bus, storage, the server). */
  add(update: Uint8Array, receivedAt: number, from?: Session): void {
    if (this.pending.length === 0) {
      this.since = receivedAt || this.clock.now();
      this.sender = from ?? null;
    } else if (this.sender !== from) this.sender = null;
    this.pending.push(update);
    if (this.timer || this.broadcasting) return;
    this.schedule();
  }

  /**
   * A frame (a presence sample) for every target of this lane, written together with the next
   * broadcast's update frame (one write per socket instead of two), or alone when no update comes.
   */
  attach(frame: Uint8Array): void {
    this.riders.push(frame);
    if (this.timer || this.broadcasting) return;
    this.schedule();
  }

  private schedule(): void {
    // Only a chunked broadcast pauses the next one: it shared the loop with arrivals for its whole length.
    const pause = this.lastChunked ? Math.min(this.opts.tickMs, this.lastMs) : 0;
    // The floor is a rate (at most one broadcast per floor, counted from the last one's start), not
    // a silence after each: a viewer tick of 50 ms after a 45 ms broadcast would double the cycle.
    const due = Math.max(this.lastStart + this.opts.floorMs, this.lastEnd + pause);
    const wait = Math.max(0, due - this.clock.now());
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, wait);
  }

  private flush(): void {
    const updates = this.pending;
    const riders = this.riders;
    if ((updates.length === 0 && riders.length === 0) || this.broadcasting) return;
    this.pending = [];
    this.riders = [];
    const since = this.since;
    const skip = this.sender ?? undefined;
    this.sender = null;
    const started = this.clock.now();
    this.lastStart = started;
    const merged = updates.length === 0 ? undefined : updates.length === 1 ? updates[0]! : Y.mergeUpdates(updates);
    const frame = merged && encodeSyncUpdate(merged);
    const targets = this.deps.targets();
    let before: Uint8Array | undefined;
    const held = () => {
      before ??= this.deps.stateVectorBefore(merged!);
      return before;
    };
    const chunk = Math.max(1, this.opts.chunk);
    // Chunked: later updates reach the document between chunks, so what a socket holds without
    // this one is taken now, before the first chunk.
    if (merged && targets.length > chunk) held();
    let next = 0;
    let recipients = 0;
    const step = () => {
      this.timer = undefined;
      const end = Math.min(targets.length, next + chunk);
      recipients += this.deps.deliver(frame, riders, targets, next, end, held, skip);
      next = end;
      if (next < targets.length) {
        this.broadcasting = true;
        this.timer = this.clock.setTimeout(step, 0);
        return;
      }
      this.broadcasting = false;
      this.lastEnd = this.clock.now();
      this.lastMs = this.lastEnd - started;
      this.lastChunked = targets.length > chunk;
      if (frame) this.deps.propagated((this.lastEnd - since) / 1000, recipients);
      this.deps.broadcasted(this.lastMs, updates.length, targets.length);
      // What arrived during a chunked broadcast goes next, after the pause.
      if ((this.pending.length > 0 || this.riders.length > 0) && !this.timer) this.schedule();
    };
    step();
  }

  stop(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.broadcasting = false;
    this.pending = [];
    this.riders = [];
    this.sender = null;
  }
}
