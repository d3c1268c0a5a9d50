/**
 * What the sync core needs from the outside world: a socket to write to, a durable update log,
 * a bus to the other instances and an observer for metrics. (Time is the Clock in clock.ts.)
 */
import type { DocumentAccess } from '../domain/roles.ts';

/** One client connection as the room sees it; the ws transport implements it. */
export interface SyncSocket {
  /**
   * Queues one pre-encoded frame; never blocks. `shared`: the very same frame goes to many
   * sockets now (a broadcast), so the transport may frame it once for all of them.
   */
  send(frame: Uint8Array, shared?: boolean): void;
  /**
   * Optional: several shared frames (a broadcast's update and the presence riding it) in one
   * write; without it they are sent one by one.
   */
  sendTogether?(frames: readonly Uint8Array[]): void;
  /** Bytes queued but not yet written to the network (backpressure signal). */
  readonly bufferedAmount: number;
  close(code: number, reason: string): void;
}

/** A document as stored: the compacted state plus the log rows appended since. */
/**
 * A user's access to a document now: their effective access, 'trashed' when they could read it
 * but it is in the trash (they may be told so), null when it does not exist.
 */
export type DocumentAccessNow = DocumentAccess | 'trashed' | null;

export type StoredDocument = {
  workspaceId: string;
  state: Uint8Array | null;
  updates: Uint8Array[];
  /** Log row ids, parallel to `updates`: compaction deletes exactly these. */
  seqs: number[];
};

/** The result of merging a stored document: new state and its projections. */
export type CompactedDocument = { state: Uint8Array; content: unknown; text: string };

export interface UpdateLog {
  /** The stored document, or null when it does not exist (never created, or deleted). */
  load(documentId: string): Promise<StoredDocument | null>;
  /** Appends one row (a merged batch) durably; resolves after commit. */
  append(documentId: string, update: Uint8Array): Promise<void>;
  /**
   * In one transaction (serialized per document): reads state and rows, calls `merge`, writes the
   * new state and projections, deletes the rows merged. Returns the number of rows merged, or
   * null when the document is gone.
   */
  compact(
    documentId: string,
    merge: (stored: StoredDocument) => CompactedDocument | Promise<CompactedDocument>,
  ): Promise<number | null>;
  /** Number of log rows waiting for compaction. */
  pendingRows(documentId: string): Promise<number>;
}

/** Why and since when a document is quarantined (its CRDT data is over budget). */
export type Quarantine = { reason: string; detail: Record<string, unknown>; since: Date };

/** Documents quarantined fleet-wide (a table; every instance checks it before loading a room). */
export interface QuarantineStore {
  get(documentId: string): Promise<Quarantine | null>;
  /** Idempotent: the first reason stays. */
  mark(documentId: string, reason: string, detail: Record<string, unknown>): Promise<void>;
  /** Returns whether the document was quarantined. */
  release(documentId: string): Promise<boolean>;
  /** After a repair: the state vector of the history it replaced (merged with earlier repairs'). */
  retire(documentId: string, stateVector: Uint8Array): Promise<void>;
  /** The state vector of every history repairs replaced, or null when never repaired. */
  retired(documentId: string): Promise<Uint8Array | null>;
  list(limit: number): Promise<(Quarantine & { documentId: string })[]>;
}

/** Binary fan-out between instances (the EventBus satisfies it). */
/**
 * [S11.7] [S11.8] A workspace's event-loop CPU budget on this instance (SyncTenantLimiter): past its
 * burst (`over`), and charged with what applying its CRDT data cost the thread (`charge`).
 */
export interface WorkspaceCpuBudget {
  crdtOver(workspaceId: string): boolean;
  chargeCrdt(workspaceId: string, cpuMs: number): void;
}

export interface RoomBus {
  publishBytes(channel: string, payload: Uint8Array): Promise<void>;
  subscribeBytes(channel: string, handler: (payload: Uint8Array) => void): Promise<() => Promise<void>>;
  onResync(listener: () => void): void;
}

export type FrameKind = 'update' | 'awareness' | 'sync' | 'control';

/** A big room's batching lanes (fanout.ts): one for everyone, or editors and viewers apart. */
export type BroadcastLaneName = 'all' | 'editors' | 'viewers';

/** Hooks for metrics (observability/sync-metrics.ts implements it); none may throw. */
export interface RoomObserver {
  sent(kind: FrameKind, frames: number, bytes: number): void;
  received(kind: string, bytes: number): void;
  propagated(seconds: number, recipients: number): void;
  /**
   * A big room's lane finished a rolling cycle [S5.4, S5.7]: which lane (everyone, or editors /
   * viewers of a room with a viewer lane), how long it took from first chunk to last, how many
   * updates it started delivering (each update is counted in one cycle), and its sockets.
   */
  broadcast?(lane: BroadcastLaneName, seconds: number, updates: number, sockets: number): void;
  persisted(updates: number, bytes: number, seconds: number): void;
  persistFailed(err: unknown, attempt: number): void;
  presenceDropped(): void;
  /** Presence states the server stamped with the sender's identity [S2.7]. */
  presenceStamped(states: number): void;
  tooSlow(): void;
  /** An update over its CRDT budget: refused (its own fault) or the document quarantined. */
  updateRefused?(action: 'refuse' | 'quarantine'): void;
  /** A document was quarantined, by what found it over budget. */
  quarantined?(trigger: 'update' | 'load' | 'compaction'): void;
}

/** How many editing, viewing and waiting connections of one document some set of instances holds. */
export type FleetCounts = { editors: number; viewers: number; waiting: number };

/**
 * [S5.6] A document's editing seats, counts and wait list across every instance of the fleet
 * (Redis; in process on the embedded default). Every call answers the counts of the OTHER live
 * instances, so a room adds them to its own. An instance that stops calling (heartbeat) for the
 * ledger's TTL is dropped from every document: its seats free, its waiters leave the line.
 * Seats change only by claim, release and forget, atomically, so the editor cap holds fleet-wide.
 */
export interface SeatLedger {
  /** Keeps this instance alive in the ledger (every call by it does too). */
  heartbeat(instanceId: string): Promise<void>;
  /**
   * Takes one editing seat when the fleet holds fewer than `cap` and nobody waits ahead: without
   * `waiter`, only when nobody waits at all; with it, only when it is first in line (it then leaves the line).
   */
  claim(
    documentId: string,
    instanceId: string,
    cap: number,
    waiter?: string,
  ): Promise<{ granted: boolean; others: FleetCounts }>;
  /** Gives one seat of this instance back. */
  release(documentId: string, instanceId: string): Promise<FleetCounts>;
  /** Puts a waiter (an id unique within the instance) at the end of the document's line. */
  enqueue(documentId: string, instanceId: string, waiter: string): Promise<FleetCounts>;
  /** Takes a waiter out of the line (it left, or lost edit rights). */
  dequeue(documentId: string, instanceId: string, waiter: string): Promise<FleetCounts>;
  /**
   * This instance's viewers (hot rooms publish them); with `editors`/`waiters`, also resets its
   * seats and its part of the line to what it holds (repair after calls failed).
   */
  report(
    documentId: string,
    instanceId: string,
    counts: { viewers: number; editors?: number; waiters?: string[] },
  ): Promise<FleetCounts>;
  /** The room unloaded here: this instance's seats, counts and waiters of the document go. */
  forget(documentId: string, instanceId: string): Promise<void>;
  /** Shutdown: the instance leaves every document at once. */
  retire(instanceId: string): Promise<void>;
  close(): Promise<void>;
}
