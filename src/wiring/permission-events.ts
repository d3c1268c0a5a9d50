/**
 * Routes permission events (from this instance's commits and from the bus) through one handler
 * whose steps run in a fixed order: the permission cache drops what the event made stale FIRST,
 * and only then are open sync sockets re-checked — a re-check that ran first would read the old
 * answer from the cache and keep a revoked socket open.
 */
import { PERMISSIONS_CHANNEL } from '../app/events.ts';
import type { PermissionCache } from '../app/permissions.ts';
import type { BusMessage } from '../app/ports.ts';
import type { PermissionEvent } from '../domain/permission-event.ts';
import type { RoomRegistry } from '../sync/rooms.ts';
import type { Infrastructure } from './infrastructure.ts';

export type PermissionEventSteps = {
  /** Step 1: drop stale cache entries (synchronous). */
  invalidate: PermissionCache;
  /** Step 1 too: other caches derived from permissions (the search reach). */
  alsoInvalidate?: { apply(message: BusMessage): void }[];
  /** Step 2: close or downgrade sockets that lost access; absent without the sync role. */
  recheck?: RoomRegistry;
};

export async function routePermissionEvents(infra: Infrastructure, steps: PermissionEventSteps): Promise<void> {
  const handle = (message: BusMessage) => {
    steps.invalidate.apply(message);
    for (const cache of steps.alsoInvalidate ?? []) cache.apply(message);
    steps.recheck?.applyPermissionEvent(message as PermissionEvent).catch(infra.logError('permission re-check failed'));
  };
  infra.events.onLocal(PERMISSIONS_CHANNEL, handle);
  await infra.bus.subscribe(PERMISSIONS_CHANNEL, handle);
}
