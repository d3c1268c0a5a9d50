/**
 * The rooms open on this instance and their lifecycle: loads a room once for concurrent first
 * connections, unloads it after the last one leaves (plus a grace period), evicts a room whose
 * document can no longer be trusted, and shuts down. The other jobs are delegated: keeping rooms
 * in step with other instances to the instance link (instance-link.ts), log compaction to the
 * compactor (compaction.ts), permission re-checks to permission-recheck.ts.
 */
import type { Logger } from 'pino';
import type * as Y from 'yjs';
import type { PermissionEvent } from '../domain/permission-event.ts';
import type { DocumentAccess } from '../domain/roles.ts';
import { withSpan } from '../observability/tracing.ts';
import { type Clock, systemClock, type Timer } from './clock.ts';
import { CloseCode } from './close-codes.ts';
import { type CompactionOptions, Compactor } from './compaction.ts';
import { InstanceLink } from './instance-link.ts';
import type { RoomLimits } from './limits.ts';
import { closeAll, PermissionRechecks } from './permission-recheck.ts';
import type { RoomBus, RoomObserver, UpdateLog } from './ports.ts';
import { Room } from './room.ts';

export type RegistryOptions = RoomLimits &
  CompactionOptions & {
    /** How long an empty room stays loaded (a reload or a quick reconnect finds it warm). */
    roomGraceMs: number;
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
  /** Time for every timer of the sync core; the real clock unless a test injects a fake one. */
  clock?: Clock;
};

type Entry = { room: Room; unsubscribe: () => Promise<void>; graceTimer?: Timer };

export class RoomRegistry {
  private readonly opts: RegistryOptions;
  private readonly deps: RegistryDeps;
  private readonly clock: Clock;
  private readonly link: InstanceLink;
  private readonly compactor: Compactor;
  private readonly rechecks: PermissionRechecks;
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<Entry>>();
  private readonly unloading = new Map<string, Promise<void>>();
  private closed = false;

  constructor(opts: RegistryOptions, deps: RegistryDeps) {
    this.opts = opts;
    this.deps = deps;
    this.clock = deps.clock ?? systemClock;
    const loaded = (documentId: string) => this.entries.get(documentId)?.room;
    this.link = new InstanceLink({ bus: deps.bus, log: deps.log, logger: deps.logger, clock: this.clock, loaded });
    this.compactor = new Compactor(opts, {
      log: deps.log,
      logger: deps.logger,
      clock: this.clock,
      project: deps.project,
      isLoaded: (room) => loaded(room.documentId) === room,
    });
    this.rechecks = new PermissionRechecks({ logger: deps.logger, documentAccess: deps.documentAccess });
    deps.bus.onResync(() => {
      // Anything published while we were away is in the log (or soon will be): read it.
      for (const room of this.rooms()) this.link.scheduleCatchUp(room, 0);
      // Permission events published while we were away were missed too: check every open socket.
      this.rechecks
        .all(this.rooms())
        .catch((err) => this.deps.logger.warn({ err }, 'permission re-check after resync failed'));
    });
  }

  /** This instance's id on the bus (its own messages are recognised and dropped). */
  get instanceId(): string {
    return this.link.instanceId;
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
      this.clock.clearTimeout(existing.graceTimer);
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
      this.clock.clearTimeout(entry.graceTimer);
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
      const unsubscribe = await this.link.subscribe(documentId, (frame) => {
        if (room) this.link.receive(room, frame);
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
      const created: Room = new Room(documentId, stored.workspaceId, {
        limits: this.opts,
        observer: this.deps.observer,
        clock: this.clock,
        append: (update) =>
          withSpan(
            'sync.persist',
            { 'document.id': documentId, 'sync.bytes': update.byteLength },
            () => this.deps.log.append(documentId, update),
            { root: true },
          ),
        publish: (frame) => this.link.publish(documentId, frame),
        persisted: () => this.compactor.afterPersist(created),
      });
      const started = this.clock.now();
      try {
        created.applyStored(stored.state, stored.updates);
      } catch (err) {
        await unsubscribe();
        created.destroy();
        throw err;
      }
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
        'sync.apply_ms': this.clock.now() - started,
      });
      room = created;
      const entry: Entry = { room, unsubscribe };
      this.entries.set(documentId, entry);
      for (const frame of early) this.link.receive(room, frame);
      this.compactor.afterLoad(room);
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
    closeAll(room, CloseCode.UNAVAILABLE, 'document reloading, reconnect');
    this.stopTimers(entry);
    const id = room.documentId;
    const done = (async () => {
      try {
        await room.persist.drain();
      } finally {
        this.stopTimers(entry);
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
    this.clock.clearTimeout(entry.graceTimer);
    entry.graceTimer = this.clock.setTimeout(() => {
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
        await this.compactor.final(room);
      } catch (err) {
        // The log still holds every row: the next load (or compaction) picks them up.
        this.deps.logger.warn({ err, documentId: id }, 'compaction at unload failed');
      } finally {
        this.stopTimers(entry);
        this.entries.delete(id);
        await entry.unsubscribe().catch((err) => this.deps.logger.warn({ err }, 'bus unsubscribe failed'));
        room.destroy();
        this.unloading.delete(id);
      }
    })();
    this.unloading.set(id, done);
    return done;
  }

  private stopTimers(entry: Entry): void {
    this.clock.clearTimeout(entry.graceTimer);
    entry.graceTimer = undefined;
    this.link.forget(entry.room);
    this.compactor.forget(entry.room);
  }

  /** Re-checks the sessions a permission event may affect, on this instance. */
  applyPermissionEvent(event: PermissionEvent): Promise<void> {
    return this.rechecks.apply(event, this.rooms());
  }

  /** Shutdown: stop taking updates, write every pending batch (acknowledging it), then close sockets with 1012. */
  async close(): Promise<void> {
    this.closed = true;
    this.link.close();
    const entries = [...this.entries.values()];
    for (const { room } of entries) room.closing = true;
    await Promise.allSettled(entries.map(({ room }) => room.persist.drain()));
    for (const entry of entries) {
      closeAll(entry.room, CloseCode.SERVICE_RESTART, 'server restarting');
      this.stopTimers(entry);
    }
    await Promise.allSettled([...this.unloading.values()]);
    await Promise.allSettled(entries.map((e) => e.unsubscribe()));
    for (const entry of entries) entry.room.destroy();
    this.entries.clear();
  }
}

class DocumentGone extends Error {}
