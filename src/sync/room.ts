/**
 * One open document: its Y.Doc, presence (awareness) and the sessions connected to it on this
 * instance. Applies client frames by the sender's rights, queues local changes for group commit
 * (and, once committed, for the bus), and hands every change to its fan-out (fanout.ts) for the sockets.
 * Who may edit — seats, the wait list, the fleet's counts — is seats.ts's.
 * Knows nothing of ws, Redis or SQL: sockets, the bus, the log and time arrive as ports.
 * Over 350 lines because applying a client update is one sequence that must stay readable in one
 * place: decode and cost it (S11.1), check the sender's rights, apply, measure (S11.3), queue.
 */
import * as decoding from 'lib0/decoding';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import { inspectUpdate } from '../content/crdt-inspect.ts';
import { applyStored } from '../content/stored-document.ts';
import { type Clock, systemClock } from './clock.ts';
import { CloseCode, ProtocolError } from './close-codes.ts';
import { awarenessFrame, Fanout } from './fanout.ts';
import type { FleetObserver, FleetTiers } from './fleet-tiers.ts';
import type { RoomLimits } from './limits.ts';
import { BUS, LEAVE, local, type Origin, originOf, STORAGE } from './origin.ts';
import { PersistQueue } from './persist-queue.ts';
import type { FrameKind, RoomObserver, SeatLedger } from './ports.ts';
import { stampPresence } from './presence.ts';
import {
  type Access,
  encodeRejected,
  encodeRoomStatus,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeSyncUpdate,
  MessageType,
  type RoomMode,
  type RoomStatus,
  SyncStep,
} from './protocol.ts';
import { Seats } from './seats.ts';
import type { Session } from './session.ts';

