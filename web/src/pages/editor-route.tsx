/**
 * `/d/:documentId`: loads the editor bundle on demand (TipTap and Yjs stay out of the list
 * screens' JavaScript), and gives it the shell's share dialog when the user may share.
 */
import { useEffect, useState } from 'preact/hooks';
import type { ApiClient, User } from '../api.ts';
import { dialEarlySyncSocket } from '../early-sync-socket.ts';
import { lazy } from '../lazy.tsx';
import { listLocalDatabasesEarly } from '../local-databases.ts';
import { canManageShares, type DocumentInfo, type Workspace } from '../model.ts';
import { notify } from '../notify.ts';
import { matchRoute, navigate } from '../router.ts';

const ShareDialog = lazy(() => import('../components/share-dialog.tsx'), 'ShareDialog', { placeholder: 'none' });

type EditorModule = typeof import('../editor/editor-page.tsx');

let editorModule: Promise<EditorModule> | null = null;
/** Starts (once) loading the editor bundle; also used to prefetch it before a click. */
export function loadEditor(): Promise<EditorModule> {
  if (!editorModule) {
    editorModule = import('../editor/editor-page.tsx').catch((err) => {
      editorModule = null;
      throw err;
    });
    // TipTap's chunks too, at the same time: the page would ask for them only once its own chunk
    // has been fetched and evaluated, a round trip and a parse later (bench:web's phases). The page
    // imports the same module and reports a failure itself.
    import('../editor/create-editor.ts').catch(() => undefined);
  }
  return editorModule;
}

/**
 * A cold open of a document (`/d/:id` with a signed-in person): the editor's code, the document's
 * socket (early-sync-socket.ts) and its session (on-device copy, connection, first sync) at once,
 * before the page's chunk arrives; the page takes that session (editor/session-prestart.ts).
 */
export function preopenDocument(api: ApiClient, pathname: string): void {
  const route = matchRoute(pathname);
  if (route.name !== 'editor') return;
  void loadEditor().catch(() => undefined);
  const user = api.user;
  if (!user) return;
  listLocalDatabasesEarly();
  dialEarlySyncSocket(user.id, route.documentId, api.accessToken());
  prestarted = import('../editor/session-prestart.ts').then(
    (m) => m.prestartSession(api, user, route.documentId),
    () => undefined, // the page opens its own session (and reports a chunk that cannot load)
  );
}

/**
 * Settles once the entry's session (if any) has started. The page is shown only after that, so it
 * always finds the session rather than racing it; this costs no wait, as the page's own chunks
 * include the session's.
 */
let prestarted: Promise<void> = Promise.resolve();

type Props = {
  api: ApiClient;
  user: User;
  documentId: string;
  workspaces: Workspace[] | null;
  /** Tells the header which workspace this document belongs to. */
  onWorkspace: (workspaceId: string | null) => void;
};

export function EditorRoute({ api, user, documentId, workspaces, onWorkspace }: Props) {
  const [mod, setMod] = useState<EditorModule | null>(null);
  const [failed, setFailed] = useState(false);
  const [doc, setDoc] = useState<DocumentInfo | null>(null);
  const [sharing, setSharing] = useState(false);
  const [title, setTitle] = useState<string | null>(null);
  /** Bumped by a restore from the trash: the editor opens the document afresh. */
  const [opening, setOpening] = useState(0);

  useEffect(() => {
    Promise.all([loadEditor(), prestarted]).then(
      ([m]) => setMod(m),
      () => setFailed(true),
    );
  }, []);

  useEffect(() => {
    let cancelled = false;
    setDoc(null);
    setSharing(false);
    setTitle(null);
    document.title = 'Document — Collab Docs';
    api
      .request<DocumentInfo>('GET', `/documents/${documentId}`)
      .then((d) => {
        if (cancelled) return;
        setDoc(d);
        onWorkspace(d.workspaceId);
      })
      // The editor page explains a missing or forbidden document itself; the shell only loses "Share".
      .catch(() => undefined);
    return () => {
      cancelled = true;
      onWorkspace(null);
    };
  }, [api, documentId, opening]);

  const role = workspaces?.find((w) => w.id === doc?.workspaceId)?.role;
  const mayShare = doc !== null && doc.trashedAt === null && canManageShares(doc, user.id, role);
  // Back to the workspace only for its members; a person with a share alone goes Home (no dead end).
  const back = doc && role ? { path: `/w/${doc.workspaceId}`, label: 'Documents' } : { path: '/', label: 'Home' };

  if (failed) {
    return (
      <main class="page" id="main">
        <div class="empty" role="alert">
          <p class="empty-title">The editor could not be loaded.</p>
          <p class="muted">Check your connection, then reload the page.</p>
          <p>
            <button type="button" class="button primary" onClick={() => location.reload()}>
              Reload
            </button>
          </p>
        </div>
      </main>
    );
  }
  if (!mod) {
    return (
      <main class="page" id="main">
        <p class="muted loading" role="status">
          Opening the document…
        </p>
      </main>
    );
  }
  const { EditorPage } = mod;
  return (
    <main class="editor-main" id="main">
      <EditorPage
        key={`${documentId}:${opening}`}
        api={api}
        user={user}
        documentId={documentId}
        onClose={() => navigate(back.path)}
        backLabel={back.label}
        onRestored={() => {
          notify('The document was restored.');
          setOpening((n) => n + 1);
        }}
        onShare={mayShare ? () => setSharing(true) : undefined}
        onTitleChange={(next) => {
          setTitle(next);
          document.title = `${next.trim() || 'Untitled'} — Collab Docs`;
        }}
      />
      {sharing && doc && (
        <ShareDialog
          api={api}
          documentId={doc.id}
          documentTitle={title ?? doc.title}
          onClose={() => setSharing(false)}
        />
      )}
    </main>
  );
}
