/**
 * The sending side of one room: frames to one session or to all of them under backpressure,
 * broadcast batching for big rooms (the broadcast tick), sampled presence for crowded rooms (the
 * presence tick) and the throttled ROOM_STATUS. Owns the room's timers, through the injected clock.
 *
 * Batching merges under load: a broadcast goes out at the end of the event-loop turn in which
 * its first update arrived (so what arrived together goes together), and the next one no sooner
 * than the previous one's own duration, at most a tick, after the previous one ENDED. A cheap
 * broadcast (a hundred sockets, ~1 ms) therefore adds no delay to the next edit — a fixed tick
 * added up to its whole length to every edit of a busy room (issue 15: oneDocument p95 ~23 ms
 * against Hocuspocus's ~6 ms) — while an expensive one keeps fan-out to at most about half the
 * event loop, the rest left for reads, SAVED acknowledgements and health checks. A broadcast to
 * thousands of sockets can take longer than the tick; whatever arrived meanwhile is merged into
 * one frame instead of each update being sent alone (issue 15: measured from the start, nothing
 * merged past ~2,000 sockets). A broadcast to more than BROADCAST_CHUNK_SOCKETS sockets writes one
 * chunk per event-loop turn, so even 10,000 sockets never hold the loop for more than a few ms.
 */
