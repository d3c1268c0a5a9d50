/**
 * Home's "Invitations" (docs/spec/auth.md [I6]): invitations addressed to the person's verified
 * email, each with Accept (lands in the document or workspace) and Decline (asked first). Shows
 * nothing while there are none or the email is not verified — the emailed link works either way.
 */
import { useEffect, useState } from 'preact/hooks';
import type { ApiClient } from '../api.ts';
import type { InvitationAccepted } from '../api-types.ts';
import { plainError } from '../form-errors.ts';
import { relativeTime } from '../format.ts';
import { SHARE_ROLE_LABELS, type ShareRole, WORKSPACE_ROLE_LABELS, type WorkspaceRole } from '../model.ts';
import { notify } from '../notify.ts';
import { navigate } from '../router.ts';
import { Dialog } from './dialog.tsx';
import { FormError } from './field.tsx';

type Invitation = {
  id: string;
  kind: 'workspace' | 'document';
  workspaceId: string;
  workspaceName: string;
  documentId: string | null;
  documentTitle: string | null;
  role: string;
  invitedBy: string | null;
  createdAt: string;
};

const roleLabel = (i: Invitation): string =>
  (i.kind === 'document'
    ? SHARE_ROLE_LABELS[i.role as ShareRole]
    : WORKSPACE_ROLE_LABELS[i.role as WorkspaceRole]
  )?.toLowerCase() ?? i.role;

export function PendingInvitations({ api }: { api: ApiClient }) {
  const [items, setItems] = useState<Invitation[]>([]);
  const [declining, setDeclining] = useState<Invitation | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    api
      .request<{ emailVerified: boolean; items: Invitation[] }>('GET', '/me/invitations')
      .then((r) => setItems(r.items))
      .catch(() => undefined); // The rest of home does not depend on it.
  }, [api]);

  const accept = async (i: Invitation) => {
    setError(null);
    try {
      const a = await api.request<InvitationAccepted>('POST', `/me/invitations/${i.id}/accept`);
      if (a.documentId) navigate(`/d/${a.documentId}`);
      // A new workspace: load the app afresh so every list knows it.
      else location.assign(`/w/${a.workspaceId}`);
    } catch (err) {
      setError(plainError(err));
    }
  };

  const decline = async (i: Invitation) => {
    setDeclining(null);
    setError(null);
    try {
      await api.request('POST', `/me/invitations/${i.id}/decline`);
      setItems((prev) => prev.filter((x) => x.id !== i.id));
      notify('Invitation declined.');
    } catch (err) {
      setError(plainError(err));
    }
  };

  if (items.length === 0 && !error) return null;
  return (
    <section class="home-section" aria-labelledby="home-invitations" data-testid="home-invitations">
      <h2 class="subhead" id="home-invitations">
        Invitations
      </h2>
      <FormError message={error} />
      <ul class="people">
        {items.map((i) => (
          <li key={i.id} class="person">
            <span class="person-text">
              <span class="person-name">
                {i.kind === 'document' ? `“${i.documentTitle || 'Untitled'}” in ${i.workspaceName}` : i.workspaceName}
              </span>
              <span class="muted">
                {i.invitedBy ?? 'Someone'} invited you ({roleLabel(i)}) {relativeTime(i.createdAt)}
              </span>
            </span>
            <button type="button" class="button primary" onClick={() => accept(i)}>
              Accept
            </button>
            <button type="button" class="button subtle" onClick={() => setDeclining(i)}>
              Decline
            </button>
          </li>
        ))}
      </ul>
      {declining && (
        <Dialog label="Decline the invitation" onClose={() => setDeclining(null)}>
          <p>
            Decline the invitation to{' '}
            {declining.documentTitle ? `“${declining.documentTitle}”` : declining.workspaceName}? To join later, ask{' '}
            {declining.invitedBy ?? 'them'} to invite you again.
          </p>
          <div class="dialog-actions">
            <button type="button" class="button" onClick={() => setDeclining(null)}>
              Cancel
            </button>
            <button type="button" class="button primary" onClick={() => decline(declining)}>
              Decline
            </button>
          </div>
        </Dialog>
      )}
    </section>
  );
}
