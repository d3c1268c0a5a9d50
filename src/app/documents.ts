/** Document and share use cases: create, list (keyset pages), read, rename, delete, share. */

import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { Invalid, NotFound } from '../domain/errors.ts';
import { authorizeDocument, authorizeWorkspace, canInWorkspace, type DocumentAction } from '../domain/policy.ts';
import { type DocumentAccess, effectiveAccess, type ShareRole } from '../domain/roles.ts';
import { type DomainEvents, PERMISSIONS_CHANNEL } from './events.ts';
import type { DocumentAccessInfo, PermissionCache } from './permissions.ts';
import type { Sql } from './ports.ts';

export type DocumentView = {
  id: string;
  workspaceId: string;
  title: string;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  access: DocumentAccess;
};
export type ShareView = { userId: string; email: string; displayName: string; role: ShareRole; sharedAt: string };
export type Page<T> = { items: T[]; nextCursor: string | null };

type DocRow = {
  id: string;
  workspace_id: string;
  title: string;
  created_by: string;
  created_at: Date;
  updated_at: Date;
};
const DOC_COLUMNS = ['id', 'workspace_id', 'title', 'created_by', 'created_at', 'updated_at'] as const;

const view = (d: DocRow, access: DocumentAccess): DocumentView => ({
  id: d.id,
  workspaceId: d.workspace_id,
  title: d.title,
  createdBy: d.created_by,
  createdAt: d.created_at.toISOString(),
  updatedAt: d.updated_at.toISOString(),
  access,
});

/** How a document list is ordered: by creation (the default), or by last update, newest first. */
export type DocumentOrder = 'created' | 'updated';

/** Cursor = the last row's (created_at, id), opaque to clients. */
export function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(`${createdAt.toISOString()}|${id}`).toString('base64url');
}
const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const badCursor = () =>
  new Invalid('cursor is not valid', [{ field: '/cursor', message: 'not a cursor returned by this API' }]);
export function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [iso, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(iso ?? '');
  // Forged cursors must fail here, not in SQL: ids the uuid column rejects, years it cannot store.
  const year = createdAt.getUTCFullYear();
  if (!id || Number.isNaN(year) || year < 1 || year > 9999 || !CANONICAL_UUID.test(id)) {
    throw badCursor();
  }
  return { createdAt, id };
}

/**
 * Cursor of the `updated` order: tagged, so it cannot be mixed up with a `created` one, and
 * holding updated_at to the microsecond (a millisecond Date would skip rows updated within it).
 */
const UPDATED_TAG = 'updated';
const MICROSECOND_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
export function encodeUpdatedCursor(updatedAtMicros: string, id: string): string {
  return Buffer.from(`${UPDATED_TAG}|${updatedAtMicros}|${id}`).toString('base64url');
}
export function decodeUpdatedCursor(cursor: string): { updatedAt: string; id: string } {
  const [tag, updatedAt = '', id = '', extra] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  // A real calendar instant (no 30 February, no year 0) with six fraction digits: checked here, not by SQL.
  const millis = updatedAt.slice(0, 23);
  const date = new Date(`${millis}Z`);
  const real =
    MICROSECOND_UTC.test(updatedAt) && !Number.isNaN(date.getTime()) && date.toISOString().startsWith(millis);
  if (tag !== UPDATED_TAG || extra !== undefined || !real || date.getUTCFullYear() < 1 || !CANONICAL_UUID.test(id)) {
    throw badCursor();
  }
  return { updatedAt, id };
}

export class Documents {
  private readonly db: Sql;
  private readonly permissions: PermissionCache;
  private readonly events: DomainEvents;
  private readonly onCreated: () => void;

  constructor(db: Sql, permissions: PermissionCache, events: DomainEvents, onCreated: () => void = () => undefined) {
    this.db = db;
    this.permissions = permissions;
    this.events = events;
    this.onCreated = onCreated;
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
      .values({ id: uuidv7(), workspace_id: workspaceId, title: input.title?.trim() || 'Untitled', created_by: actor })
      .returning(DOC_COLUMNS)
      .executeTakeFirstOrThrow();
    this.onCreated();
    return view(row, effectiveAccess(role, null));
  }

