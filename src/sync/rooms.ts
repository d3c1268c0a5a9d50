/**
 * The rooms open on this instance: loads a room once for concurrent first connections, unloads
 * it after the last one leaves (plus a grace period), keeps it in step with other instances
 * through the bus (catching up from the log when a message was missed), compacts its log, and
 * re-checks open sessions when permissions change.
 */
import { randomUUID } from 'node:crypto';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import type { Logger } from 'pino';
import * as Y from 'yjs';
import type { PermissionEvent } from '../domain/permission-event.ts';
import { atLeast, type DocumentAccess } from '../domain/roles.ts';
import { withSpan } from '../observability/tracing.ts';
import { CloseCode } from './close-codes.ts';
import type { RoomBus, UpdateLog } from './ports.ts';
import { type Access, encodeAccessChanged, encodeRoomStatus } from './protocol.ts';
import { Room, type RoomLimits, type RoomObserver } from './room.ts';
import type { Session } from './session.ts';

export type RegistryOptions = RoomLimits & {
  /** How long an empty room stays loaded (a reload or a quick reconnect finds it warm). */
  roomGraceMs: number;
  /** Log rows past which a room's log is merged into the stored state. */
  compactThreshold: number;
  /**
   * After this long without a new row, a room with unmerged rows compacts anyway, so search and
   * the stored projections catch up with an open document soon after typing pauses. 0: only at
   * the threshold and at unload.
   */
  compactIdleMs: number;
};

export type RegistryDeps = {
  log: UpdateLog;
  bus: RoomBus;
  observer: RoomObserver;
  logger: Logger;
  /** Effective access of a user to a document now; null when the document does not exist. */
  documentAccess: (userId: string, documentId: string) => Promise<DocumentAccess | null>;
  /** Projections of a document (ProseMirror JSON and plain text) written at compaction. */
  project: (doc: Y.Doc) => { content: unknown; text: string };
};

/** Catch-up retries while updates still wait for missing structs (the sender may not have committed yet). */
const CATCH_UP_DELAYS_MS = [50, 500, 2_000, 5_000];
const channelFor = (documentId: string) => `doc:${documentId}`;
/** Instance-to-instance frame type (never sent to clients): "something of mine was not published: read the log". */
const BUS_CATCH_UP = 200;
const CATCH_UP_HINT = new Uint8Array([BUS_CATCH_UP]);
/** How often documents whose publish failed retry telling peers to catch up. */
const REPUBLISH_RETRY_MS = 1_000;

type Entry = {
  room: Room;
  unsubscribe: () => Promise<void>;
  graceTimer?: NodeJS.Timeout;
  catchUpAttempt: number;
  catchUpTimer?: NodeJS.Timeout;
  idleCompactTimer?: NodeJS.Timeout;
  compacting?: Promise<void>;
};

function clearTimers(entry: Entry): void {
  if (entry.graceTimer) clearTimeout(entry.graceTimer);
  if (entry.catchUpTimer) clearTimeout(entry.catchUpTimer);
  if (entry.idleCompactTimer) clearTimeout(entry.idleCompactTimer);
}

export class RoomRegistry {
  readonly instanceId = randomUUID();
  private readonly opts: RegistryOptions;
  private readonly deps: RegistryDeps;
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<Entry>>();
  private readonly unloading = new Map<string, Promise<void>>();
  private closed = false;
  /** Documents with a local change the bus did not take (Redis away): peers must be told. */
  private readonly unpublished = new Set<string>();
  private republishTimer: NodeJS.Timeout | undefined;

  constructor(opts: RegistryOptions, deps: RegistryDeps) {
    this.opts = opts;
    this.deps = deps;
    deps.bus.onResync(() => {
      // Anything published while we were away is in the log (or soon will be): read it.
      for (const entry of this.entries.values()) this.scheduleCatchUp(entry, 0);
      // Permission events published while we were away were missed too: check every open socket.
      this.recheckAll().catch((err) => this.deps.logger.warn({ err }, 'permission re-check after resync failed'));
    });
  }

