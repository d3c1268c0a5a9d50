/**
 * Metrics of the sync tier: sockets, rooms, traffic by type, persistence, backpressure, propagation.
 * It fits the sync core's RoomObserver port structurally (the wiring hands it over as one);
 * observability imports no subsystem, so label values arrive as plain strings.
 */
import client from 'prom-client';
import { LATENCY_BUCKETS } from './metrics.ts';

const BATCH_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500];
const BUFFER_BUCKETS = [0, 1024, 16_384, 65_536, 262_144, 1_048_576, 4_194_304, 16_777_216];
/** Propagation is sub-millisecond on one instance: finer buckets at the bottom. */
const PROPAGATION_BUCKETS = [0.0001, 0.00025, 0.0005, ...LATENCY_BUCKETS];
/** Updates merged into one broadcast: 1 in a calm room, dozens when a hot one is behind. */
const MERGED_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];
/** Room tiers (RoomMode), all exported even when zero so a dashboard's series never vanish. */
const ROOM_MODES = ['full', 'reduced', 'view-only'];

export type SyncGauges = {
  openSockets: () => number;
  loadedRooms: () => number;
  /** Room loads running, and waiting for a fair slot (S11.9). */
  roomLoads: () => { active: number; waiting: number };
  /** Send-buffer sizes of open sockets (sampled at scrape time). */
  sendBuffers: () => number[];
  /** Loaded rooms by tier (full, reduced, view-only), read at scrape time. */
  roomsByMode: () => Record<string, number>;
};

export class SyncMetrics {
  private readonly messagesOut: client.Counter<'type'>;
  private readonly messagesIn: client.Counter<'type'>;
  private readonly bytesOut: client.Counter<'type'>;
  private readonly bytesIn: client.Counter<'type'>;
  private readonly persistBatch: client.Histogram;
  private readonly persistDuration: client.Histogram;
  private readonly persistErrors: client.Counter;
  private readonly propagation: client.Histogram;
  private readonly presenceDrops: client.Counter;
  /** [S7.10] Presence frames replaced by a later one before their turn came. */
  readonly presenceCoalesced: client.Counter;
  private readonly overBudget: client.Counter<'action'>;
  private readonly quarantines: client.Counter<'trigger'>;
  readonly closes: client.Counter<'reason'>;
  readonly connections: client.Counter<'result'>;
  readonly loadDuration: client.Histogram;
  private readonly limitDecisions: client.Counter<'limit' | 'outcome'>;
  private readonly limitChildren = new Map<string, client.Counter.Internal>();
  private readonly presenceStamps: client.Counter;
  private readonly seatLedger: client.Histogram<'op' | 'result'>;
  private readonly fleetAge: client.Histogram;
  private readonly catchUps: client.Counter<'event'>;
  private readonly catchUpBytes: client.Histogram;
  private readonly broadcastDuration: client.Histogram<'lane'>;
  private readonly broadcastUpdates: client.Histogram<'lane'>;

