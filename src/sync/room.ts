/**
 * One open document: its Y.Doc, presence (awareness) and the sessions connected to it on this
 * instance. Applies client messages by their rights, fans updates out (one encoded frame for
 * every socket), forwards local changes to the bus, and feeds the group-commit queue.
 * Knows nothing of ws, Redis or SQL: sockets, the bus and the log arrive as functions and ports.
 */
import { trace } from '@opentelemetry/api';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import { CloseCode } from './close-codes.ts';
import { PersistQueue } from './persist-queue.ts';
import {
  type Access,
  encodeRejected,
  encodeRoomStatus,
  MessageType,
  type RoomMode,
  type RoomStatus,
  SyncStep,
} from './protocol.ts';
import type { Session } from './session.ts';

export type RoomLimits = {
  persistBatchMs: number;
  /** Past this many queued bytes a socket stops receiving presence. */
  sendBufferSoftBytes: number;
  /** Past this many queued bytes a socket is closed as too slow (it resyncs on reconnect). */
  sendBufferHardBytes: number;
  /** Up to this many connections presence is real-time; above it, sampled per tick. */
  fullPresenceMax: number;
  /** At or above this many connections newcomers join read-only. */
  viewOnlyAbove: number;
  /** Rooms with more connections than this merge updates per tick and send one frame. */
  broadcastBatchAbove: number;
  broadcastTickMs: number;
  presenceTickMs: number;
  presenceSampleSize: number;
  /** Whether read-only connections' presence (cursors) is shown to others. */
  viewerPresence: boolean;
};

/** Hooks for metrics; every method is optional work for the caller, none may throw. */
export interface RoomObserver {
  sent(kind: FrameKind, frames: number, bytes: number): void;
  received(kind: string, bytes: number): void;
  propagated(seconds: number, recipients: number): void;
  persisted(updates: number, bytes: number, seconds: number): void;
  persistFailed(err: unknown, attempt: number): void;
  presenceDropped(): void;
  tooSlow(): void;
}

export type FrameKind = 'update' | 'awareness' | 'sync' | 'control';
/** Where a change came from, so nothing is re-published or re-persisted. */
export type RemoteOrigin = 'bus' | 'storage';

export class ProtocolError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}

const STATUS_THROTTLE_MS = 1_000;
const tracer = trace.getTracer('collab-docs');
const EMPTY_UPDATE_BYTES = 2;

export class Room {
  readonly documentId: string;
  readonly workspaceId: string;
  readonly doc = new Y.Doc({ gc: true });
  readonly awareness: awarenessProtocol.Awareness;
  readonly sessions = new Set<Session>();
  readonly persist: PersistQueue;
  /** Log rows this room appended (plus those found at load): drives compaction. */
  rowsSinceCompaction = 0;
  private readonly limits: RoomLimits;
  private readonly observer: RoomObserver;
  private readonly publish: (frame: Uint8Array) => void;
  private readonly awarenessOwner = new Map<number, Session>();
  private pendingBroadcast: Uint8Array[] = [];
  private pendingBroadcastSince = 0;
  private lastBroadcastAt = -Infinity;
  private broadcastTimer: NodeJS.Timeout | undefined;
  private pendingPresence = new Set<number>();
  private presenceTimer: NodeJS.Timeout | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private lastMode: RoomMode = 'full';
  /** Receipt time of the update being applied (for propagation latency). */
  private applyStartedAt = 0;
  closing = false;
  /** Set when an update failed half-way: the in-memory doc can no longer be trusted. */
  poisoned = false;
  /** Stored rows that failed to apply at load or catch-up (reported, never fatal). */
  skippedRows = 0;

  constructor(
    documentId: string,
    workspaceId: string,
    deps: {
      limits: RoomLimits;
      observer: RoomObserver;
      append: (update: Uint8Array) => Promise<void>;
      publish: (frame: Uint8Array) => void;
      /** After each committed batch (compaction checks). */
      persisted?: () => void;
    },
  ) {
    this.documentId = documentId;
    this.workspaceId = workspaceId;
    this.limits = deps.limits;
    this.observer = deps.observer;
    this.publish = deps.publish;
    this.persist = new PersistQueue({
      batchMs: deps.limits.persistBatchMs,
      append: async (update) => {
        await deps.append(update);
        this.rowsSinceCompaction++;
        deps.persisted?.();
      },
      onBatch: (n, bytes, seconds) => this.observer.persisted(n, bytes, seconds),
      onError: (err, attempt) => this.observer.persistFailed(err, attempt),
    });
    this.awareness = new awarenessProtocol.Awareness(this.doc);
    this.awareness.setLocalState(null);
    this.doc.on('update', (update: Uint8Array, origin: unknown) => this.onDocUpdate(update, origin));
    this.awareness.on('update', (changes: AwarenessChanges, origin: unknown) =>
      this.onAwarenessUpdate(changes, origin),
    );
  }

