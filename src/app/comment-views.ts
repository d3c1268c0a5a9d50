/** How comment threads are shown to API callers: rows → views, people resolved to display names in one query. */
import type { Selectable } from 'kysely';
import type { CommentsTable, CommentThreadsTable } from './comment-schema.ts';
import type { Sql } from './ports.ts';

export type ThreadRow = Selectable<CommentThreadsTable>;
export type CommentRow = Selectable<CommentsTable>;

/** Someone as comments show them: no email (commenters may be guests who should not harvest addresses). */
export type Person = { userId: string; displayName: string };

export type CommentView = {
  id: string;
  author: Person | null;
  body: string;
  mentions: Person[];
  createdAt: string;
  editedAt: string | null;
};

export type ThreadView = {
  id: string;
  documentId: string;
  anchor: { start: string; end: string };
  quote: string;
  status: 'open' | 'resolved';
  createdBy: Person | null;
  createdAt: string;
  updatedAt: string;
  resolvedAt: string | null;
  resolvedBy: Person | null;
  comments: CommentView[];
};

/** Threads with their comments (oldest first), in the order given. */
export async function loadThreads(db: Sql, threads: ThreadRow[]): Promise<ThreadView[]> {
  if (threads.length === 0) return [];
  const comments = await db
    .selectFrom('comments')
    .selectAll()
    .where(
      'thread_id',
      'in',
      threads.map((t) => t.id),
    )
    .orderBy('id')
    .execute();
  const ids = new Set<string>();
  for (const t of threads) {
    if (t.created_by) ids.add(t.created_by);
    if (t.resolved_by) ids.add(t.resolved_by);
  }
  for (const c of comments) {
    if (c.author_id) ids.add(c.author_id);
    for (const m of c.mentions) ids.add(m);
  }
  const people = new Map<string, Person>();
  if (ids.size > 0) {
    const rows = await db
      .selectFrom('users')
      .select(['id', 'display_name'])
      .where('id', 'in', [...ids])
      .execute();
    for (const r of rows) people.set(r.id, { userId: r.id, displayName: r.display_name });
  }
  const person = (id: string | null) => (id ? (people.get(id) ?? null) : null);
  const byThread = new Map<string, CommentView[]>();
  for (const c of comments) {
    const list = byThread.get(c.thread_id) ?? [];
    list.push({
      id: c.id,
      author: person(c.author_id),
      body: c.body,
      mentions: c.mentions.map((m) => person(m)).filter((p): p is Person => p !== null),
      createdAt: c.created_at.toISOString(),
      editedAt: c.edited_at?.toISOString() ?? null,
    });
    byThread.set(c.thread_id, list);
  }
  return threads.map((t) => ({
    id: t.id,
    documentId: t.document_id,
    anchor: { start: t.anchor_start, end: t.anchor_end },
    quote: t.quote,
    status: t.resolved_at ? 'resolved' : 'open',
    createdBy: person(t.created_by),
    createdAt: t.created_at.toISOString(),
    updatedAt: t.updated_at.toISOString(),
    resolvedAt: t.resolved_at?.toISOString() ?? null,
    resolvedBy: person(t.resolved_by),
    comments: byThread.get(t.id) ?? [],
  }));
}
