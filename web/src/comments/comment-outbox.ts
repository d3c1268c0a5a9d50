/**
 * Comments written while the editor cannot reach the server (docs/spec/comments.md [C5]): new
 * threads and replies wait here, in order, and are sent once the document is synced and every
 * local edit is saved — so an anchor on text typed offline names text the server has. Each entry
 * gets its `Idempotency-Key` when it is written and keeps it through every resend, so a comment
 * whose first answer was lost on the way is never posted twice. Kept in localStorage per person
 * and document: a reload while offline keeps them. Anchors are Yjs relative positions made from
 * the local document, so they follow the text through the edits made meanwhile [C2].
 *
 * A reply to a thread that is itself still waiting names the thread by its local id; once the
 * thread is created the replies after it are pointed at its real id. An answer that will not get
 * better by retrying (a 4xx other than 408/429) marks the entry "not sent" with the reason and
 * holds back the replies queued on it; the panel offers to discard it. Anything else (no network,
 * 5xx, 429) leaves the entry for the next attempt.
 */
import type { Anchor } from '../../../src/content/comment-anchors.ts';
import type { CommentThread } from '../api-types.ts';

type Common = {
  /** The Idempotency-Key of every send of this entry. */
  key: string;
  /** Identifies the entry in the panel; a queued thread's replies name it as their thread. */
  localId: string;
  body: string;
  mentions: string[];
  queuedAt: string;
  /** Why the server refused it for good; such an entry is not sent again. */
  failed?: string;
};
export type PendingThread = Common & { kind: 'thread'; anchor: Anchor; quote: string };
export type PendingReply = Common & { kind: 'reply'; threadId: string };
export type PendingComment = PendingThread | PendingReply;

/** What sends an entry: the comments API with the entry's Idempotency-Key. */
export interface OutboxSender {
  create(entry: PendingThread): Promise<CommentThread>;
  reply(threadId: string, entry: PendingReply): Promise<CommentThread>;
}

/** Local ids of queued threads: never a server id (those are uuids). */
export const LOCAL_PREFIX = 'local:';
export const isLocalThread = (id: string) => id.startsWith(LOCAL_PREFIX);

export const outboxStorageKey = (userId: string, documentId: string) =>
  `collab-docs.comment-outbox.${userId}.${documentId}`;

/** An error worth retrying: no answer at all, the server's trouble, or a rate limit. */
export function isTransient(err: unknown): boolean {
  const status = (err as { status?: unknown } | null)?.status;
  if (typeof status !== 'number') return true;
  return status === 0 || status === 408 || status === 429 || status >= 500;
}

type Listener = () => void;

export class CommentOutbox {
  private entries: PendingComment[];
  private readonly sender: OutboxSender;
  private readonly storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | null;
  private readonly storageKey: string;
  private readonly listeners = new Set<Listener>();
  private flushing: Promise<void> | null = null;
  private readonly onSent: (thread: CommentThread, entry: PendingComment) => void;

  constructor(opts: {
    sender: OutboxSender;
    storageKey: string;
    storage?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | null;
    /** Each entry the server accepted, with the thread as it now is. */
    onSent: (thread: CommentThread, entry: PendingComment) => void;
  }) {
    this.sender = opts.sender;
    this.storageKey = opts.storageKey;
    this.storage = opts.storage === undefined ? globalThis.localStorage : opts.storage;
    this.onSent = opts.onSent;
    this.entries = this.load();
  }

  get pending(): readonly PendingComment[] {
    return this.entries;
  }

  /** Called after every change of the queue (an entry added, sent, failed or discarded). */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  addThread(anchor: Anchor, quote: string, body: string, mentions: string[], key: string = newKey()): PendingThread {
    const entry: PendingThread = {
      kind: 'thread',
      key,
      localId: `${LOCAL_PREFIX}${newKey()}`,
      anchor,
      quote,
      body,
      mentions,
      queuedAt: now(),
    };
    this.change([...this.entries, entry]);
    return entry;
  }

  addReply(threadId: string, body: string, mentions: string[], key: string = newKey()): PendingReply {
    const entry: PendingReply = {
      kind: 'reply',
      key,
      localId: `${LOCAL_PREFIX}${newKey()}`,
      threadId,
      body,
      mentions,
      queuedAt: now(),
    };
    this.change([...this.entries, entry]);
    return entry;
  }

  /** Drops an entry the server refused, and the replies queued on it when it is a thread. */
  discard(localId: string): void {
    this.change(this.entries.filter((e) => e.localId !== localId && !(e.kind === 'reply' && e.threadId === localId)));
  }

  /**
   * Sends the waiting entries in order, one at a time; one flush runs at once (a second call
   * joins it). Stops at the first transient failure: order is kept, the rest waits for the next flush.
   */
  flush(): Promise<void> {
    this.flushing ??= this.run().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async run(): Promise<void> {
    for (;;) {
      const entry = this.entries.find((e) => !e.failed && !(e.kind === 'reply' && this.blocked(e)));
      if (!entry) return;
      let thread: CommentThread;
      try {
        thread =
          entry.kind === 'thread' ? await this.sender.create(entry) : await this.sender.reply(entry.threadId, entry);
      } catch (err) {
        if (isTransient(err)) return;
        const reason = err instanceof Error ? err.message : 'refused by the server';
        this.change(this.entries.map((e) => (e === entry ? { ...e, failed: reason } : e)));
        continue;
      }
      // Replies waiting for this thread now name it by its real id.
      this.change(
        this.entries
          .filter((e) => e !== entry)
          .map((e) => (e.kind === 'reply' && e.threadId === entry.localId ? { ...e, threadId: thread.id } : e)),
      );
      this.onSent(thread, entry);
    }
  }

  /** A reply whose thread is still queued (or was refused) waits for it. */
  private blocked(reply: PendingReply): boolean {
    return isLocalThread(reply.threadId) && this.entries.some((e) => e.localId === reply.threadId);
  }

  private change(entries: PendingComment[]): void {
    this.entries = entries;
    try {
      if (entries.length === 0) this.storage?.removeItem(this.storageKey);
      else this.storage?.setItem(this.storageKey, JSON.stringify(entries));
    } catch {
      // Storage full or refused (private mode): the queue still lives as long as the page.
    }
    for (const listener of this.listeners) listener();
  }

  private load(): PendingComment[] {
    try {
      const raw = this.storage?.getItem(this.storageKey);
      const parsed: unknown = raw ? JSON.parse(raw) : [];
      return Array.isArray(parsed) ? parsed.filter(isEntry) : [];
    } catch {
      return [];
    }
  }
}

function isEntry(value: unknown): value is PendingComment {
  const e = value as (Partial<Common> & { kind?: unknown; anchor?: Partial<Anchor>; threadId?: unknown }) | null;
  if (!e || typeof e.key !== 'string' || typeof e.localId !== 'string' || typeof e.body !== 'string') return false;
  if (!Array.isArray(e.mentions)) return false;
  if (e.kind === 'thread') return typeof e.anchor?.start === 'string' && typeof e.anchor.end === 'string';
  return e.kind === 'reply' && typeof e.threadId === 'string';
}

/** A random UUID v4; `randomUUID` exists only in secure contexts, `getRandomValues` everywhere. */
export function newKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
const now = () => new Date().toISOString();
