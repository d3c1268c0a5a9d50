/**
 * Keeps this instance's rooms in step with the other instances: publishes local changes on the
 * document's bus channel (in the envelope of protocol.ts), applies what peers publish, and reads
 * the log when something was missed — a gap in the updates (catch-up, retried while structs are
 * still missing), a peer's "read the log" hint, or a bus reconnect. When our own publish fails
 * (Redis away), peers are told to catch up once the bus is back (republish).
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { withSpan } from '../observability/tracing.ts';
import type { Clock, Timer } from './clock.ts';
import type { RoomBus, UpdateLog } from './ports.ts';
import {
  BUS_CATCH_UP,
  BUS_FLEET_COUNTS,
  BUS_QUARANTINED,
  BUS_ROOM_NOTICE,
  BUS_SEAT_FREED,
  decodeBusEnvelope,
  encodeBusEnvelope,
} from './protocol.ts';
import type { Room } from './room.ts';
import { deliverRoomNotice } from './room-notice.ts';

/** Catch-up retries while updates still wait for missing structs (the sender may not have committed yet). */
const CATCH_UP_DELAYS_MS = [50, 500, 2_000, 5_000];
/** How often documents whose publish failed retry telling peers to catch up. */
const REPUBLISH_RETRY_MS = 1_000;

/**
 * A document's bus channel (also used by comment-notices.ts to reach the rooms of a document, and by
 * a restore made where no room is open: document-versions.ts).
 */
export const channelFor = (documentId: string) => `doc:${documentId}`;

type CatchUp = { attempt: number; timer?: Timer };

export class InstanceLink {
  readonly instanceId = randomUUID();
  private readonly deps: {
    bus: RoomBus;
    log: UpdateLog;
    logger: Logger;
    clock: Clock;
    /** The room loaded for a document now (catch-up applies only to the room it was scheduled for). */
    loaded: (documentId: string) => Room | undefined;
    /** Another instance quarantined the room's document: close this instance's room too [S11.4]. */
    quarantined?: (room: Room) => void;
    /** Read-only people who may not see comments get no comment notices [C1] (comment-notices.ts). */
    seesComments?: (userId: string, documentId: string) => Promise<boolean>;
  };
  private readonly catchUps = new Map<Room, CatchUp>();
  /** Documents with a local change the bus did not take (Redis away): peers must be told. */
  private readonly unpublished = new Set<string>();
  private republishTimer: Timer | undefined;
  private closed = false;

  constructor(deps: InstanceLink['deps']) {
    this.deps = deps;
  }

  /** Subscribes to a document's channel; `deliver` gets peers' frames (our own echo is dropped). */
  subscribe(documentId: string, deliver: (frame: Uint8Array) => void): Promise<() => Promise<void>> {
    return this.deps.bus.subscribeBytes(channelFor(documentId), (payload) => {
      const envelope = decodeBusEnvelope(payload);
      if (envelope && envelope.instanceId !== this.instanceId) deliver(envelope.frame);
    });
  }

  /** Sends a local change to the peers; if the bus is away, they are told to catch up later. */
  publish(documentId: string, frame: Uint8Array): void {
    this.deps.bus.publishBytes(channelFor(documentId), encodeBusEnvelope(this.instanceId, frame)).catch(() => {
      this.unpublished.add(documentId);
      this.republishTimer ??= this.deps.clock.setTimeout(() => this.republish(), REPUBLISH_RETRY_MS);
    });
  }

  /** Tells peers of documents whose publish failed to read the log, once our batches are written. */
  private async republish(): Promise<void> {
    this.republishTimer = undefined;
    for (const documentId of [...this.unpublished]) {
      const room = this.deps.loaded(documentId);
      if (room) await room.persist.drain().catch(() => undefined);
      try {
        await this.deps.bus.publishBytes(channelFor(documentId), encodeBusEnvelope(this.instanceId));
        this.unpublished.delete(documentId);
      } catch {
        break; // still away: try again later
      }
    }
    if (this.unpublished.size > 0 && !this.closed) {
      this.republishTimer = this.deps.clock.setTimeout(() => this.republish(), REPUBLISH_RETRY_MS);
    }
  }

  /** A peer's frame for a loaded room: applied, or (the hint) a catch-up from the log. */
  receive(room: Room, frame: Uint8Array): void {
    if (frame[0] === BUS_CATCH_UP) {
      this.scheduleCatchUp(room, 0);
      return;
    }
    if (frame[0] === BUS_QUARANTINED) {
      this.deps.quarantined?.(room);
      return;
    }
    if (frame[0] === BUS_SEAT_FREED) {
      room.seatFreedElsewhere();
      return;
    }
    if (frame[0] === BUS_FLEET_COUNTS) {
      room.fleet.refreshSoon();
      return;
    }
    if (frame[0] === BUS_ROOM_NOTICE) {
      // A copy: the bus may hand us a view into its receive buffer.
      deliverRoomNotice(room, frame.slice(1), this.deps.seesComments);
      return;
    }
    try {
      room.receiveRemote(frame);
    } catch (err) {
      this.deps.logger.warn({ err, documentId: room.documentId }, 'malformed frame from the bus ignored');
      return;
    }
    if (room.missingUpdates) this.scheduleCatchUp(room, CATCH_UP_DELAYS_MS[0]!);
  }

  /** Reads the log for a room now (after a bus reconnect: whatever was published meanwhile is there). */
  scheduleCatchUp(room: Room, delayMs: number): void {
    if (this.deps.loaded(room.documentId) !== room) return;
    let state = this.catchUps.get(room);
    if (!state) {
      state = { attempt: 0 };
      this.catchUps.set(room, state);
    }
    if (state.timer) return;
    const catchUp = state;
    catchUp.timer = this.deps.clock.setTimeout(() => {
      catchUp.timer = undefined;
      this.catchUp(room, catchUp).catch((err) =>
        this.deps.logger.warn({ err, documentId: room.documentId }, 'catch-up failed'),
      );
    }, delayMs);
  }

  /** Re-reads the stored document (idempotent for Yjs); retries while structs are still missing. */
  private async catchUp(room: Room, state: CatchUp): Promise<void> {
    await withSpan(
      'sync.catch_up',
      { 'document.id': room.documentId },
      async () => {
        const stored = await this.deps.log.load(room.documentId);
        if (stored && this.deps.loaded(room.documentId) === room) room.applyStored(stored.state, stored.updates);
      },
      { root: true },
    );
    if (room.missingUpdates && state.attempt < CATCH_UP_DELAYS_MS.length - 1) {
      state.attempt++;
      this.scheduleCatchUp(room, CATCH_UP_DELAYS_MS[state.attempt]!);
    } else {
      state.attempt = 0;
    }
  }

  /** The room is being unloaded or evicted: no more catch-ups for it. */
  forget(room: Room): void {
    this.deps.clock.clearTimeout(this.catchUps.get(room)?.timer);
    this.catchUps.delete(room);
  }

  close(): void {
    this.closed = true;
    this.deps.clock.clearTimeout(this.republishTimer);
    for (const room of [...this.catchUps.keys()]) this.forget(room);
  }
}
