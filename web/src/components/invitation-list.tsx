/**
 * Open invitations to a workspace or a document (`base` is its API path): who was invited, as
 * what, until when; re-send (a new link, the old one stops working) or withdraw. While mail goes
 * to files the API hands back the new link, shown to pass on.
 */
import { useEffect, useState } from 'preact/hooks';
import type { ApiClient } from '../api.ts';
import type { Invitation, InvitationSent } from '../api-types.ts';
import { plainError } from '../form-errors.ts';
import { fullTime } from '../format.ts';
import { notify } from '../notify.ts';
import { CopyableLink } from './copyable-link.tsx';
import { FormError } from './field.tsx';

type Props = {
  api: ApiClient;
  /** `/workspaces/:id` or `/documents/:id`. */
  base: string;
  roleLabel: (role: string) => string;
  /** Bumped by the parent after it sent an invitation, to reload. */
  version: number;
};

export function InvitationList({ api, base, roleLabel, version }: Props) {
  const [items, setItems] = useState<Invitation[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [resent, setResent] = useState<InvitationSent | null>(null);

  const load = () =>
    api
      .request<{ items: Invitation[] }>('GET', `${base}/invitations`)
      .then((r) => setItems(r.items))
      .catch((err) => setError(plainError(err)));
  useEffect(() => {
    void load();
  }, [api, base, version]);

  const resend = async (i: Invitation) => {
    setError(null);
    try {
      const sent = await api.request<InvitationSent>('POST', `${base}/invitations/${i.id}/resend`);
      setResent(sent.link ? sent : null);
      notify(`Invitation sent again to ${i.email}.`);
      await load();
    } catch (err) {
      setError(plainError(err));
    }
  };

  const withdraw = async (i: Invitation) => {
    setError(null);
    try {
      await api.request('DELETE', `${base}/invitations/${i.id}`);
      setItems((prev) => (prev ?? []).filter((x) => x.id !== i.id));
      if (resent?.email === i.email) setResent(null);
      notify(`Invitation to ${i.email} withdrawn.`);
    } catch (err) {
      setError(plainError(err));
    }
  };

  if (items === null && !error) return null;
  return (
    <div data-testid="pending-invitations">
      <h3 class="subhead">Pending invitations</h3>
      <FormError message={error} />
      {items?.length === 0 && <p class="muted small">No invitation is waiting for an answer.</p>}
      {items && items.length > 0 && (
        <ul class="invitation-list" aria-label="Pending invitations">
          {items.map((i) => (
            <li key={i.id} class="invitation">
              <span class="invitation-text">
                <span class="person-name">{i.email}</span>{' '}
                <span class="muted small">
                  {roleLabel(i.role)} · {i.status === 'expired' ? 'expired' : `expires ${fullTime(i.expiresAt)}`}
                </span>
              </span>
              <button type="button" class="button subtle" onClick={() => resend(i)}>
                Resend
              </button>
              <button
                type="button"
                class="button subtle danger-text"
                aria-label={`Withdraw the invitation to ${i.email}`}
                onClick={() => withdraw(i)}
              >
                Withdraw
              </button>
            </li>
          ))}
        </ul>
      )}
      {resent?.link && <CopyableLink label={`New invitation link for ${resent.email}`} url={resent.link} />}
    </div>
  );
}
