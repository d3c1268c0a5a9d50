/**
 * The trash (docs/spec/home.md [T1]–[T4]): deleting a document moves it here for the retention
 * time; the people who may delete it list, restore or delete it forever, and the worker purges
 * what has expired. Every change emits its permission event (outbox), so caches forget the
 * document's old state and open editors are closed with "moved to the trash" at once.
 */
import { sql } from 'kysely';
import { Conflict, NotFound } from '../domain/errors.ts';
import { authorizeDocument, canOnDocument, type DocumentAction, workspaceRolesFor } from '../domain/policy.ts';
import { accessFromWorkspaceRole, effectiveAccess, WORKSPACE_ROLES, type WorkspaceRole } from '../domain/roles.ts';
import { DOC_COLUMNS, type DocumentView, type Page, view } from './documents.ts';
import { type DomainEvents, PERMISSIONS_CHANNEL } from './events.ts';
import { decodeInstantCursor, encodeInstantCursor, MICROSECOND_PATTERN } from './list-cursors.ts';
import type { DocumentAccessInfo, PermissionCache } from './permissions.ts';
import type { Sql } from './ports.ts';

export type TrashItem = DocumentView & {
  trashedAt: string;
  trashedBy: { userId: string; displayName: string } | null;
  workspaceName: string;
  /** When the worker deletes it for good unless it is restored. */
  purgeAt: string;
};

/** Told of every change, for metrics and logs. */
export type TrashObserver = {
  changed(change: 'trashed' | 'restored' | 'deleted', documentId: string, actor: string): void;
};

/** Documents purged per statement: bounded, so one run never holds a long transaction. */
const PURGE_BATCH = 100;

/** Roles that see every trashed document of their workspace [T2]. */
const TRASH_ADMIN_ROLES = workspaceRolesFor('trash.listAll');
/** Roles whose holder restores what they own (the owner rule of the policy) [T2] [P8]. */
const OWNER_ROLES = WORKSPACE_ROLES.filter((r) =>
  canOnDocument({ access: accessFromWorkspaceRole(r), isOwner: true, workspaceRole: r }, 'document.restore'),
);

export class Trash {
  private readonly db: Sql;
  private readonly permissions: PermissionCache;
  private readonly events: DomainEvents;
  private readonly retentionMs: number;
  private readonly observer: TrashObserver;

  constructor(
    db: Sql,
    permissions: PermissionCache,
    events: DomainEvents,
    opts: { retentionMs: number; observer?: TrashObserver },
  ) {
    this.db = db;
    this.permissions = permissions;
    this.events = events;
    this.retentionMs = opts.retentionMs;
    this.observer = opts.observer ?? { changed: () => undefined };
  }

  private async authorize(actor: string, documentId: string, action: DocumentAction): Promise<DocumentAccessInfo> {
    const info = await this.permissions.documentAccess(actor, documentId);
    if (!info) throw new NotFound('document not found');
    authorizeDocument(info, action);
    return info;
  }

