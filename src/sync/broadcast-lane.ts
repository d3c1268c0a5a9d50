/**
 * One rolling lane of a big room's fan-out (fanout.ts) [S5.4, S5.7]: the lane cycles over its
 * sockets one chunk per event-loop turn, and each chunk is written everything that arrived up to
 * the moment it is written (its window in the room's LaneLog: one merged update, one encoded
 * frame, shared by the sockets at the same position). An update that arrives half-way through a
 * cycle reaches the rest of that cycle's chunks at once and the first ones in the next cycle, so
 * every socket has it within ONE cycle — where a broadcast of a snapshot made it wait for the
 * next broadcast and then for its socket's turn in it (p95 ≈ 1.7 cycles; issue 15).
 *
 * A cycle starts at the end of the turn in which something arrived for an idle lane (what arrives
 * together goes together, as Hocuspocus merges per turn), and the next one right after it while
 * anything is owed, no sooner than the lane's spacing after the previous start: its floor (the
 * viewer or editor tick), and for a lane of more than one chunk the broadcast tick (a socket gets
 * at most one frame per tick). A lane that fits in one chunk has no tick: one write per turn with
 * arrivals, no pause. When nobody is owed anything the lane stops (no idle work). Chunks yield the
 * loop between them, so `/livez`, SAVED and other rooms interleave. A window holding one sender's
 * updates only is not written to that sender; presence samples ride the next write of each
 * socket (one write for both). Joins start at the log's head (their sync step 2 holds the rest);
 * a socket that left is skipped.
 */
import type { Clock, Timer } from './clock.ts';
import type { LaneLog, Riders, UpdateWindow } from './lane-log.ts';
import type { Session } from './session.ts';

/** What `write` did: bit 1 the update went, bit 2 the presence did. */
export const WROTE_UPDATE = 1;
export const WROTE_PRESENCE = 2;

export type LaneDeps = {
  /** The sessions of this lane now (a snapshot per cycle). */
  targets(): Session[];
  /** Whether the room still sends through this lane (a room changes lanes as it grows or shrinks). */
  active(): boolean;
  /** Wakes the lanes the room now uses; false when it uses none (this lane finishes what it owes). */
  handOff(): boolean;
  /**
   * Writes the update window (none: presence only) and the riders to one socket under
   * backpressure (a lagging viewer gets no update and catches up from `update.before()`); returns
   * WROTE_UPDATE | WROTE_PRESENCE for what went.
   */
  write(session: Session, update: UpdateWindow | undefined, riders: Riders): number;
  /** A chunk wrote `updates` update frames (`updateBytes`) and `presence` presence writes (`presenceBytes`). */
  sent(updates: number, updateBytes: number, presence: number, presenceBytes: number): void;
  propagated(seconds: number, recipients: number): void;
  /** A cycle finished: its length (first chunk to last), updates it started delivering, sockets in it. */
  broadcasted(ms: number, updates: number, sockets: number): void;
};

export class BroadcastLane {
  private targets: Session[] = [];
  private next = 0;
  private cycling = false;
  private timer: Timer | undefined;
  /** When the last cycle started, and whether it spanned more than one chunk. */
  private cycleStart = Number.NEGATIVE_INFINITY;
  private lastChunked = false;
  /** Log sequence up to which this lane's cycles have reported updates (sync_broadcast_updates). */
  private counted = 0;
  /** The current cycle: update frames written, receipt of the oldest update its first chunk wrote. */
  private recipients = 0;
  private oldestAt = Number.POSITIVE_INFINITY;
  private wrote = false;
  private readonly clock: Clock;
  private readonly log: LaneLog;
  private readonly opts: { tickMs: number; floorMs: number; chunk: number };
  private readonly deps: LaneDeps;

  constructor(clock: Clock, log: LaneLog, opts: BroadcastLane['opts'], deps: LaneDeps) {
    this.clock = clock;
    this.log = log;
    this.opts = opts;
    this.deps = deps;
  }

