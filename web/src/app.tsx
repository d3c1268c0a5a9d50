/**
 * The app shell: the session gate (log-in screens for visitors, the app for users), the header
 * (workspace switcher, sections, log out) and the screen for the current route.
 */
import { useEffect, useState } from 'preact/hooks';
import type { ApiClient, User } from './api.ts';
import { NotificationBellSlot } from './comments/notification-bell-slot.tsx';
import { isQuickSwitcherShortcut } from './components/quick-switcher-shortcut.ts';
import { WorkspaceSwitcher } from './components/workspace-switcher.tsx';
import { initials } from './initials.ts';
import { lazy } from './lazy.tsx';
import type { Workspace } from './model.ts';
import { useNotice } from './notify.ts';
import { AuthPage, nextPath } from './pages/auth.tsx';
import { EditorRoute } from './pages/editor-route.tsx';
import { navigate, onLinkClick, type Route, useRoute } from './router.ts';
import { useWorkspaces, type WorkspacesState } from './workspaces.ts';

// Every screen but log-in and the editor's route is its own chunk, fetched when first shown: the
// entry script stays the shell (bench:web's "initial JS"). The editor route loads its own bundle.
const ForgotPasswordPage = lazy(() => import('./pages/account-recovery.tsx'), 'ForgotPasswordPage');
const ResetPasswordPage = lazy(() => import('./pages/account-recovery.tsx'), 'ResetPasswordPage');
const ConfirmEmailPage = lazy(() => import('./pages/account-security.tsx'), 'ConfirmEmailPage');
const DocumentsPage = lazy(() => import('./pages/documents.tsx'), 'DocumentsPage');
const HomePage = lazy(() => import('./pages/home.tsx'), 'HomePage');
const InvitePage = lazy(() => import('./pages/invite.tsx'), 'InvitePage');
const MembersPage = lazy(() => import('./pages/members.tsx'), 'MembersPage');
const SettingsPage = lazy(() => import('./pages/settings.tsx'), 'SettingsPage');
const TrashPage = lazy(() => import('./pages/trash.tsx'), 'TrashPage');
const NewWorkspaceDialog = lazy(() => import('./components/new-workspace-dialog.tsx'), 'NewWorkspaceDialog', {
  placeholder: 'none',
});
const QuickSwitcher = lazy(() => import('./components/quick-switcher.tsx'), 'QuickSwitcher', { placeholder: 'none' });

export function App({ api }: { api: ApiClient }) {
  const [user, setUser] = useState<User | null>(api.user);
  const route = useRoute();
  const workspaces = useWorkspaces(api, user);
  const isPublic = route.name === 'login' || route.name === 'signup';
  // Pages for signed-out and signed-in people alike: account recovery and invitation links.
  const isOpen =
    route.name === 'forgot-password' ||
    route.name === 'reset-password' ||
    route.name === 'confirm-email' ||
    route.name === 'invite';

  useEffect(() => api.onUserChange(setUser), [api]);

  // The gate: visitors go to log in (and come back afterwards); users skip the log-in screens.
  useEffect(() => {
    if (isOpen) return;
    if (!user && !isPublic) {
      const here = location.pathname + location.search;
      navigate(here === '/' ? '/login' : `/login?next=${encodeURIComponent(here)}`, { replace: true });
    } else if (user && isPublic) {
      navigate(nextPath(location.search), { replace: true });
    }
  }, [user, isPublic, isOpen]);

  if (isOpen) {
    return (
      <>
        {route.name === 'invite' ? (
          <InvitePage api={api} user={user} />
        ) : route.name === 'reset-password' ? (
          <ResetPasswordPage api={api} />
        ) : route.name === 'confirm-email' ? (
          <ConfirmEmailPage api={api} />
        ) : (
          <ForgotPasswordPage api={api} />
        )}
        <StatusRegion />
      </>
    );
  }
  if (!user || isPublic) {
    return (
      <>
        {route.name === 'signup' ? <AuthPage api={api} mode="signup" /> : <AuthPage api={api} mode="login" />}
        <StatusRegion />
      </>
    );
  }
  return <SignedIn api={api} user={user} route={route} workspaces={workspaces} />;
}

type SignedInProps = { api: ApiClient; user: User; route: Route; workspaces: WorkspacesState };

