/**
 * What a big room's rolling lanes (broadcast-lane.ts) still owe its sessions [S5.4, S5.7]: the
 * updates and presence samples in arrival order, each with a sequence number, and per session how
 * far it has been written. A lane writing a chunk of sockets gives each one the window from its
 * own position to the head — one merged update (Y.mergeUpdates) and one encoded frame per distinct
 * window, shared by every socket at that position (a chunk's sockets were written together last
 * time, so a chunk has one or two windows, not one per socket). Shared by a room's lanes, so a
 * session that moves lanes (a viewer seated as an editor, a room that grows a viewer lane) keeps
 * its position and never gets an update twice or loses one.
 *
 * Bounded: entries every session has are dropped (`trim`, at each cycle's end); past
 * LOG_MAX_ENTRIES the oldest half is merged into one entry, so a lagging position gets one merged
 * catch-up (holding some updates it had — Yjs ignores those) instead of a growing log. Presence is
 * lossy: at most PRESENCE_MAX samples wait, older ones are dropped.
 */
import * as Y from 'yjs';
import { encodeSyncUpdate } from './protocol.ts';
import type { Session } from './session.ts';

/** Updates kept before the oldest half is merged into one (a 10,000-socket cycle holds ~30 at 150 updates/s). */
export const LOG_MAX_ENTRIES = 1_024;
/** Presence samples kept for sessions not yet written (one per presence tick; a cycle spans one or two). */
const PRESENCE_MAX = 8;
/**
 * `trim` scans every session's position: it runs only once this many updates are kept, so a room
 * whose editors' lane cycles every 50 ms does not scan 10,000 positions each time (the CPU profile
 * at 10,000 × 30 had it at ~1 % of the main thread when it ran at every cycle's end).
 */
const TRIM_ABOVE = 64;

/** Updates seq [seq, end): one received update, or older ones merged when the log was full. */
type Entry = { seq: number; end: number; update: Uint8Array; from: Session | null; at: number };
type Sample = { seq: number; frame: Uint8Array };
/** How far a session has been written: the next update and presence sequence it needs. */
export type Cursor = { update: number; presence: number };

/** The merged updates from one position to the head, encoded once for every socket at that position. */
export type UpdateWindow = {
  /** The SYNC UPDATE frame of the merged updates. */
  readonly frame: Uint8Array;
  /** The one local session every update in it came from (it holds them all); null when mixed or unknown. */
  readonly sender: Session | null;
  /** Receipt (clock) of its oldest update. */
  readonly at: number;
  /** The document's state vector without these updates (for a viewer that must catch up later instead). */
  before(): Uint8Array;
  /** [frame, ...riders]: one list per riders list, so the transport frames them together once (ws/shared-frames.ts). */
  with(riders: Riders): readonly Uint8Array[];
};

/** Presence frames from one position to the head, and their bytes. */
export type Riders = { readonly frames: readonly Uint8Array[]; readonly bytes: number };
const NO_RIDERS: Riders = { frames: [], bytes: 0 };

export class LaneLog {
  private entries: Entry[] = [];
  private samples: Sample[] = [];
  private readonly cursors = new Map<Session, Cursor>();
  /** The next update / presence sequence. */
  private updateHead = 0;
  private presenceSeq = 0;
  /** Windows and rider lists by start position, valid while the heads do not move. */
  private windows = new Map<number, UpdateWindow>();
  private riderLists = new Map<number, Riders>();
  private cachedAt = -1;
  private ridersCachedAt = -1;
  private readonly stateVectorBefore: (update: Uint8Array) => Uint8Array;

  constructor(stateVectorBefore: (update: Uint8Array) => Uint8Array) {
    this.stateVectorBefore = stateVectorBefore;
  }

  get head(): number {
    return this.updateHead;
  }

  get presenceHead(): number {
    return this.presenceSeq;
  }

  /** How many updates are kept (tests, and the cap). */
  get size(): number {
    return this.entries.length;
  }

  /** A session joined: its sync step 2 holds everything so far, so it starts at the heads. */
  join(session: Session): void {
    this.cursors.set(session, { update: this.updateHead, presence: this.presenceSeq });
  }

  forget(session: Session): void {
    this.cursors.delete(session);
  }

  /** Where `session` stands; undefined once it left (a lane's snapshot may still list it). */
  cursor(session: Session): Cursor | undefined {
    return this.cursors.get(session);
  }