  /**
   * Something was appended to the log for this lane's sockets (`seq`: the update's sequence;
   * none: a presence sample). An idle lane starts a cycle; a running one picks it up as it goes.
   */
  wake(seq?: number): void {
    if (this.timer || this.cycling) return;
    this.counted = seq ?? this.log.head;
    this.schedule();
  }

  /** Whether a cycle is running or due. */
  get busy(): boolean {
    return this.cycling || this.timer !== undefined;
  }

  private schedule(): void {
    // A rate of cycle starts, not a silence after each: a viewer tick of 50 ms after a 45 ms
    // cycle would double it.
    const spacing = Math.max(this.opts.floorMs, this.lastChunked ? this.opts.tickMs : 0);
    const wait = Math.max(0, this.cycleStart + spacing - this.clock.now());
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.startCycle();
    }, wait);
  }

  private startCycle(): void {
    this.targets = this.deps.targets();
    this.next = 0;
    this.cycling = true;
    this.cycleStart = this.clock.now();
    this.recipients = 0;
    this.oldestAt = Number.POSITIVE_INFINITY;
    this.wrote = false;
    this.step();
  }

  private step(): void {
    this.timer = undefined;
    const end = Math.min(this.targets.length, this.next + Math.max(1, this.opts.chunk));
    this.writeChunk(this.next, end);
    this.next = end;
    if (this.next < this.targets.length) {
      this.timer = this.clock.setTimeout(() => this.step(), 0);
      return;
    }
    this.endCycle();
  }

  /** Each socket of targets[from, to) gets its window and riders; the log positions move to the heads. */
  private writeChunk(from: number, to: number): void {
    const log = this.log;
    const head = log.head;
    const presenceHead = log.presenceHead;
    let updates = 0;
    let updateBytes = 0;
    let presence = 0;
    let presenceBytes = 0;
    for (let i = from; i < to; i++) {
      const s = this.targets[i]!;
      const c = log.cursor(s);
      if (!c) continue;
      const owesUpdate = c.update < head;
      const owesPresence = c.presence < presenceHead;
      if (!owesUpdate && !owesPresence) continue;
      const w = owesUpdate ? log.window(c.update) : undefined;
      const riders = owesPresence ? log.riders(c.presence) : undefined;
      c.update = head;
      c.presence = presenceHead;
      const update = w && w.sender !== s ? w : undefined;
      if (!update && (!riders || riders.frames.length === 0)) continue;
      // The first chunk's windows are what this cycle finishes delivering (everyone after it has them).
      if (update && from === 0 && update.at < this.oldestAt) this.oldestAt = update.at;
      const wrote = this.deps.write(s, update, riders ?? EMPTY);
      if (wrote & WROTE_UPDATE) {
        updates++;
        updateBytes += update!.frame.byteLength;
      }
      if (wrote & WROTE_PRESENCE) {
        presence++;
        presenceBytes += riders!.bytes;
      }
    }
    if (updates > 0 || presence > 0) {
      this.wrote = true;
      this.deps.sent(updates, updateBytes, presence, presenceBytes);
    }
    this.recipients += updates;
  }

  private endCycle(): void {
    this.cycling = false;
    const now = this.clock.now();
    this.lastChunked = this.targets.length > this.opts.chunk;
    const updates = this.log.head - this.counted;
    this.counted = this.log.head;
    if (this.wrote) {
      if (this.oldestAt !== Number.POSITIVE_INFINITY && this.oldestAt > 0) {
        this.deps.propagated((now - this.oldestAt) / 1000, this.recipients);
      }
      this.deps.broadcasted(now - this.cycleStart, updates, this.targets.length);
    }
    const targets = this.deps.targets();
    this.targets = [];
    const owed = targets.some((s) => this.log.owes(s));
    this.log.trim();
    if (!owed) return;
    if (!this.deps.active() && this.deps.handOff()) return;
    this.schedule();
  }

  stop(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.cycling = false;
    this.targets = [];
  }
}

const EMPTY: Riders = { frames: [], bytes: 0 };
