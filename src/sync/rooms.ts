/**
 * The rooms open on this instance and their lifecycle: loads a room once for concurrent first
 * connections, unloads it after the last one leaves (plus a grace period), evicts a room whose
 * document can no longer be trusted, and shuts down. The other jobs are delegated: keeping rooms
 * in step with other instances to the instance link (instance-link.ts), log compaction to the
 * compactor (compaction.ts), permission re-checks to permission-recheck.ts. It also quarantines
 * (S11.3, S11.4): stopping a room is lifecycle, and must share the load/unload bookkeeping — which
 * is why it runs past 350 lines.
 */
import type { Logger } from 'pino';
import * as Y from 'yjs';
import { CrdtBudgetExceeded, type CrdtPool } from '../content/crdt-pool.ts';
import type { PermissionEvent } from '../domain/permission-event.ts';
import { withSpan } from '../observability/tracing.ts';
import { type Clock, systemClock, type Timer } from './clock.ts';
import { CloseCode } from './close-codes.ts';
import { type CompactionOptions, Compactor } from './compaction.ts';
import { FairSlots } from './fair-slots.ts';
import type { FleetObserver } from './fleet-tiers.ts';
import { InstanceLink } from './instance-link.ts';
import type { RoomLimits } from './limits.ts';
import { closeAll, PermissionRechecks } from './permission-recheck.ts';
import type {
  DocumentAccessNow,
  QuarantineStore,
  RoomBus,
  RoomObserver,
  SeatLedger,
  UpdateLog,
  WorkspaceCpuBudget,
} from './ports.ts';
import { QUARANTINED_NOTICE } from './protocol.ts';
import { Room } from './room.ts';
import { Versioner, type VersioningOptions, type VersionRecorder } from './versioning.ts';

export type RegistryOptions = RoomLimits &
  CompactionOptions & {
    /** How long an empty room stays loaded (a reload or a quick reconnect finds it warm). */
    roomGraceMs: number;
    /** [S11.9] Room loads in progress at once on this instance; more wait their turn, per workspace. */
    maxConcurrentLoads?: number;
    /** [S5.6] An instance silent this long leaves the seat ledger (its seats free); it heartbeats at a third of it. */
    fleetTtlMs?: number;
  };

export type RegistryDeps = {
  log: UpdateLog;
  bus: RoomBus;
  /** [S5.6] Editing seats, counts and the wait line of documents across instances. */
  seats: SeatLedger;
  observer: RoomObserver & FleetObserver;
  logger: Logger;
  /** Effective access of a user to a document now (DocumentAccessNow). */
  documentAccess: (userId: string, documentId: string) => Promise<DocumentAccessNow>;
  /** Projections of a document (ProseMirror JSON and plain text) written at compaction. */
  project: (doc: Y.Doc) => { content: unknown; text: string };
  /** Time for every timer of the sync core; the real clock unless a test injects a fake one. */
  clock?: Clock;
  /**
   * Rebuilds stored documents off the main thread under budget (loads, compaction). Every process
   * has one; unit tests of the sync core's logic may leave it out, and rebuild inline.
   */
  crdt?: CrdtPool;
  /** Quarantined documents (checked before every load); as optional as `crdt`, for the same tests. */
  quarantine?: QuarantineStore;
  /** [S11.8] Room loads are charged to their workspace, and refused while it is past its burst. */
  cpuBudget?: WorkspaceCpuBudget;
  /** Automatic versions of edited documents (versioning.ts); absent: none. */
  versions?: { recorder: VersionRecorder; options: VersioningOptions };
  /** Whether a read-only person sees the document's comments [C1] (comment-notices.ts); absent: all do. */
  seesComments?: (userId: string, documentId: string) => Promise<boolean>;
  /** [S11.9] The workspace of a document, so room loads queue fairly per workspace; absent: one queue. */
  workspaceOf?: (documentId: string) => Promise<string | null>;
};

