/** The limits of one room (from config.sync): tiers, ticks, backpressure and group commit. */
export type RoomLimits = {
  persistBatchMs: number;
  /** Past this many queued bytes a socket stops receiving presence. */
  sendBufferSoftBytes: number;
  /** Past this many queued bytes a socket is closed as too slow (it resyncs on reconnect). */
  sendBufferHardBytes: number;
  /** Up to this many connections presence is real-time; above it, sampled per tick. */
  fullPresenceMax: number;
  /** At or above this many connections newcomers join read-only. */
  viewOnlyAbove: number;
  /** Rooms with more connections than this merge updates per tick and send one frame. */
  broadcastBatchAbove: number;
  broadcastTickMs: number;
  presenceTickMs: number;
  presenceSampleSize: number;
  /** Whether read-only connections' presence (cursors) is shown to others. */
  viewerPresence: boolean;
};