import { trace } from '@opentelemetry/api';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import type { Clock, Timer } from './clock.ts';
import { CloseCode } from './close-codes.ts';
import type { RoomLimits } from './limits.ts';
import type { FrameKind, RoomObserver } from './ports.ts';
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
>;

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
  private pendingBroadcast: Uint8Array[] = [];
  private pendingBroadcastSince = 0;
  /** A chunked broadcast is in progress (its next chunk waits for the next turn). */
  private broadcasting = false;
  /** When the last broadcast finished writing to every socket, and how long it took. */
  private lastBroadcastEnd = -Infinity;
  private lastBroadcastMs = 0;
  private broadcastTimer: Timer | undefined;
  private readonly pendingPresence = new Set<number>();
  private presenceTimer: Timer | undefined;
  private statusTimer: Timer | undefined;
  private lastMode: RoomMode = 'full';

  constructor(room: {
    documentId: string;
    sessions: ReadonlySet<Session>;
    awareness: awarenessProtocol.Awareness;
    mode: () => RoomMode;
    /** Editors, viewers and waiters of the document, kept by the room (fleet-wide, S5.6), never recounted. */
    counts: () => StatusCounts;
    /** Sessions waiting for an editing seat [S5.5]. */
    waitlist: ReadonlySet<Session>;
    limits: FanoutLimits;
    observer: RoomObserver;
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
  }

  /**
   * A document update for every local session: sent at once in small rooms (not back to its
   * sender), merged per broadcast tick in big ones. `receivedAt` (clock time, 0 when unknown)
   * measures propagation.
   */
  update(update: Uint8Array, except: Session | undefined, receivedAt: number): void {
    if (this.sessions.size > this.limits.broadcastBatchAbove) {
      this.queueBroadcast(update, receivedAt);
      return;
    }
    const span = tracer.startSpan('sync.fanout', { attributes: { 'document.id': this.documentId } });
    const recipients = this.sendToAll(encodeSyncUpdate(update), 'update', except);
    span.setAttribute('sync.recipients', recipients);
    span.end();
    if (receivedAt > 0) this.observer.propagated((this.clock.now() - receivedAt) / 1000, recipients);
  }

  /** Big rooms: merge what arrives and send one frame to everyone (the sender included). */
  private queueBroadcast(update: Uint8Array, receivedAt: number): void {
    if (this.pendingBroadcast.length === 0) this.pendingBroadcastSince = receivedAt || this.clock.now();
    this.pendingBroadcast.push(update);
    if (this.broadcastTimer || this.broadcasting) return;
    this.scheduleBroadcast();
  }

  /**
   * At the end of this turn (a burst read in one turn goes as one frame), but no sooner than the
   * previous broadcast's duration (at most a tick) after it ended: a broadcast longer than the
   * tick cannot turn into one broadcast per update, and a cheap one delays nothing.
   */
  private scheduleBroadcast(): void {
    const gap = Math.min(this.limits.broadcastTickMs, this.lastBroadcastMs);
    const wait = Math.max(0, this.lastBroadcastEnd + gap - this.clock.now());
    this.broadcastTimer = this.clock.setTimeout(() => {
      this.broadcastTimer = undefined;
      this.flushBroadcast();
    }, wait);
  }

  private flushBroadcast(): void {
    const updates = this.pendingBroadcast;
    if (updates.length === 0 || this.broadcasting) return;
    this.pendingBroadcast = [];
    const since = this.pendingBroadcastSince;
    const started = this.clock.now();
    const merged = updates.length === 1 ? updates[0]! : Y.mergeUpdates(updates);
    const frame = encodeSyncUpdate(merged);
    const chunk = Math.max(1, this.limits.broadcastChunkSockets ?? BROADCAST_CHUNK_SOCKETS);
    const finish = (recipients: number) => {
      this.lastBroadcastEnd = this.clock.now();
      this.lastBroadcastMs = this.lastBroadcastEnd - started;
      this.observer.propagated((this.lastBroadcastEnd - since) / 1000, recipients);
      // What arrived during a chunked broadcast goes next, after the pause.
      if (this.pendingBroadcast.length > 0 && !this.broadcastTimer) this.scheduleBroadcast();
    };
    if (this.sessions.size <= chunk) {
      finish(this.sendToAll(frame, 'update'));
      return;
    }
    // Sessions that join meanwhile got this update in their sync step 2; those that leave are skipped.
    const targets = [...this.sessions];
    let next = 0;
    let recipients = 0;
    this.broadcasting = true;
    const step = () => {
      this.broadcastTimer = undefined;
      const end = Math.min(targets.length, next + chunk);
      let sent = 0;
      for (; next < end; next++) if (this.sendTo(targets[next]!, frame, 'update', false)) sent++;
      if (sent > 0) this.observer.sent('update', sent, sent * frame.byteLength);
      recipients += sent;
      if (next < targets.length) {
        this.broadcastTimer = this.clock.setTimeout(step, 0);
        return;
      }
      this.broadcasting = false;
      finish(recipients);
    };
    step();
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
    if (ids.length > 0) this.sendToAll(awarenessFrame(this.awareness, ids), 'awareness');
    if (this.pendingPresence.size > 0) {
      this.presenceTimer = this.clock.setTimeout(() => this.flushPresence(), this.limits.presenceTickMs);
    }
  }

  /** Sends one pre-encoded frame to every local session; returns how many got it. */
  sendToAll(frame: Uint8Array, kind: FrameKind, except?: Session): number {
    let sent = 0;
    for (const s of this.sessions) if (s !== except && this.sendTo(s, frame, kind, false)) sent++;
    if (sent > 0) this.observer.sent(kind, sent, sent * frame.byteLength);
    return sent;
  }

  /** Backpressure: presence is dropped for a lagging socket; past the hard limit it is closed. */
  sendTo(session: Session, frame: Uint8Array, kind: FrameKind, count = true): boolean {
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
    session.socket.send(frame);
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
    for (const s of this.sessions) this.sendTo(s, this.waitlist.has(s) ? waiting : frames[s.access], 'control');
  }

  /** Stops every timer and drops what was waiting for one. */
  stop(): void {
    for (const t of [this.broadcastTimer, this.presenceTimer, this.statusTimer]) this.clock.clearTimeout(t);
    this.broadcastTimer = this.presenceTimer = this.statusTimer = undefined;
    this.broadcasting = false;
    this.pendingBroadcast = [];
    this.pendingPresence.clear();
  }
}

/** An awareness frame carrying the current states of `clients`. */
export function awarenessFrame(awareness: awarenessProtocol.Awareness, clients: number[]): Uint8Array {
  return encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(awareness, clients));
}