  /** DELETE /documents/{id}: into the trash, out of every list and search, editors closed [T1]. */
  async moveToTrash(actor: string, documentId: string): Promise<void> {
    const info = await this.authorize(actor, documentId, 'document.delete');
    const moved = await this.events.transaction(this.db, async (tx, emit) => {
      const r = await tx
        .updateTable('documents')
        .set({ trashed_at: sql<Date>`now()`, trashed_by: actor })
        .where('id', '=', documentId)
        .where('trashed_at', 'is', null)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) > 0) {
        emit(PERMISSIONS_CHANNEL, {
          v: 1,
          type: 'document-trashed',
          documentId,
          workspaceId: info.document.workspaceId,
        });
      }
      return Number(r.numUpdatedRows) > 0;
    });
    if (moved) this.observer.changed('trashed', documentId, actor);
  }

  /** Out of the trash, back where it was [T4]; 409 if it is not in the trash. */
  async restore(actor: string, documentId: string): Promise<DocumentView> {
    const info = await this.authorize(actor, documentId, 'document.restore');
    if (!info.trashed) throw new Conflict('the document is not in the trash');
    const row = await this.events.transaction(this.db, async (tx, emit) => {
      const r = await tx
        .updateTable('documents')
        .set({ trashed_at: null, trashed_by: null })
        .where('id', '=', documentId)
        .where('trashed_at', 'is not', null)
        .returning(DOC_COLUMNS)
        .executeTakeFirst();
      if (r) emit(PERMISSIONS_CHANNEL, { v: 1, type: 'document-restored', documentId, workspaceId: r.workspace_id });
      return r;
    });
    if (!row) throw new Conflict('the document is not in the trash');
    this.observer.changed('restored', documentId, actor);
    return view(row, { ...info, trashed: false });
  }

  /** Deletes a trashed document now, with its update log, shares, stars and visits [T3]. */
  async deleteForever(actor: string, documentId: string): Promise<void> {
    const info = await this.authorize(actor, documentId, 'document.purge');
    if (!info.trashed) throw new Conflict('move the document to the trash first');
    await this.events.transaction(this.db, async (tx, emit) => {
      await tx.deleteFrom('documents').where('id', '=', documentId).where('trashed_at', 'is not', null).execute();
      emit(PERMISSIONS_CHANNEL, { v: 1, type: 'document-deleted', documentId, workspaceId: info.document.workspaceId });
    });
    this.observer.changed('deleted', documentId, actor);
  }

  /**
   * The trashed documents the caller may restore, across workspaces (or in one), most recently
   * trashed first: all of a workspace's for its admins and owners, one's own for members [T2].
   */
  async list(actor: string, opts: { limit: number; cursor?: string; workspaceId?: string }): Promise<Page<TrashItem>> {
    const after = opts.cursor ? decodeTrashCursor(opts.cursor) : undefined;
    const admin = sql.join(TRASH_ADMIN_ROLES.map((r) => sql.lit(r)));
    const owner = sql.join(OWNER_ROLES.map((r) => sql.lit(r)));
    let q = this.db
      .selectFrom('documents as d')
      .innerJoin('workspace_members as m', (j) =>
        j.onRef('m.workspace_id', '=', 'd.workspace_id').on('m.user_id', '=', actor),
      )
      .innerJoin('workspaces as w', 'w.id', 'd.workspace_id')
      .leftJoin('users as tb', 'tb.id', 'd.trashed_by')
      .select(DOC_COLUMNS.map((c) => `d.${c}` as const))
      .select(['m.role', 'w.name as workspace_name', 'd.trashed_by', 'tb.display_name as trashed_by_name'])
      .select(sql<string>`to_char(d.trashed_at at time zone 'UTC', ${MICROSECOND_PATTERN})`.as('trashed_key'))
      .where('d.trashed_at', 'is not', null)
      .where(sql<boolean>`(m.role in (${admin}) or (d.owner_id = ${actor} and m.role in (${owner})))`)
      .orderBy('d.trashed_at', 'desc')
      .orderBy('d.id', 'desc')
      .limit(opts.limit + 1);
    if (opts.workspaceId !== undefined) q = q.where('d.workspace_id', '=', opts.workspaceId);
    if (after) q = q.where(sql<boolean>`(d.trashed_at, d.id) < (${after.at}::timestamptz, ${after.id})`);
    const rows = await q.execute();
    const more = rows.length > opts.limit;
    const page = more ? rows.slice(0, opts.limit) : rows;
    const last = page.at(-1);
    return {
      items: page.map((r) => {
        const role = r.role as WorkspaceRole;
        const trashedAt = r.trashed_at as Date;
        return {
          ...view(r, {
            access: effectiveAccess(role, null, {
              generalAccess: r.general_access,
              isOwner: r.owner_id === actor,
            }),
            isOwner: r.owner_id === actor,
            workspaceRole: role,
          }),
          trashedAt: trashedAt.toISOString(),
          trashedBy: r.trashed_by ? { userId: r.trashed_by, displayName: r.trashed_by_name ?? '' } : null,
          workspaceName: r.workspace_name,
          purgeAt: new Date(trashedAt.getTime() + this.retentionMs).toISOString(),
        };
      }),
      nextCursor: more && last ? encodeTrashCursor(last.trashed_key, last.id) : null,
    };
  }
}

const encodeTrashCursor = (micros: string, id: string) => encodeInstantCursor('trashed', micros, id);
const decodeTrashCursor = (cursor: string) => decodeInstantCursor('trashed', cursor);

/**
 * The worker's purge (docs/operations.md "Trash"): deletes documents trashed longer ago than the
 * retention, in bounded batches, each with its `document-deleted` event so every instance forgets
 * it and closes what is still open. Their update log, shares, stars and visits go by cascade; the
 * export cleanup then deletes their stored files (it sweeps the files of documents that are gone).
 */
export class TrashPurger {
  private readonly db: Sql;
  private readonly events: DomainEvents;
  private readonly retentionMs: number;

  constructor(db: Sql, events: DomainEvents, opts: { retentionMs: number }) {
    this.db = db;
    this.events = events;
    this.retentionMs = opts.retentionMs;
  }

  /** One pass; returns how many documents were deleted for good. */
  async runOnce(): Promise<number> {
    let purged = 0;
    for (;;) {
      const n = await this.events.transaction(this.db, async (tx, emit) => {
        const rows = await tx
          .deleteFrom('documents')
          .where(
            'id',
            'in',
            tx
              .selectFrom('documents')
              .select('id')
              .where('trashed_at', '<', sql<Date>`now() - make_interval(secs => ${this.retentionMs / 1000})`)
              .orderBy('trashed_at')
              .limit(PURGE_BATCH)
              .forUpdate()
              .skipLocked(),
          )
          .returning(['id', 'workspace_id'])
          .execute();
        for (const r of rows) {
          emit(PERMISSIONS_CHANNEL, { v: 1, type: 'document-deleted', documentId: r.id, workspaceId: r.workspace_id });
        }
        return rows.length;
      });
      purged += n;
      if (n < PURGE_BATCH) return purged;
    }
  }

  /** Documents in the trash now, for the gauge. */
  async size(): Promise<number> {
    const row = await this.db
      .selectFrom('documents')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('trashed_at', 'is not', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
