/**
 * The comment side panel (docs/spec/comments.md): threads of the open document with an
 * open/resolved filter, "on deleted text" for threads whose text is gone, replies, edit/delete of
 * one's own comments, resolve and reopen, and a new thread from the selected text. It re-reads the
 * threads when the server says they changed (COMMENTS_CHANGED, any instance) and on reconnect, and
 * feeds the open threads to the editor's highlights. New threads and replies written offline wait
 * in a queue, shown as pending, and are sent when the editor is back (use-comment-outbox.ts).
 */
import type { Editor } from '@tiptap/core';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Anchor } from '../../../src/content/comment-anchors.ts';
import { COMMENT_QUOTE_MAX_LENGTH } from '../../../src/domain/comment-limits.ts';
import type { ApiClient, User } from '../api.ts';
import type { CollabSession } from '../editor/collab-session.ts';
import { anchorOfRange, rangeOfAnchor } from './anchor-range.ts';
import { setCommentHighlights } from './comment-highlights.ts';
import type { CommentOutbox, PendingReply, PendingThread } from './comment-outbox.ts';
import { COMMENTS_CHANGED_EVENT, CommentsApi, type CommentThread } from './comments-api.ts';
import { MentionField } from './mention-field.tsx';
import { PendingReplies, PendingThreads } from './pending-comments.tsx';
import { useCommentOutbox } from './use-comment-outbox.ts';
import './comments.css';

export type CommentsPanelProps = {
  api: ApiClient;
  user: User;
  documentId: string;
  session: CollabSession;
  editor: Editor | null;
  canComment: boolean;
  /** May delete anyone's comment (the workspace's admins and owners and the document's owner). */
  canModerate: boolean;
  open: boolean;
  /** The thread a link pointed at: shown (and scrolled to) once the threads are loaded. */
  linkedThreadId?: string | null;
  onClose: () => void;
  onCount: (open: number) => void;
};

type Draft = { anchor: Anchor; quote: string };
/** Changes arriving together (a reply and a resolve) cost one re-read. */
const REFETCH_DEBOUNCE_MS = 80;

/** The selected range: the DOM's (read-only editors keep no ProseMirror selection of their own) or the editor's. */
function selectedRange(editor: Editor): { from: number; to: number } | null {
  const dom = window.getSelection();
  if (dom && dom.rangeCount > 0 && !dom.isCollapsed) {
    const r = dom.getRangeAt(0);
    if (editor.view.dom.contains(r.startContainer) && editor.view.dom.contains(r.endContainer)) {
      const from = editor.view.posAtDOM(r.startContainer, r.startOffset);
      const to = editor.view.posAtDOM(r.endContainer, r.endOffset);
      if (from < to) return { from, to };
    }
  }
  const { from, to } = editor.state.selection;
  return from < to ? { from, to } : null;
}

