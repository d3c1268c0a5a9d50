/**
 * The live side of version history (the app's VersionSource port): a document's state now, the
 * CRDT work on versions (projection, comparison, the restore's change) in the CRDT pool's threads,
 * and a restore applied as a new change: into the room when this process runs the sync role (its
 * sockets get it at once, the persist queue writes it and publishes it to the other instances),
 * otherwise appended to the log and published on the document's bus channel for whichever
 * instance has the room open. Either way it is an ordinary update: concurrent edits merge with it.
 */
import { randomUUID } from 'node:crypto';
import * as Y from 'yjs';
import type { CrdtPool } from '../content/crdt-pool.ts';
import type { ProseMirrorJson } from '../content/prosemirror-json.ts';
import type { Comparison } from '../content/version-compare.ts';
import { Locked } from '../domain/errors.ts';
import { channelFor } from './instance-link.ts';
import type { QuarantineStore, RoomBus, UpdateLog } from './ports.ts';
import { encodeBusEnvelope, encodeSyncUpdate } from './protocol.ts';
import { DocumentQuarantined, type RoomRegistry } from './rooms.ts';

const EMPTY_DOC: ProseMirrorJson = { type: 'doc', content: [{ type: 'paragraph' }] };

export class DocumentVersions {
  private readonly deps: {
    log: UpdateLog;
    crdt: CrdtPool;
    bus: RoomBus;
    quarantine: QuarantineStore;
    rooms?: RoomRegistry;
  };
  /** Identifies our publishes on the bus (rooms drop only their own instance's echo). */
  private readonly publisherId = randomUUID();

  constructor(deps: DocumentVersions['deps']) {
    this.deps = deps;
  }

  /** A quarantined document [S11.4] is neither read for a version nor restored: 423. */
  private async notQuarantined(documentId: string): Promise<void> {
    const q = await this.deps.quarantine.get(documentId);
    if (q) throw new Locked(`the document is quarantined: ${q.reason}`);
  }

  async current(documentId: string): Promise<Uint8Array | null> {
    await this.notQuarantined(documentId);
    const stored = await this.deps.log.load(documentId);
    if (!stored) return null;
    // Off the main thread; nothing is applied here, so only the worker's budget holds.
    const r = await this.deps.crdt.rebuild(
      { state: stored.state, updates: stored.updates },
      { enforceMainBudget: false },
    );
    return r.state;
  }

  async project(state: Uint8Array): Promise<ProseMirrorJson> {
    const r = await this.deps.crdt.rebuild({ state, updates: [] }, { project: true, enforceMainBudget: false });
    return (r.content as ProseMirrorJson | null) ?? EMPTY_DOC;
  }

  async compare(older: Uint8Array | null, newer: Uint8Array): Promise<Comparison> {
    const r = await this.deps.crdt.history({ kind: 'compare', older, newer });
    if (r.kind !== 'compare') throw new Error('unexpected CRDT pool answer');
    return r.comparison;
  }

  async restore(documentId: string, target: Uint8Array): Promise<{ before: Uint8Array; after: Uint8Array } | null> {
    const rooms = this.deps.rooms;
    if (!rooms) return this.restoreThroughLog(documentId, target);
    await this.notQuarantined(documentId);
    const room = await rooms.acquire(documentId).catch((err) => {
      throw err instanceof DocumentQuarantined ? new Locked(`the document is quarantined: ${err.message}`) : err;
    });
    if (!room) return null;
    try {
      // What is in the room now is the base; edits arriving while the worker computes merge with it.
      const before = Y.encodeStateAsUpdate(room.doc);
      const { update, after } = await this.revert(before, target);
      if (update) await room.applyServerChange(update);
      return { before, after };
    } finally {
      rooms.release(room);
    }
  }

  private async restoreThroughLog(
    documentId: string,
    target: Uint8Array,
  ): Promise<{ before: Uint8Array; after: Uint8Array } | null> {
    const before = await this.current(documentId);
    if (!before) return null;
    const { update, after } = await this.revert(before, target);
    if (!update) return { before, after };
    await this.deps.log.append(documentId, update);
    // Rooms elsewhere apply it at once; one that misses it catches up from the log.
    await this.deps.bus
      .publishBytes(channelFor(documentId), encodeBusEnvelope(this.publisherId, encodeSyncUpdate(update)))
      .catch(() => undefined);
    return { before, after };
  }

  private async revert(
    current: Uint8Array,
    target: Uint8Array,
  ): Promise<{ update: Uint8Array | null; after: Uint8Array }> {
    const r = await this.deps.crdt.history({ kind: 'revert', current, target });
    if (r.kind !== 'revert') throw new Error('unexpected CRDT pool answer');
    return r;
  }
}