  constructor(registry: client.Registry, gauges: SyncGauges) {
    const registers = [registry];
    this.overBudget = new client.Counter({
      name: 'sync_updates_over_budget_total',
      help: 'Client updates over their CRDT budget: refused (4413) or the document quarantined',
      labelNames: ['action'],
      registers,
    });
    this.quarantines = new client.Counter({
      name: 'documents_quarantined_total',
      help: 'Documents quarantined because their CRDT data is over budget, by what found it (update, load, compaction)',
      labelNames: ['trigger'],
      registers,
    });
    this.messagesIn = new client.Counter({
      name: 'sync_messages_received_total',
      help: 'Sync messages received from clients, by type',
      labelNames: ['type'],
      registers,
    });
    this.messagesOut = new client.Counter({
      name: 'sync_messages_sent_total',
      help: 'Frames sent to clients, by type (one per socket)',
      labelNames: ['type'],
      registers,
    });
    this.bytesIn = new client.Counter({
      name: 'sync_received_bytes_total',
      help: 'Payload bytes received, by type',
      labelNames: ['type'],
      registers,
    });
    this.bytesOut = new client.Counter({
      name: 'sync_sent_bytes_total',
      help: 'Bytes sent, by type',
      labelNames: ['type'],
      registers,
    });
    this.persistBatch = new client.Histogram({
      name: 'sync_persist_batch_updates',
      help: 'Updates merged into one log row (group commit)',
      buckets: BATCH_BUCKETS,
      registers,
    });
    this.persistDuration = new client.Histogram({
      name: 'sync_persist_duration_seconds',
      help: 'Time to commit one batch to the update log',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.persistErrors = new client.Counter({
      name: 'sync_persist_errors_total',
      help: 'Failed batch writes (retried with backoff; acknowledgements wait)',
      registers,
    });
    this.propagation = new client.Histogram({
      name: 'sync_propagation_seconds',
      help: 'Receipt of an update to its frame written to every peer socket on this instance',
      buckets: PROPAGATION_BUCKETS,
      registers,
    });
    this.presenceDrops = new client.Counter({
      name: 'sync_presence_dropped_total',
      help: 'Presence frames skipped for sockets over the soft send-buffer limit',
      registers,
    });
    this.presenceCoalesced = new client.Counter({
      name: 'sync_presence_coalesced_total',
      help: 'Presence frames replaced by a later frame of the same socket before being applied (SYNC_PRESENCE_MIN_INTERVAL_MS)',
      registers,
    });
    this.closes = new client.Counter({
      name: 'sync_socket_closes_total',
      help: 'Closed sync sockets by reason',
      labelNames: ['reason'],
      registers,
    });
    this.connections = new client.Counter({
      name: 'sync_connections_total',
      help: 'Connection attempts by outcome',
      labelNames: ['result'],
      registers,
    });
    this.loadDuration = new client.Histogram({
      name: 'sync_room_load_duration_seconds',
      help: 'Time to load a room from the log',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.limitDecisions = new client.Counter({
      name: 'sync_limit_decisions_total',
      help: 'Tenant limit decisions of the sync tier by limit (ip_sockets, user_sockets, user_document_sockets, user_joins, workspace_frames, workspace_bytes, socket_frames, preauth_frames, auth_timeout, presence_size) and outcome (allowed, limited)',
      labelNames: ['limit', 'outcome'],
      registers,
    });
    this.presenceStamps = new client.Counter({
      name: 'sync_presence_stamped_total',
      help: 'Presence states stamped with the authenticated user id and display name',
      registers,
    });
    this.seatLedger = new client.Histogram({
      name: 'sync_seat_ledger_seconds',
      help: 'Calls to the fleet seat ledger (Redis) by operation (claim, release, enqueue, dequeue, report, heartbeat) and result (ok; error: tiers decided from local counts)',
      labelNames: ['op', 'result'],
      buckets: PROPAGATION_BUCKETS,
      registers,
    });
    this.fleetAge = new client.Histogram({
      name: 'sync_fleet_counts_age_seconds',
      help: "Age of a room's view of the other instances' counts when its periodic report refreshed it",
      buckets: [0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120],
      registers,
    });
    this.catchUps = new client.Counter({
      name: 'sync_viewer_catch_ups_total',
      help: 'Viewers that fell behind (event=lagging: no frames until their send buffer drained) and that were sent their one merged catch-up (event=caught_up)',
      labelNames: ['event'],
      registers,
    });
    this.catchUpBytes = new client.Histogram({
      name: 'sync_viewer_catch_up_bytes',
      help: 'Size of the merged catch-up sent to a viewer that had fallen behind',
      buckets: BUFFER_BUCKETS.slice(1),
      registers,
    });
    new client.Gauge({
      name: 'sync_open_sockets',
      help: 'Open, authenticated sync sockets (the autoscaling signal)',
      registers,
      collect() {
        this.set(gauges.openSockets());
      },
    });
    this.broadcastDuration = new client.Histogram({
      name: 'sync_broadcast_duration_seconds',
      help: "One rolling cycle of a big room's lane over its sockets, first chunk to last (S5.7), by lane (all; editors, viewers in rooms with a viewer lane)",
      labelNames: ['lane'],
      buckets: PROPAGATION_BUCKETS,
      registers,
    });
    this.broadcastUpdates = new client.Histogram({
      name: 'sync_broadcast_updates',
      help: "Updates a big room's lane cycle started delivering (each update counted in one cycle), by lane (a hot room merges many)",
      labelNames: ['lane'],
      buckets: MERGED_BUCKETS,
      registers,
    });
    new client.Gauge({
      name: 'sync_rooms_by_mode',
      help: 'Documents open on this instance by tier (full; reduced: sampled presence; view-only)',
      labelNames: ['mode'],
      registers,
      collect() {
        const counts = gauges.roomsByMode();
        for (const mode of ROOM_MODES) this.set({ mode }, counts[mode] ?? 0);
      },
    });
    new client.Gauge({
      name: 'sync_rooms_loaded',
      help: 'Documents open on this instance',
      registers,
      collect() {
        this.set(gauges.loadedRooms());
      },
    });
    new client.Gauge({
      name: 'sync_room_loads',
      help: 'Documents being loaded into rooms (state="active") and waiting for a load slot shared fairly by workspaces (state="waiting")',
      labelNames: ['state'],
      registers,
      collect() {
        const loads = gauges.roomLoads();
        this.set({ state: 'active' }, loads.active);
        this.set({ state: 'waiting' }, loads.waiting);
      },
    });
    const bufferHistogram = new client.Histogram({
      name: 'sync_send_buffer_bytes',
      help: 'Send-buffer size of each open socket, sampled at scrape',
      buckets: BUFFER_BUCKETS,
      registers,
    });
    // Sampled at scrape (not per send) so the hot path pays nothing; reset so it shows the present.
    const originalGet = bufferHistogram.get.bind(bufferHistogram);
    bufferHistogram.get = async () => {
      bufferHistogram.reset();
      for (const b of gauges.sendBuffers()) bufferHistogram.observe(b);
      return originalGet();
    };
  }

  sent(kind: string, frames: number, bytes: number): void {
    this.messagesOut.inc({ type: kind }, frames);
    this.bytesOut.inc({ type: kind }, bytes);
  }

  received(kind: string, bytes: number): void {
    this.messagesIn.inc({ type: kind });
    this.bytesIn.inc({ type: kind }, bytes);
  }

  propagated(seconds: number): void {
    this.propagation.observe(seconds);
  }

  broadcast(lane: string, seconds: number, updates: number): void {
    this.broadcastDuration.observe({ lane }, seconds);
    this.broadcastUpdates.observe({ lane }, updates);
  }

  persisted(updates: number, _bytes: number, seconds: number): void {
    this.persistBatch.observe(updates);
    this.persistDuration.observe(seconds);
  }

  persistFailed(): void {
    this.persistErrors.inc();
  }

  /** Hot path (every frame): one pre-bound child per label set. */
  limitDecision(limit: string, outcome: 'allowed' | 'limited'): void {
    const id = `${limit}|${outcome}`;
    let child = this.limitChildren.get(id);
    if (!child) {
      child = this.limitDecisions.labels({ limit, outcome });
      this.limitChildren.set(id, child);
    }
    child.inc();
  }

  presenceStamped(states: number): void {
    this.presenceStamps.inc(states);
  }

  presenceDropped(): void {
    this.presenceDrops.inc();
  }

  tooSlow(): void {
    // Counted with the close reason (too_slow) when the socket closes.
  }

  updateRefused(action: string): void {
    this.overBudget.inc({ action });
  }

  quarantined(trigger: string): void {
    this.quarantines.inc({ trigger });
  }

  seatLedgerCall(op: string, result: 'ok' | 'error', seconds: number): void {
    this.seatLedger.observe({ op, result }, seconds);
  }

  fleetCountsAge(seconds: number): void {
    this.fleetAge.observe(seconds);
  }

  viewerCatchUp(event: 'lagging' | 'caught_up', bytes: number): void {
    this.catchUps.inc({ event });
    if (event === 'caught_up') this.catchUpBytes.observe(bytes);
  }
}
