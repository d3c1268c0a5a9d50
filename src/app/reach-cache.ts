/**
 * "Which workspaces and documents may this person search?" (readableReach; docs/spec/auth.md [P11])
 * from an in-process LRU that the permission events keep honest, so a search costs one PostgreSQL
 * statement instead of two (issue 18: the reach was a round trip of its own on every search and
 * every quick-switcher keystroke).
 *
 * What a reach is made of, and the events that change it [P1] [P7] [P8]:
 * - the actor's workspace roles (full / general): `member-changed` for that user, `workspace-deleted`;
 * - restricted documents of their general workspaces that they do not own (hidden), and documents
 *   they own as a guest (direct): a document's general access or owner, `document-access-changed`
 *   (new documents start with general access "edit" and guests cannot create, so a creation never
 *   changes anyone's reach); `document-deleted`;
 * - documents shared with them (direct): `share-changed` for that user;
 * - whose comments they read (the four comment lists, commentsReadableIn): the same events, plus
 *   `workspace-settings-changed` (whether a workspace's viewers browse comments [C1]).
 * Events for one user drop that user's entries; events about a document or workspace drop every
 * entry (they are rare and change many people's reach). A load that raced any event is not stored,
 * unknown event types drop everything, and while the bus cannot promise delivery the cache is
 * bypassed, as PermissionCache does. Trash does not change a reach: search excludes trashed
 * documents itself.
 *
 * Entries are grouped per actor (one LRU slot holds every scope that actor searched), so dropping
 * one user's reach is one delete, never a scan of the cache.
 */
import { LRUCache } from 'lru-cache';
import type { PermissionEvent } from '../domain/permission-event.ts';
import type { BusMessage, EventBus, Sql } from './ports.ts';
import { loadReach, type Reach } from './readable-documents.ts';

/** Scopes (everything, or one workspace) remembered per actor; past this the oldest is dropped. */
export const MAX_SCOPES_PER_ACTOR = 32;
const EVERYWHERE = '*';

export class ReachCache {
  private readonly db: Sql;
  private readonly bus: EventBus;
  private readonly enabled: boolean;
  private readonly cache: LRUCache<string, Map<string, Reach>>;
  private readonly onLookup: (hit: boolean) => void;
  /** Bumped by every invalidation; a load that raced one is not stored. */
  private epoch = 0;

  constructor(db: Sql, bus: EventBus, opts: { ttlMs: number; max: number; onLookup?: (hit: boolean) => void }) {
    this.db = db;
    this.bus = bus;
    this.enabled = opts.ttlMs > 0;
    this.cache = new LRUCache({ max: opts.max, ttl: Math.max(opts.ttlMs, 1) });
    this.onLookup = opts.onLookup ?? (() => undefined);
    bus.onResync(() => this.clear());
  }

  clear(): void {
    this.epoch++;
    this.cache.clear();
  }

  apply(message: BusMessage): void {
    const e = message as PermissionEvent;
    this.epoch++;
    switch (e.type) {
      case 'member-changed':
      case 'share-changed':
        this.cache.delete(e.userId);
        break;
      case 'document-trashed':
      case 'document-restored':
        break;
      case 'document-access-changed':
      case 'document-deleted':
      case 'workspace-deleted':
      case 'workspace-settings-changed':
        this.cache.clear();
        break;
      default:
        this.cache.clear();
    }
  }

  async reach(actor: string, workspaceId: string | undefined): Promise<Reach> {
    const scope = workspaceId ?? EVERYWHERE;
    const usable = this.enabled && this.bus.healthy;
    if (usable) {
      const hit = this.cache.get(actor)?.get(scope);
      if (hit) {
        this.onLookup(true);
        return hit;
      }
    }
    this.onLookup(false);
    const epoch = this.epoch;
    const reach = await loadReach(this.db, actor, workspaceId);
    if (usable && epoch === this.epoch) {
      let scopes = this.cache.get(actor);
      if (!scopes) {
        scopes = new Map();
        this.cache.set(actor, scopes);
      }
      if (scopes.size >= MAX_SCOPES_PER_ACTOR) scopes.delete(scopes.keys().next().value as string);
      scopes.set(scope, reach);
    }
    return reach;
  }
}
