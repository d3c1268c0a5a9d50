/**
 * Comments waiting in the offline queue (comment-outbox.ts), as the side panel shows them: new
 * threads as cards of their own and replies under their thread, each marked "Pending" (or
 * "Sending…" once the editor is back online), or "Not sent" with the server's reason and a
 * Discard button when the server refused it for good.
 */
import type { User } from '../api.ts';
import type { CommentOutbox, PendingComment, PendingReply, PendingThread } from './comment-outbox.ts';

function Status({ entry, online, outbox }: { entry: PendingComment; online: boolean; outbox: CommentOutbox }) {
  if (entry.failed) {
    return (
      <p class="cm-pending__status cm-pending__status--failed" role="alert">
        Not sent: {entry.failed}{' '}
        <button type="button" class="cm-link" onClick={() => outbox.discard(entry.localId)}>
          Discard
        </button>
      </p>
    );
  }
  return (
    <p class="cm-pending__status" data-testid="comment-pending">
      {online ? 'Sending…' : 'Pending — will be sent when you are back online'}
    </p>
  );
}

function PendingBody({ entry, user }: { entry: PendingComment; user: User }) {
  return (
    <div class="cm-comment__meta">
      <strong>{user.displayName}</strong>{' '}
      <time dateTime={entry.queuedAt}>{new Date(entry.queuedAt).toLocaleTimeString()}</time>
    </div>
  );
}

export function PendingThreads(props: {
  entries: PendingThread[];
  online: boolean;
  outbox: CommentOutbox;
  user: User;
}) {
  return (
    <>
      {props.entries.map((entry) => (
        <li key={entry.localId} class="cm-thread cm-thread--pending" data-testid="comment-thread" data-pending="true">
          <div class="cm-quote">
            <span class="cm-quote__text">{entry.quote || '(no text)'}</span>
          </div>
          <div class="cm-comment" data-testid="comment">
            <PendingBody entry={entry} user={props.user} />
            <p class="cm-comment__body">{entry.body}</p>
          </div>
          <Status entry={entry} online={props.online} outbox={props.outbox} />
        </li>
      ))}
    </>
  );
}

export function PendingReplies(props: { entries: PendingReply[]; online: boolean; outbox: CommentOutbox; user: User }) {
  return (
    <>
      {props.entries.map((entry) => (
        <li key={entry.localId} class="cm-comment cm-comment--pending" data-testid="comment" data-pending="true">
          <PendingBody entry={entry} user={props.user} />
          <p class="cm-comment__body">{entry.body}</p>
          <Status entry={entry} online={props.online} outbox={props.outbox} />
        </li>
      ))}
    </>
  );
}
