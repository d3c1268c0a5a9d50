/**
 * Comment threads on a document (docs/spec/comments.md): start a thread on a text range, reply,
 * edit or delete a comment, resolve and reopen, list with an open/resolved filter, and find whom
 * to @mention. Mentions and replies create notifications in the same transaction; after commit
 * everyone with the document open is told (the live notice, [C5]).
 */
import { sql, type Transaction } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { Anchor } from '../content/comment-anchors.ts';
import { COMMENTS_PER_THREAD_MAX, THREADS_PER_DOCUMENT_MAX } from '../domain/comment-limits.ts';
import { Conflict, Invalid, NotFound } from '../domain/errors.ts';
import { authorizeCommentChange, authorizeDocument, canOnDocument, type DocumentAction } from '../domain/policy.ts';
import type { NotificationKind } from './comment-schema.ts';
import { type CommentRow, loadThreads, type ThreadRow, type ThreadView } from './comment-views.ts';
import type { DocumentAccessInfo, PermissionCache } from './permissions.ts';
import type { Sql } from './ports.ts';
import type { DB } from './schema.ts';

export type { CommentView, Person, ThreadView } from './comment-views.ts';

export type CommentChange = 'created' | 'replied' | 'edited' | 'deleted' | 'resolved' | 'reopened';
/** What everyone with the document open is told after a change (they re-read the threads). */
export type CommentNotice = { documentId: string; threadId: string; change: CommentChange };

export type CommentDeps = {
  /** Why an anchor cannot be used in the document now (outside it, deleted text), or null. */
  anchorProblem(documentId: string, anchor: Anchor): Promise<string | null>;
  /** Tells every instance's open editors of the document (best effort: clients also re-read on reconnect). */
  notify(notice: CommentNotice): void;
  /** Metrics and logs; never throws. */
  changed?(notice: CommentNotice & { actor: string; notifications: number }): void;
};

export type ThreadStatusFilter = 'open' | 'resolved' | 'all';

/** Candidates read per mentionable person asked for (some cannot open the document and are left out). */
const MENTIONABLE_OVERFETCH = 3;

export class Comments {
  private readonly db: Sql;
  private readonly permissions: PermissionCache;
  private readonly deps: CommentDeps;

  constructor(db: Sql, permissions: PermissionCache, deps: CommentDeps) {
    this.db = db;
    this.permissions = permissions;
    this.deps = deps;
  }

  private async authorize(actor: string, documentId: string, action: DocumentAction): Promise<DocumentAccessInfo> {
    const info = await this.permissions.documentAccess(actor, documentId);
    if (!info) throw new NotFound('document not found');
    authorizeDocument(info, action);
    return info;
  }

  /** GET …/comments: threads oldest first, with their comments; pages by thread id (uuid v7 = time). */
  async list(
    actor: string,
    documentId: string,
    q: { status: ThreadStatusFilter; limit: number; cursor?: string },
  ): Promise<{ items: ThreadView[]; nextCursor: string | null }> {
    await this.authorize(actor, documentId, 'comments.read');
    let query = this.db
      .selectFrom('comment_threads')
      .selectAll()
      .where('document_id', '=', documentId)
      .orderBy('id')
      .limit(q.limit + 1);
    if (q.status === 'open') query = query.where('resolved_at', 'is', null);
    if (q.status === 'resolved') query = query.where('resolved_at', 'is not', null);
    if (q.cursor) query = query.where('id', '>', q.cursor);
    const rows = await query.execute();
    const page = rows.slice(0, q.limit);
    const items = await loadThreads(this.db, page);
    return { items, nextCursor: rows.length > q.limit ? (page.at(-1)?.id ?? null) : null };
  }

  /** POST …/comments: a new thread on a range, with its first comment. */
  async create(
    actor: string,
    documentId: string,
    input: { anchor: Anchor; quote: string; body: string; mentions: string[] },
  ): Promise<ThreadView> {
    await this.authorize(actor, documentId, 'document.comment');
    const mentions = await this.checkMentions(documentId, input.mentions);
    const problem = await this.deps.anchorProblem(documentId, input.anchor);
    if (problem) throw new Invalid(`anchor: ${problem}`, [{ field: '/anchor', message: problem }]);
    const threadId = uuidv7();
    const commentId = uuidv7();
    const notified = await this.db.transaction().execute(async (tx) => {
      const count = await tx
        .selectFrom('comment_threads')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('document_id', '=', documentId)
        .executeTakeFirstOrThrow();
      if (Number(count.n) >= THREADS_PER_DOCUMENT_MAX) {
        throw new Conflict(`a document holds at most ${THREADS_PER_DOCUMENT_MAX} comment threads; delete some first`);
      }
      await tx
        .insertInto('comment_threads')
        .values({
          id: threadId,
          document_id: documentId,
          created_by: actor,
          anchor_start: input.anchor.start,
          anchor_end: input.anchor.end,
          quote: input.quote,
        })
        .execute();
      await tx
        .insertInto('comments')
        .values({ id: commentId, thread_id: threadId, author_id: actor, body: input.body, mentions })
        .execute();
      return notify(tx, { documentId, threadId, commentId, actor, mentions, participants: [] });
    });
    this.changed({ documentId, threadId, change: 'created' }, actor, notified);
    return this.thread(threadId);
  }

