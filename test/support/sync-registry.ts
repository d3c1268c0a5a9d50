/** Room-registry options and a silent observer for sync tests that drive a RoomRegistry directly. */
import { DEFAULT_CRDT_LIMITS } from '../../src/sync/limits.ts';
import type { RegistryOptions } from '../../src/sync/rooms.ts';

/** Generous limits (nothing refused, nobody demoted), no persist batching; each test sets what it measures. */
export function registryOptions(overrides: Partial<RegistryOptions> = {}): RegistryOptions {
  return {
    persistBatchMs: 0,
    sendBufferSoftBytes: 1_000_000,
    sendBufferHardBytes: 10_000_000,
    fullPresenceMax: 10_000,
    viewOnlyAbove: 10_000,
    maxAwarenessBytes: 4_096,
    broadcastBatchAbove: 1_000,
    broadcastTickMs: 20,
    presenceTickMs: 20,
    presenceSampleSize: 50,
    viewerPresence: false,
    crdt: DEFAULT_CRDT_LIMITS,
    roomGraceMs: 60_000,
    compactThreshold: 100_000,
    compactIdleMs: 0,
    ...overrides,
  };
}

/** An observer that records nothing (spread it and override what a test counts). */
export const silentObserver = {
  sent: () => undefined,
  received: () => undefined,
  propagated: () => undefined,
  persisted: () => undefined,
  persistFailed: () => undefined,
  presenceDropped: () => undefined,
  presenceStamped: () => undefined,
  tooSlow: () => undefined,
};
