/**
 * What the editor page shows of comments: a "Comments" button with the open count, and the side
 * panel, whose code (panel, mention box, API calls) is a chunk of its own fetched once the
 * document has arrived (document-open.ts), so opening a document does not wait for it.
 */
import type { Editor } from '@tiptap/core';
import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { atLeast, type DocumentAccess } from '../../../src/domain/roles.ts';
import type { ApiClient, User } from '../api.ts';
import { afterDocumentOpen } from '../document-open.ts';
import type { CollabSession } from '../editor/collab-session.ts';
import type { CommentsPanelProps } from './comments-panel.tsx';

export type CommentsSlotProps = {
  api: ApiClient;
  user: User;
  documentId: string;
  session: CollabSession;
  editor: Editor | null;
  access: DocumentAccess;
  /** The caller may delete the document, so they moderate its comments too. */
  canDelete: boolean;
};

let panelModule: Promise<ComponentType<CommentsPanelProps>> | undefined;
const loadPanel = () => {
  panelModule ??= afterDocumentOpen()
    .then(() => import('./comments-panel.tsx'))
    .then(
      (m) => m.CommentsPanel,
      (error: unknown) => {
        panelModule = undefined; // a later visit may try again
        throw error;
      },
    );
  return panelModule;
};

export function CommentsSlot(props: CommentsSlotProps) {
  const [Panel, setPanel] = useState<ComponentType<CommentsPanelProps> | null>(null);
  // A link to a thread (`/d/<id>?thread=<threadId>`, from the bell or a digest email) opens it.
  const [linked] = useState(() => new URLSearchParams(location.search).get('thread'));
  const [open, setOpen] = useState(linked !== null);
  const [count, setCount] = useState<number | null>(null);

  useEffect(() => {
    let cancelled = false;
    loadPanel().then(
      (component) => {
        if (!cancelled) setPanel(() => component);
      },
      () => undefined,
    );
    return () => {
      cancelled = true;
    };
  }, []);

  return (
    <>
      <button
        type="button"
        class="ed-btn"
        aria-expanded={open}
        data-testid="comments-toggle"
        onClick={() => setOpen((o) => !o)}
      >
        Comments{count ? ` (${count})` : ''}
      </button>
      {Panel && (
        <Panel
          api={props.api}
          user={props.user}
          documentId={props.documentId}
          session={props.session}
          editor={props.editor}
          canComment={atLeast(props.access, 'commenter')}
          canModerate={props.canDelete}
          open={open}
          linkedThreadId={linked}
          onClose={() => setOpen(false)}
          onCount={setCount}
        />
      )}
    </>
  );
}