  /** POST …/comments/{threadId}/replies. */
  async reply(
    actor: string,
    documentId: string,
    threadId: string,
    input: { body: string; mentions: string[] },
  ): Promise<ThreadView> {
    await this.authorize(actor, documentId, 'document.comment');
    await this.threadOf(documentId, threadId);
    const mentions = await this.checkMentions(documentId, input.mentions);
    const notified = await this.db.transaction().execute(async (tx) => {
      // The thread row is locked so concurrent replies count one after the other.
      await tx.selectFrom('comment_threads').select('id').where('id', '=', threadId).forUpdate().execute();
      const earlier = await tx.selectFrom('comments').select('author_id').where('thread_id', '=', threadId).execute();
      if (earlier.length >= COMMENTS_PER_THREAD_MAX) {
        throw new Conflict(`a thread holds at most ${COMMENTS_PER_THREAD_MAX} comments; start a new one`);
      }
      const commentId = uuidv7();
      await tx
        .insertInto('comments')
        .values({ id: commentId, thread_id: threadId, author_id: actor, body: input.body, mentions })
        .execute();
      await tx.updateTable('comment_threads').set({ updated_at: sql`now()` }).where('id', '=', threadId).execute();
      const participants = earlier.map((c) => c.author_id).filter((id): id is string => id !== null);
      return notify(tx, { documentId, threadId, commentId, actor, mentions, participants });
    });
    this.changed({ documentId, threadId, change: 'replied' }, actor, notified);
    return this.thread(threadId);
  }

  /** PATCH …/comments/{threadId}/replies/{commentId}: its author only; new mentions are notified. */
  async edit(
    actor: string,
    documentId: string,
    threadId: string,
    commentId: string,
    input: { body: string; mentions: string[] },
  ): Promise<ThreadView> {
    const info = await this.authorize(actor, documentId, 'comments.read');
    const comment = await this.commentOf(documentId, threadId, commentId);
    authorizeCommentChange(info, 'edit', comment.author_id === actor);
    const mentions = await this.checkMentions(documentId, input.mentions);
    const fresh = mentions.filter((m) => !comment.mentions.includes(m));
    const notified = await this.db.transaction().execute(async (tx) => {
      await tx
        .updateTable('comments')
        .set({ body: input.body, mentions, edited_at: sql`now()` })
        .where('id', '=', commentId)
        .execute();
      return notify(tx, { documentId, threadId, commentId, actor, mentions: fresh, participants: [] });
    });
    this.changed({ documentId, threadId, change: 'edited' }, actor, notified);
    return this.thread(threadId);
  }

  /** DELETE …/replies/{commentId}: its author or a moderator; the first comment takes the thread with it. */
  async deleteComment(actor: string, documentId: string, threadId: string, commentId: string): Promise<void> {
    const info = await this.authorize(actor, documentId, 'comments.read');
    const comment = await this.commentOf(documentId, threadId, commentId);
    authorizeCommentChange(info, 'delete', comment.author_id === actor);
    const first = await this.db
      .selectFrom('comments')
      .select('id')
      .where('thread_id', '=', threadId)
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
    if (first?.id === commentId) {
      await this.db.deleteFrom('comment_threads').where('id', '=', threadId).execute();
    } else {
      await this.db.deleteFrom('comments').where('id', '=', commentId).execute();
    }
    this.changed({ documentId, threadId, change: 'deleted' }, actor, 0);
  }

  /** DELETE …/comments/{threadId}: the whole thread, by whoever may delete its first comment. */
  async deleteThread(actor: string, documentId: string, threadId: string): Promise<void> {
    const info = await this.authorize(actor, documentId, 'comments.read');
    const thread = await this.threadOf(documentId, threadId);
    authorizeCommentChange(info, 'delete', thread.created_by === actor);
    await this.db.deleteFrom('comment_threads').where('id', '=', threadId).execute();
    this.changed({ documentId, threadId, change: 'deleted' }, actor, 0);
  }

  /** POST …/resolve and …/reopen: anyone who may comment; repeating one is a no-op. */
  async setResolved(actor: string, documentId: string, threadId: string, resolved: boolean): Promise<ThreadView> {
    await this.authorize(actor, documentId, 'document.comment');
    const thread = await this.threadOf(documentId, threadId);
    if ((thread.resolved_at !== null) !== resolved) {
      await this.db
        .updateTable('comment_threads')
        .set(
          resolved
            ? { resolved_at: sql`now()`, resolved_by: actor, updated_at: sql`now()` }
            : { resolved_at: null, resolved_by: null, updated_at: sql`now()` },
        )
        .where('id', '=', threadId)
        .execute();
      this.changed({ documentId, threadId, change: resolved ? 'resolved' : 'reopened' }, actor, 0);
    }
    return this.thread(threadId);
  }