  private async recheckAll(): Promise<void> {
    const checks: Promise<void>[] = [];
    for (const { room } of this.entries.values()) for (const s of room.sessions) checks.push(this.recheck(room, s));
    await Promise.all(checks);
  }

  get roomCount(): number {
    return this.entries.size;
  }

  get sessionCount(): number {
    let n = 0;
    for (const e of this.entries.values()) n += e.room.sessions.size;
    return n;
  }

  /** The loaded room for a document, if this instance has it open. */
  peek(documentId: string): Room | undefined {
    return this.entries.get(documentId)?.room;
  }

  rooms(): IterableIterator<Room> {
    return [...this.entries.values()].map((e) => e.room).values();
  }

  /** The room for a document, loading it if needed (one load for concurrent callers); null if it does not exist. */
  async acquire(documentId: string): Promise<Room | null> {
    if (this.closed) throw new Error('shutting down');
    const unloading = this.unloading.get(documentId);
    if (unloading) await unloading;
    const existing = this.entries.get(documentId);
    if (existing) {
      if (existing.graceTimer) clearTimeout(existing.graceTimer);
      existing.graceTimer = undefined;
      return existing.room;
    }
    let pending = this.loading.get(documentId);
    if (!pending) {
      pending = this.load(documentId).finally(() => this.loading.delete(documentId));
      this.loading.set(documentId, pending);
    }
    try {
      const entry = await pending;
      if (entry.graceTimer) clearTimeout(entry.graceTimer);
      entry.graceTimer = undefined;
      return entry.room;
    } catch (err) {
      if (err instanceof DocumentGone) return null;
      throw err;
    }
  }

  private load(documentId: string): Promise<Entry> {
    return withSpan('sync.load', { 'document.id': documentId }, async (span) => {
      // Subscribe before reading, so nothing published meanwhile falls in between; replay after.
      const early: Uint8Array[] = [];
      let room: Room | undefined;
      const unsubscribe = await this.deps.bus.subscribeBytes(channelFor(documentId), (payload) => {
        const frame = this.fromBus(payload);
        if (!frame) return;
        if (room) this.applyRemote(documentId, room, frame);
        else early.push(frame);
      });
      let stored: Awaited<ReturnType<UpdateLog['load']>>;
      try {
        stored = await this.deps.log.load(documentId);
      } catch (err) {
        await unsubscribe();
        throw err;
      }
      if (!stored) {
        await unsubscribe();
        throw new DocumentGone();
      }
      const created = new Room(documentId, stored.workspaceId, {
        limits: this.opts,
        observer: this.deps.observer,
        append: (update) =>
          withSpan(
            'sync.persist',
            { 'document.id': documentId, 'sync.bytes': update.byteLength },
            () => this.deps.log.append(documentId, update),
            { root: true },
          ),
        publish: (frame) => this.publish(documentId, frame),
        persisted: () => this.afterPersist(documentId),
      });
      const started = performance.now();
      created.applyStored(stored.state, stored.updates);
      created.rowsSinceCompaction = stored.updates.length;
      if (created.skippedRows > 0) {
        this.deps.logger.error(
          { documentId, rows: created.skippedRows },
          'stored update rows could not be applied; skipped',
        );
      }
      span.setAttributes({
        'sync.rows': stored.updates.length,
        'sync.state_bytes': stored.state?.byteLength ?? 0,
        'sync.apply_ms': performance.now() - started,
      });
      room = created;
      const entry: Entry = { room, unsubscribe, catchUpAttempt: 0 };
      this.entries.set(documentId, entry);
      for (const frame of early) this.applyRemote(documentId, room, frame);
      if (room.rowsSinceCompaction >= this.opts.compactThreshold) this.compactSoon(entry);
      return entry;
    });
  }

