/// <reference types="vite/client" />
/**
 * The collaborative editor page (lazy-loaded by the shell): title, toolbar, save status, presence
 * and the TipTap editor bound to the shared Y.Doc. The Editor and the sync session live outside
 * Preact's render cycle (created once per document in an effect); status and presence components
 * subscribe to them directly, so typing never re-renders this page.
 */
import type { Editor } from '@tiptap/core';
import type { JSX } from 'preact';
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { CloseInfo, SyncStatus } from '../../../src/client/sync-client.ts';
import { CloseCode } from '../../../src/sync/close-codes.ts';
import type { Access, AccessChanged, RoomStatus } from '../../../src/sync/protocol.ts';
import { type ApiClient, ApiError, type User } from '../api.ts';
import type { DocumentInfo } from '../api-types.ts';
import { CommentsSlot } from '../comments/comments-slot.tsx';
import { documentOpened } from '../document-open.ts';
import { accessChangedMessage, closedMessage, documentAccessCanEdit, TRASHED_MESSAGE } from './access-messages.ts';
import type { CollabSession } from './collab-session.ts';
import { ExportMenu } from './export-menu.tsx';
import { FindSlot } from './find/find-slot.tsx';
import { focusBodyStart } from './focus-body.ts';
import { HistoryButton } from './history-button.tsx';
import { OutlineSlot } from './outline/outline-slot.tsx';
import { PresenceList } from './presence-list.tsx';
import { openSession, takeSession } from './session-prestart.ts';
import { SyncStatusIndicator } from './sync-status.tsx';
import { hasChangesToSave } from './sync-status-text.ts';
import { TitleField } from './title-field.tsx';
import { Toolbar } from './toolbar.tsx';
import { colorForUserId } from './user-color.ts';
import './editor.css';

// Load breakdown for the benchmark: the page's own chunk (session, sync, UI) has been evaluated.
performance.mark('collab-docs:editor-module-ready');

type EditorKit = typeof import('./create-editor.ts');
let editorKit: Promise<EditorKit> | undefined;
/**
 * TipTap and ProseMirror are most of the editor's JavaScript: they are fetched and evaluated in
 * their own chunk while the session already loads the on-device copy and connects.
 */
function loadEditorKit(): Promise<EditorKit> {
  editorKit ??= import('./create-editor.ts').catch((error: unknown) => {
    editorKit = undefined; // a later visit may try again
    throw error;
  });
  return editorKit;
}
// This module is imported to open a document: start on the editor at once.
loadEditorKit().catch(() => undefined); // reported by the page that waits for it

export type EditorPageProps = {
  api: ApiClient;
  user: User;
  documentId: string;
  /** Back to where the person came from: their workspace's list, or Home. */
  onClose: () => void;
  /** What the back button says ("Documents" or "Home"). */
  backLabel?: string;
  /** After a restore from the trash: open the document afresh. */
  onRestored?: () => void;
  /** Opens the shell's share dialog; absent if the user may not share. */
  onShare?: () => void;
  /** Lets the shell update document.title. */
  onTitleChange?: (title: string) => void;
};

type DocumentMeta = Pick<DocumentInfo, 'id' | 'title' | 'access' | 'trashedAt' | 'canDelete' | 'canBrowse'>;
type Banner = { text: string; tone: 'info' | 'warning' };

