/**
 * Compaction of a room's log: once the rows appended since the last compaction pass the
 * threshold (or typing pauses for `compactIdleMs`, or the room unloads), the stored state, the
 * log rows and what the room holds are merged into a new state plus its projections (ProseMirror
 * JSON and plain text), in one transaction of the log. [S4.2] A document the projection cannot
 * read is still compacted; its projections stay empty.
 */
import type { Logger } from 'pino';
import * as Y from 'yjs';
import { CrdtBudgetExceeded, type CrdtPool } from '../content/crdt-pool.ts';
import { applyStored } from '../content/stored-document.ts';
import { withSpan } from '../observability/tracing.ts';
import type { Clock, Timer } from './clock.ts';
import type { UpdateLog } from './ports.ts';
import type { Room } from './room.ts';

export type CompactionOptions = {
  /** Log rows past which a room's log is merged into the stored state. */
  compactThreshold: number;
  /**
   * After this long without a new row, a room with unmerged rows compacts anyway, so search and
   * the stored projections catch up with an open document soon after typing pauses. 0: only at
   * the threshold and at unload.
   */
  compactIdleMs: number;
};

type State = { idleTimer?: Timer; running?: Promise<void> };

export class Compactor {
  private readonly opts: CompactionOptions;
  private readonly deps: {
    log: UpdateLog;
    logger: Logger;
    clock: Clock;
    /** Projections of a document (ProseMirror JSON and plain text) written at compaction. */
    project: (doc: Y.Doc) => { content: unknown; text: string };
    /** Whether the room is still the one loaded for its document. */
    isLoaded: (room: Room) => boolean;
    /** Merges off the main thread under budget; without it (unit tests) the merge runs inline. */
    crdt?: CrdtPool;
    /** The merge was over budget: the document must be quarantined. */
    overBudget: (room: Room, err: CrdtBudgetExceeded) => void;
  };
  private readonly states = new Map<Room, State>();

  constructor(opts: CompactionOptions, deps: Compactor['deps']) {
    this.opts = opts;
    this.deps = deps;
  }

  private state(room: Room): State {
    let state = this.states.get(room);
    if (!state) {
      state = {};
      this.states.set(room, state);
    }
    return state;
  }

  /** After load: a log already past the threshold is compacted soon. */
  afterLoad(room: Room): void {
    if (room.rowsSinceCompaction >= this.opts.compactThreshold) this.compactSoon(room);
  }

  /** Called after each persisted batch: compacts once the log passes the threshold, or once typing pauses. */
  afterPersist(room: Room): void {
    if (!this.deps.isLoaded(room)) return;
    if (room.rowsSinceCompaction >= this.opts.compactThreshold) {
      this.compactSoon(room);
      return;
    }
    if (this.opts.compactIdleMs <= 0 || room.rowsSinceCompaction === 0) return;
    const state = this.state(room);
    this.deps.clock.clearTimeout(state.idleTimer);
    state.idleTimer = this.deps.clock.setTimeout(() => {
      state.idleTimer = undefined;
      if (this.deps.isLoaded(room) && !room.closing && room.rowsSinceCompaction > 0) this.compactSoon(room);
    }, this.opts.compactIdleMs);
  }

  private compactSoon(room: Room): void {
    const state = this.state(room);
    state.running ??= this.compact(room)
      .catch((err) => {
        if (err instanceof CrdtBudgetExceeded) this.deps.overBudget(room, err);
        else this.deps.logger.warn({ err, documentId: room.documentId }, 'compaction failed');
      })
      .finally(() => {
        state.running = undefined;
      });
  }

  /** At unload: waits for a running compaction, then merges whatever is left. Throws if that fails. */
  async final(room: Room): Promise<void> {
    const running = this.states.get(room)?.running;
    if (running) await running;
    if (room.rowsSinceCompaction === 0) return;
    try {
      await this.compact(room);
    } catch (err) {
      if (err instanceof CrdtBudgetExceeded) this.deps.overBudget(room, err);
      throw err;
    }
  }

  /** Merges state + log (+ what this room holds) into a new state and projections, in one transaction. */
  private async compact(room: Room): Promise<void> {
    const rowsBefore = room.rowsSinceCompaction;
    await withSpan(
      'sync.compact',
      { 'document.id': room.documentId },
      async (span) => {
        const merged = await this.deps.log.compact(room.documentId, async (stored) => {
          const updates = [...stored.updates, Y.encodeStateAsUpdate(room.doc)];
          if (this.deps.crdt) {
            // [S11.2] Off the main thread, under budget; over it, CrdtBudgetExceeded rolls back.
            const r = await this.deps.crdt.rebuild({ state: stored.state, updates }, { project: true });
            if (r.projectionError) {
              this.deps.logger.warn({ err: r.projectionError, documentId: room.documentId }, 'projection failed');
            }
            return { state: r.state, content: r.content ?? null, text: r.text ?? '' };
          }
          const doc = new Y.Doc({ gc: true });
          try {
            // Rows Yjs cannot integrate are skipped, as at load: one bad row must not block compaction.
            applyStored(doc, stored.state, updates);
            const state = Y.encodeStateAsUpdate(doc);
            let projection: { content: unknown; text: string };
            try {
              projection = this.deps.project(doc);
            } catch (err) {
              // [S4.2] A document the projection cannot read still gets compacted; its projections stay empty.
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

  /** The room is gone: stop its idle timer. */
  forget(room: Room): void {
    this.deps.clock.clearTimeout(this.states.get(room)?.idleTimer);
    this.states.delete(room);
  }
}