  /** Whether `session` is owed anything. */
  owes(session: Session): boolean {
    const c = this.cursors.get(session);
    return c !== undefined && (c.update < this.updateHead || c.presence < this.presenceSeq);
  }

  /** Appends an update; returns its sequence. `from`: the local session that sent it. */
  add(update: Uint8Array, at: number, from: Session | null): number {
    const seq = this.updateHead++;
    this.entries.push({ seq, end: seq + 1, update, from, at });
    if (this.entries.length > LOG_MAX_ENTRIES) this.compact();
    return seq;
  }

  /** Appends a presence sample (a frame for everyone). */
  attach(frame: Uint8Array): void {
    this.samples.push({ seq: this.presenceSeq++, frame });
    if (this.samples.length > PRESENCE_MAX) this.samples.shift();
  }

  /** The merged updates from `from` to the head (from < head). */
  window(from: number): UpdateWindow {
    if (this.cachedAt !== this.updateHead) {
      this.windows.clear();
      this.cachedAt = this.updateHead;
    }
    let w = this.windows.get(from);
    if (!w) {
      w = this.build(from);
      this.windows.set(from, w);
    }
    return w;
  }

  /** The presence samples from `from` to the head (the ones still kept). */
  riders(from: number): Riders {
    if (this.ridersCachedAt !== this.presenceSeq) {
      this.riderLists.clear();
      this.ridersCachedAt = this.presenceSeq;
    }
    let r = this.riderLists.get(from);
    if (!r) {
      const frames = this.samples.filter((s) => s.seq >= from).map((s) => s.frame);
      r = frames.length === 0 ? NO_RIDERS : { frames, bytes: frames.reduce((n, f) => n + f.byteLength, 0) };
      this.riderLists.set(from, r);
    }
    return r;
  }

  /** Drops what every session has been written. O(sessions), so only once the log holds TRIM_ABOVE updates. */
  trim(): void {
    if (this.entries.length < TRIM_ABOVE) return;
    let update = this.updateHead;
    let presence = this.presenceSeq;
    for (const c of this.cursors.values()) {
      if (c.update < update) update = c.update;
      if (c.presence < presence) presence = c.presence;
    }
    let drop = 0;
    while (drop < this.entries.length && this.entries[drop]!.end <= update) drop++;
    if (drop > 0) this.entries = this.entries.slice(drop);
    if (this.samples.length > 0 && this.samples[0]!.seq < presence) {
      this.samples = this.samples.filter((s) => s.seq >= presence);
    }
  }

  clear(): void {
    this.entries = [];
    this.samples = [];
    this.windows.clear();
    this.riderLists.clear();
    for (const c of this.cursors.values()) {
      c.update = this.updateHead;
      c.presence = this.presenceSeq;
    }
  }

  private build(from: number): UpdateWindow {
    // Entries are in order and contiguous: skip those that end at or before `from`.
    let i = 0;
    while (i < this.entries.length - 1 && this.entries[i]!.end <= from) i++;
    const picked = this.entries.slice(i);
    const first = picked[0]!;
    let sender: Session | null = first.from;
    for (const e of picked) if (e.from !== sender) sender = null;
    const merged = picked.length === 1 ? first.update : Y.mergeUpdates(picked.map((e) => e.update));
    const frame = encodeSyncUpdate(merged);
    let before: Uint8Array | undefined;
    const lists = new Map<Riders, readonly Uint8Array[]>();
    const stateVectorBefore = this.stateVectorBefore;
    return {
      frame,
      sender,
      at: first.at,
      // The document holds exactly the log up to the head while a chunk is written (updates are
      // added as they are applied), so "without these" is computed at the first socket that needs it.
      before: () => {
        before ??= stateVectorBefore(merged);
        return before;
      },
      with: (riders) => {
        let list = lists.get(riders);
        if (!list) {
          list = [frame, ...riders.frames];
          lists.set(riders, list);
        }
        return list;
      },
    };
  }

  /** The log is full: its oldest half becomes one merged entry. */
  private compact(): void {
    const half = this.entries.splice(0, Math.floor(this.entries.length / 2));
    const first = half[0]!;
    let from: Session | null = first.from;
    for (const e of half) if (e.from !== from) from = null;
    const merged = {
      seq: first.seq,
      end: half.at(-1)!.end,
      update: Y.mergeUpdates(half.map((e) => e.update)),
      from,
      at: first.at,
    };
    this.entries.unshift(merged);
    this.windows.clear();
  }
}
