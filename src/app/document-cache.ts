/**
 * Serves document rows (the metadata `GET /documents/:id` answers with) from an in-process LRU
 * with a TTL backstop, so a warm read makes no database query [P4.1]. Every write to a cached
 * column drops the row on every instance: access, owner, trash and deletion through the permission
 * events of the outbox (durable), renames and compactions announced on DOCUMENTS_CHANNEL
 * (best-effort: a lost notice is bounded by the TTL), account deletion through the outbox on that
 * channel. It never decides access (the permission cache does). "Not found" is not cached. While
 * the bus cannot promise delivery it is bypassed, and it is dropped when delivery resumes.
 */
import { LRUCache } from 'lru-cache';
import type { PermissionEvent } from '../domain/permission-event.ts';
import { DOC_COLUMNS, type DocRow } from './documents.ts';
import { DOCUMENTS_CHANNEL, type DomainEvents, PERMISSIONS_CHANNEL } from './events.ts';
import { type BusMessage, type EventBus, PREPARED, type Sql } from './ports.ts';

/** What DOCUMENTS_CHANNEL carries. Unknown types (from newer instances) drop every row. */
export type DocumentEvent =
  /** Its title or `updated_at` changed (rename, compaction): announced, not in the outbox. */
  | { v: 1; type: 'document-changed'; documentId: string }
  /** An account was deleted: the documents it created or owned name someone else now (outbox). */
  | { v: 1; type: 'account-deleted'; userId: string };

export const documentChanged = (documentId: string): DocumentEvent => ({ v: 1, type: 'document-changed', documentId });

export class DocumentCache {
  private readonly db: Sql;
  private readonly bus: EventBus;
  private readonly cache: LRUCache<string, DocRow>;
  /** Loads under way; `stale` once an invalidation of their document arrived while they ran. */
  private readonly inflight = new Map<string, { loading: Promise<DocRow | undefined>; stale: boolean }>();
  private readonly enabled: boolean;
  private readonly onLookup: (hit: boolean) => void;
  /**
   * Bumped by invalidations of many rows at once; a load that raced one is not stored. One
   * document's invalidation marks only its own load stale: a global bump per rename would throw
   * away every load under way and, under write load, keep the hit ratio low (measured: 80 % in the
   * API mix at saturation).
   */
  private epoch = 0;

  constructor(db: Sql, bus: EventBus, opts: { ttlMs: number; max: number; onLookup?: (hit: boolean) => void }) {
    this.db = db;
    this.bus = bus;
    this.enabled = opts.ttlMs > 0;
    this.cache = new LRUCache({ max: opts.max, ttl: Math.max(opts.ttlMs, 1) });
    this.onLookup = opts.onLookup ?? (() => undefined);
    bus.onResync(() => this.clear());
  }

  /**
   * Listens for invalidations: this instance's commits and announcements (before their response
   * is sent) and other instances' through the bus.
   */
  async start(events: DomainEvents): Promise<void> {
    const apply = (m: BusMessage) => this.apply(m);
    events.onLocal(PERMISSIONS_CHANNEL, apply);
    events.onLocal(DOCUMENTS_CHANNEL, apply);
    await this.bus.subscribe(PERMISSIONS_CHANNEL, apply);
    await this.bus.subscribe(DOCUMENTS_CHANNEL, apply);
  }

  clear(): void {
    this.invalidateAll();
    this.cache.clear();
  }

  /** Rows cached now (tests, diagnostics). */
  get size(): number {
    return this.cache.size;
  }

  apply(message: BusMessage): void {
    const e = message as PermissionEvent | DocumentEvent;
    switch (e.type) {
      // Events about memberships and shares leave every row as it was.
      case 'member-changed':
      case 'share-changed':
        return;
      case 'document-changed':
      case 'document-trashed':
      case 'document-restored':
      case 'document-access-changed':
      case 'document-deleted':
        this.forget(e.documentId);
        return;
      case 'workspace-deleted':
        this.invalidateAll();
        this.deleteWhere((row) => row.workspace_id === e.workspaceId);
        return;
      case 'workspace-settings-changed':
        // Not a document column: the permission cache answers what it decides.
        return;
      case 'account-deleted':
        this.invalidateAll();
        this.deleteWhere((row) => row.created_by === e.userId || row.owner_id === e.userId);
        return;
      default:
        // Unknown event types from newer instances: drop everything rather than guess.
        this.clear();
    }
  }

  /** One document changed: its row goes, and a load of it under way (maybe of the old row) is not stored. */
  private forget(documentId: string): void {
    const flight = this.inflight.get(documentId);
    if (flight) {
      flight.stale = true;
      // Later callers must not join a load that may have read the old row.
      this.inflight.delete(documentId);
    }
    this.cache.delete(documentId);
  }

  private invalidateAll(): void {
    this.epoch++;
    this.inflight.clear();
  }

  private deleteWhere(match: (row: DocRow) => boolean): void {
    for (const [k, v] of this.cache.entries()) if (match(v)) this.cache.delete(k);
  }

  /** The document's row, in the trash too; undefined when it does not exist. Never mutate it. */
  async get(documentId: string): Promise<Readonly<DocRow> | undefined> {
    const usable = this.enabled && this.bus.healthy;
    if (usable) {
      const hit = this.cache.get(documentId);
      if (hit) {
        this.onLookup(true);
        return hit;
      }
    }
    this.onLookup(false);
    if (!usable) return this.load(documentId);
    const joined = this.inflight.get(documentId);
    if (joined) return joined.loading;
    const epoch = this.epoch;
    const flight = { loading: Promise.resolve<DocRow | undefined>(undefined), stale: false };
    flight.loading = this.load(documentId)
      .then((row) => {
        if (row && !flight.stale && epoch === this.epoch) this.cache.set(documentId, row);
        return row;
      })
      .finally(() => {
        if (this.inflight.get(documentId) === flight) this.inflight.delete(documentId);
      });
    this.inflight.set(documentId, flight);
    return flight.loading;
  }

  private load(documentId: string): Promise<DocRow | undefined> {
    return this.db
      .selectFrom('documents')
      .select(DOC_COLUMNS)
      .where('id', '=', documentId)
      .modifyEnd(PREPARED)
      .executeTakeFirst();
  }
}
