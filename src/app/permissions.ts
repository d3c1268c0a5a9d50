/**
 * Answers "what may this user do here?" from an in-process LRU (TTL backstop) that events keep
 * honest: every membership, share and document change invalidates exactly the entries it
 * affects, on every instance. "No access" answers are cached too. While the bus cannot promise
 * delivery (Redis down) the cache is bypassed: slower, never wrong.
 */
import { LRUCache } from 'lru-cache';
import type { PermissionEvent } from '../domain/permission-event.ts';
import type { DocumentSubject } from '../domain/policy.ts';
import { effectiveAccess, type GeneralAccess, type ShareRole, type WorkspaceRole } from '../domain/roles.ts';
import { PERMISSIONS_CHANNEL } from './events.ts';
import type { BusMessage, EventBus, Sql } from './ports.ts';

type DocumentMeta = {
  workspaceId: string;
  ownerId: string | null;
  generalAccess: GeneralAccess;
  trashed: boolean;
  /** Its workspace's viewer-browsing setting [C1] [V6]. */
  viewersBrowse: boolean;
};
type Entry = { value: WorkspaceRole | ShareRole | DocumentMeta | null };
export type CacheKind = 'workspace_role' | 'share' | 'document';

export type DocumentAccessInfo = DocumentSubject & { document: DocumentMeta };

export class PermissionCache {
  private readonly db: Sql;
  private readonly bus: EventBus;
  private readonly cache: LRUCache<string, Entry>;
  private readonly inflight = new Map<string, Promise<Entry>>();
  private readonly enabled: boolean;
  private readonly onLookup: (kind: CacheKind, hit: boolean) => void;
  /** Bumped by every invalidation; a load that raced one is not stored. */
  private epoch = 0;

  constructor(
    db: Sql,
    bus: EventBus,
    opts: { ttlMs: number; max: number; onLookup?: (kind: CacheKind, hit: boolean) => void },
  ) {
    this.db = db;
    this.bus = bus;
    this.enabled = opts.ttlMs > 0;
    this.cache = new LRUCache({ max: opts.max, ttl: Math.max(opts.ttlMs, 1) });
    this.onLookup = opts.onLookup ?? (() => undefined);
    bus.onResync(() => this.clear());
  }

  /** Subscribes to invalidations from other instances. */
  async start(): Promise<void> {
    await this.bus.subscribe(PERMISSIONS_CHANNEL, (m) => this.apply(m));
  }

  clear(): void {
    this.epoch++;
    this.inflight.clear();
    this.cache.clear();
  }

  apply(message: BusMessage): void {
    const e = message as PermissionEvent;
    this.epoch++;
    // Loads already under way may have read the old state: later callers must not join them.
    this.inflight.clear();
    switch (e.type) {
      case 'member-changed':
        this.cache.delete(`w:${e.workspaceId}:${e.userId}`);
        break;
      case 'share-changed':
        this.cache.delete(`s:${e.documentId}:${e.userId}`);
        break;
      case 'document-trashed':
      case 'document-restored':
      case 'document-access-changed':
        this.cache.delete(`d:${e.documentId}`);
        break;
      case 'document-deleted':
        this.deleteWhere((k) => k === `d:${e.documentId}` || k.startsWith(`s:${e.documentId}:`));
        break;
      case 'workspace-deleted':
      case 'workspace-settings-changed':
        this.deleteWhere(
          (k, v) =>
            k.startsWith(`w:${e.workspaceId}:`) ||
            (k.startsWith('d:') && (v.value as DocumentMeta | null)?.workspaceId === e.workspaceId),
        );
        break;
      default:
        // Unknown event types from newer instances: drop everything rather than guess.
        this.clear();
    }
  }

  private deleteWhere(match: (key: string, entry: Entry) => boolean): void {
    for (const [k, v] of this.cache.entries()) if (match(k, v)) this.cache.delete(k);
  }

  private async lookup(kind: CacheKind, key: string, load: () => Promise<Entry['value']>): Promise<Entry['value']> {
    const usable = this.enabled && this.bus.healthy;
    if (usable) {
      const hit = this.cache.get(key);
      if (hit) {
        this.onLookup(kind, true);
        return hit.value;
      }
    }
    this.onLookup(kind, false);
    if (!usable) return load();
    let pending = this.inflight.get(key);
    if (!pending) {
      const epoch = this.epoch;
      pending = load()
        .then((value) => {
          const entry = { value };
          if (epoch === this.epoch) this.cache.set(key, entry);
          return entry;
        })
        .finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return (await pending).value;
  }

  async workspaceRole(userId: string, workspaceId: string): Promise<WorkspaceRole | null> {
    return (await this.lookup('workspace_role', `w:${workspaceId}:${userId}`, async () => {
      const row = await this.db
        .selectFrom('workspace_members')
        .select('role')
        .where('workspace_id', '=', workspaceId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return row?.role ?? null;
    })) as WorkspaceRole | null;
  }

  /** The workspace a document belongs to (cached like every access lookup); null if it does not exist. */
  async workspaceOf(documentId: string): Promise<string | null> {
    return (await this.documentMeta(documentId))?.workspaceId ?? null;
  }

  private async documentMeta(documentId: string): Promise<DocumentMeta | null> {
    return (await this.lookup('document', `d:${documentId}`, async () => {
      const row = await this.db
        .selectFrom('documents')
        .innerJoin('workspaces as w', 'w.id', 'documents.workspace_id')
        .select(['workspace_id', 'owner_id', 'general_access', 'trashed_at', 'w.viewers_browse'])
        .where('documents.id', '=', documentId)
        .executeTakeFirst();
      return row
        ? {
            workspaceId: row.workspace_id,
            ownerId: row.owner_id,
            generalAccess: row.general_access,
            trashed: row.trashed_at !== null,
            viewersBrowse: row.viewers_browse,
          }
        : null;
    })) as DocumentMeta | null;
  }

  private async share(userId: string, documentId: string): Promise<ShareRole | null> {
    return (await this.lookup('share', `s:${documentId}:${userId}`, async () => {
      const row = await this.db
        .selectFrom('document_shares')
        .select('role')
        .where('document_id', '=', documentId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return row?.role ?? null;
    })) as ShareRole | null;
  }

  /** Effective access of a user to a document; `null` when the document does not exist. */
  async documentAccess(userId: string, documentId: string): Promise<DocumentAccessInfo | null> {
    const document = await this.documentMeta(documentId);
    if (!document) return null;
    const [workspaceRole, share] = await Promise.all([
      this.workspaceRole(userId, document.workspaceId),
      this.share(userId, documentId),
    ]);
    const isOwner = document.ownerId === userId;
    return {
      document,
      workspaceRole,
      access: effectiveAccess(workspaceRole, share, { generalAccess: document.generalAccess, isOwner }),
      isOwner,
      trashed: document.trashed,
      viewersBrowse: document.viewersBrowse,
    };
  }
}