  /** Applies stored state and log rows (at load and on catch-up); changes reach local sockets only. */
  applyStored(state: Uint8Array | null, updates: Uint8Array[]): void {
    Y.transact(
      this.doc,
      () => {
        if (state) Y.applyUpdate(this.doc, state, 'storage');
        for (const u of updates) {
          try {
            Y.applyUpdate(this.doc, u, 'storage');
          } catch {
            // A stored row Yjs cannot integrate must not make the whole document unloadable.
            this.skippedRows++;
          }
        }
      },
      'storage',
    );
  }

  /** True while updates wait for structs this instance never received (a missed bus message). */
  get missingUpdates(): boolean {
    return this.doc.store.pendingStructs !== null || this.doc.store.pendingDs !== null;
  }

  get mode(): RoomMode {
    const n = this.sessions.size;
    if (n >= this.limits.viewOnlyAbove) return 'view-only';
    return n > this.limits.fullPresenceMax ? 'reduced' : 'full';
  }

  /** The access a newcomer gets: crowded rooms take new connections read-only. */
  admit(requested: Access): Access {
    return this.sessions.size >= this.limits.viewOnlyAbove ? 'read' : requested;
  }

  join(session: Session): void {
    this.sessions.add(session);
    session.queue = this.persist;
    const step1 = encoding.createEncoder();
    encoding.writeVarUint(step1, MessageType.SYNC);
    encoding.writeVarUint(step1, SyncStep.STEP1);
    encoding.writeVarUint8Array(step1, Y.encodeStateVector(this.doc));
    this.sendTo(session, encoding.toUint8Array(step1), 'sync');
    const states = [...this.awareness.getStates().keys()];
    if (states.length > 0) {
      const sample = this.mode === 'full' ? states : states.slice(0, this.limits.presenceSampleSize);
      this.sendTo(session, awarenessFrame(this.awareness, sample), 'awareness');
    }
    this.sendTo(session, encodeRoomStatus(this.statusFor(session)), 'control');
    this.scheduleStatus();
  }

  leave(session: Session): void {
    if (!this.sessions.delete(session)) return;
    this.persist.forget(session);
    const owned = [...session.awarenessClients].filter((id) => this.awarenessOwner.get(id) === session);
    for (const id of owned) this.awarenessOwner.delete(id);
    if (owned.length > 0) awarenessProtocol.removeAwarenessStates(this.awareness, owned, 'leave');
    this.scheduleStatus();
  }

  /** One frame from a local client. Throws ProtocolError for frames that must close the socket. */
  receive(session: Session, frame: Uint8Array): void {
    const d = decoding.createDecoder(frame);
    let type: number;
    try {
      type = decoding.readVarUint(d);
    } catch {
      throw new ProtocolError(CloseCode.BAD_MESSAGE, 'empty or truncated frame');
    }
    switch (type) {
      case MessageType.SYNC:
        this.receiveSync(session, d);
        return;
      case MessageType.AWARENESS:
        this.receiveAwareness(session, frame, readPayload(d, 'awareness'));
        return;
      case MessageType.QUERY_AWARENESS: {
        const ids = [...this.awareness.getStates().keys()];
        if (ids.length > 0) this.sendTo(session, awarenessFrame(this.awareness, ids), 'awareness');
        return;
      }
      default:
        throw new ProtocolError(CloseCode.BAD_MESSAGE, `unknown message type ${type}`);
    }
  }