  async list(
    actor: string,
    workspaceId: string,
    opts: { limit: number; cursor?: string; order?: DocumentOrder },
  ): Promise<Page<DocumentView>> {
    const role = await this.permissions.workspaceRole(actor, workspaceId);
    authorizeWorkspace(role, 'workspace.read');
    const seeAll = canInWorkspace(role, 'documents.listAll');
    const byUpdate = opts.order === 'updated';
    // Decoded before the list query: a forged cursor is a 400, never an SQL error.
    const after = opts.cursor ? (byUpdate ? decodeUpdatedCursor(opts.cursor) : decodeCursor(opts.cursor)) : undefined;
    let q = this.db
      .selectFrom('documents as d')
      .leftJoin('document_shares as s', (j) => j.onRef('s.document_id', '=', 'd.id').on('s.user_id', '=', actor))
      .select(['d.id', 'd.workspace_id', 'd.title', 'd.created_by', 'd.created_at', 'd.updated_at', 's.role as share'])
      .select(sql<string>`to_char(d.updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('updated_key'))
      .where('d.workspace_id', '=', workspaceId)
      .orderBy(byUpdate ? 'd.updated_at' : 'd.created_at', 'desc')
      .orderBy('d.id', 'desc')
      .limit(opts.limit + 1);
    if (!seeAll) q = q.where('s.role', 'is not', null);
    // Row comparisons are index conditions on (workspace_id, created_at|updated_at desc, id desc);
    // the equivalent OR was a filter that read every newer row of the workspace again (issue 18).
    if (after && 'createdAt' in after) {
      q = q.where(sql<boolean>`(d.created_at, d.id) < (${after.createdAt}, ${after.id})`);
    } else if (after) {
      q = q.where(sql<boolean>`(d.updated_at, d.id) < (${after.updatedAt}::timestamptz, ${after.id})`);
    }
    const rows = await q.execute();
    const more = rows.length > opts.limit;
    const page = more ? rows.slice(0, opts.limit) : rows;
    const last = page.at(-1);
    const next =
      !more || !last
        ? null
        : byUpdate
          ? encodeUpdatedCursor(last.updated_key, last.id)
          : encodeCursor(last.created_at, last.id);
    return { items: page.map((r) => view(r, effectiveAccess(role, r.share))), nextCursor: next };
  }

  async get(actor: string, documentId: string): Promise<DocumentView> {
    const info = await this.authorize(actor, documentId, 'document.read');
    const row = await this.db
      .selectFrom('documents')
      .select(DOC_COLUMNS)
      .where('id', '=', documentId)
      .executeTakeFirst();
    if (!row) throw new NotFound('document not found');
    return view(row, info.access);
  }

  async rename(actor: string, documentId: string, title: string): Promise<DocumentView> {
    const info = await this.authorize(actor, documentId, 'document.rename');
    const row = await this.db
      .updateTable('documents')
      .set({ title: title.trim() || 'Untitled', updated_at: new Date() })
      .where('id', '=', documentId)
      .returning(DOC_COLUMNS)
      .executeTakeFirst();
    if (!row) throw new NotFound('document not found');
    return view(row, info.access);
  }

  async remove(actor: string, documentId: string): Promise<void> {
    const info = await this.authorize(actor, documentId, 'document.delete');
    await this.events.transaction(this.db, async (tx, emit) => {
      await tx.deleteFrom('documents').where('id', '=', documentId).execute();
      emit(PERMISSIONS_CHANNEL, { v: 1, type: 'document-deleted', documentId, workspaceId: info.document.workspaceId });
    });
  }

  async shares(actor: string, documentId: string): Promise<ShareView[]> {
    await this.authorize(actor, documentId, 'shares.read');
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
      email: r.email,
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
        .values({ document_id: documentId, user_id: userId, role })
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
