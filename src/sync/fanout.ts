/**
 * The sending side of one room: frames to one session or to all of them under backpressure,
 * broadcast batching for big rooms (broadcast-lane.ts: rolling cycles one chunk per event-loop
 * turn, each chunk written the merged updates it is owed from the room's log, lane-log.ts),
 * sampled presence for crowded rooms (the presence tick)
 * and the throttled ROOM_STATUS. Owns the room's timers, through the injected clock.
 *
 * Viewers cost almost nothing [S7.9]: an update frame is encoded once and handed to every socket
 * as the same frame, marked shared (the transport frames it once for all, ws/shared-frames.ts);
 * rooms with many viewers send them their own lane, at most one merged frame per viewer tick for
 * all of them, while editors keep a faster one (at most one frame per editor tick); a viewer that
 * falls behind gets no frames until its buffer drained, then one merged catch-up (catch-up.ts).
 * A big room's presence sample rides the next broadcast of each lane: one write per socket
 * carries both (the kernel's per-write cost is what a broadcast pays). Over 300 lines: every way a frame leaves a room — backpressure,
 * chunking, lanes, riders — is one policy and is kept in one place.
 */
import { trace } from '@opentelemetry/api';
import * as awarenessProtocol from 'y-protocols/awareness';
import type * as Y from 'yjs';
import { BroadcastLane, WROTE_PRESENCE, WROTE_UPDATE } from './broadcast-lane.ts';
import { type CatchUpObserver, stateVectorBefore, ViewerCatchUps } from './catch-up.ts';
import type { Clock, Timer } from './clock.ts';
import { CloseCode } from './close-codes.ts';
import { LaneLog, type Riders, type UpdateWindow } from './lane-log.ts';
import type { RoomLimits } from './limits.ts';
import type { BroadcastLaneName, FrameKind, RoomObserver } from './ports.ts';
import {
  type Access,
  encodeAwareness,
  encodeRoomStatus,
  encodeSyncUpdate,
  type RoomMode,
  type RoomStatus,
} from './protocol.ts';
import type { Session } from './session.ts';

/** What the fan-out needs to know about its room's limits. */
export type FanoutLimits = Pick<
  RoomLimits,
  | 'sendBufferSoftBytes'
  | 'sendBufferHardBytes'
  | 'broadcastBatchAbove'
  | 'broadcastTickMs'
  | 'broadcastChunkSockets'
  | 'presenceTickMs'
  | 'presenceSampleSize'
  | 'viewerTickMs'
  | 'viewerTickAbove'
  | 'editorTickMs'
  | 'viewerLagBytes'
>;

/** Viewers of a big room get their own lane only when there are more than this many (default). */
const DEFAULT_VIEWER_TICK_ABOVE = 1_000;
/**
 * Editors of a room whose viewers have their own lane get at most one merged frame per this many
 * ms (default; config SYNC_EDITOR_TICK_MS). Per event-loop turn they got ~70 frames a second at
 * 3,000 × 30, each a Yjs transaction (and a ProseMirror re-render) in every editor's client,
 * against ~7 from Hocuspocus, whose one broadcast to everyone sets the pace (docs/benchmarks.md).
 */
const DEFAULT_EDITOR_TICK_MS = 50;
/** A viewer's send buffer past this puts it in the catch-up state (default; config SYNC_VIEWER_LAG_BYTES). */
const DEFAULT_VIEWER_LAG_BYTES = 1_048_576;

const STATUS_THROTTLE_MS = 1_000;
/**
 * Sockets written per event-loop turn by one broadcast. A write costs ~10 µs of kernel time, so a
 * chunk holds the event loop ~5 ms: a broadcast to 10,000 sockets (~100 ms) no longer blocks
 * `/livez`, SAVED acknowledgements or other rooms for its whole length.
 */
export const BROADCAST_CHUNK_SOCKETS = 500;

/** What ROOM_STATUS counts: editors, viewers and people waiting for a seat. */
export type StatusCounts = { editors: number; viewers: number; waitlist: number };
const tracer = trace.getTracer('collab-docs');