  private receiveSync(session: Session, d: decoding.Decoder): void {
    let step: number;
    let payload: Uint8Array;
    try {
      step = decoding.readVarUint(d);
      payload = decoding.readVarUint8Array(d);
    } catch {
      throw new ProtocolError(CloseCode.BAD_MESSAGE, 'truncated sync message');
    }
    if (step === SyncStep.STEP1) {
      let diff: Uint8Array;
      try {
        diff = Y.encodeStateAsUpdate(this.doc, payload);
      } catch {
        throw new ProtocolError(CloseCode.BAD_MESSAGE, 'malformed state vector');
      }
      const e = encoding.createEncoder();
      encoding.writeVarUint(e, MessageType.SYNC);
      encoding.writeVarUint(e, SyncStep.STEP2);
      encoding.writeVarUint8Array(e, diff);
      this.sendTo(session, encoding.toUint8Array(e), 'sync');
      return;
    }
    if (step !== SyncStep.STEP2 && step !== SyncStep.UPDATE) {
      throw new ProtocolError(CloseCode.BAD_MESSAGE, `unknown sync step ${step}`);
    }
    this.observer.received('update', payload.byteLength);
    const count = ++session.received;
    try {
      // Decoding first means a malformed update is refused whole: nothing is half-applied.
      Y.decodeUpdate(payload);
    } catch {
      throw new ProtocolError(CloseCode.BAD_MESSAGE, 'malformed Yjs update');
    }
    // Shutting down: not applied and not acknowledged; the client re-sends it after reconnecting.
    if (this.closing) return;
    if (!session.canEdit) {
      if (this.hasNewContent(payload))
        this.sendTo(session, encodeRejected({ reason: 'read-only', frame: count }), 'control');
      this.persist.barrier(session, count);
      return;
    }
    this.applyStartedAt = performance.now();
    try {
      Y.applyUpdate(this.doc, payload, session);
    } catch {
      // Decoded but failed to integrate: Yjs may have applied part of it. Nothing of it was
      // persisted; the room must be thrown away and reloaded from the log (the registry evicts it).
      this.poisoned = true;
      throw new ProtocolError(CloseCode.BAD_MESSAGE, 'update could not be applied');
    }
    if (payload.byteLength > EMPTY_UPDATE_BYTES) this.persist.add(payload, session, count);
    else this.persist.barrier(session, count);
  }

  /** Whether an update from a read-only client would have changed anything (worth reporting). */
  private hasNewContent(update: Uint8Array): boolean {
    const { to } = Y.parseUpdateMeta(update);
    const sv = Y.decodeStateVector(Y.encodeStateVector(this.doc));
    for (const [client, clock] of to) if (clock > (sv.get(client) ?? 0)) return true;
    return false;
  }

  private receiveAwareness(session: Session, frame: Uint8Array, update: Uint8Array): void {
    this.observer.received('awareness', update.byteLength);
    if (!session.canEdit && !this.limits.viewerPresence) {
      // Not shown to others; echoed so the client's liveness check still sees traffic.
      this.sendTo(session, frame, 'awareness');
      return;
    }
    for (const id of awarenessClientIds(update)) {
      const owner = this.awarenessOwner.get(id);
      // A connection may only speak for its own presence (a reconnect by the same user takes over).
      if (owner && owner !== session && owner.userId !== session.userId) return;
    }
    try {
      awarenessProtocol.applyAwarenessUpdate(this.awareness, update, session);
    } catch {
      throw new ProtocolError(CloseCode.BAD_MESSAGE, 'malformed awareness update');
    }
  }

  /** A frame another instance published for this document. */
  receiveRemote(frame: Uint8Array): void {
    const d = decoding.createDecoder(frame);
    const type = decoding.readVarUint(d);
    if (type === MessageType.SYNC) {
      decoding.readVarUint(d);
      this.applyStartedAt = performance.now();
      Y.applyUpdate(this.doc, decoding.readVarUint8Array(d), 'bus');
    } else if (type === MessageType.AWARENESS) {
      awarenessProtocol.applyAwarenessUpdate(this.awareness, decoding.readVarUint8Array(d), 'bus');
    }
  }

  private onDocUpdate(update: Uint8Array, origin: unknown): void {
    if (this.sessions.size === 0 && origin === 'storage') return;
    const frame = updateFrame(update);
    const fromClient = typeof origin === 'object' && origin !== null;
    if (fromClient) this.publish(frame);
    if (this.sessions.size > this.limits.broadcastBatchAbove) {
      this.queueBroadcast(update);
      return;
    }
    const span = tracer.startSpan('sync.fanout', { attributes: { 'document.id': this.documentId } });
    const recipients = this.sendToAll(frame, 'update', fromClient ? (origin as Session) : undefined);
    span.setAttribute('sync.recipients', recipients);
    span.end();
    if (this.applyStartedAt > 0) {
      this.observer.propagated((performance.now() - this.applyStartedAt) / 1000, recipients);
      this.applyStartedAt = 0;
    }
  }

  /** Big rooms: merge the tick's updates and send one frame to everyone (the sender included). */
  private queueBroadcast(update: Uint8Array): void {
    if (this.pendingBroadcast.length === 0) this.pendingBroadcastSince = this.applyStartedAt || performance.now();
    this.applyStartedAt = 0;
    this.pendingBroadcast.push(update);
    if (this.broadcastTimer) return;
    // Leading edge: an update after a quiet tick goes out at once; a burst within the tick is merged
    // and sent at its end. Bounds frames per socket to one per tick without delaying sparse typing.
    const wait = this.lastBroadcastAt + this.limits.broadcastTickMs - performance.now();
    if (wait <= 0) {
      this.flushBroadcast();
      return;
    }
    this.broadcastTimer = setTimeout(() => {
      this.broadcastTimer = undefined;
      this.flushBroadcast();
    }, wait);
  }

