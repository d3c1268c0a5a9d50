/** The comment and notification endpoints as the web app calls them (types from the server's schemas). */
import type { Anchor } from '../../../src/content/comment-anchors.ts';
import type { ApiClient } from '../api.ts';
import type { CommentThread, NotificationPage, NotificationSettings, Person } from '../api-types.ts';
import type { OutboxSender } from './comment-outbox.ts';

export type { CommentThread, Person };

/**
 * A person to mention; one who cannot read the comments yet comes with `share` (listed only for
 * people allowed to share the document): the field offers "Share with X and mention".
 */
export type MentionCandidate = Person & { share?: () => Promise<void> };

/** A window event: comments of the open document changed (the bell re-reads its unread count). */
export const COMMENTS_CHANGED_EVENT = 'collab-docs:comments-changed';

const idempotent = (key: string | undefined) => (key ? { headers: { 'idempotency-key': key } } : {});

/** Threads the panel loads at once (the API's page size limit). */
const PAGE = 200;

export class CommentsApi {
  private readonly api: ApiClient;
  private readonly base: string;

  constructor(api: ApiClient, documentId: string) {
    this.api = api;
    this.base = `/documents/${encodeURIComponent(documentId)}`;
  }

  /** Every thread, open and resolved, oldest first (the panel filters; highlights show open ones). */
  async all(): Promise<CommentThread[]> {
    const items: CommentThread[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const page: { items: CommentThread[]; nextCursor: string | null } = await this.api.request(
        'GET',
        `${this.base}/comments?status=all&limit=${PAGE}${q}`,
      );
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor && items.length < PAGE * 5);
    return items;
  }

  /** Retry-safe with `key` (Idempotency-Key): a resend gets the first answer, nothing is posted twice [C5]. */
  create(anchor: Anchor, quote: string, body: string, mentions: string[], key?: string): Promise<CommentThread> {
    return this.api.request('POST', `${this.base}/comments`, { anchor, quote, body, mentions }, true, idempotent(key));
  }

  reply(threadId: string, body: string, mentions: string[], key?: string): Promise<CommentThread> {
    return this.api.request('POST', `${this.thread(threadId)}/replies`, { body, mentions }, true, idempotent(key));
  }

  /** How the offline queue (comment-outbox.ts) sends: each entry with its own key. */
  outboxSender(): OutboxSender {
    return {
      create: (e) => this.create(e.anchor, e.quote, e.body, e.mentions, e.key),
      reply: (threadId, e) => this.reply(threadId, e.body, e.mentions, e.key),
    };
  }

  edit(threadId: string, commentId: string, body: string, mentions: string[]): Promise<CommentThread> {
    return this.api.request('PATCH', `${this.thread(threadId)}/replies/${encodeURIComponent(commentId)}`, {
      body,
      mentions,
    });
  }

  remove(threadId: string, commentId: string): Promise<void> {
    return this.api.request('DELETE', `${this.thread(threadId)}/replies/${encodeURIComponent(commentId)}`);
  }

  setResolved(threadId: string, resolved: boolean): Promise<CommentThread> {
    return this.api.request('POST', `${this.thread(threadId)}/${resolved ? 'resolve' : 'reopen'}`);
  }

  async mentionable(q: string): Promise<MentionCandidate[]> {
    const r = await this.api.request<{ items: (Person & { needsShare?: boolean })[] }>(
      'GET',
      `${this.base}/mentionable?q=${encodeURIComponent(q)}&limit=8`,
    );
    return r.items.map(({ needsShare, ...person }) =>
      needsShare
        ? {
            ...person,
            // The existing share API; commenter: enough to read the thread and answer it.
            share: () =>
              this.api.request<void>('PUT', `${this.base}/shares/${encodeURIComponent(person.userId)}`, {
                role: 'commenter',
              }),
          }
        : person,
    );
  }

  private thread(threadId: string): string {
    return `${this.base}/comments/${encodeURIComponent(threadId)}`;
  }
}

export const notificationsApi = {
  list: (api: ApiClient) => api.request<NotificationPage>('GET', '/notifications?limit=20'),
  unread: async (api: ApiClient) =>
    (await api.request<{ unread: number }>('GET', '/notifications/unread-count')).unread,
  markRead: (api: ApiClient, ids: string[]) => api.request<{ unread: number }>('POST', '/notifications/read', { ids }),
  markAllRead: (api: ApiClient) => api.request<{ unread: number }>('POST', '/notifications/read-all'),
  settings: (api: ApiClient) => api.request<NotificationSettings>('GET', '/me/notification-settings'),
  setSettings: (api: ApiClient, s: NotificationSettings) =>
    api.request<NotificationSettings>('PUT', '/me/notification-settings', s),
};