function SignedIn({ api, user, route, workspaces }: SignedInProps) {
  const [documentWorkspace, setDocumentWorkspace] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [switching, setSwitching] = useState(false);
  const list = workspaces.workspaces;

  // Ctrl/Cmd+K anywhere (even inside the editor) opens the quick switcher.
  useEffect(() => {
    const onKeyDown = (e: KeyboardEvent) => {
      if (!isQuickSwitcherShortcut(e)) return;
      e.preventDefault();
      setSwitching(true);
    };
    document.addEventListener('keydown', onKeyDown, true);
    return () => document.removeEventListener('keydown', onKeyDown, true);
  }, []);
  const currentId =
    route.name === 'documents' || route.name === 'members'
      ? route.workspaceId
      : route.name === 'editor'
        ? documentWorkspace
        : null;
  const current = list?.find((w) => w.id === currentId);

  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="app-header">
        <a class="brand" href="/" onClick={onLinkClick}>
          <span class="brand-mark" aria-hidden="true">
            ◆
          </span>
          <span class="brand-name">Collab Docs</span>
        </a>
        <div class="header-workspace">
          <WorkspaceSwitcher workspaces={list ?? []} currentId={currentId} />
          <button type="button" class="button subtle new-workspace" onClick={() => setCreating(true)}>
            <span aria-hidden="true" class="plus">
              +
            </span>
            <span class="collapse-label">New workspace</span>
          </button>
        </div>
        <nav class="sections" aria-label="Sections">
          <a href="/" onClick={onLinkClick} aria-current={route.name === 'home' ? 'page' : undefined}>
            Home
          </a>
          {/* Only workspaces the person belongs to: a document shared with them alone links nowhere it cannot open. */}
          {current && (
            <a
              href={`/w/${current.id}`}
              onClick={onLinkClick}
              aria-current={route.name === 'documents' ? 'page' : undefined}
            >
              Documents
            </a>
          )}
          {/* Guests may not list members; the API would only refuse. */}
          {current && current.role !== 'guest' && (
            <a
              href={`/w/${current.id}/members`}
              onClick={onLinkClick}
              aria-current={route.name === 'members' ? 'page' : undefined}
            >
              Members
            </a>
          )}
          <a href="/trash" onClick={onLinkClick} aria-current={route.name === 'trash' ? 'page' : undefined}>
            Trash
          </a>
        </nav>
        <button
          type="button"
          class="button subtle quick-switcher-open"
          aria-keyshortcuts="Control+K Meta+K"
          aria-label="Go to a document"
          onClick={() => setSwitching(true)}
        >
          <span class="collapse-label">Go to…</span>
          <kbd>Ctrl K</kbd>
        </button>
        <div class="header-user">
          <NotificationBellSlot api={api} />
          <span class="avatar small" aria-hidden="true" title={user.email}>
            {initials(user.displayName)}
          </span>
          <a class="user-name" href="/settings" onClick={onLinkClick} title="Account settings">
            {user.displayName}
          </a>
          <button
            type="button"
            class="button subtle"
            onClick={() => {
              void api.logOut();
              navigate('/login', { replace: true });
            }}
          >
            Log out
          </button>
        </div>
      </header>
      <Screen
        api={api}
        user={user}
        route={route}
        workspaces={workspaces}
        current={current}
        onDocumentWorkspace={setDocumentWorkspace}
        onNewWorkspace={() => setCreating(true)}
      />
      {creating && (
        <NewWorkspaceDialog
          onCreate={workspaces.create}
          onClose={() => setCreating(false)}
          onCreated={(w) => {
            setCreating(false);
            navigate(`/w/${w.id}`);
          }}
        />
      )}
      {switching && (
        <QuickSwitcher
          api={api}
          workspaceNames={new Map((list ?? []).map((w) => [w.id, w.name]))}
          onClose={() => setSwitching(false)}
        />
      )}
      <StatusRegion />
    </>
  );
}

type ScreenProps = {
  api: ApiClient;
  user: User;
  route: Route;
  workspaces: WorkspacesState;
  current: Workspace | undefined;
  onDocumentWorkspace: (id: string | null) => void;
  onNewWorkspace: () => void;
};

function Screen({ api, user, route, workspaces, current, onDocumentWorkspace, onNewWorkspace }: ScreenProps) {
  switch (route.name) {
    case 'documents':
      return <DocumentsPage api={api} user={user} workspaceId={route.workspaceId} workspace={current} />;
    case 'members':
      return (
        <MembersPage
          api={api}
          user={user}
          workspaceId={route.workspaceId}
          workspace={current}
          onMembershipChanged={() => void workspaces.reload().catch(() => undefined)}
        />
      );
    case 'editor':
      return (
        <EditorRoute
          api={api}
          user={user}
          documentId={route.documentId}
          workspaces={workspaces.workspaces}
          onWorkspace={onDocumentWorkspace}
        />
      );
    case 'home':
      return (
        <HomePage
          api={api}
          workspaces={workspaces.workspaces}
          workspacesError={workspaces.error}
          onNewWorkspace={onNewWorkspace}
        />
      );
    case 'trash':
      return <TrashPage api={api} />;
    case 'settings':
      return <SettingsPage api={api} user={user} />;
    default:
      return (
        <main class="page" id="main">
          <div class="empty">
            <h1 class="empty-title">Page not found</h1>
            <p class="muted">The address may be mistyped, or the page has moved.</p>
            <p>
              <a href="/" onClick={onLinkClick}>
                Go to your documents
              </a>
            </p>
          </div>
        </main>
      );
  }
}

/** The one aria-live region for app-wide notices; also shown as a toast. */
function StatusRegion() {
  const notice = useNotice();
  return (
    <div class="toast-region" role="status" aria-live="polite">
      {notice && (
        <p key={notice.id} class={`toast ${notice.tone}`}>
          {notice.text}
        </p>
      )}
    </div>
  );
}