export function EditorPage({
  api,
  user,
  documentId,
  onClose,
  backLabel = 'Documents',
  onRestored,
  onShare,
  onTitleChange,
}: EditorPageProps): JSX.Element {
  const host = useRef<HTMLDivElement>(null);
  const linkOpener = useRef<(() => void) | undefined>(undefined);
  const titleChange = useRef(onTitleChange);
  titleChange.current = onTitleChange;
  const [session, setSession] = useState<CollabSession | null>(null);
  const [editor, setEditor] = useState<Editor | null>(null);
  const [meta, setMeta] = useState<DocumentMeta | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [syncAccess, setSyncAccess] = useState<Access | undefined>(undefined);
  const [banner, setBanner] = useState<Banner | null>(null);
  const [closed, setClosed] = useState<CloseInfo | null>(null);
  /** Joined a crowded room as a newcomer: read-only whatever the role says. */
  const [crowded, setCrowded] = useState<boolean | 'waiting'>(false);
  const [editorFailed, setEditorFailed] = useState(false);
  const [restoring, setRestoring] = useState(false);
  const [restoreError, setRestoreError] = useState<string | null>(null);

  // The session and the editor: once per document, torn down on leave. A layout effect, and the
  // session started before the editor is built, so loading the on-device copy and connecting
  // overlap with building the editor instead of waiting for a paint.
  useLayoutEffect(() => {
    const element = host.current;
    if (!element) return;
    performance.mark('collab-docs:editor-page-mounted');
    // What the previous session said is no longer true (set before this one can say anything).
    setSyncAccess(undefined);
    setBanner(null);
    setClosed(null);
    setCrowded(false);
    setEditorFailed(false);
    const presenceUser = { id: user.id, name: user.displayName, color: colorForUserId(user.id) };
    // Started by the entry on a cold open of this document, or now.
    const s = takeSession(user, documentId) ?? openSession(api, user, documentId);
    const onRoomStatus = (room: RoomStatus) => {
      setSyncAccess(room.access);
      setCrowded(room.waiting ? 'waiting' : room.mode === 'view-only' && room.access === 'read');
    };
    const onAccessChanged = (change: AccessChanged) => {
      setSyncAccess(change.access);
      setBanner({ text: accessChangedMessage(change.access), tone: change.access === 'read' ? 'warning' : 'info' });
    };
    const onClosed = (close: CloseInfo) => {
      setClosed(close);
      const text = closedMessage(close);
      if (text) setBanner({ text, tone: 'warning' });
    };
    s.on('room-status', onRoomStatus);
    s.on('access-changed', onAccessChanged);
    s.on('closed', onClosed);
    // What a prestarted session heard before this page listened.
    if (s.roomStatus) onRoomStatus(s.roomStatus);
    if (s.accessChange) onAccessChanged(s.accessChange);
    if (s.closedWith) onClosed(s.closedWith);
    // The bell's and the comments' code waits until the document is on screen: synced (or closed)
    // and the editor built and painted once. A cold open's socket often syncs before the editor's
    // code has even been evaluated (early-sync-socket.ts); compiling theirs then would delay it.
    let arrived = false;
    let shown = false;
    const opened = () => {
      if (arrived && shown) documentOpened();
    };
    const onStatus = (status: SyncStatus) => {
      if (!status.synced && !status.closed) return;
      arrived = true;
      opened();
    };
    s.on('status', onStatus);
    onStatus(s.status);
    s.start();
    let ed: Editor | undefined;
    let cancelled = false;
    loadEditorKit().then(
      (kit) => {
        if (cancelled) return;
        performance.mark('collab-docs:editor-kit-resolved');
        // Editable from the start when the access is known by now (a cold open's socket usually has
        // it): setting it afterwards redraws the document and forces a layout of all of it.
        const editableNow = editableRef.current;
        ed = kit.createCollabEditor({
          element,
          doc: s.doc,
          awareness: s.awareness,
          user: presenceUser,
          editable: editableNow,
          onLinkShortcut: () => linkOpener.current?.(),
          images: { api, documentId },
        });
        performance.mark('collab-docs:editor-created');
        if (editableNow) performance.mark('collab-docs:editable');
        setEditor(ed);
        requestAnimationFrame(() =>
          setTimeout(() => {
            shown = true;
            opened();
          }),
        );
      },
      () => {
        documentOpened();
        if (!cancelled) setEditorFailed(true);
      },
    );
    const onBeforeUnload = (event: BeforeUnloadEvent) => {
      // Changes refused for lack of access never save: asking would only hold the person here.
      if (!hasChangesToSave(s.status)) return;
      event.preventDefault();
      event.returnValue = ''; // older browsers need a value to ask
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    setSession(s);
    return () => {
      cancelled = true;
      window.removeEventListener('beforeunload', onBeforeUnload);
      setEditor(null);
      setSession(null);
      ed?.destroy(); // before the session lets go of the doc it is bound to
      s.leave();
    };
  }, [api, user.id, user.displayName, documentId]);

  // The document's title and this person's role, in parallel with the sync connection.
  useEffect(() => {
    let cancelled = false;
    setMeta(null);
    setLoadError(null);
    api.request<DocumentMeta>('GET', `/documents/${encodeURIComponent(documentId)}`).then(
      (doc) => {
        if (cancelled) return;
        performance.mark('collab-docs:document-loaded');
        setMeta(doc);
        titleChange.current?.(doc.title);
      },
      (err: unknown) => {
        if (cancelled) return;
        setLoadError(
          err instanceof ApiError && err.status === 404
            ? 'This document does not exist, or it is not shared with you.'
            : err instanceof ApiError
              ? err.message
              : 'The document could not be opened.',
        );
      },
    );
    return () => {
      cancelled = true;
    };
  }, [api, documentId]);

  // The server's word on this connection wins; the API's role covers the time before it spoke (or offline).
  const editable =
    closed === null &&
    !meta?.trashedAt &&
    (syncAccess === 'edit' || (syncAccess === undefined && documentAccessCanEdit(meta?.access)));
  const editableRef = useRef(editable);
  editableRef.current = editable;

  // Layout effect: the page never paints a banner saying "read-only" over a still-editable editor.
  useLayoutEffect(() => {
    if (!editor || editor.isEditable === editable) return;
    editor.setEditable(editable, false);
    if (editable) performance.mark('collab-docs:editable');
  }, [editor, editable]);

  const registerLinkOpener = useCallback((open: (() => void) | undefined) => {
    linkOpener.current = open;
  }, []);

  const readOnlyNote =
    !editable && !closed && (meta || syncAccess)
      ? crowded
        ? crowded === 'waiting'
          ? 'View only for now: this document is crowded. You are on the wait list and can edit as soon as a seat frees up.'
          : 'View only for now: this document is crowded, so newcomers can read but not edit.'
        : 'You can view this document but not edit it.'
      : null;

  // In the trash: said by the API at open, or by the server when someone deletes it meanwhile.
  const trashed = closed?.code === CloseCode.IN_TRASH || Boolean(meta?.trashedAt);
  const restore = async () => {
    setRestoring(true);
    setRestoreError(null);
    try {
      await api.request('POST', `/trash/${encodeURIComponent(documentId)}/restore`);
      onRestored?.();
    } catch (err) {
      setRestoreError(err instanceof ApiError ? err.message : 'The document could not be restored.');
      setRestoring(false);
    }
  };

  // A missing document: the API and the sync server both say so; one banner is enough.
  const closeRepeatsLoadError =
    loadError !== null && (closed?.code === CloseCode.NOT_FOUND || closed?.code === CloseCode.FORBIDDEN);

  return (
    <div class="ed-page">
      <div class="ed-head">
        <button type="button" class="ed-back" onClick={onClose}>
          <span aria-hidden="true">←</span> {backLabel}
        </button>
        <TitleField
          api={api}
          documentId={documentId}
          title={meta?.title ?? ''}
          canEdit={editable && meta !== null}
          onSaved={(title) => titleChange.current?.(title)}
          onEnter={() => editor && focusBodyStart(editor)}
        />
        <div class="ed-head__side">
          {!closed && <OutlineSlot editor={editor} />}
          {session && meta && !closed && !meta.trashedAt && meta.canBrowse !== false && (
            <CommentsSlot
              api={api}
              user={user}
              documentId={documentId}
              session={session}
              editor={editor}
              access={meta.access}
              canDelete={meta.canDelete}
            />
          )}
          {!closed && <ExportMenu api={api} documentId={documentId} />}
          {!closed && meta?.canBrowse !== false && (
            <HistoryButton api={api} documentId={documentId} canEdit={editable} />
          )}
          {onShare && !closed && (
            <button type="button" class="ed-btn ed-btn--primary" onClick={onShare}>
              Share
            </button>
          )}
        </div>
      </div>
      {session && <PresenceList session={session} selfUserId={user.id} />}
      {editorFailed && (
        <div class="ed-banner ed-banner--warning" role="alert">
          <p>The editor could not be loaded. Check your connection, then reload the page.</p>
          <button type="button" class="ed-btn" onClick={() => location.reload()}>
            Reload
          </button>
        </div>
      )}
      {loadError && (
        <div class="ed-banner ed-banner--warning" role="alert">
          <p>{loadError}</p>
          <button type="button" class="ed-btn" onClick={onClose}>
            Back
          </button>
        </div>
      )}
      {trashed && (
        <div class="ed-banner ed-banner--warning" data-testid="trash-banner" role="alert">
          <p>
            {TRASHED_MESSAGE}
            {meta && !meta.canDelete ? ' Ask the person who deleted it, or a workspace admin, to restore it.' : ''}
            {restoreError ? ` ${restoreError}` : ''}
          </p>
          {meta?.canDelete ? (
            <button type="button" class="ed-btn ed-btn--primary" disabled={restoring} onClick={restore}>
              Restore
            </button>
          ) : (
            <button type="button" class="ed-btn" onClick={onClose}>
              Back
            </button>
          )}
        </div>
      )}
      {banner && !closeRepeatsLoadError && !trashed && (
        <div class={`ed-banner ed-banner--${banner.tone}`} data-testid="access-banner" role="alert">
          <p>{banner.text}</p>
          {closed?.code === CloseCode.UNAUTHORIZED ? (
            <button type="button" class="ed-btn" onClick={() => location.assign('/login')}>
              Log in
            </button>
          ) : closed ? (
            <button type="button" class="ed-btn" onClick={onClose}>
              Back
            </button>
          ) : (
            <button type="button" class="ed-btn" aria-label="Dismiss" onClick={() => setBanner(null)}>
              OK
            </button>
          )}
        </div>
      )}
      {readOnlyNote && <p class="ed-readonly-note">{readOnlyNote}</p>}
      <div class="ed-sticky">
        {editor && editable && <Toolbar editor={editor} editable={editable} registerLinkOpener={registerLinkOpener} />}
        {session && <SyncStatusIndicator session={session} />}
        <FindSlot editor={editor} editable={editable} />
      </div>
      <div class={loadError ? 'ed-surface ed-surface--hidden' : 'ed-surface'} ref={host} />
    </div>
  );
}
