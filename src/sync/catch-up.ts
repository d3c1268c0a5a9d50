/**
 * [S7.9] Viewers that cannot keep up: a view-only socket whose send buffer passes the lag limit
 * gets no more update frames — nothing queues for it, in its buffer or here — and is remembered
 * only by the state vector it holds. Once its buffer has drained (to a quarter of the limit) it
 * gets ONE merged catch-up, the document's diff since that state vector, instead of the queue of
 * frames it missed. A viewer that never drains is closed by the hard limit or the heartbeat, as
 * any socket. Editors are not put in this state: their own edits are built on what they received.
 */
import * as Y from 'yjs';
import type { Clock, Timer } from './clock.ts';
import { encodeSyncUpdate } from './protocol.ts';
import type { Session } from './session.ts';

/** Hooks for metrics; none may throw. */
export type CatchUpObserver = {
  /** A viewer fell behind ('lagging') or was sent its merged catch-up ('caught_up', with its bytes). */
  viewerCatchUp?(event: 'lagging' | 'caught_up', bytes: number): void;
};

export class ViewerCatchUps {
  /** Lagging viewer → the state vector (encoded) of what it holds. */
  private readonly lagging = new Map<Session, Uint8Array>();
  private readonly doc: Y.Doc;
  private readonly lagBytes: number;
  private readonly recheckMs: number;
  private readonly clock: Clock;
  private readonly observer: CatchUpObserver;
  private readonly send: (session: Session, frame: Uint8Array) => boolean;
  private timer: Timer | undefined;

  constructor(deps: {
    doc: Y.Doc;
    /** A viewer's send buffer over this many bytes puts it in the catch-up state. */
    lagBytes: number;
    /** How often lagging viewers are checked for a drained buffer when no update comes to do it. */
    recheckMs: number;
    clock: Clock;
    observer: CatchUpObserver;
    send: (session: Session, frame: Uint8Array) => boolean;
  }) {
    this.doc = deps.doc;
    this.lagBytes = deps.lagBytes;
    this.recheckMs = deps.recheckMs;
    this.clock = deps.clock;
    this.observer = deps.observer;
    this.send = deps.send;
  }

  get size(): number {
    return this.lagging.size;
  }

  /**
   * Whether the update frame being sent must not go to `session`: it is lagging (or starts to,
   * remembering `before()`, the state vector it holds without this update), or it drained and
   * has just been sent its catch-up, which holds this update already.
   */
  holds(session: Session, before: () => Uint8Array): boolean {
    const held = this.lagging.get(session);
    if (held) {
      if (session.socket.bufferedAmount <= this.lagBytes / 4) this.catchUp(session, held);
      return true;
    }
    if (session.canEdit || session.socket.bufferedAmount <= this.lagBytes) return false;
    this.lagging.set(session, before());
    this.observer.viewerCatchUp?.('lagging', 0);
    this.timer ??= this.clock.setTimeout(() => this.recheck(), this.recheckMs);
    return true;
  }

  /** The session left. (A lagging viewer seated as an editor stays here until its catch-up.) */
  forget(session: Session): void {
    this.lagging.delete(session);
  }

  stop(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.lagging.clear();
  }

  private catchUp(session: Session, held: Uint8Array): void {
    this.lagging.delete(session);
    const frame = encodeSyncUpdate(Y.encodeStateAsUpdate(this.doc, held));
    if (this.send(session, frame)) this.observer.viewerCatchUp?.('caught_up', frame.byteLength);
  }

  /** No update may come for a while: drained viewers get their catch-up on this timer too. */
  private recheck(): void {
    this.timer = undefined;
    for (const [session, held] of this.lagging) {
      if (session.closed) this.lagging.delete(session);
      else if (session.socket.bufferedAmount <= this.lagBytes / 4) this.catchUp(session, held);
    }
    if (this.lagging.size > 0) this.timer = this.clock.setTimeout(() => this.recheck(), this.recheckMs);
  }
}

/** The state vector of `doc` before `update` was applied to it (what a socket that missed it holds). */
export function stateVectorBefore(doc: Y.Doc, update: Uint8Array): Uint8Array {
  const sv = Y.decodeStateVector(Y.encodeStateVector(doc));
  for (const [client, clock] of Y.parseUpdateMeta(update).from) {
    if (clock < (sv.get(client) ?? Number.POSITIVE_INFINITY)) sv.set(client, clock);
  }
  return Y.encodeStateVector(sv);
}