export class Fanout {
  private readonly documentId: string;
  private readonly sessions: ReadonlySet<Session>;
  private readonly awareness: awarenessProtocol.Awareness;
  private readonly mode: () => RoomMode;
  private readonly counts: () => StatusCounts;
  private readonly waitlist: ReadonlySet<Session>;
  private readonly limits: FanoutLimits;
  private readonly observer: RoomObserver;
  private readonly clock: Clock;
  private readonly doc: Y.Doc;
  private readonly editing: ReadonlySet<Session>;
  /** Big rooms: everyone in one lane ... */
  private readonly all: BroadcastLane;
  /** ... or, with many viewers, editors in the fast lane and viewers in theirs (the viewer tick). */
  private readonly editorLane: BroadcastLane;
  private readonly viewerLane: BroadcastLane;
  /** What the lanes still owe each session (shared: a session that moves lanes keeps its place). */
  private readonly log: LaneLog;
  private readonly catchUps: ViewerCatchUps;
  private readonly pendingPresence = new Set<number>();
  /** Sockets written per event-loop turn by a broadcast, a presence sample or a status round. */
  private readonly chunk: number;
  /** The next-chunk timers of presence and status rounds in progress. */
  private readonly chunkTimers = new Set<Timer>();
  private presenceTimer: Timer | undefined;
  private statusTimer: Timer | undefined;
  private lastMode: RoomMode = 'full';

  constructor(room: {
    documentId: string;
    doc: Y.Doc;
    sessions: ReadonlySet<Session>;
    /** The sessions that may edit (a subset of `sessions`, kept by the room's seats). */
    editing: ReadonlySet<Session>;
    awareness: awarenessProtocol.Awareness;
    mode: () => RoomMode;
    /** Editors, viewers and waiters of the document, kept by the room (fleet-wide, S5.6), never recounted. */
    counts: () => StatusCounts;
    /** Sessions waiting for an editing seat [S5.5]. */
    waitlist: ReadonlySet<Session>;
    limits: FanoutLimits;
    observer: RoomObserver & CatchUpObserver;
    clock: Clock;
  }) {
    this.documentId = room.documentId;
    this.sessions = room.sessions;
    this.awareness = room.awareness;
    this.mode = room.mode;
    this.counts = room.counts;
    this.waitlist = room.waitlist;
    this.limits = room.limits;
    this.observer = room.observer;
    this.clock = room.clock;
    this.doc = room.doc;
    this.editing = room.editing;
    const tickMs = room.limits.broadcastTickMs;
    const chunk = Math.max(1, room.limits.broadcastChunkSockets ?? BROADCAST_CHUNK_SOCKETS);
    this.chunk = chunk;
    const viewerTickMs = Math.max(tickMs, room.limits.viewerTickMs ?? tickMs);
    this.log = new LaneLog((update) => stateVectorBefore(this.doc, update));
    const lane = (name: BroadcastLaneName, targets: () => Session[], floorMs: number): BroadcastLane => {
      const self: BroadcastLane = new BroadcastLane(
        this.clock,
        this.log,
        { tickMs, floorMs, chunk },
        {
          targets,
          active: () => this.lanes()?.includes(self) ?? false,
          handOff: () => {
            const now = this.lanes();
            if (!now) return false;
            for (const l of now) l.wake();
            return true;
          },
          write: (session, update, riders) => this.write(session, update, riders),
          sent: (updates, updateBytes, presence, presenceBytes) => {
            if (updates > 0) this.observer.sent('update', updates, updateBytes);
            if (presence > 0) this.observer.sent('awareness', presence, presenceBytes);
          },
          propagated: (seconds, recipients) => this.observer.propagated(seconds, recipients),
          broadcasted: (ms, updates, sockets) => this.observer.broadcast?.(name, ms / 1000, updates, sockets),
        },
      );
      return self;
    };
    this.all = lane('all', () => [...this.sessions], 0);
    this.editorLane = lane('editors', () => [...this.editing], room.limits.editorTickMs ?? DEFAULT_EDITOR_TICK_MS);
    this.viewerLane = lane('viewers', () => [...this.sessions].filter((s) => !this.editing.has(s)), viewerTickMs);
    this.catchUps = new ViewerCatchUps({
      doc: room.doc,
      lagBytes: room.limits.viewerLagBytes ?? DEFAULT_VIEWER_LAG_BYTES,
      recheckMs: viewerTickMs,
      clock: this.clock,
      observer: room.observer,
      send: (session, frame) => this.sendTo(session, frame, 'update'),
    });
  }

  /**
   * A document update for every local session but its sender: sent at once in small rooms,
   * merged in lanes in big ones (a merged frame of several senders' updates goes to everyone,
   * those senders included). `receivedAt` (clock
   * time, 0 when unknown) measures propagation.
   */
  update(update: Uint8Array, except: Session | undefined, receivedAt: number): void {
    const lanes = this.lanes();
    if (lanes) {
      const seq = this.log.add(update, receivedAt || this.clock.now(), except ?? null);
      for (const lane of lanes) lane.wake(seq);
      return;
    }
    const span = tracer.startSpan('sync.fanout', { attributes: { 'document.id': this.documentId } });
    const frame = encodeSyncUpdate(update);
    let before: Uint8Array | undefined;
    const held = () => {
      before ??= stateVectorBefore(this.doc, update);
      return before;
    };
    const targets = [...this.sessions].filter((s) => s !== except);
    const recipients = this.deliver(frame, targets, held);
    span.setAttribute('sync.recipients', recipients);
    span.end();
    if (receivedAt > 0) this.observer.propagated((this.clock.now() - receivedAt) / 1000, recipients);
  }

