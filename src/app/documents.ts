/** Document and share use cases: create, read, rename, share, star (lists: document-lists.ts; trash: trash.ts). */

import { v7 as uuidv7 } from 'uuid';
import { NotFound } from '../domain/errors.ts';
import {
  authorizeDocument,
  authorizeWorkspace,
  canOnDocument,
  type DocumentAction,
  type DocumentSubject,
} from '../domain/policy.ts';
import { type DocumentAccess, effectiveAccess, type GeneralAccess, type ShareRole } from '../domain/roles.ts';
import type { DocumentCache } from './document-cache.ts';
import { DOCUMENTS_CHANNEL, type DomainEvents, PERMISSIONS_CHANNEL } from './events.ts';
import type { DocumentAccessInfo, PermissionCache } from './permissions.ts';
import { PREPARED, type Sql } from './ports.ts';

export type DocumentView = {
  id: string;
  workspaceId: string;
  title: string;
  createdBy: string;
  /** Its owner [P8] (null once the owner's account is deleted: admins and owners of the workspace manage it). */
  ownerId: string | null;
  createdAt: string;
  updatedAt: string;
  access: DocumentAccess;
  /** What every workspace member may do with it without a person share [P7]. */
  generalAccess: GeneralAccess;
  /** When it was moved to the trash; null while it is not there. */
  trashedAt: string | null;
  /** The caller may move it to the trash, restore it and delete it forever [T2]. */
  canDelete: boolean;
  /** The caller sees its comments and version history [C1] [V6]. */
  canBrowse?: boolean;
};
/** `email` only for those who manage the document's access: viewers see who has access by name [P10]. */
export type ShareView = { userId: string; email?: string; displayName: string; role: ShareRole; sharedAt: string };
export type Page<T> = { items: T[]; nextCursor: string | null };

export type DocRow = {
  id: string;
  workspace_id: string;
  title: string;
  created_by: string;
  owner_id: string | null;
  general_access: GeneralAccess;
  created_at: Date;
  updated_at: Date;
  trashed_at: Date | null;
};
export const DOC_COLUMNS = [
  'id',
  'workspace_id',
  'title',
  'created_by',
  'owner_id',
  'general_access',
  'created_at',
  'updated_at',
  'trashed_at',
] as const;

/** The caller's view of a document; `subject` is what policy knows of the caller and it. */
export const view = (d: DocRow, subject: DocumentSubject): DocumentView => ({
  id: d.id,
  workspaceId: d.workspace_id,
  title: d.title,
  createdBy: d.created_by,
  ownerId: d.owner_id,
  createdAt: d.created_at.toISOString(),
  updatedAt: d.updated_at.toISOString(),
  access: subject.access,
  generalAccess: d.general_access,
  trashedAt: d.trashed_at?.toISOString() ?? null,
  // Asked as if it were not in the trash: the same people restore and delete it forever [T2].
  canDelete: canOnDocument({ ...subject, trashed: false }, 'document.delete'),
  canBrowse: canOnDocument({ ...subject, trashed: false }, 'comments.read'),
});

export class Documents {
  private readonly db: Sql;
  private readonly permissions: PermissionCache;
  private readonly rows: DocumentCache;
  private readonly events: DomainEvents;
  private readonly onCreated: () => void;
  private readonly onOpened: (userId: string, documentId: string) => void;

  constructor(
    db: Sql,
    permissions: PermissionCache,
    rows: DocumentCache,
    events: DomainEvents,
    hooks: { onCreated?: () => void; onOpened?: (userId: string, documentId: string) => void } = {},
  ) {
    this.db = db;
    this.permissions = permissions;
    this.rows = rows;
    this.events = events;
    this.onCreated = hooks.onCreated ?? (() => undefined);
    this.onOpened = hooks.onOpened ?? (() => undefined);
  }

  /** Resolves access and enforces `action`; NotFound for anyone who may not even read it. */
  async authorize(actor: string, documentId: string, action: DocumentAction): Promise<DocumentAccessInfo> {
    const info = await this.permissions.documentAccess(actor, documentId);
    if (!info) throw new NotFound('document not found');
    authorizeDocument(info, action);
    return info;
  }

  async create(actor: string, workspaceId: string, input: { title?: string }): Promise<DocumentView> {
    const role = await this.permissions.workspaceRole(actor, workspaceId);
    authorizeWorkspace(role, 'documents.create');
    const row = await this.db
      .insertInto('documents')
      .values({
        id: uuidv7(),
        workspace_id: workspaceId,
        title: input.title?.trim() || 'Untitled',
        created_by: actor,
        owner_id: actor,
      })
      .returning(DOC_COLUMNS)
      .modifyEnd(PREPARED)
      .executeTakeFirstOrThrow();
    this.onCreated();
    const grants = { generalAccess: row.general_access, isOwner: true };
    return view(row, { access: effectiveAccess(role, null, grants), isOwner: true, workspaceRole: role });
  }