const EMPTY_UPDATE_BYTES = 2;
/** An applied update holding the event loop past this many main budgets quarantines the document [S11.3]. */
const UPDATE_WATCHDOG_FACTOR = 4;

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
  private readonly clock: Clock;
  private readonly fanout: Fanout;
  private readonly publish: (frame: Uint8Array) => void;
  private readonly quarantine: (reason: string, detail: Record<string, unknown>) => void;
  private readonly awarenessOwner = new Map<number, Session>();
  /** Editing seats, the wait list and the fleet's counts [S5.4–S5.6] (seats.ts). */
  private readonly seats: Seats;
  /** Receipt time (clock) of the update being applied, for propagation latency; 0 when none. */
  private applyStartedAt = 0;
  closing = false;
  /** Set when an update failed half-way: the in-memory doc can no longer be trusted. */
  poisoned = false;
  /** Stored rows that failed to apply at load or catch-up (reported, never fatal). */
  skippedRows = 0;
  /** Client ids whose history a repair replaced [S11.6]: frames that carry them are refused (4409). */
  retired: Map<number, number> | null = null;

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
      /** The document is over its CRDT budget: the registry closes the room and quarantines it. */
      quarantine?: (reason: string, detail: Record<string, unknown>) => void;
      clock?: Clock;
      /** [S5.6] The fleet's seat ledger and this instance's id in it. */
      seats: { ledger: SeatLedger; instanceId: string; observer?: FleetObserver };
    },
  ) {
    this.documentId = documentId;
    this.workspaceId = workspaceId;
    this.limits = deps.limits;
    this.observer = deps.observer;
    this.publish = deps.publish;
    this.quarantine = deps.quarantine ?? (() => undefined);
    this.clock = deps.clock ?? systemClock;
    this.persist = new PersistQueue({
      batchMs: deps.limits.persistBatchMs,
      clock: this.clock,
      append: async (update) => {
        await deps.append(update);
        this.rowsSinceCompaction++;
        // [S6.1] Other instances hear of a change only once it is committed: what they hold in
        // memory is then always durable, so a client that reconnects to one of them after this
        // instance died is never acknowledged for an edit that existed only here [S3.5].
        this.publish(encodeSyncUpdate(update));
        deps.persisted?.();
      },
      onBatch: (n, bytes, seconds) => this.observer.persisted(n, bytes, seconds),
      onError: (err, attempt) => this.observer.persistFailed(err, attempt),
    });
    this.awareness = new awarenessProtocol.Awareness(this.doc);
    this.awareness.setLocalState(null);
    this.seats = new Seats({
      documentId,
      sessions: this.sessions,
      limits: deps.limits,
      clock: this.clock,
      ledger: deps.seats.ledger,
      instanceId: deps.seats.instanceId,
      observer: deps.seats.observer ?? {},
      publish: this.publish,
      room: {
        closing: () => this.closing,
        seated: (session, accessChanged) => {
          this.sendTo(session, accessChanged, 'control');
          this.sendTo(session, encodeRoomStatus(this.statusFor(session)), 'control');
          this.scheduleStatus();
        },
        scheduleStatus: () => this.scheduleStatus(),
      },
    });
    this.fanout = new Fanout({
      documentId,
      doc: this.doc,
      sessions: this.sessions,
      editing: this.seats.editing,
      awareness: this.awareness,
      mode: () => this.mode,
      counts: () => this.seats.counts(),
      waitlist: this.seats.waitlist,
      limits: deps.limits,
      observer: deps.observer,
      clock: this.clock,
    });
    this.doc.on('update', (update: Uint8Array, origin: unknown) => this.onDocUpdate(update, originOf(origin)));
    this.awareness.on('update', (changes: AwarenessChanges, origin: unknown) =>
      this.onAwarenessUpdate(changes, originOf(origin)),
    );
  }

  /** Applies stored state and log rows (at load and on catch-up); changes reach local sockets only. */
  applyStored(state: Uint8Array | null, updates: Uint8Array[]): void {
    // An unreadable state throws; unreadable rows are skipped and counted (content/stored-document.ts).
    this.skippedRows += applyStored(this.doc, state, updates, STORAGE).skipped;
  }

  /**
   * A change the server makes itself (a version restore): applied, sent to every local socket like
   * a peer's update, then written and published by the persist queue; resolves once it is durable.
   */
  applyServerChange(update: Uint8Array): Promise<void> {
    // The storage origin: nobody on this instance sent it, so every session gets it.
    Y.applyUpdate(this.doc, update, STORAGE);
    this.persist.add(update);
    return this.persist.drain();
  }

  /** True while updates wait for structs this instance never received (a missed bus message). */
  get missingUpdates(): boolean {
    return this.doc.store.pendingStructs !== null || this.doc.store.pendingDs !== null;
  }

  /**
   * The room's tier [S5.4]: 'view-only' counts editing connections only — across the fleet
   * [S5.6] — so viewers (however many) never make a document read-only for the people who may
   * edit it; presence sampling counts this instance's connections (each one costs its fan-out).
   */
  get mode(): RoomMode {
    if (this.seats.full) return 'view-only';
    return this.sessions.size > this.limits.fullPresenceMax ? 'reduced' : 'full';
  }

  /**
   * The access a newcomer gets: only editor load, fleet-wide, turns edit rights into a read-only
   * join [S5.6]. An 'edit' answer holds a claimed seat: join() the session, or cancelAdmit().
   */
  admit(requested: Access): Promise<Access> {
    return this.seats.admit(requested);
  }

  /** The socket went away between admit() and join(): its seat goes back. */
  cancelAdmit(access: Access): void {
    this.seats.cancelAdmit(access);
  }

  /** [S5.5] Sessions here waiting for an editing seat, oldest first. */
  get waitlist(): ReadonlySet<Session> {
    return this.seats.waitlist;
  }

  /** [S5.6] This room's part in the document's fleet-wide seats and counts. */
  get fleet(): FleetTiers {
    return this.seats.fleet;
  }

  /** `rights`: what the person may do; a session admitted read-only despite edit rights waits for a seat. */
  join(session: Session, rights: Access = session.access): void {
    if (this.sessions.has(session)) return;
    this.sessions.add(session);
    this.fanout.joined(session);
    this.seats.joined(session, rights);
    session.queue = this.persist;
    this.sendTo(session, encodeSyncStep1(Y.encodeStateVector(this.doc)), 'sync');
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
    this.seats.left(session);
    this.fanout.forget(session);
    this.persist.forget(session);
    const owned = [...session.awarenessClients].filter((id) => this.awarenessOwner.get(id) === session);
    for (const id of owned) this.awarenessOwner.delete(id);
    if (owned.length > 0) awarenessProtocol.removeAwarenessStates(this.awareness, owned, LEAVE);
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
      if (this.retired) this.refuseRetired(() => Y.decodeStateVector(payload));
      let diff: Uint8Array;
      try {
        diff = Y.encodeStateAsUpdate(this.doc, payload);
      } catch {
        throw new ProtocolError(CloseCode.BAD_MESSAGE, 'malformed state vector');
      }
      this.sendTo(session, encodeSyncStep2(diff), 'sync');
      return;
    }
    if (step !== SyncStep.STEP2 && step !== SyncStep.UPDATE) {
      throw new ProtocolError(CloseCode.BAD_MESSAGE, `unknown sync step ${step}`);
    }
    this.observer.received('update', payload.byteLength);
    if (this.retired) this.refuseRetired(() => Y.parseUpdateMeta(payload).to);
    const count = ++session.received;
    let verdict: ReturnType<typeof inspectUpdate>;
    try {
      // Decoding (inside the inspection) first means a malformed update is refused whole:
      // nothing is half-applied.
      verdict = inspectUpdate(this.doc, payload, this.limits.crdt);
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
    if (!verdict.ok) {
      this.observer.updateRefused?.(verdict.action);
      // [S11.1] The sender built this update: refuse it, the document is untouched.
      if (verdict.action === 'refuse') throw new ProtocolError(CloseCode.TOO_COMPLEX, verdict.reason);
      // [S11.3] The document already holds a pile-up that makes ordinary edits over budget. The
      // update is neither applied nor acknowledged: the client keeps it and re-sends it later.
      this.quarantine(verdict.reason, { ...verdict.cost, userId: session.userId });
      return;
    }
    this.applyStartedAt = this.clock.now();
    // CPU time of this thread, not wall time: a machine too busy to schedule us must not look like
    // a document too expensive to serve.
    const started = process.threadCpuUsage();
    try {
      Y.applyUpdate(this.doc, payload, local(session));
    } catch {
      // Decoded but failed to integrate: Yjs may have applied part of it. Nothing of it was
      // persisted; the room must be thrown away and reloaded from the log (the registry evicts it).
      this.poisoned = true;
      throw new ProtocolError(CloseCode.BAD_MESSAGE, 'update could not be applied');
    }
    const used = process.threadCpuUsage(started);
    const applyMs = (used.user + used.system) / 1000;
    if (payload.byteLength > EMPTY_UPDATE_BYTES) this.persist.add(payload, session, count);
    else this.persist.barrier(session, count);
    // [S11.3] A watchdog for costs the inspection did not foresee: applied and queued (so it is
    // saved and acknowledged), but it held the event loop far past the budget (4x leaves room for
    // a cold JIT and GC pauses); the next one may hold it longer. Stop serving the document.
    const watchdogMs = this.limits.crdt.mainBudgetMs * UPDATE_WATCHDOG_FACTOR;
    if (applyMs > watchdogMs) {
      this.quarantine(`one update held the event loop ${Math.round(applyMs)} ms (watchdog ${watchdogMs} ms)`, {
        ...verdict.cost,
        applyMs: Math.round(applyMs),
        userId: session.userId,
      });
    }
  }

  /** [S11.6] A copy made before a repair: its old history would duplicate the repaired text. */
  private refuseRetired(clients: () => Map<number, number>): void {
    let seen: Map<number, number>;
    try {
      seen = clients();
    } catch {
      throw new ProtocolError(CloseCode.BAD_MESSAGE, 'malformed sync message');
    }
    for (const [client, clock] of seen) {
      if (clock > 0 && this.retired?.has(client)) {
        throw new ProtocolError(CloseCode.RESET, 'the document was repaired after this copy was made; reload it');
      }
    }
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
    // [S2.7] The server's word on who this is; [S7.5] no state over the cap is stored or relayed.
    const stamped = stampPresence(update, session, this.limits.maxAwarenessBytes);
    if (!stamped.ok) {
      throw new ProtocolError(
        CloseCode.BAD_MESSAGE,
        stamped.message,
        stamped.reason === 'too_large' ? 'presence_size' : undefined,
      );
    }
    for (const id of stamped.clientIds) {
      const owner = this.awarenessOwner.get(id);
      // [S2.6] A connection may only speak for its own presence (a reconnect by the same user takes over).
      if (owner && owner !== session && owner.userId !== session.userId) return;
    }
    try {
      awarenessProtocol.applyAwarenessUpdate(this.awareness, stamped.update, local(session));
      this.observer.presenceStamped(stamped.stamped);
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
      this.applyStartedAt = this.clock.now();
      Y.applyUpdate(this.doc, decoding.readVarUint8Array(d), BUS);
    } else if (type === MessageType.AWARENESS) {
      awarenessProtocol.applyAwarenessUpdate(this.awareness, decoding.readVarUint8Array(d), BUS);
    }
  }

  private onDocUpdate(update: Uint8Array, origin: Origin | undefined): void {
    if (this.sessions.size === 0 && origin?.kind === 'storage') return;
    const sender = origin?.kind === 'local' ? origin.session : undefined;
    // Local changes reach the other instances from the persist queue, after their commit.
    const receivedAt = this.applyStartedAt;
    this.applyStartedAt = 0;
    this.fanout.update(update, sender, receivedAt);
  }

  private onAwarenessUpdate(changes: AwarenessChanges, origin: Origin | undefined): void {
    if (origin?.kind === 'local') {
      const { session } = origin;
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
    if (origin?.kind === 'local' || origin?.kind === 'leave') this.publish(awarenessFrame(this.awareness, changed));
    this.fanout.presence(changed);
  }

  /** Sends one pre-encoded frame to every local session; returns how many got it. */
  sendToAll(frame: Uint8Array, kind: FrameKind, except?: Session): number {
    return this.fanout.sendToAll(frame, kind, except);
  }

  /** One frame to one session, under backpressure (fanout.ts). */
  sendTo(session: Session, frame: Uint8Array, kind: FrameKind, count = true): boolean {
    return this.fanout.sendTo(session, frame, kind, count);
  }

  /**
   * A permission re-check says what `session` may now do; resolves the access it gets. Edit rights
   * in a document at its editor cap (fleet-wide) mean a place in line, not a seat [S5.5] [S5.6].
   */
  grant(session: Session, rights: Access): Promise<Access> {
    return this.seats.grant(session, rights);
  }

  /** Another instance freed a seat of this document [S5.6]. */
  seatFreedElsewhere(): void {
    this.seats.promote();
  }

  statusFor(session: Session): RoomStatus {
    return this.fanout.statusFor(session);
  }

  /** Tells everyone the new counts, throttled (fanout.ts). */
  scheduleStatus(): void {
    this.fanout.scheduleStatus();
  }

  /** Releases timers, presence and the Y.Doc; the room must have no sessions. */
  destroy(): void {
    this.seats.fleet.stop();
    this.fanout.stop();
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