const when = (iso: string) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function CommentsPanel(props: CommentsPanelProps) {
  const { editor, session } = props;
  const comments = useMemo(() => new CommentsApi(props.api, props.documentId), [props.api, props.documentId]);
  const [threads, setThreads] = useState<CommentThread[]>([]);
  const [filter, setFilter] = useState<'open' | 'resolved'>('open');
  const [activeId, setActiveId] = useState<string | null>(props.linkedThreadId ?? null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [hint, setHint] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [, setTick] = useState(0);
  const onCount = useRef(props.onCount);
  onCount.current = props.onCount;

  const apply = useCallback(
    (updated: CommentThread) =>
      setThreads((list) => {
        const i = list.findIndex((t) => t.id === updated.id);
        return i < 0 ? [...list, updated] : list.map((t) => (t.id === updated.id ? updated : t));
      }),
    [],
  );
  const queue = useCommentOutbox({
    comments,
    session,
    userId: props.user.id,
    documentId: props.documentId,
    onSent: apply,
  });

  const reload = useCallback(async () => {
    try {
      const all = await comments.all();
      setThreads(all);
      setError(null);
    } catch (err) {
      setError(err instanceof Error ? err.message : 'Comments could not be loaded.');
    }
  }, [comments]);

  // First load, then on every COMMENTS_CHANGED and every (re)connection: notices are best effort.
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const soon = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        void reload();
        // A mention or reply for this person may have come with it: the bell re-reads its count.
        window.dispatchEvent(new Event(COMMENTS_CHANGED_EVENT));
      }, REFETCH_DEBOUNCE_MS);
    };
    let connected = false;
    const onStatus = (s: { connection: string; synced: boolean }) => {
      const now = s.connection === 'connected' && s.synced;
      if (now && !connected) soon();
      connected = now;
    };
    void reload();
    session.on('comments-changed', soon);
    session.on('status', onStatus);
    return () => {
      clearTimeout(timer);
      session.off('comments-changed', soon);
      session.off('status', onStatus);
    };
  }, [session, reload]);

  const openThreads = threads.filter((t) => t.status === 'open');

  // The linked thread, once: its filter chosen and its text scrolled into view.
  const linkedShown = useRef(false);
  useEffect(() => {
    if (linkedShown.current || !props.linkedThreadId || !editor) return;
    const thread = threads.find((t) => t.id === props.linkedThreadId);
    if (!thread) return;
    linkedShown.current = true;
    setFilter(thread.status);
    show(thread);
  }, [threads, editor, props.linkedThreadId]);
  useEffect(() => onCount.current(openThreads.length), [openThreads.length]);

  // Highlights follow the open threads and the active one.
  useEffect(() => {
    if (!editor) return;
    setCommentHighlights(editor, {
      threads: openThreads.map((t) => ({ id: t.id, anchor: t.anchor })),
      activeId,
      onActivate: (id) => {
        setActiveId(id);
        setFilter('open');
      },
    });
  }, [editor, threads, activeId]);

  // "On deleted text" is read from the editor: re-render (at most every 300 ms) while it changes.
  useEffect(() => {
    if (!editor || !props.open) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onUpdate = () => {
      if (timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        setTick((n) => n + 1);
      }, 300);
    };
    editor.on('update', onUpdate);
    return () => {
      clearTimeout(timer);
      editor.off('update', onUpdate);
    };
  }, [editor, props.open]);

  const startThread = () => {
    setHint(null);
    if (!editor) return;
    const range = selectedRange(editor);
    const anchor = range && anchorOfRange(editor.state, range.from, range.to);
    if (!range || !anchor) {
      setHint('Select some text in the document first, then choose Comment.');
      return;
    }
    const quote = editor.state.doc.textBetween(range.from, range.to, ' ').slice(0, COMMENT_QUOTE_MAX_LENGTH);
    setDraft({ anchor, quote });
  };

  const show = (thread: CommentThread) => {
    setActiveId(thread.id);
    if (!editor) return;
    const range = rangeOfAnchor(editor.state, thread.anchor);
    if (!range) return;
    const { node } = editor.view.domAtPos(range.from);
    (node instanceof Element ? node : node.parentElement)?.scrollIntoView({ block: 'center', behavior: 'smooth' });
  };

  const shown = threads.filter((t) => t.status === filter);
  return (
    <aside
      class={props.open ? 'cm-panel cm-panel--open' : 'cm-panel'}
      aria-label="Comments"
      data-testid="comments-panel"
      hidden={!props.open}
    >
      <div class="cm-panel__head">
        <h2 class="cm-panel__title">Comments</h2>
        <button type="button" class="ed-btn" aria-label="Close comments" onClick={props.onClose}>
          ×
        </button>
      </div>
      {props.canComment && (
        <div class="cm-new">
          <button
            type="button"
            class="ed-btn ed-btn--primary"
            // Keeps the text selection: a click would otherwise collapse it before it is read.
            onMouseDown={(e) => e.preventDefault()}
            onClick={startThread}
          >
            Comment on selection
          </button>
          {hint && <p class="cm-hint">{hint}</p>}
        </div>
      )}
      {draft && (
        <div class="cm-thread cm-thread--draft">
          <blockquote class="cm-quote">{draft.quote}</blockquote>
          <MentionField
            label="New comment"
            placeholder="Comment… (@ to mention)"
            submitLabel="Comment"
            autoFocus
            search={(q) => comments.mentionable(q)}
            onCancel={() => setDraft(null)}
            onSubmit={async (body, mentions) => {
              // Offline, the thread waits in the queue (shown pending) and goes out once back.
              const thread = await queue.sendThread(draft.anchor, draft.quote, body, mentions);
              setDraft(null);
              setFilter('open');
              if (thread) {
                apply(thread);
                setActiveId(thread.id);
              }
            }}
          />
        </div>
      )}
      <fieldset class="cm-filter" aria-label="Show">
        {(['open', 'resolved'] as const).map((f) => (
          <button
            key={f}
            type="button"
            aria-pressed={filter === f}
            class={filter === f ? 'cm-filter__btn cm-filter__btn--on' : 'cm-filter__btn'}
            onClick={() => setFilter(f)}
          >
            {f === 'open' ? `Open (${openThreads.length})` : `Resolved (${threads.length - openThreads.length})`}
          </button>
        ))}
      </fieldset>
      {error && (
        <p class="cm-error" role="alert">
          {error}
        </p>
      )}
      {shown.length === 0 && !error && (
        <p class="cm-empty">{filter === 'open' ? 'No open comments.' : 'No resolved comments.'}</p>
      )}
      <ol class="cm-list">
        {filter === 'open' && (
          <PendingThreads
            entries={queue.pending.filter((e): e is PendingThread => e.kind === 'thread')}
            online={queue.online}
            outbox={queue.outbox}
            user={props.user}
          />
        )}
        {shown.map((thread) => (
          <ThreadCard
            key={thread.id}
            thread={thread}
            active={thread.id === activeId}
            deleted={editor ? rangeOfAnchor(editor.state, thread.anchor) === null : false}
            comments={comments}
            user={props.user}
            canComment={props.canComment}
            canModerate={props.canModerate}
            onShow={() => show(thread)}
            onChanged={apply}
            onReply={(body, mentions) => queue.sendReply(thread.id, body, mentions)}
            pending={queue.pending.filter((e): e is PendingReply => e.kind === 'reply' && e.threadId === thread.id)}
            online={queue.online}
            outbox={queue.outbox}
            onRemoved={(id) => setThreads((list) => list.filter((t) => t.id !== id))}
          />
        ))}
      </ol>
    </aside>
  );
}