  /** The lanes of a big room (everyone's, or the editors' and the viewers'); undefined in a small room. */
  private lanes(): BroadcastLane[] | undefined {
    if (this.sessions.size <= this.limits.broadcastBatchAbove) return undefined;
    const viewers = this.sessions.size - this.editing.size;
    return viewers > (this.limits.viewerTickAbove ?? DEFAULT_VIEWER_TICK_ABOVE)
      ? [this.editorLane, this.viewerLane]
      : [this.all];
  }

  /** One update frame to every target as one shared frame (a small room); a lagging viewer catches up from `before()`. */
  private deliver(frame: Uint8Array, targets: Session[], before: () => Uint8Array): number {
    let updates = 0;
    for (const s of targets) {
      if (this.catchUps.holds(s, before)) continue;
      if (this.sendTo(s, frame, 'update', false, true)) updates++;
    }
    if (updates > 0) this.observer.sent('update', updates, updates * frame.byteLength);
    return updates;
  }

  /**
   * A lane's write to one socket: the update window (a lagging viewer gets none and catches up
   * later from `before()`, catch-up.ts) and the riders (presence; none over the soft limit) in one
   * write. Returns WROTE_UPDATE | WROTE_PRESENCE for what went.
   */
  private write(s: Session, window: UpdateWindow | undefined, riders: Riders): number {
    const update = window !== undefined && !this.catchUps.holds(s, window.before);
    let ride = riders.frames.length > 0;
    if (ride && s.socket.bufferedAmount > this.limits.sendBufferSoftBytes) {
      this.observer.presenceDropped();
      ride = false;
    }
    if (update && !ride) return this.sendTo(s, window.frame, 'update', false, true) ? WROTE_UPDATE : 0;
    if (!update && !ride) return 0;
    const frames = update ? window!.with(riders) : riders.frames;
    if (!this.sendFrames(s, frames)) return 0;
    return (update ? WROTE_UPDATE : 0) | (ride ? WROTE_PRESENCE : 0);
  }

  /** Shared frames to one socket in one write when the transport can (sendTo's hard limit applies). */
  private sendFrames(session: Session, frames: readonly Uint8Array[]): boolean {
    if (frames.length === 1) return this.sendTo(session, frames[0]!, 'update', false, true);
    if (session.closed) return false;
    if (session.socket.bufferedAmount > this.limits.sendBufferHardBytes) {
      this.observer.tooSlow();
      session.close(CloseCode.TOO_SLOW, 'send buffer full: reconnect to resync');
      return false;
    }
    const socket = session.socket;
    if (socket.sendTogether) socket.sendTogether(frames);
    else for (const f of frames) socket.send(f, true);
    return true;
  }

  /** Changed presence states: to everyone at once in a full room, sampled per presence tick otherwise. */
  presence(changed: number[]): void {
    if (this.mode() === 'full') {
      this.sendToAll(awarenessFrame(this.awareness, changed), 'awareness');
      return;
    }
    for (const id of changed) this.pendingPresence.add(id);
    this.presenceTimer ??= this.clock.setTimeout(() => this.flushPresence(), this.limits.presenceTickMs);
  }

  /** Reduced presence: at most a sample of changed states per tick, in one frame for everyone. */
  private flushPresence(): void {
    this.presenceTimer = undefined;
    const ids: number[] = [];
    for (const id of this.pendingPresence) {
      ids.push(id);
      this.pendingPresence.delete(id);
      if (ids.length >= this.limits.presenceSampleSize) break;
    }
    if (ids.length > 0) {
      const frame = awarenessFrame(this.awareness, ids);
      // A big room's sample rides the next broadcast of each lane: one write per socket, not two.
      const lanes = this.lanes();
      if (lanes) {
        this.log.attach(frame);
        for (const lane of lanes) lane.wake();
      } else
        this.inChunks('awareness', (s) => (this.sendTo(s, frame, 'awareness', false, true) ? frame.byteLength : 0));
    }
    if (this.pendingPresence.size > 0) {
      this.presenceTimer = this.clock.setTimeout(() => this.flushPresence(), this.limits.presenceTickMs);
    }
  }

