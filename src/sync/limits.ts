import type { CrdtLimits } from '../content/crdt-inspect.ts';
import { maxNestingDepth } from '../content/prosemirror-json.ts';

/** The CRDT limits with config.crdt's defaults, for code that builds rooms without a config (tests, benches). */
export const DEFAULT_CRDT_LIMITS: RoomLimits['crdt'] = {
  maxStructsPerUpdate: 50_000,
  maxConcurrentInserts: 64,
  maxDepth: maxNestingDepth,
  maxIntegrationSteps: 100_000,
  mainBudgetMs: 50,
  inspectOffThreadBytes: 65_536,
};

/** The limits of one room (from config.sync): tiers, ticks, backpressure and group commit. */
export type RoomLimits = {
  /** What one update may cost to integrate (config.crdt); mainBudgetMs bounds one apply. */
  crdt: CrdtLimits & {
    mainBudgetMs: number;
    /** Updates at least this large have their own cost counted in a CRDT worker first [S11.1]. */
    inspectOffThreadBytes: number;
  };
  persistBatchMs: number;
  /** Past this many queued bytes a socket stops receiving presence. */
  sendBufferSoftBytes: number;
  /** Past this many queued bytes a socket is closed as too slow (it resyncs on reconnect). */
  sendBufferHardBytes: number;
  /** Up to this many connections presence is real-time; above it, sampled per tick. */
  fullPresenceMax: number;
  /** At or above this many editing connections, newcomers with edit rights join read-only (viewers never count). */
  viewOnlyAbove: number;
  /** Largest presence (awareness) state a client may send, in bytes of JSON after stamping. */
  maxAwarenessBytes: number;
  /** Rooms with more connections than this merge updates per tick and send one frame. */
  broadcastBatchAbove: number;
  broadcastTickMs: number;
  /**
   * Sockets one broadcast writes per event-loop turn (default BROADCAST_CHUNK_SOCKETS): a bigger
   * room's broadcast yields between chunks, so health checks, SAVED and other rooms run meanwhile.
   */
  broadcastChunkSockets?: number;
  presenceTickMs: number;
  presenceSampleSize: number;
  /** Whether read-only connections' presence (cursors) is shown to others. */
  viewerPresence: boolean;
  /** [S7.9] Big rooms with more viewers than `viewerTickAbove` (default 1,000) send viewers merged updates per `viewerTickMs`. */
  viewerTickMs?: number;
  viewerTickAbove?: number;
  /**
   * [S7.9] In such a room editors get at most one merged update per `editorTickMs` (default 50; 0:
   * one per event-loop turn): every frame is a transaction, and a re-render, in each editor's browser.
   */
  editorTickMs?: number;
  /** [S7.9] A viewer's send buffer past this many bytes: no more frames until it drained, then one catch-up (default 1 MiB). */
  viewerLagBytes?: number;
  /** [S5.6] Rooms with at least this many connections here publish their viewer count to the fleet (default 100). */
  fleetHotAbove?: number;
  /** [S5.6] How often a room with fleet business (hot, waiters, other instances' counts) refreshes them (default 2,000 ms). */
  fleetReportMs?: number;
};