  private flushBroadcast(): void {
    const updates = this.pendingBroadcast;
    this.pendingBroadcast = [];
    if (updates.length === 0) return;
    this.lastBroadcastAt = performance.now();
    const merged = updates.length === 1 ? updates[0]! : Y.mergeUpdates(updates);
    const recipients = this.sendToAll(updateFrame(merged), 'update');
    this.observer.propagated((performance.now() - this.pendingBroadcastSince) / 1000, recipients);
  }

  private onAwarenessUpdate(changes: AwarenessChanges, origin: unknown): void {
    const local = typeof origin === 'object' && origin !== null;
    if (local) {
      const session = origin as Session;
      for (const id of changes.added) {
        this.awarenessOwner.set(id, session);
        session.awarenessClients.add(id);
      }
      for (const id of changes.removed) {
        this.awarenessOwner.delete(id);
        session.awarenessClients.delete(id);
      }
    }
    const changed = [...changes.added, ...changes.updated, ...changes.removed];
    if (changed.length === 0) return;
    // Presence from local clients (and their departures) goes to the other instances too.
    if (local || origin === 'leave') this.publish(awarenessFrame(this.awareness, changed));
    if (this.mode === 'full') {
      this.sendToAll(awarenessFrame(this.awareness, changed), 'awareness');
      return;
    }
    for (const id of changed) this.pendingPresence.add(id);
    this.presenceTimer ??= setTimeout(() => this.flushPresence(), this.limits.presenceTickMs);
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
      this.presenceTimer = setTimeout(() => this.flushPresence(), this.limits.presenceTickMs);
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

  statusFor(session: Session): RoomStatus {
    let editors = 0;
    for (const s of this.sessions) if (s.canEdit) editors++;
    return {
      mode: this.mode,
      connections: this.sessions.size,
      editors,
      viewers: this.sessions.size - editors,
      access: session.access,
    };
  }

  /** Counts change with every join and leave: tell everyone at most once a second (or at once on a mode change). */
  scheduleStatus(): void {
    const mode = this.mode;
    if (mode !== this.lastMode) {
      this.lastMode = mode;
      if (this.statusTimer) clearTimeout(this.statusTimer);
      this.statusTimer = undefined;
      this.broadcastStatus();
      return;
    }
    this.statusTimer ??= setTimeout(() => {
      this.statusTimer = undefined;
      this.broadcastStatus();
    }, STATUS_THROTTLE_MS);
  }

  private broadcastStatus(): void {
    for (const s of this.sessions) this.sendTo(s, encodeRoomStatus(this.statusFor(s)), 'control');
  }

  /** Releases timers, presence and the Y.Doc; the room must have no sessions. */
  destroy(): void {
    for (const t of [this.broadcastTimer, this.presenceTimer, this.statusTimer]) if (t) clearTimeout(t);
    this.broadcastTimer = this.presenceTimer = this.statusTimer = undefined;
    this.pendingBroadcast = [];
    this.pendingPresence.clear();
    this.awarenessOwner.clear();
    this.awareness.destroy();
    this.doc.destroy();
  }
}

type AwarenessChanges = { added: number[]; updated: number[]; removed: number[] };

function readPayload(d: decoding.Decoder, what: string): Uint8Array {
  try {
    return decoding.readVarUint8Array(d);
  } catch {
    throw new ProtocolError(CloseCode.BAD_MESSAGE, `truncated ${what} message`);
  }
}

function updateFrame(update: Uint8Array): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, MessageType.SYNC);
  encoding.writeVarUint(e, SyncStep.UPDATE);
  encoding.writeVarUint8Array(e, update);
  return encoding.toUint8Array(e);
}

function awarenessFrame(awareness: awarenessProtocol.Awareness, clients: number[]): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, MessageType.AWARENESS);
  encoding.writeVarUint8Array(e, awarenessProtocol.encodeAwarenessUpdate(awareness, clients));
  return encoding.toUint8Array(e);
}

/** Client ids named in an awareness update (the wire format: count, then id, clock, JSON state). */
function awarenessClientIds(update: Uint8Array): number[] {
  try {
    const d = decoding.createDecoder(update);
    const n = decoding.readVarUint(d);
    const ids: number[] = [];
    for (let i = 0; i < n; i++) {
      ids.push(decoding.readVarUint(d));
      decoding.readVarUint(d);
      decoding.readVarString(d);
    }
    return ids;
  } catch {
    throw new ProtocolError(CloseCode.BAD_MESSAGE, 'malformed awareness update');
  }
}
