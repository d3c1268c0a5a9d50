/**
 * "Share": who has access to one document, add someone by email with a role, change or remove
 * a role. The API has the last word; its refusals are shown in plain words.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ApiClient } from '../api.ts';
import { emailInviteProblem, plainError } from '../form-errors.ts';
import { initials } from '../initials.ts';
import { type Items, SHARE_ROLE_LABELS, type Share, type ShareRole } from '../model.ts';
import { notify } from '../notify.ts';
import { Dialog } from './dialog.tsx';

const ROLES = Object.keys(SHARE_ROLE_LABELS) as ShareRole[];
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

type Props = { api: ApiClient; documentId: string; documentTitle?: string; onClose: () => void };

export function ShareDialog({ api, documentId, documentTitle, onClose }: Props) {
  const [shares, setShares] = useState<Share[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<ShareRole>('editor');
  const [emailError, setEmailError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [copied, setCopied] = useState(false);
  const emailInput = useRef<HTMLInputElement>(null);
  const base = `/documents/${documentId}/shares`;

  useEffect(() => {
    api
      .request<Items<Share>>('GET', base)
      .then((r) => setShares(r.items))
      .catch((err) => setLoadError(plainError(err)));
  }, [api, base]);

  const add = async (e: Event) => {
    e.preventDefault();
    const address = email.trim();
    if (!EMAIL_SHAPE.test(address)) {
      setEmailError(
        address ? 'Enter an email address like name@example.com.' : 'Enter the email address of the person to add.',
      );
      setError(null);
      return;
    }
    setBusy(true);
    setError(null);
    setEmailError(null);
    try {
      const share = await api.request<Share>('POST', base, { email: address, role });
      setShares((prev) => [...(prev ?? []), share]);
      setEmail('');
      notify(
        `${share.displayName} can now ${SHARE_ROLE_LABELS[share.role].replace('Can ', '').toLowerCase()} this document.`,
      );
    } catch (err) {
      const problem = emailInviteProblem(err, address);
      if (problem.email) setEmailError(problem.email);
      else setError(problem.form ?? null);
    } finally {
      setBusy(false);
      emailInput.current?.focus();
    }
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
      <form class="share-add" onSubmit={add} noValidate>
        <div class={`field grow${emailError ? ' has-error' : ''}`}>
          <label for="share-email">Email</label>
          <input
            ref={emailInput}
            id="share-email"
            type="email"
            value={email}
            autoComplete="off"
            placeholder="name@example.com"
            maxLength={254}
            aria-invalid={emailError ? 'true' : undefined}
            aria-describedby={emailError ? 'share-email-error' : undefined}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
        </div>
        <div class="field">
          <select
            id="share-role"
            aria-label="Role"
            value={role}
            onChange={(e) => setRole(e.currentTarget.value as ShareRole)}
          >
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {SHARE_ROLE_LABELS[r]}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" class="button primary" disabled={busy}>
          Add
        </button>
      </form>
      {emailError && (
        <p class="field-error" id="share-email-error" role="alert">
          {emailError}
        </p>
      )}
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      <h3 class="subhead">People with access</h3>
      {loadError && (
        <p class="form-error" role="alert">
          {loadError}
        </p>
      )}
      {shares === null && !loadError && <p class="muted">Loading…</p>}
      {shares?.length === 0 && (
        <p class="muted">Not shared with anyone yet. Workspace members can open it from the document list.</p>
      )}
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