  /**
   * Throws away a room whose in-memory document can no longer be trusted (an update failed half-way):
   * its valid pending batches are written, sockets are told to reconnect (4503), nothing is compacted
   * from it, and the next connection loads it afresh from the log.
   */
  evict(room: Room): void {
    const entry = this.entries.get(room.documentId);
    if (!entry || entry.room !== room || this.unloading.has(room.documentId)) return;
    this.deps.logger.error(
      { documentId: room.documentId },
      'room evicted after a failed update; reloading from the log',
    );
    room.closing = true;
    for (const s of [...room.sessions]) s.close(CloseCode.UNAVAILABLE, 'document reloading, reconnect');
    clearTimers(entry);
    const id = room.documentId;
    const done = (async () => {
      try {
        await room.persist.drain();
      } finally {
        clearTimers(entry);
        this.entries.delete(id);
        await entry.unsubscribe().catch(() => undefined);
        room.destroy();
        this.unloading.delete(id);
      }
    })();
    this.unloading.set(id, done);
  }

  /** A session left: when the room is empty, unload it after the grace period. */
  release(room: Room): void {
    const entry = this.entries.get(room.documentId);
    if (!entry || entry.room !== room || room.sessions.size > 0 || this.closed) return;
    if (entry.graceTimer) clearTimeout(entry.graceTimer);
    entry.graceTimer = setTimeout(() => {
      entry.graceTimer = undefined;
      if (room.sessions.size === 0)
        this.unload(entry).catch((err) =>
          this.deps.logger.error({ err, documentId: room.documentId }, 'room unload failed'),
        );
    }, this.opts.roomGraceMs);
  }

  private unload(entry: Entry): Promise<void> {
    const { room } = entry;
    const id = room.documentId;
    const done = (async () => {
      try {
        await room.persist.drain();
        if (entry.compacting) await entry.compacting;
        if (room.rowsSinceCompaction > 0) await this.compact(entry);
      } catch (err) {
        // The log still holds every row: the next load (or compaction) picks them up.
        this.deps.logger.warn({ err, documentId: id }, 'compaction at unload failed');
      } finally {
        clearTimers(entry);
        this.entries.delete(id);
        await entry.unsubscribe().catch((err) => this.deps.logger.warn({ err }, 'bus unsubscribe failed'));
        room.destroy();
        this.unloading.delete(id);
      }
    })();
    this.unloading.set(id, done);
    return done;
  }

  private publish(documentId: string, frame: Uint8Array): void {
    const e = encoding.createEncoder();
    encoding.writeVarString(e, this.instanceId);
    encoding.writeUint8Array(e, frame);
    this.deps.bus.publishBytes(channelFor(documentId), encoding.toUint8Array(e)).catch(() => {
      // Redis is away: once it is back, peers are told to catch up from the log.
      this.unpublished.add(documentId);
      this.republishTimer ??= setTimeout(() => this.republish(), REPUBLISH_RETRY_MS);
    });
  }

  /** Tells peers of documents whose publish failed to read the log, once our batches are written. */
  private async republish(): Promise<void> {
    this.republishTimer = undefined;
    for (const documentId of [...this.unpublished]) {
      const entry = this.entries.get(documentId);
      if (entry) await entry.room.persist.drain().catch(() => undefined);
      const e = encoding.createEncoder();
      encoding.writeVarString(e, this.instanceId);
      encoding.writeUint8Array(e, CATCH_UP_HINT);
      try {
        await this.deps.bus.publishBytes(channelFor(documentId), encoding.toUint8Array(e));
        this.unpublished.delete(documentId);
      } catch {
        break; // still away: try again later
      }
    }
    if (this.unpublished.size > 0 && !this.closed) {
      this.republishTimer = setTimeout(() => this.republish(), REPUBLISH_RETRY_MS);
    }
  }

  /** Strips the origin; undefined for our own echo. */
  private fromBus(payload: Uint8Array): Uint8Array | undefined {
    try {
      const d = decoding.createDecoder(payload);
      if (decoding.readVarString(d) === this.instanceId) return undefined;
      return payload.subarray(d.pos);
    } catch {
      return undefined;
    }
  }

