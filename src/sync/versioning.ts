/**
 * Automatic versions of open documents (docs/spec/history.md [V1]): a room's Versioner watches
 * its local edits (never per keystroke work beyond a set lookup), records who edited and which Yjs
 * client ids are theirs (at most once per person every `authorRecordMs`), and asks for a version
 * once typing pauses for `idleMs`, after `intervalMs` of continuous activity, and when the room
 * unloads with edits since the last one. The version itself is taken from the stored document in a
 * CRDT thread by the recorder (the app's Versions), so nothing here encodes a state.
 */
import type { Logger } from 'pino';
import type * as Y from 'yjs';
import { withSpan } from '../observability/tracing.ts';
import type { Clock, Timer } from './clock.ts';
import { originOf } from './origin.ts';
import type { Room } from './room.ts';

/** What the sync tier needs from version history (the app's Versions satisfies it). */
export interface VersionRecorder {
  /** Records that these people edited now, and which Yjs client ids are theirs. */
  noteAuthors(documentId: string, userIds: string[], clients: [number, string][]): Promise<void>;
  /** Takes an automatic version of the stored document (skipped when nothing changed since the latest). */
  autoVersion(documentId: string): Promise<void>;
}

export type VersioningOptions = {
  /** A version after this long without a local edit; 0 turns automatic versions off. */
  idleMs: number;
  /** …and at least every this long while people keep typing. */
  intervalMs: number;
  /** A person's edits are recorded at most this often (the last one in a burst is recorded too). */
  authorRecordMs: number;
};

type State = {
  detach: () => void;
  /** Clock time of the first local edit since the last version; undefined when none. */
  firstEditAt?: number;
  idleTimer?: Timer;
  running?: Promise<void>;
  /** People and clients to record at the next flush. */
  users: Set<string>;
  clients: Map<number, string>;
  /** Clients already recorded (one per editing session). */
  knownClients: Set<number>;
  /** When each person was last recorded (clock ms). */
  recordedAt: Map<string, number>;
  flushTimer?: Timer;
};

export class Versioner {
  private readonly opts: VersioningOptions;
  private readonly deps: { recorder: VersionRecorder; clock: Clock; logger: Logger };
  private readonly states = new Map<Room, State>();

  constructor(opts: VersioningOptions, deps: Versioner['deps']) {
    this.opts = opts;
    this.deps = deps;
  }

  /** Starts watching a room that has just loaded. */
  attach(room: Room): void {
    if (this.opts.idleMs <= 0 || this.states.has(room)) return;
    const onTransaction = (tr: Y.Transaction) => this.observe(room, tr);
    room.doc.on('afterTransaction', onTransaction);
    this.states.set(room, {
      detach: () => room.doc.off('afterTransaction', onTransaction),
      users: new Set(),
      clients: new Map(),
      knownClients: new Set(),
      recordedAt: new Map(),
    });
  }

  private observe(room: Room, tr: Y.Transaction): void {
    const origin = originOf(tr.origin);
    if (origin?.kind !== 'local') return;
    const state = this.states.get(room);
    if (!state) return;
    const userId = origin.session.userId;
    let changed = tr.deleteSet.clients.size > 0;
    for (const [client, clock] of tr.afterState) {
      if (clock === (tr.beforeState.get(client) ?? 0)) continue;
      changed = true;
      if (!state.knownClients.has(client)) {
        state.knownClients.add(client);
        state.clients.set(client, userId);
      }
    }
    if (!changed) return;
    const now = this.deps.clock.now();
    state.users.add(userId);
    const last = state.recordedAt.get(userId);
    if (last === undefined || now - last >= this.opts.authorRecordMs || state.clients.size > 0) this.flushSoon(room, 0);
    else this.flushSoon(room, last + this.opts.authorRecordMs - now);
    state.firstEditAt ??= now;
    this.deps.clock.clearTimeout(state.idleTimer);
    if (now - state.firstEditAt >= this.opts.intervalMs) {
      this.versionSoon(room);
      return;
    }
    state.idleTimer = this.deps.clock.setTimeout(() => {
      state.idleTimer = undefined;
      this.versionSoon(room);
    }, this.opts.idleMs);
  }

  private flushSoon(room: Room, delayMs: number): void {
    const state = this.states.get(room);
    if (!state || state.flushTimer) return;
    state.flushTimer = this.deps.clock.setTimeout(() => {
      state.flushTimer = undefined;
      this.flush(room).catch((err) =>
        this.deps.logger.warn({ err, documentId: room.documentId }, 'recording who edited failed'),
      );
    }, delayMs);
  }

  /** Writes the pending edit records (people and client ids) of a room. */
  private async flush(room: Room): Promise<void> {
    const state = this.states.get(room);
    if (!state || (state.users.size === 0 && state.clients.size === 0)) return;
    this.deps.clock.clearTimeout(state.flushTimer);
    state.flushTimer = undefined;
    const users = [...state.users];
    const clients = [...state.clients];
    state.users.clear();
    state.clients.clear();
    const now = this.deps.clock.now();
    for (const u of users) state.recordedAt.set(u, now);
    try {
      await this.deps.recorder.noteAuthors(room.documentId, users, clients);
    } catch (err) {
      // Kept for the next flush: a lost record would leave someone out of the history.
      for (const u of users) state.users.add(u);
      for (const [c, u] of clients) state.clients.set(c, u);
      throw err;
    }
  }

  private versionSoon(room: Room): void {
    const state = this.states.get(room);
    if (!state || state.running) return;
    state.firstEditAt = undefined;
    this.deps.clock.clearTimeout(state.idleTimer);
    state.idleTimer = undefined;
    state.running = this.version(room)
      .catch((err) => this.deps.logger.warn({ err, documentId: room.documentId }, 'automatic version failed'))
      .finally(() => {
        state.running = undefined;
      });
  }

  private async version(room: Room): Promise<void> {
    await withSpan(
      'history.auto_version',
      { 'document.id': room.documentId },
      async () => {
        // What is typed is durable first, and who typed it recorded, so the version has both.
        await room.persist.drain();
        await this.flush(room);
        await this.deps.recorder.autoVersion(room.documentId);
      },
      { root: true },
    );
  }

  /** At unload (after the final compaction): a version of what was edited since the last one. */
  async final(room: Room): Promise<void> {
    const state = this.states.get(room);
    if (!state) return;
    if (state.running) await state.running;
    if (state.firstEditAt === undefined && state.users.size === 0) return;
    state.firstEditAt = undefined;
    await this.version(room);
  }

  /** The room is gone: stop its timers and stop listening. */
  forget(room: Room): void {
    const state = this.states.get(room);
    if (!state) return;
    this.deps.clock.clearTimeout(state.idleTimer);
    this.deps.clock.clearTimeout(state.flushTimer);
    state.detach();
    this.states.delete(room);
  }
}
