/**
 * In-app notifications (docs/spec/comments.md [C6]): the caller's list (newest first, keyset
 * pages), unread count, marking read, and their email setting. A notification about a document
 * the caller can no longer open is left out of the list and the count, not deleted: it comes back
 * if access does.
 */
import { sql } from 'kysely';
import { canOnDocument } from '../domain/policy.ts';
import type { EmailSetting, NotificationKind } from './comment-schema.ts';
import type { Person } from './comment-views.ts';
import type { PermissionCache } from './permissions.ts';
import type { Sql } from './ports.ts';

export type NotificationView = {
  id: string;
  kind: NotificationKind;
  document: { id: string; title: string };
  threadId: string;
  commentId: string;
  actor: Person | null;
  excerpt: string;
  createdAt: string;
  readAt: string | null;
};

/** How much of a comment a notification (and its email) shows. */
export const EXCERPT_LENGTH = 140;
/** Distinct documents the unread count checks access for; beyond it, unread rows count unchecked. */
const COUNT_DOCUMENTS_MAX = 200;

export const excerptOf = (body: string): string => {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length > EXCERPT_LENGTH ? `${flat.slice(0, EXCERPT_LENGTH - 1)}…` : flat;
};

export class Notifications {
  private readonly db: Sql;
  private readonly permissions: PermissionCache;

  constructor(db: Sql, permissions: PermissionCache) {
    this.db = db;
    this.permissions = permissions;
  }

  /** The documents among `ids` the user may still read comments of. */
  async readable(userId: string, ids: Iterable<string>): Promise<Set<string>> {
    const unique = [...new Set(ids)];
    const infos = await Promise.all(unique.map((id) => this.permissions.documentAccess(userId, id)));
    return new Set(unique.filter((_, i) => infos[i] && canOnDocument(infos[i], 'comments.read')));
  }

  async list(
    actor: string,
    q: { unread: boolean; limit: number; cursor?: string },
  ): Promise<{ items: NotificationView[]; nextCursor: string | null; unread: number }> {
    let query = this.db
      .selectFrom('notifications as n')
      .innerJoin('documents as d', 'd.id', 'n.document_id')
      .innerJoin('comments as c', 'c.id', 'n.comment_id')
      .leftJoin('users as u', 'u.id', 'n.actor_id')
      .select([
        'n.id',
        'n.kind',
        'n.document_id',
        'd.title',
        'n.thread_id',
        'n.comment_id',
        'n.actor_id',
        'u.display_name',
        'c.body',
        'n.created_at',
        'n.read_at',
      ])
      .where('n.user_id', '=', actor)
      .orderBy('n.id', 'desc')
      .limit(q.limit + 1);
    if (q.unread) query = query.where('n.read_at', 'is', null);
    if (q.cursor) query = query.where('n.id', '<', q.cursor);
    const rows = await query.execute();
    const page = rows.slice(0, q.limit);
    const readable = await this.readable(
      actor,
      page.map((r) => r.document_id),
    );
    const items = page
      .filter((r) => readable.has(r.document_id))
      .map((r) => ({
        id: r.id,
        kind: r.kind,
        document: { id: r.document_id, title: r.title },
        threadId: r.thread_id,
        commentId: r.comment_id,
        actor: r.actor_id && r.display_name ? { userId: r.actor_id, displayName: r.display_name } : null,
        excerpt: excerptOf(r.body),
        createdAt: r.created_at.toISOString(),
        readAt: r.read_at?.toISOString() ?? null,
      }));
    const nextCursor = rows.length > q.limit ? (page.at(-1)?.id ?? null) : null;
    return { items, nextCursor, unread: await this.unreadCount(actor) };
  }

  /** Unread notifications about documents the user can still open. */
  async unreadCount(actor: string): Promise<number> {
    const rows = await this.db
      .selectFrom('notifications')
      .select(['document_id', (eb) => eb.fn.countAll<string>().as('n')])
      .where('user_id', '=', actor)
      .where('read_at', 'is', null)
      .groupBy('document_id')
      .limit(COUNT_DOCUMENTS_MAX)
      .execute();
    const readable = await this.readable(
      actor,
      rows.map((r) => r.document_id),
    );
    return rows.reduce((sum, r) => sum + (readable.has(r.document_id) ? Number(r.n) : 0), 0);
  }

  /** Marks the caller's notifications read (ids of others' are ignored: nothing to reveal). */
  async markRead(actor: string, ids: string[] | 'all'): Promise<{ unread: number }> {
    let update = this.db
      .updateTable('notifications')
      .set({ read_at: sql`now()` })
      .where('user_id', '=', actor)
      .where('read_at', 'is', null);
    if (ids !== 'all') update = update.where('id', 'in', ids);
    await update.execute();
    return { unread: await this.unreadCount(actor) };
  }

  async settings(actor: string): Promise<{ email: EmailSetting }> {
    const row = await this.db
      .selectFrom('notification_settings')
      .select('email')
      .where('user_id', '=', actor)
      .executeTakeFirst();
    return { email: row?.email ?? 'digest' };
  }

  async setSettings(actor: string, settings: { email: EmailSetting }): Promise<{ email: EmailSetting }> {
    await this.db
      .insertInto('notification_settings')
      .values({ user_id: actor, email: settings.email })
      .onConflict((oc) => oc.column('user_id').doUpdateSet({ email: settings.email, updated_at: sql`now()` }))
      .execute();
    return { email: settings.email };
  }
}