  private applyRemote(documentId: string, room: Room, frame: Uint8Array): void {
    if (frame[0] === BUS_CATCH_UP) {
      const entry = this.entries.get(documentId);
      if (entry) this.scheduleCatchUp(entry, 0);
      return;
    }
    try {
      room.receiveRemote(frame);
    } catch (err) {
      this.deps.logger.warn({ err, documentId }, 'malformed frame from the bus ignored');
      return;
    }
    const entry = this.entries.get(documentId);
    if (entry && room.missingUpdates) this.scheduleCatchUp(entry, CATCH_UP_DELAYS_MS[0]!);
  }

  private scheduleCatchUp(entry: Entry, delayMs: number): void {
    if (entry.catchUpTimer) return;
    entry.catchUpTimer = setTimeout(() => {
      entry.catchUpTimer = undefined;
      this.catchUp(entry).catch((err) =>
        this.deps.logger.warn({ err, documentId: entry.room.documentId }, 'catch-up failed'),
      );
    }, delayMs);
  }

  /** Re-reads the stored document (idempotent for Yjs); retries while structs are still missing. */
  private async catchUp(entry: Entry): Promise<void> {
    const { room } = entry;
    await withSpan(
      'sync.catch_up',
      { 'document.id': room.documentId },
      async () => {
        const stored = await this.deps.log.load(room.documentId);
        if (stored && this.entries.get(room.documentId) === entry) room.applyStored(stored.state, stored.updates);
      },
      { root: true },
    );
    if (room.missingUpdates && entry.catchUpAttempt < CATCH_UP_DELAYS_MS.length - 1) {
      entry.catchUpAttempt++;
      this.scheduleCatchUp(entry, CATCH_UP_DELAYS_MS[entry.catchUpAttempt]!);
    } else {
      entry.catchUpAttempt = 0;
    }
  }

  /** Called after each persisted batch: compacts once the log passes the threshold, or once typing pauses. */
  private afterPersist(documentId: string): void {
    const entry = this.entries.get(documentId);
    if (!entry) return;
    if (entry.room.rowsSinceCompaction >= this.opts.compactThreshold) {
      this.compactSoon(entry);
      return;
    }
    if (this.opts.compactIdleMs <= 0 || entry.room.rowsSinceCompaction === 0) return;
    if (entry.idleCompactTimer) clearTimeout(entry.idleCompactTimer);
    entry.idleCompactTimer = setTimeout(() => {
      entry.idleCompactTimer = undefined;
      if (this.entries.get(documentId) === entry && !entry.room.closing && entry.room.rowsSinceCompaction > 0) {
        this.compactSoon(entry);
      }
    }, this.opts.compactIdleMs);
  }

  private compactSoon(entry: Entry): void {
    entry.compacting ??= this.compact(entry)
      .catch((err) => this.deps.logger.warn({ err, documentId: entry.room.documentId }, 'compaction failed'))
      .finally(() => {
        entry.compacting = undefined;
      });
  }

  /** Merges state + log (+ what this room holds) into a new state and projections, in one transaction. */
  private async compact(entry: Entry): Promise<void> {
    const { room } = entry;
    const rowsBefore = room.rowsSinceCompaction;
    await withSpan(
      'sync.compact',
      { 'document.id': room.documentId },
      async (span) => {
        const merged = await this.deps.log.compact(room.documentId, (stored) => {
          const doc = new Y.Doc({ gc: true });
          try {
            Y.transact(doc, () => {
              if (stored.state) Y.applyUpdate(doc, stored.state);
              for (const u of stored.updates) {
                try {
                  Y.applyUpdate(doc, u);
                } catch {
                  // Skipped, as at load: one bad row must not block the document's compaction.
                }
              }
              Y.applyUpdate(doc, Y.encodeStateAsUpdate(room.doc));
            });
            const state = Y.encodeStateAsUpdate(doc);
            let projection: { content: unknown; text: string };
            try {
              projection = this.deps.project(doc);
            } catch (err) {
              // A document the projection cannot read still gets compacted; its projections stay empty.
              this.deps.logger.warn({ err, documentId: room.documentId }, 'projection failed');
              projection = { content: null, text: '' };
            }
            return { state, ...projection };
          } finally {
            doc.destroy();
          }
        });
        span.setAttribute('sync.rows_merged', merged ?? 0);
      },
      { root: true },
    );
    room.rowsSinceCompaction = Math.max(0, room.rowsSinceCompaction - rowsBefore);
  }