  /**
   * GET …/mentionable: people who can open the document (workspace members and people it is shared
   * with, kept only if the policy lets them read it now: general access, ownership), by name or
   * email prefix; names only, no emails (commenters may be guests).
   */
  async mentionable(
    actor: string,
    documentId: string,
    q: { q: string; limit: number },
  ): Promise<{ items: { userId: string; displayName: string; needsShare?: true }[] }> {
    const info = await this.authorize(actor, documentId, 'document.comment');
    // Who may share it also sees the workspace's people who cannot read it yet (the share prompt).
    const sharer = canOnDocument(info, 'shares.manage');
    const pattern = `${q.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const candidates = await this.db
      .selectFrom('users')
      .select(['id', 'display_name'])
      .where((eb) =>
        eb.or([
          eb(
            'id',
            'in',
            eb.selectFrom('workspace_members').select('user_id').where('workspace_id', '=', info.document.workspaceId),
          ),
          eb('id', 'in', eb.selectFrom('document_shares').select('user_id').where('document_id', '=', documentId)),
        ]),
      )
      .where((eb) =>
        eb.or([
          eb('display_name', 'ilike', pattern),
          eb(sql<string>`' ' || display_name`, 'ilike', `% ${pattern}`),
          eb('email', 'ilike', pattern),
        ]),
      )
      .orderBy('display_name')
      .orderBy('id')
      // Some candidates may not read this document (restricted, guests): look a little further.
      .limit(q.limit * MENTIONABLE_OVERFETCH)
      .execute();
    const access = await Promise.all(candidates.map((c) => this.permissions.documentAccess(c.id, documentId)));
    const reads = (i: number) => {
      const a = access[i];
      return a !== null && a !== undefined && canOnDocument(a, 'comments.read');
    };
    const items = candidates
      .map((r, i) => ({ r, reads: reads(i) }))
      .filter((c) => c.reads || sharer)
      .slice(0, q.limit)
      .map(({ r, reads }) => ({
        userId: r.id,
        displayName: r.display_name,
        ...(!reads && { needsShare: true as const }),
      }));
    return { items };
  }

  /** Mentioned people must be able to read the document [C4]: a stranger is a 400 naming them, nothing stored. */
  private async checkMentions(documentId: string, mentions: string[]): Promise<string[]> {
    const unique = [...new Set(mentions)];
    const access = await Promise.all(unique.map((userId) => this.permissions.documentAccess(userId, documentId)));
    const fields = unique.flatMap((userId, i) => {
      const info = access[i];
      return info && canOnDocument(info, 'comments.read')
        ? []
        : [
            {
              field: `/mentions/${mentions.indexOf(userId)}`,
              message: `${userId} cannot open this document: share it with them first`,
            },
          ];
    });
    if (fields.length > 0) {
      throw new Invalid(
        'mentions: only people who can open the document can be mentioned (share it with them first)',
        fields,
      );
    }
    return unique;
  }

  private async threadOf(documentId: string, threadId: string): Promise<ThreadRow> {
    const row = await this.db
      .selectFrom('comment_threads')
      .selectAll()
      .where('id', '=', threadId)
      .where('document_id', '=', documentId)
      .executeTakeFirst();
    if (!row) throw new NotFound('comment thread not found');
    return row;
  }

  private async commentOf(documentId: string, threadId: string, commentId: string): Promise<CommentRow> {
    await this.threadOf(documentId, threadId);
    const row = await this.db
      .selectFrom('comments')
      .selectAll()
      .where('id', '=', commentId)
      .where('thread_id', '=', threadId)
      .executeTakeFirst();
    if (!row) throw new NotFound('comment not found');
    return row;
  }

  private async thread(threadId: string): Promise<ThreadView> {
    const row = await this.db.selectFrom('comment_threads').selectAll().where('id', '=', threadId).executeTakeFirst();
    if (!row) throw new NotFound('comment thread not found');
    const [view] = await loadThreads(this.db, [row]);
    return view as ThreadView;
  }

  private changed(notice: CommentNotice, actor: string, notifications: number): void {
    this.deps.notify(notice);
    this.deps.changed?.({ ...notice, actor, notifications });
  }
}

/**
 * Notifications for one new comment: 'mention' for each person mentioned, 'reply' for the
 * thread's earlier participants not mentioned; never the actor. Returns how many were written.
 */
async function notify(
  tx: Transaction<DB>,
  c: {
    documentId: string;
    threadId: string;
    commentId: string;
    actor: string;
    mentions: string[];
    participants: string[];
  },
): Promise<number> {
  const kinds = new Map<string, NotificationKind>();
  for (const p of c.participants) kinds.set(p, 'reply');
  for (const m of c.mentions) kinds.set(m, 'mention');
  kinds.delete(c.actor);
  if (kinds.size === 0) return 0;
  await tx
    .insertInto('notifications')
    .values(
      [...kinds].map(([userId, kind]) => ({
        id: uuidv7(),
        user_id: userId,
        kind,
        document_id: c.documentId,
        thread_id: c.threadId,
        comment_id: c.commentId,
        actor_id: c.actor,
      })),
    )
    .execute();
  return kinds.size;
}
