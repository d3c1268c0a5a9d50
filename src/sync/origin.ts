/**
 * Where a change to a room's Y.Doc or awareness came from (the Yjs transaction origin). The room
 * decides from it what to publish to other instances and whom to send it to: only local changes
 * are published and persisted; bus and storage changes reach local sockets only.
 */
import type { Session } from './session.ts';

export type Origin =
  /** A client connected to this instance. */
  | { readonly kind: 'local'; readonly session: Session }
  /** Another instance, through the bus. */
  | { readonly kind: 'bus' }
  /** The update log (load and catch-up). */
  | { readonly kind: 'storage' }
  /** Presence removed because its connection left this instance. */
  | { readonly kind: 'leave' };

export const BUS: Origin = { kind: 'bus' };
export const STORAGE: Origin = { kind: 'storage' };
export const LEAVE: Origin = { kind: 'leave' };
export const local = (session: Session): Origin => ({ kind: 'local', session });

/** Narrows an origin Yjs hands back (typed `unknown` there); anything else is not ours. */
export function originOf(value: unknown): Origin | undefined {
  if (typeof value !== 'object' || value === null || !('kind' in value)) return undefined;
  return value as Origin;
}