  /** Re-checks the sessions a permission event may affect, on this instance. */
  async applyPermissionEvent(event: PermissionEvent): Promise<void> {
    const checks: Promise<void>[] = [];
    for (const { room } of this.entries.values()) {
      switch (event.type) {
        case 'document-deleted':
          if (room.documentId === event.documentId) this.closeAll(room, CloseCode.NOT_FOUND, 'document deleted');
          break;
        case 'workspace-deleted':
          if (room.workspaceId === event.workspaceId) this.closeAll(room, CloseCode.NOT_FOUND, 'workspace deleted');
          break;
        case 'share-changed':
          if (room.documentId === event.documentId) checks.push(...this.recheckUser(room, event.userId));
          break;
        case 'member-changed':
          if (room.workspaceId === event.workspaceId) checks.push(...this.recheckUser(room, event.userId));
          break;
        default:
          for (const s of room.sessions) checks.push(this.recheck(room, s));
      }
    }
    await Promise.all(checks);
  }

  private recheckUser(room: Room, userId: string): Promise<void>[] {
    return [...room.sessions].filter((s) => s.userId === userId).map((s) => this.recheck(room, s));
  }

  private async recheck(room: Room, session: Session): Promise<void> {
    let access: DocumentAccess | null;
    try {
      access = await this.deps.documentAccess(session.userId, room.documentId);
    } catch (err) {
      // Cannot tell: fail closed. The client reconnects and is checked afresh.
      this.deps.logger.warn({ err }, 'permission re-check failed; closing the session');
      session.close(CloseCode.UNAVAILABLE, 'permission check unavailable');
      return;
    }
    if (access === null) {
      session.close(CloseCode.NOT_FOUND, 'document deleted');
      return;
    }
    if (access === 'none') {
      session.close(CloseCode.FORBIDDEN, 'access revoked');
      return;
    }
    const next: Access = atLeast(access, 'editor') ? 'edit' : 'read';
    if (next === session.access) return;
    session.access = next;
    room.sendTo(
      session,
      encodeAccessChanged({
        access: next,
        reason: next === 'read' ? 'access downgraded to read-only' : 'editing allowed',
      }),
      'control',
    );
    room.sendTo(session, encodeRoomStatusFor(room, session), 'control');
  }

  private closeAll(room: Room, code: number, reason: string): void {
    for (const s of [...room.sessions]) s.close(code, reason);
  }

  /** Shutdown: stop taking updates, write every pending batch (acknowledging it), then close sockets with 1012. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.republishTimer) clearTimeout(this.republishTimer);
    const entries = [...this.entries.values()];
    for (const { room } of entries) room.closing = true;
    await Promise.allSettled(entries.map(({ room }) => room.persist.drain()));
    for (const entry of entries) {
      this.closeAll(entry.room, CloseCode.SERVICE_RESTART, 'server restarting');
      clearTimers(entry);
    }
    await Promise.allSettled([...this.unloading.values()]);
    await Promise.allSettled(entries.map((e) => e.unsubscribe()));
    for (const entry of entries) entry.room.destroy();
    this.entries.clear();
  }
}

class DocumentGone extends Error {}

function encodeRoomStatusFor(room: Room, session: Session): Uint8Array {
  return encodeRoomStatus(room.statusFor(session));
}
