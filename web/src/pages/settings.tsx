/**
 * Account settings (docs/spec/auth.md [A9]): the display name others see, the devices signed in
 * (one per log-in) with a way to end each, and "sign out everywhere" — asked first, since it ends
 * this session too. Email, password and deletion ([A10]–[A12]) are in account-security.tsx.
 */
import { useEffect, useState } from 'preact/hooks';
import type { ApiClient } from '../api.ts';
import type { User } from '../api-types.ts';
import { Dialog } from '../components/dialog.tsx';
import { FormError } from '../components/field.tsx';
import { plainError } from '../form-errors.ts';
import { relativeTime } from '../format.ts';
import { notify } from '../notify.ts';
import { navigate } from '../router.ts';
import { DeleteAccountSection, EmailSection, PasswordSection } from './account-security.tsx';

type SignInSession = { id: string; startedAt: string; lastActiveAt: string; expiresAt: string };

export function SettingsPage({ api, user }: { api: ApiClient; user: User }) {
  const [name, setName] = useState(user.displayName);
  const [saving, setSaving] = useState(false);
  const [sessions, setSessions] = useState<SignInSession[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);

  useEffect(() => {
    document.title = 'Account settings — Collab Docs';
  }, []);
  useEffect(() => {
    api
      .request<{ items: SignInSession[] }>('GET', '/me/sessions')
      .then((r) => setSessions(r.items))
      .catch((err) => setError(plainError(err)));
  }, [api]);

  const rename = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setSaving(true);
    try {
      const u = await api.request<User>('PATCH', '/me', { displayName: name });
      setName(u.displayName);
      api.updateUser(u);
      notify('Your name is saved. Others see it in shares and comments.');
    } catch (err) {
      setError(plainError(err));
    } finally {
      setSaving(false);
    }
  };

  const end = async (s: SignInSession) => {
    setError(null);
    try {
      await api.request('DELETE', `/me/sessions/${s.id}`);
      setSessions((prev) => (prev ?? []).filter((x) => x.id !== s.id));
      notify('That session is signed out.');
    } catch (err) {
      setError(plainError(err));
    }
  };

  const everywhere = async () => {
    setConfirming(false);
    try {
      await api.request('POST', '/me/sessions/revoke-all');
      await api.logOut();
      navigate('/login', { replace: true });
    } catch (err) {
      setError(plainError(err));
    }
  };

  return (
    <main class="page" id="main">
      <div class="page-head">
        <h1>Account settings</h1>
        <p class="muted page-sub">{user.email}</p>
      </div>
      <FormError message={error} />
      <section aria-labelledby="settings-name">
        <h2 class="subhead" id="settings-name">
          Your name
        </h2>
        <form class="settings-form" onSubmit={rename}>
          <input
            aria-label="Display name"
            value={name}
            maxLength={100}
            required
            onInput={(e) => setName(e.currentTarget.value)}
          />
          <button type="submit" class="button primary" disabled={saving || name.trim() === ''}>
            Save
          </button>
        </form>
      </section>
      <EmailSection api={api} user={user} />
      <PasswordSection api={api} />
      <section aria-labelledby="settings-sessions">
        <h2 class="subhead" id="settings-sessions">
          Where you are signed in
        </h2>
        {sessions === null && !error && <p class="muted">Loading…</p>}
        {sessions && (
          <ul class="people" data-testid="session-list">
            {sessions.map((s) => (
              <li key={s.id} class="person">
                <span class="person-text">
                  <span class="person-name">Signed in {relativeTime(s.startedAt)}</span>
                  <span class="muted">Last active {relativeTime(s.lastActiveAt)}</span>
                </span>
                <button type="button" class="button subtle" onClick={() => end(s)}>
                  Sign out
                </button>
              </li>
            ))}
          </ul>
        )}
        <button type="button" class="button danger-text" onClick={() => setConfirming(true)}>
          Sign out everywhere
        </button>
      </section>
      <DeleteAccountSection api={api} user={user} />
      {confirming && (
        <Dialog label="Sign out everywhere" onClose={() => setConfirming(false)}>
          <p>Sign out on every device, this one included? You will need to log in again.</p>
          <div class="dialog-actions">
            <button type="button" class="button" onClick={() => setConfirming(false)}>
              Cancel
            </button>
            <button type="button" class="button primary" onClick={everywhere}>
              Sign out everywhere
            </button>
          </div>
        </Dialog>
      )}
    </main>
  );
}
