/**
 * Invite links for onboarding many people: create one (member or guest, an expiry, optionally a
 * number of uses) and copy it — it is shown once, the server keeps only its hash — then see its
 * uses and revoke it.
 */
import { useEffect, useId, useState } from 'preact/hooks';
import type { ApiClient } from '../api.ts';
import type { InviteLink, InviteLinkCreated } from '../api-types.ts';
import { plainError } from '../form-errors.ts';
import { fullTime } from '../format.ts';
import { WORKSPACE_ROLE_LABELS } from '../model.ts';
import { notify } from '../notify.ts';
import { CopyableLink } from './copyable-link.tsx';
import { FormError } from './field.tsx';

const EXPIRIES: [hours: number, label: string][] = [
  [24, '1 day'],
  [168, '7 days'],
  [720, '30 days'],
];

const STATUS: Record<InviteLink['status'], string> = {
  active: 'active',
  expired: 'expired',
  'used-up': 'used up',
  revoked: 'revoked',
};

export function InviteLinks({ api, workspaceId }: { api: ApiClient; workspaceId: string }) {
  const id = useId();
  const base = `/workspaces/${workspaceId}/invite-links`;
  const [links, setLinks] = useState<InviteLink[] | null>(null);
  const [created, setCreated] = useState<InviteLinkCreated | null>(null);
  const [role, setRole] = useState<'member' | 'guest'>('member');
  const [hours, setHours] = useState(168);
  const [maxUses, setMaxUses] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api
      .request<{ items: InviteLink[] }>('GET', base)
      .then((r) => setLinks(r.items))
      .catch((err) => setError(plainError(err)));
  }, [api, base]);

  const create = async (e: Event) => {
    e.preventDefault();
    const uses = maxUses.trim() === '' ? undefined : Number(maxUses);
    if (uses !== undefined && (!Number.isInteger(uses) || uses < 1 || uses > 10_000)) {
      setError('Number of uses: a whole number from 1 to 10,000, or empty for no limit.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const link = await api.request<InviteLinkCreated>('POST', base, {
        role,
        expiresInHours: hours,
        ...(uses !== undefined && { maxUses: uses }),
      });
      setCreated(link);
      setLinks((prev) => [link, ...(prev ?? [])]);
      notify('Invite link created. Copy it now: it is shown only once.');
    } catch (err) {
      setError(plainError(err));
    } finally {
      setBusy(false);
    }
  };

  const revoke = async (link: InviteLink) => {
    setError(null);
    try {
      await api.request('DELETE', `${base}/${link.id}`);
      setLinks((prev) => (prev ?? []).filter((l) => l.id !== link.id));
      if (created?.id === link.id) setCreated(null);
      notify('Invite link revoked: it no longer works.');
    } catch (err) {
      setError(plainError(err));
    }
  };

  return (
    <section class="card" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`} class="subhead">
        Invite links
      </h2>
      <p class="hint">Anyone with the link can join after signing in. Share it only with the people you mean.</p>
      <form class="invite-link-form" onSubmit={create}>
        <div class="field">
          <label for={`${id}-role`}>Joins as</label>
          <select id={`${id}-role`} value={role} onChange={(e) => setRole(e.currentTarget.value as 'member' | 'guest')}>
            <option value="member">{WORKSPACE_ROLE_LABELS.member}</option>
            <option value="guest">{WORKSPACE_ROLE_LABELS.guest}</option>
          </select>
        </div>
        <div class="field">
          <label for={`${id}-expiry`}>Expires after</label>
          <select id={`${id}-expiry`} value={hours} onChange={(e) => setHours(Number(e.currentTarget.value))}>
            {EXPIRIES.map(([h, label]) => (
              <option key={h} value={h}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for={`${id}-uses`}>Uses (empty: no limit)</label>
          <input
            id={`${id}-uses`}
            type="number"
            min={1}
            max={10_000}
            value={maxUses}
            onInput={(e) => setMaxUses(e.currentTarget.value)}
          />
        </div>
        <button type="submit" class="button primary" disabled={busy}>
          Create link
        </button>
      </form>
      <FormError message={error} />
      {created && <CopyableLink label="New invite link" url={created.url} />}
      {links && links.length > 0 && (
        <ul class="invitation-list" aria-label="Invite links">
          {links.map((l) => (
            <li key={l.id} class="invitation">
              <span class="invitation-text">
                <span class="person-name">{WORKSPACE_ROLE_LABELS[l.role]}</span>{' '}
                <span class="muted small">
                  {l.uses}
                  {l.maxUses === null ? '' : ` of ${l.maxUses}`} used · {STATUS[l.status]} · expires{' '}
                  {fullTime(l.expiresAt)}
                </span>
              </span>
              <button type="button" class="button subtle danger-text" onClick={() => revoke(l)}>
                Revoke
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