/** The document is quarantined: connections are refused with 4423 until an operator acts. */
export class DocumentQuarantined extends Error {}

/** [S11.8] The document's workspace spent its CRDT CPU budget: the load is refused (4429). */
export class WorkspaceOverBudget extends Error {}

type Entry = { room: Room; unsubscribe: () => Promise<void>; graceTimer?: Timer };

export class RoomRegistry {
  private readonly opts: RegistryOptions;
  private readonly deps: RegistryDeps;
  private readonly clock: Clock;
  private readonly link: InstanceLink;
  private readonly compactor: Compactor;
  private readonly rechecks: PermissionRechecks;
  private readonly versioner: Versioner | undefined;
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<Entry>>();
  private readonly unloading = new Map<string, Promise<void>>();
  private readonly loadSlots: FairSlots;
  private heartbeatTimer: Timer | undefined;
  private closed = false;

  constructor(opts: RegistryOptions, deps: RegistryDeps) {
    this.opts = opts;
    this.deps = deps;
    this.clock = deps.clock ?? systemClock;
    // [S11.9] A quarter of the load slots (at least one) is kept from any one workspace, so
    // another tenant's load starts at once; waiting workspaces take turns for the rest.
    const slots = opts.maxConcurrentLoads ?? Number.MAX_SAFE_INTEGER;
    this.loadSlots = new FairSlots(slots, slots - Math.max(1, Math.floor(slots / 4)));
    const loaded = (documentId: string) => this.entries.get(documentId)?.room;
    this.link = new InstanceLink({
      bus: deps.bus,
      log: deps.log,
      logger: deps.logger,
      clock: this.clock,
      loaded,
      quarantined: (room) => this.quarantine(room, 'quarantined by another instance', {}, 'peer'),
      seesComments: deps.seesComments,
    });
    this.heartbeat();
    this.compactor = new Compactor(opts, {
      log: deps.log,
      logger: deps.logger,
      clock: this.clock,
      project: deps.project,
      crdt: deps.crdt,
      isLoaded: (room) => loaded(room.documentId) === room,
      overBudget: (room, err) => this.overBudget(room, err, 'compaction'),
    });
    this.versioner =
      deps.versions &&
      new Versioner(deps.versions.options, {
        recorder: deps.versions.recorder,
        clock: this.clock,
        logger: deps.logger,
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

  /** [S5.6] Keeps this instance in the seat ledger while it runs (rooms' own calls renew it too). */
  private heartbeat(): void {
    if (this.closed) return;
    const ttl = this.opts.fleetTtlMs ?? DEFAULT_FLEET_TTL_MS;
    const started = this.clock.now();
    this.deps.seats.heartbeat(this.instanceId).then(
      () => this.deps.observer.seatLedgerCall?.('heartbeat', 'ok', (this.clock.now() - started) / 1000),
      (err) => {
        // Counted (SyncSeatLedgerFailing alerts); logged at debug, as Redis's own errors are logged already.
        this.deps.observer.seatLedgerCall?.('heartbeat', 'error', (this.clock.now() - started) / 1000);
        this.deps.logger.debug({ err }, 'seat ledger heartbeat failed');
      },
    );
    this.heartbeatTimer = this.clock.setTimeout(() => this.heartbeat(), Math.max(1, Math.floor(ttl / 3)));
  }

  /** This instance's id on the bus (its own messages are recognised and dropped). */
  get instanceId(): string {
    return this.link.instanceId;
  }

  get roomCount(): number {
    return this.entries.size;
  }

  /** Room loads running and waiting for one of the fair slots (a metric: cold-start storms). */
  get roomLoads(): { active: number; waiting: number } {
    return { active: this.loadSlots.active, waiting: this.loadSlots.pending };
  }

  /** Loaded rooms by tier (a metric: how many documents are hot enough to be reduced or view-only). */
  roomsByMode(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const e of this.entries.values()) counts[e.room.mode] = (counts[e.room.mode] ?? 0) + 1;
    return counts;
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
      pending = this.queuedLoad(documentId).finally(() => this.loading.delete(documentId));
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

  /** A load in its workspace's turn [S11.9] (an unknown workspace queues as its own tenant). */
  private async queuedLoad(documentId: string): Promise<Entry> {
    const workspaceId = this.deps.workspaceOf ? await this.deps.workspaceOf(documentId).catch(() => null) : null;
    return this.loadSlots.run(workspaceId ?? '', () => this.load(documentId));
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
      let rebuilt: { state: Uint8Array | null; updates: Uint8Array[]; skipped: number };
      let retired: Uint8Array | null | undefined;
      try {
        // [S11.4] A quarantined document is not loaded: it would hold the event loop.
        const quarantined = await this.deps.quarantine?.get(documentId);
        if (quarantined) throw new DocumentQuarantined(quarantined.reason);
        stored = await this.deps.log.load(documentId);
        if (!stored) throw new DocumentGone();
        if (this.deps.cpuBudget?.crdtOver(stored.workspaceId)) throw new WorkspaceOverBudget();
        rebuilt = await this.rebuild(documentId, stored);
        retired = await this.deps.quarantine?.retired(documentId);
      } catch (err) {
        await unsubscribe();
        throw err;
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
        quarantine: (reason, detail) => this.quarantine(created, reason, detail, 'update'),
        seats: { ledger: this.deps.seats, instanceId: this.instanceId, observer: this.deps.observer },
      });
      const started = this.clock.now();
      const cpuBefore = process.threadCpuUsage();
      try {
        created.applyStored(rebuilt.state, rebuilt.updates);
        const cpu = process.threadCpuUsage(cpuBefore);
        this.deps.cpuBudget?.chargeCrdt(stored.workspaceId, (cpu.user + cpu.system) / 1000);
        created.skippedRows += rebuilt.skipped;
        if (retired) created.retired = Y.decodeStateVector(retired);
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
      this.versioner?.attach(room);
      return entry;
    });
  }

  /**
   * [S11.1] A large update's own cost, counted in a CRDT worker before the main thread decodes it
   * (decoding alone is tens of milliseconds at a few hundred KB). Null: go on; otherwise why to refuse.
   */
  async precheck(payload: Uint8Array): Promise<{ reason: string; malformed: boolean } | null> {
    if (!this.deps.crdt || payload.byteLength < this.opts.crdt.inspectOffThreadBytes) return null;
    const v = await this.deps.crdt.inspect(payload, this.opts.crdt);
    return v.ok ? null : v;
  }

  /** Whether an update of this size is counted off the main thread first (precheck). */
  precheckWanted(bytes: number): boolean {
    return this.deps.crdt !== undefined && bytes >= this.opts.crdt.inspectOffThreadBytes;
  }

  /**
   * State and rows merged in a CRDT worker, under budget: what the room then applies costs the
   * main thread at most CRDT_MAIN_BUDGET_MS [S11.2]. Over budget, the document is quarantined.
   */
  private async rebuild(
    documentId: string,
    stored: NonNullable<Awaited<ReturnType<UpdateLog['load']>>>,
  ): Promise<{ state: Uint8Array | null; updates: Uint8Array[]; skipped: number }> {
    if (!this.deps.crdt) return { state: stored.state, updates: stored.updates, skipped: 0 };
    try {
      const r = await this.deps.crdt.rebuild({ state: stored.state, updates: stored.updates });
      return { state: r.state, updates: [], skipped: r.skipped };
    } catch (err) {
      if (!(err instanceof CrdtBudgetExceeded)) throw err;
      await this.markQuarantined(documentId, stored.workspaceId, err.message, err.detail, 'load');
      throw new DocumentQuarantined(err.message);
    }
  }

  private async markQuarantined(
    documentId: string,
    workspaceId: string,
    reason: string,
    detail: Record<string, unknown>,
    trigger: 'update' | 'load' | 'compaction',
  ): Promise<void> {
    this.deps.logger.error(
      { event: 'document_quarantined', documentId, workspaceId, reason, detail, trigger },
      'document quarantined: its CRDT data is over budget',
    );
    this.deps.observer.quarantined?.(trigger);
    await this.deps.quarantine
      ?.mark(documentId, reason, { ...detail, trigger })
      .catch((err) => this.deps.logger.error({ err, documentId }, 'could not record the quarantine'));
    // Instances that have the document loaded close their rooms too (they read the table only at load).
    this.link.publish(documentId, QUARANTINED_NOTICE);
  }

  /**
   * [S11.3] Stops serving a document whose CRDT data went over budget while loaded: no more
   * updates are applied, what was applied is written (and acknowledged), then every socket is
   * closed with 4423 and the quarantine recorded, so no instance loads it again until an operator
   * repairs or releases it.
   */
  quarantine(
    room: Room,
    reason: string,
    detail: Record<string, unknown>,
    trigger: 'update' | 'compaction' | 'peer',
  ): void {
    const entry = this.entries.get(room.documentId);
    if (!entry || entry.room !== room || this.unloading.has(room.documentId)) return;
    room.closing = true;
    const id = room.documentId;
    const done = (async () => {
      try {
        await room.persist.drain();
      } catch (err) {
        this.deps.logger.warn({ err, documentId: id }, 'writing pending updates of a quarantined room failed');
      }
      try {
        // A peer's notice: that instance recorded, counted and announced it already.
        if (trigger !== 'peer') await this.markQuarantined(id, room.workspaceId, reason, detail, trigger);
        else this.deps.logger.warn({ documentId: id }, 'room closed: its document was quarantined by another instance');
      } finally {
        closeAll(room, CloseCode.QUARANTINED, 'document quarantined: an operator must repair it');
        this.stopTimers(entry);
        this.entries.delete(id);
        await entry.unsubscribe().catch(() => undefined);
        room.destroy();
        this.unloading.delete(id);
      }
    })();
    this.unloading.set(id, done);
  }

  /** Compaction found the document over budget: quarantine it (or just record it, when it is unloading). */
  private overBudget(room: Room, err: CrdtBudgetExceeded, trigger: 'compaction'): void {
    if (this.entries.get(room.documentId)?.room === room && !this.unloading.has(room.documentId)) {
      this.quarantine(room, err.message, err.detail, trigger);
      return;
    }
    void this.markQuarantined(room.documentId, room.workspaceId, err.message, err.detail, trigger);
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
      }
      try {
        await this.versioner?.final(room);
      } catch (err) {
        this.deps.logger.warn({ err, documentId: id }, 'automatic version at unload failed');
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
    // On shutdown the whole instance leaves the ledger at once (close); otherwise the room's part goes.
    if (this.closed) entry.room.fleet.stop();
    else void entry.room.fleet.forget();
    this.compactor.forget(entry.room);
    this.versioner?.forget(entry.room);
  }

  /** Re-checks the sessions a permission event may affect, on this instance. */
  applyPermissionEvent(event: PermissionEvent): Promise<void> {
    return this.rechecks.apply(event, this.rooms());
  }

  /** Shutdown: stop taking updates, write every pending batch (acknowledging it), then close sockets with 1012. */
  async close(): Promise<void> {
    this.closed = true;
    this.link.close();
    this.clock.clearTimeout(this.heartbeatTimer);
    const entries = [...this.entries.values()];
    for (const { room } of entries) {
      room.closing = true;
      room.fleet.stop();
    }
    // [S5.6] Our seats free for the other instances now, not after the TTL.
    await this.deps.seats.retire(this.instanceId).catch(() => undefined);
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

const DEFAULT_FLEET_TTL_MS = 15_000;