  /** Sends one pre-encoded frame to every local session; returns how many got it. */
  sendToAll(frame: Uint8Array, kind: FrameKind, except?: Session): number {
    let sent = 0;
    for (const s of this.sessions) if (s !== except && this.sendTo(s, frame, kind, false, true)) sent++;
    if (sent > 0) this.observer.sent(kind, sent, sent * frame.byteLength);
    return sent;
  }

  /**
   * Backpressure: presence is dropped for a lagging socket; past the hard limit it is closed.
   * `shared`: the same frame goes to many sockets (the transport may frame it once for all).
   */
  sendTo(session: Session, frame: Uint8Array, kind: FrameKind, count = true, shared = false): boolean {
    if (session.closed) return false;
    const buffered = session.socket.bufferedAmount;
    if (buffered > this.limits.sendBufferHardBytes) {
      this.observer.tooSlow();
      session.close(CloseCode.TOO_SLOW, 'send buffer full: reconnect to resync');
      return false;
    }
    if (kind === 'awareness' && buffered > this.limits.sendBufferSoftBytes) {
      this.observer.presenceDropped();
      return false;
    }
    session.socket.send(frame, shared);
    if (count) this.observer.sent(kind, 1, frame.byteLength);
    return true;
  }

  /** O(1): the counts are kept by the room, not recounted per session. */
  statusFor(session: Session): RoomStatus {
    return this.status(session.access, this.waitlist.has(session));
  }

  private status(access: Access, waiting = false): RoomStatus {
    const { editors, viewers, waitlist } = this.counts();
    return { mode: this.mode(), connections: editors + viewers, editors, viewers, access, waitlist, waiting };
  }

  /** Counts change with every join and leave: tell everyone at most once a second (or at once on a mode change). */
  scheduleStatus(): void {
    const mode = this.mode();
    if (mode !== this.lastMode) {
      this.lastMode = mode;
      this.clock.clearTimeout(this.statusTimer);
      this.statusTimer = undefined;
      this.broadcastStatus();
      return;
    }
    this.statusTimer ??= this.clock.setTimeout(() => {
      this.statusTimer = undefined;
      this.broadcastStatus();
    }, STATUS_THROTTLE_MS);
  }

  /** Three encoded frames (editing, viewing, waiting for a seat), not one per session. */
  private broadcastStatus(): void {
    const frames = { edit: encodeRoomStatus(this.status('edit')), read: encodeRoomStatus(this.status('read')) };
    const waiting = encodeRoomStatus(this.status('read', true));
    this.inChunks('control', (s) => {
      const frame = this.waitlist.has(s) ? waiting : frames[s.access];
      return this.sendTo(s, frame, 'control', false, true) ? frame.byteLength : 0;
    });
  }

  /**
   * `send` to every session, `chunk` of them per event-loop turn: a presence sample or a status
   * round to 10,000 sockets (~130 ms of writes) must not hold the loop any more than a broadcast.
   * `send` returns the bytes written (0: not sent); counted per chunk.
   */
  private inChunks(kind: FrameKind, send: (session: Session) => number): void {
    const targets = [...this.sessions];
    let next = 0;
    const step = () => {
      const end = Math.min(targets.length, next + this.chunk);
      let sent = 0;
      let bytes = 0;
      for (let i = next; i < end; i++) {
        const b = send(targets[i]!);
        if (b > 0) {
          sent++;
          bytes += b;
        }
      }
      if (sent > 0) this.observer.sent(kind, sent, bytes);
      next = end;
      if (next >= targets.length) return;
      const timer = this.clock.setTimeout(() => {
        this.chunkTimers.delete(timer);
        step();
      }, 0);
      this.chunkTimers.add(timer);
    };
    step();
  }

  /** A session joined: the lanes owe it nothing so far (its sync step 2 holds the document). */
  joined(session: Session): void {
    this.log.join(session);
  }

  /** A session left: its place in the lanes and a lagging viewer's state vector go with it. */
  forget(session: Session): void {
    this.log.forget(session);
    this.catchUps.forget(session);
  }

  /** Stops every timer and drops what was waiting for one. */
  stop(): void {
    for (const t of [this.presenceTimer, this.statusTimer, ...this.chunkTimers]) this.clock.clearTimeout(t);
    this.chunkTimers.clear();
    this.presenceTimer = this.statusTimer = undefined;
    for (const lane of [this.all, this.editorLane, this.viewerLane]) lane.stop();
    this.catchUps.stop();
    this.log.clear();
    this.pendingPresence.clear();
  }
}

/** An awareness frame carrying the current states of `clients`. */
export function awarenessFrame(awareness: awarenessProtocol.Awareness, clients: number[]): Uint8Array {
  return encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(awareness, clients));
}
