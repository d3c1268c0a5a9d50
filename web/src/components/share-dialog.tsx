/**
 * "Share": who has access to one document, add anyone by email with a role (an account gets
 * access at once, an email without one an invitation to sign up), change or remove a role, and
 * the pending invitations. The API has the last word; its refusals are shown in plain words.
 */
import { useEffect, useState } from 'preact/hooks';
import type { ApiClient } from '../api.ts';
import type { InvitationSent } from '../api-types.ts';
import { plainError } from '../form-errors.ts';
import { initials } from '../initials.ts';
import { type Items, SHARE_ROLE_LABELS, type Share, type ShareRole } from '../model.ts';
import { notify } from '../notify.ts';
import { AddByEmail } from './add-by-email.tsx';
import { CopyableLink } from './copyable-link.tsx';
import { Dialog } from './dialog.tsx';
import { GeneralAccessControl } from './general-access.tsx';
import { InvitationList } from './invitation-list.tsx';
import { OwnershipTransfer } from './ownership-transfer.tsx';

const ROLES = Object.keys(SHARE_ROLE_LABELS) as ShareRole[];

type Props = { api: ApiClient; documentId: string; documentTitle?: string; onClose: () => void };

export function ShareDialog({ api, documentId, documentTitle, onClose }: Props) {
  const [shares, setShares] = useState<Share[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const [sent, setSent] = useState<InvitationSent | null>(null);
  const [invitations, setInvitations] = useState(0);
  const base = `/documents/${documentId}/shares`;

  const loadShares = () =>
    api
      .request<Items<Share>>('GET', base)
      .then((r) => setShares(r.items))
      .catch((err) => setLoadError(plainError(err)));
  useEffect(() => {
    void loadShares();
  }, [api, base]);

  const add = async (email: string, role: ShareRole) => {
    const s = await api.request<InvitationSent>('POST', base, { email, role });
    setSent(s);
    setInvitations((v) => v + 1);
    await loadShares();
    notify(`Shared with ${s.email} (${SHARE_ROLE_LABELS[role].toLowerCase()}). They get an email.`);
  };

  const change = async (s: Share, next: ShareRole) => {
    setError(null);
    try {
      const updated = await api.request<Share>('PUT', `${base}/${s.userId}`, { role: next });
      setShares((prev) => (prev ?? []).map((x) => (x.userId === s.userId ? updated : x)));
      notify(`${s.displayName}: ${SHARE_ROLE_LABELS[next].toLowerCase()}.`);
    } catch (err) {
      setError(plainError(err));
      // Put the select back to what the server still has.
      setShares((prev) => (prev ? [...prev] : prev));
    }
  };

  const remove = async (s: Share) => {
    setError(null);
    try {
      await api.request('DELETE', `${base}/${s.userId}`);
      setShares((prev) => (prev ?? []).filter((x) => x.userId !== s.userId));
      notify(`${s.displayName} no longer has access.`);
    } catch (err) {
      setError(plainError(err));
    }
  };

  const copyLink = async () => {
    try {
      await navigator.clipboard.writeText(`${location.origin}/d/${documentId}`);
      setCopied(true);
      setTimeout(() => setCopied(false), 2_000);
    } catch {
      setError('Could not copy the link. Copy it from the address bar instead.');
    }
  };

  return (
    <Dialog label="Share" title={documentTitle ? `Share “${documentTitle}”` : 'Share'} onClose={onClose} class="share">
      <AddByEmail
        class="share-add"
        roles={ROLES}
        roleLabels={SHARE_ROLE_LABELS}
        initialRole="editor"
        action="Add"
        onAdd={add}
        onFormError={setError}
      />
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      {sent?.link && <CopyableLink label={`Link for ${sent.email} (no mail server: pass it on)`} url={sent.link} />}
      <h3 class="subhead">People with access</h3>
      {loadError && (
        <p class="form-error" role="alert">
          {loadError}
        </p>
      )}
      {shares === null && !loadError && <p class="muted">Loading…</p>}
      {shares?.length === 0 && <p class="muted">Not shared with anyone yet.</p>}
      {shares && shares.length > 0 && (
        <ul class="people" data-testid="share-list">
          {shares.map((s) => (
            <li key={s.userId} class="person">
              <span class="avatar" aria-hidden="true">
                {initials(s.displayName)}
              </span>
              <span class="person-text">
                <span class="person-name">{s.displayName}</span>
                <span class="person-email">{s.email}</span>
              </span>
              <select
                aria-label={`Permission for ${s.displayName}`}
                value={s.role}
                onChange={(e) => change(s, e.currentTarget.value as ShareRole)}
              >
                {ROLES.map((r) => (
                  <option key={r} value={r}>
                    {SHARE_ROLE_LABELS[r]}
                  </option>
                ))}
              </select>
              <button
                type="button"
                class="button subtle"
                aria-label={`Remove ${s.displayName}`}
                onClick={() => remove(s)}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      {/* The dialog opens only for those who manage access (canManageShares). */}
      <GeneralAccessControl api={api} documentId={documentId} />
      <OwnershipTransfer api={api} documentId={documentId} shares={shares} onTransferred={() => void loadShares()} />
      <InvitationList
        api={api}
        base={`/documents/${documentId}`}
        roleLabel={(r) => SHARE_ROLE_LABELS[r as ShareRole] ?? r}
        version={invitations}
      />
      <div class="dialog-actions split">
        <button type="button" class="button" onClick={copyLink}>
          {copied ? 'Link copied' : 'Copy link'}
        </button>
        <button type="button" class="button primary" onClick={onClose}>
          Done
        </button>
      </div>
    </Dialog>
  );
}
