/**
 * The side panel's way of sending new threads and replies (docs/spec/comments.md [C5]): straight
 * to the server while the editor is online and nothing is queued (so a refusal shows in the field
 * as before), otherwise — offline, or the send failed on the way — into the offline queue
 * (comment-outbox.ts) with the same Idempotency-Key, which is flushed in order once the document
 * is synced and its local edits are saved, and retried every few seconds while entries wait.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { SyncStatus } from '../../../src/client/sync-client.ts';
import type { Anchor } from '../../../src/content/comment-anchors.ts';
import type { CommentThread } from '../api-types.ts';
import type { CollabSession } from '../editor/collab-session.ts';
import { CommentOutbox, isTransient, newKey, outboxStorageKey, type PendingComment } from './comment-outbox.ts';
import type { CommentsApi } from './comments-api.ts';

/** Retry pace while entries wait and the editor is online (a 5xx or a rate limit stopped a flush). */
const RETRY_MS = 5_000;

/** The server has the document and every local edit: an anchor made here names text it knows. */
export const readyToSend = (s: SyncStatus) =>
  s.connection === 'connected' && s.synced && s.pendingChanges === 0 && !s.closed;

export function useCommentOutbox(opts: {
  comments: CommentsApi;
  session: CollabSession;
  userId: string;
  documentId: string;
  onSent: (thread: CommentThread) => void;
}) {
  const { comments, session } = opts;
  const onSent = useRef(opts.onSent);
  onSent.current = opts.onSent;
  const outbox = useMemo(
    () =>
      new CommentOutbox({
        sender: comments.outboxSender(),
        storageKey: outboxStorageKey(opts.userId, opts.documentId),
        onSent: (thread) => onSent.current(thread),
      }),
    [comments, opts.userId, opts.documentId],
  );
  const [pending, setPending] = useState<readonly PendingComment[]>(outbox.pending);
  const [online, setOnline] = useState(() => readyToSend(session.status));

  useEffect(() => {
    setPending(outbox.pending);
    return outbox.subscribe(() => setPending(outbox.pending));
  }, [outbox]);

  useEffect(() => {
    const onStatus = (s: SyncStatus) => {
      const ready = readyToSend(s);
      setOnline(ready);
      if (ready) void outbox.flush();
    };
    onStatus(session.status);
    session.on('status', onStatus);
    return () => session.off('status', onStatus);
  }, [session, outbox]);

  const waiting = pending.some((e) => !e.failed);
  useEffect(() => {
    if (!online || !waiting) return;
    const timer = setInterval(() => void outbox.flush(), RETRY_MS);
    return () => clearInterval(timer);
  }, [online, waiting, outbox]);

  /** Sends now when it can; null when the comment was queued instead. Throws what the server refused. */
  const send = useCallback(
    async (direct: (key: string) => Promise<CommentThread>, queue: (key: string) => void) => {
      const key = newKey();
      if (outbox.pending.length === 0 && readyToSend(session.status)) {
        try {
          return await direct(key);
        } catch (err) {
          if (!isTransient(err)) throw err;
        }
      }
      queue(key);
      if (readyToSend(session.status)) void outbox.flush();
      return null;
    },
    [outbox, session],
  );

  const sendThread = (anchor: Anchor, quote: string, body: string, mentions: string[]) =>
    send(
      (key) => comments.create(anchor, quote, body, mentions, key),
      (key) => outbox.addThread(anchor, quote, body, mentions, key),
    );
  const sendReply = (threadId: string, body: string, mentions: string[]) =>
    send(
      (key) => comments.reply(threadId, body, mentions, key),
      (key) => outbox.addReply(threadId, body, mentions, key),
    );

  return { outbox, pending, online, sendThread, sendReply };
}