  /**
   * Its metadata, in the trash too (`trashedAt` says so) [T1]; counts as opening it ("Recent") [H5].
   * Warm, it makes no database query: access and row both come from in-process caches [P4.1].
   */
  async get(actor: string, documentId: string): Promise<DocumentView> {
    const info = await this.authorize(actor, documentId, 'document.inspect');
    const row = await this.rows.get(documentId);
    if (!row) throw new NotFound('document not found');
    if (!row.trashed_at) this.onOpened(actor, documentId);
    return view(row, info);
  }

  async rename(actor: string, documentId: string, title: string): Promise<DocumentView> {
    const info = await this.authorize(actor, documentId, 'document.rename');
    const row = await this.db
      .updateTable('documents')
      .set({ title: title.trim() || 'Untitled', updated_at: new Date() })
      .where('id', '=', documentId)
      .returning(DOC_COLUMNS)
      .modifyEnd(PREPARED)
      .executeTakeFirst();
    if (!row) throw new NotFound('document not found');
    // Not in the outbox (renames are frequent): this instance forgets the row at once, the others
    // when the notice arrives, or after DOCUMENT_CACHE_TTL_MS if it is lost [P4.1].
    this.events.announce(DOCUMENTS_CHANNEL, { v: 1, type: 'document-changed', documentId });
    return view(row, info);
  }

  /** Stars a document the caller may read; starring twice is one star [H4]. */
  async star(actor: string, documentId: string): Promise<void> {
    await this.authorize(actor, documentId, 'document.read');
    await this.db
      .insertInto('document_stars')
      .values({ user_id: actor, document_id: documentId })
      .onConflict((oc) => oc.columns(['user_id', 'document_id']).doNothing())
      .execute();
  }

  /** Removes the caller's star (also of a document in the trash); no star is not an error [H4]. */
  async unstar(actor: string, documentId: string): Promise<void> {
    await this.authorize(actor, documentId, 'document.inspect');
    await this.db
      .deleteFrom('document_stars')
      .where('user_id', '=', actor)
      .where('document_id', '=', documentId)
      .execute();
  }

  async shares(actor: string, documentId: string): Promise<ShareView[]> {
    const info = await this.authorize(actor, documentId, 'shares.read');
    const showEmails = canOnDocument(info, 'shares.manage');
    const rows = await this.db
      .selectFrom('document_shares as s')
      .innerJoin('users as u', 'u.id', 's.user_id')
      .select(['u.id', 'u.email', 'u.display_name', 's.role', 's.created_at'])
      .where('s.document_id', '=', documentId)
      .orderBy('s.created_at')
      .limit(10_000)
      .execute();
    return rows.map((r) => ({
      userId: r.id,
      ...(showEmails && { email: r.email }),
      displayName: r.display_name,
      role: r.role,
      sharedAt: r.created_at.toISOString(),
    }));
  }

  async share(actor: string, documentId: string, userId: string, role: ShareRole): Promise<ShareView> {
    await this.authorize(actor, documentId, 'shares.manage');
    const user = await this.db
      .selectFrom('users')
      .select(['id', 'email', 'display_name'])
      .where('id', '=', userId)
      .executeTakeFirst();
    if (!user) throw new NotFound('user not found');
    const row = await this.events.transaction(this.db, async (tx, emit) => {
      const r = await tx
        .insertInto('document_shares')
        .values({ document_id: documentId, user_id: userId, role, shared_by: actor })
        .onConflict((oc) => oc.columns(['document_id', 'user_id']).doUpdateSet({ role }))
        .returning(['created_at'])
        .executeTakeFirstOrThrow();
      emit(PERMISSIONS_CHANNEL, { v: 1, type: 'share-changed', documentId, userId });
      return r;
    });
    return { userId, email: user.email, displayName: user.display_name, role, sharedAt: row.created_at.toISOString() };
  }

  async unshare(actor: string, documentId: string, userId: string): Promise<void> {
    await this.authorize(actor, documentId, 'shares.manage');
    const removed = await this.events.transaction(this.db, async (tx, emit) => {
      const r = await tx
        .deleteFrom('document_shares')
        .where('document_id', '=', documentId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      emit(PERMISSIONS_CHANNEL, { v: 1, type: 'share-changed', documentId, userId });
      return Number(r.numDeletedRows);
    });
    if (removed === 0) throw new NotFound('share not found');
  }
}
