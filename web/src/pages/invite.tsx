/**
 * The page an invitation or invite link opens (`/invite#token=…`). Signed out: what the link
 * offers (who invited you where) and the sign-up form with the invited email, or log-in; signed
 * in: the invitation is accepted and you land in the document or workspace. Links that no longer
 * work (expired, withdrawn, used up) say so in plain words.
 */
import { useEffect, useState } from 'preact/hooks';
import type { ApiClient, User } from '../api.ts';
import type { InvitationAccepted, InvitationPreview } from '../api-types.ts';
import { plainError } from '../form-errors.ts';
import { forgetLinkToken, takeLinkToken } from '../link-token.ts';
import { SHARE_ROLE_LABELS, type ShareRole, WORKSPACE_ROLE_LABELS, type WorkspaceRole } from '../model.ts';
import { navigate, onLinkClick } from '../router.ts';
import { AuthPage } from './auth.tsx';

const INVITE_TOKEN_KEY = 'collab-docs.invite-token';

function describe(p: InvitationPreview): string {
  const by = p.invitedBy ? `${p.invitedBy} invited you` : 'You are invited';
  if (p.kind === 'document') {
    const role = SHARE_ROLE_LABELS[p.role as ShareRole]?.toLowerCase() ?? 'can view';
    return `${by} to the document “${p.documentTitle ?? ''}” (${role}).`;
  }
  const role = WORKSPACE_ROLE_LABELS[p.role as WorkspaceRole]?.toLowerCase() ?? p.role;
  return `${by} to join the workspace “${p.workspaceName}” as ${role}.`;
}

export function InvitePage({ api, user }: { api: ApiClient; user: User | null }) {
  const [token] = useState(() => takeLinkToken(INVITE_TOKEN_KEY));
  const [preview, setPreview] = useState<InvitationPreview | null>(null);
  const [problem, setProblem] = useState<string | null>(
    token ? null : 'This page needs the link from your invitation.',
  );
  const [mode, setMode] = useState<'signup' | 'login'>('signup');

  useEffect(() => {
    document.title = 'Invitation — Collab Docs';
  }, []);

  // Signed out: say what the link offers before asking anyone to sign up.
  useEffect(() => {
    if (!token || user) return;
    api
      .request<InvitationPreview>('POST', '/invitations/preview', { token }, false)
      .then((p) => {
        setPreview(p);
        // Accepted already (a share to an account): its invitee has an account and logs in.
        if (p.accepted) setMode('login');
      })
      .catch((err) => setProblem(plainError(err)));
  }, [api, token, user]);

  // Signed in (already, or just now from the form below): accept and land where it leads.
  useEffect(() => {
    if (!token || !user) return;
    api
      .request<InvitationAccepted>('POST', '/invitations/accept', { token })
      .then((a) => {
        forgetLinkToken(INVITE_TOKEN_KEY);
        navigate(a.documentId ? `/d/${a.documentId}` : `/w/${a.workspaceId}`, { replace: true });
      })
      .catch((err) => setProblem(plainError(err)));
  }, [api, token, user]);

  if (problem) {
    return (
      <main class="auth" id="main">
        <div class="auth-card">
          <h1>This invitation cannot be used</h1>
          <p class="form-error" role="alert">
            {problem}
          </p>
          <p class="auth-switch">
            <a href="/" onClick={onLinkClick}>
              Go to Collab Docs
            </a>
          </p>
        </div>
      </main>
    );
  }
  if (user || !preview) {
    return (
      <main class="page" id="main">
        <p class="muted loading" role="status">
          Opening your invitation…
        </p>
      </main>
    );
  }
  return (
    <AuthPage
      api={api}
      mode={mode}
      initialEmail={preview.email ?? undefined}
      onSwitch={setMode}
      // The effect above accepts as soon as the session exists.
      onDone={() => undefined}
      intro={
        <p class="invite-intro" data-testid="invitation-summary">
          {describe(preview)}{' '}
          {preview.email
            ? mode === 'signup'
              ? `Create your account with ${preview.email} to accept.`
              : `Log in as ${preview.email} to accept.`
            : 'Sign up or log in to join.'}
        </p>
      }
    />
  );
}