type CardProps = {
  thread: CommentThread;
  active: boolean;
  deleted: boolean;
  comments: CommentsApi;
  user: User;
  canComment: boolean;
  canModerate: boolean;
  onShow: () => void;
  onChanged: (t: CommentThread) => void;
  onRemoved: (threadId: string) => void;
  /** Sends a reply now, or queues it (null) while offline. */
  onReply: (body: string, mentions: string[]) => Promise<CommentThread | null>;
  /** This thread's replies waiting in the offline queue. */
  pending: PendingReply[];
  online: boolean;
  outbox: CommentOutbox;
};

function ThreadCard(props: CardProps) {
  const { thread, active, deleted, comments, user, canComment, canModerate, ...on } = props;
  const [editing, setEditing] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const act = async (fn: () => Promise<unknown>) => {
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError(err instanceof Error ? err.message : 'That did not work.');
    }
  };
  return (
    <li
      class={active ? 'cm-thread cm-thread--active' : 'cm-thread'}
      data-thread-id={thread.id}
      data-testid="comment-thread"
    >
      <button type="button" class="cm-quote cm-quote--link" onClick={on.onShow}>
        {deleted && <span class="cm-badge">On deleted text</span>}
        <span class="cm-quote__text">{thread.quote || '(no text)'}</span>
      </button>
      <ol class="cm-comments">
        {thread.comments.map((c, i) => {
          const mine = c.author?.userId === user.id;
          return (
            <li key={c.id} class="cm-comment" data-testid="comment">
              <div class="cm-comment__meta">
                <strong>{c.author?.displayName ?? 'Deleted account'}</strong>{' '}
                <time dateTime={c.createdAt}>{when(c.createdAt)}</time>
                {c.editedAt && <span class="cm-edited"> (edited)</span>}
              </div>
              {editing === c.id ? (
                <MentionField
                  label="Edit comment"
                  placeholder="Comment…"
                  submitLabel="Save"
                  initial={c.body}
                  initialMentions={c.mentions}
                  autoFocus
                  search={(q) => comments.mentionable(q)}
                  onCancel={() => setEditing(null)}
                  onSubmit={async (body, mentions) => {
                    on.onChanged(await comments.edit(thread.id, c.id, body, mentions));
                    setEditing(null);
                  }}
                />
              ) : (
                <p class="cm-comment__body">{c.body}</p>
              )}
              {editing !== c.id && (mine || canModerate) && (
                <div class="cm-comment__actions">
                  {mine && canComment && (
                    <button type="button" class="cm-link" onClick={() => setEditing(c.id)}>
                      Edit
                    </button>
                  )}
                  <button
                    type="button"
                    class="cm-link"
                    onClick={() =>
                      act(async () => {
                        if (i === 0 && !confirm('Delete this comment and its whole thread?')) return;
                        await comments.remove(thread.id, c.id);
                        if (i === 0) on.onRemoved(thread.id);
                        else on.onChanged({ ...thread, comments: thread.comments.filter((x) => x.id !== c.id) });
                      })
                    }
                  >
                    Delete
                  </button>
                </div>
              )}
            </li>
          );
        })}
        <PendingReplies entries={props.pending} online={props.online} outbox={props.outbox} user={user} />
      </ol>
      {error && (
        <p class="cm-error" role="alert">
          {error}
        </p>
      )}
      {canComment && (
        <div class="cm-thread__foot">
          {thread.status === 'open' && (
            <MentionField
              label="Reply"
              placeholder="Reply… (@ to mention)"
              submitLabel="Reply"
              search={(q) => comments.mentionable(q)}
              onSubmit={async (body, mentions) => {
                const updated = await on.onReply(body, mentions);
                if (updated) on.onChanged(updated);
              }}
            />
          )}
          <button
            type="button"
            class="ed-btn"
            onClick={() =>
              act(async () => on.onChanged(await comments.setResolved(thread.id, thread.status === 'open')))
            }
          >
            {thread.status === 'open' ? 'Resolve' : 'Reopen'}
          </button>
        </div>
      )}
    </li>
  );
}
