/**
 * The parts of account settings that need the current password (docs/spec/auth.md [A10] [A11]
 * [A12]): a new password (this device stays signed in, every other one is signed out), a new
 * email (changed only when the link sent to it is opened), and deleting the account — after a
 * warning that lists what it touches and asks what becomes of the documents. Also the page the
 * email-change link opens.
 */
import { useEffect, useState } from 'preact/hooks';
import { EMAIL_MAX_LENGTH, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../../../src/domain/limits.ts';
import { type ApiClient, ApiError, type Session, type User } from '../api.ts';
import { Dialog } from '../components/dialog.tsx';
import { Field, FormError, PasswordField } from '../components/field.tsx';
import { type FieldErrors, formProblem, plainError } from '../form-errors.ts';
import { forgetLinkToken, takeLinkToken } from '../link-token.ts';
import { notify } from '../notify.ts';
import { navigate, onLinkClick } from '../router.ts';

const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const EMAIL_TOKEN_KEY = 'collab-docs.email-token';

export function PasswordSection({ api }: { api: ApiClient }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [fields, setFields] = useState<FieldErrors>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (next.length < PASSWORD_MIN_LENGTH) {
      setFields({ newPassword: `Use at least ${PASSWORD_MIN_LENGTH} characters.` });
      return;
    }
    setBusy(true);
    setError(null);
    setFields({});
    try {
      const session = await api.request<Session>('PUT', '/me/password', {
        currentPassword: current,
        newPassword: next,
      });
      api.adoptSession(session);
      setCurrent('');
      setNext('');
      notify('Your password is changed. Every other device is signed out.');
    } catch (err) {
      const p = formProblem(err, { currentPassword: 'Current password', newPassword: 'New password' });
      setFields(p.fields);
      setError(p.message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="settings-password">
      <h2 class="subhead" id="settings-password">
        Password
      </h2>
      <form class="stack settings-stack" onSubmit={submit} noValidate>
        <FormError message={error} />
        <PasswordField
          purpose="current"
          label="Current password"
          name="currentPassword"
          value={current}
          onInput={setCurrent}
          error={fields.currentPassword}
          maxLength={PASSWORD_MAX_LENGTH}
        />
        <PasswordField
          purpose="new"
          label="New password"
          name="newPassword"
          value={next}
          onInput={setNext}
          error={fields.newPassword}
          maxLength={PASSWORD_MAX_LENGTH}
          hint={`At least ${PASSWORD_MIN_LENGTH} characters. Every other device is signed out; this one stays.`}
        />
        <button type="submit" class="button primary" disabled={busy || current === '' || next === ''}>
          Change password
        </button>
      </form>
    </section>
  );
}

export function EmailSection({ api, user }: { api: ApiClient; user: User }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [fields, setFields] = useState<FieldErrors>({});
  const [error, setError] = useState<string | null>(null);
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const address = email.trim();
    if (!EMAIL_SHAPE.test(address)) {
      setFields({ email: 'Enter an email address like name@example.com.' });
      return;
    }
    setBusy(true);
    setError(null);
    setFields({});
    try {
      await api.request('POST', '/me/email', { email: address, currentPassword: password });
      setSentTo(address);
      setPassword('');
    } catch (err) {
      const p = formProblem(err, { email: 'New email', currentPassword: 'Current password' });
      setFields(p.fields);
      setError(p.message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="settings-email">
      <h2 class="subhead" id="settings-email">
        Email
      </h2>
      <p class="muted">
        You sign in with <strong>{user.email}</strong>. Confirming it (a link sent to it) lets invitations sent to it
        appear on your home page.{' '}
        <button type="button" class="button subtle" onClick={() => setEmail(user.email)}>
          Confirm this address
        </button>
      </p>
      {sentTo && (
        <p role="status" data-testid="email-change-sent">
          We sent a link to {sentTo}. Your email changes when you open it (it works once, for 15 minutes).
        </p>
      )}
      <form class="stack settings-stack" onSubmit={submit} noValidate>
        <FormError message={error} />
        <Field
          label="New email"
          name="email"
          type="email"
          value={email}
          onInput={setEmail}
          error={fields.email}
          autoComplete="email"
          maxLength={EMAIL_MAX_LENGTH}
        />
        <PasswordField
          purpose="current"
          label="Current password"
          name="currentPassword"
          value={password}
          onInput={setPassword}
          error={fields.currentPassword}
          maxLength={PASSWORD_MAX_LENGTH}
        />
        <button type="submit" class="button" disabled={busy || email === '' || password === ''}>
          Send a confirmation link
        </button>
      </form>
    </section>
  );
}

type Preview = {
  workspaces: { id: string; name: string; outcome: 'blocks' | 'deleted' | 'left'; otherMembers: number }[];
  ownedDocuments: { id: string; title: string; workspaceName: string; trashed: boolean }[];
  ownedDocumentsTotal: number;
  canDelete: boolean;
};
type Person = { userId: string; displayName: string };

export function DeleteAccountSection({ api, user }: { api: ApiClient; user: User }) {
  const [open, setOpen] = useState(false);
  return (
    <section aria-labelledby="settings-delete">
      <h2 class="subhead" id="settings-delete">
        Delete account
      </h2>
      <p class="muted">Deleting your account cannot be undone. You will see what it touches first.</p>
      <button type="button" class="button danger-text" onClick={() => setOpen(true)}>
        Delete account…
      </button>
      {open && <DeleteAccountDialog api={api} user={user} onClose={() => setOpen(false)} />}
    </section>
  );
}

function DeleteAccountDialog({ api, user, onClose }: { api: ApiClient; user: User; onClose: () => void }) {
  const [preview, setPreview] = useState<Preview | null>(null);
  const [people, setPeople] = useState<Person[]>([]);
  const [documents, setDocuments] = useState<'transfer' | 'trash'>('transfer');
  const [transferTo, setTransferTo] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    (async () => {
      const p = await api.request<Preview>('GET', '/me/deletion-preview');
      setPreview(p);
      // People who could receive the documents: members of the workspaces others keep.
      const found = new Map<string, Person>();
      for (const w of p.workspaces.filter((x) => x.outcome !== 'deleted')) {
        try {
          const r = await api.request<{ items: (Person & { role: string })[] }>('GET', `/workspaces/${w.id}/members`);
          for (const m of r.items) if (m.userId !== user.id && m.role !== 'guest') found.set(m.userId, m);
        } catch {
          // Guests may not list members: that workspace's documents go to its primary owner.
        }
      }
      setPeople([...found.values()].sort((a, b) => a.displayName.localeCompare(b.displayName)));
    })().catch((err) => setError(plainError(err)));
  }, [api, user.id]);

  const confirm = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.request('DELETE', '/me', {
        password,
        documents,
        ...(documents === 'transfer' && transferTo && { transferTo }),
      });
      await api.logOut();
      notify('Your account is deleted.');
      navigate('/login', { replace: true });
    } catch (err) {
      setError(err instanceof ApiError ? plainError(err) : 'Something went wrong. Please try again.');
      setBusy(false);
    }
  };

  const blocking = preview?.workspaces.filter((w) => w.outcome === 'blocks') ?? [];
  const deleted = preview?.workspaces.filter((w) => w.outcome === 'deleted') ?? [];
  return (
    <Dialog label="Delete your account" onClose={onClose} class="dialog-wide">
      {!preview && !error && <p class="muted">Loading…</p>}
      <FormError message={error} />
      {preview && (
        <form class="stack" onSubmit={confirm} noValidate data-testid="delete-account-form">
          {blocking.length > 0 && (
            <div class="form-error" role="alert">
              <p>You are the primary owner of workspaces other people use. Hand the role to one of them first:</p>
              <ul>
                {blocking.map((w) => (
                  <li key={w.id}>
                    <a href={`/w/${w.id}/members`} onClick={onLinkClick}>
                      {w.name}
                    </a>{' '}
                    ({w.otherMembers} other {w.otherMembers === 1 ? 'person' : 'people'})
                  </li>
                ))}
              </ul>
            </div>
          )}
          <p>
            <strong>This cannot be undone.</strong> Your name, email, sign-ins, shares, stars and notifications are
            deleted; comments you wrote stay, without your name.
          </p>
          {deleted.length > 0 && (
            <div>
              <p>These workspaces only you use are deleted, with all their documents:</p>
              <ul data-testid="deleted-workspaces">
                {deleted.map((w) => (
                  <li key={w.id}>{w.name}</li>
                ))}
              </ul>
            </div>
          )}
          {preview.ownedDocumentsTotal > 0 ? (
            <fieldset class="stack">
              <legend>
                You own {preview.ownedDocumentsTotal} {preview.ownedDocumentsTotal === 1 ? 'document' : 'documents'} in
                workspaces others keep:
              </legend>
              <ul data-testid="owned-documents">
                {preview.ownedDocuments.map((d) => (
                  <li key={d.id}>
                    {d.title || 'Untitled'} <span class="muted">in {d.workspaceName}</span>
                    {d.trashed && <span class="muted"> (in the trash)</span>}
                  </li>
                ))}
              </ul>
              <label class="radio">
                <input
                  type="radio"
                  name="documents"
                  checked={documents === 'transfer'}
                  onChange={() => setDocuments('transfer')}
                />{' '}
                Give them to someone
              </label>
              {documents === 'transfer' && (
                <label class="field">
                  <span>Who receives them</span>
                  <select value={transferTo} onChange={(e) => setTransferTo(e.currentTarget.value)}>
                    <option value="">Each workspace's primary owner</option>
                    {people.map((p) => (
                      <option key={p.userId} value={p.userId}>
                        {p.displayName}
                      </option>
                    ))}
                  </select>
                </label>
              )}
              <label class="radio">
                <input
                  type="radio"
                  name="documents"
                  checked={documents === 'trash'}
                  onChange={() => setDocuments('trash')}
                />{' '}
                Move them to the trash (workspace owners and admins can restore them for 30 days)
              </label>
            </fieldset>
          ) : (
            <p class="muted">You own no documents in workspaces others keep.</p>
          )}
          <PasswordField
            purpose="current"
            label="Your password"
            name="password"
            value={password}
            onInput={setPassword}
            maxLength={PASSWORD_MAX_LENGTH}
          />
          <div class="dialog-actions">
            <button type="button" class="button" onClick={onClose}>
              Cancel
            </button>
            <button
              type="submit"
              class="button danger"
              disabled={busy || !preview.canDelete || password === ''}
              title={preview.canDelete ? undefined : 'Hand over primary ownership first'}
            >
              Delete my account
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}

/** What the email-change link opens: one click makes the new address the account's email. */
export function ConfirmEmailPage({ api }: { api: ApiClient }) {
  const [token] = useState(() => takeLinkToken(EMAIL_TOKEN_KEY));
  const [state, setState] = useState<'ready' | 'busy' | 'done' | 'failed'>(token ? 'ready' : 'failed');
  const [error, setError] = useState<string | null>(token ? null : 'This page needs the link from your email.');

  useEffect(() => {
    document.title = 'Confirm your email — Collab Docs';
  }, []);

  const confirm = async () => {
    setState('busy');
    try {
      await api.request('POST', '/auth/email-change/confirm', { token }, false);
      forgetLinkToken(EMAIL_TOKEN_KEY);
      if (api.user) api.updateUser(await api.request<User>('GET', '/me'));
      setState('done');
    } catch (err) {
      if (err instanceof ApiError && (err.status === 410 || err.status === 409)) forgetLinkToken(EMAIL_TOKEN_KEY);
      setError(plainError(err));
      setState('failed');
    }
  };

  return (
    <main class="auth" id="main">
      <div class="auth-card">
        <h1>Confirm your email</h1>
        {state === 'done' ? (
          <p role="status">Your email is changed. Use it the next time you log in.</p>
        ) : state === 'failed' ? (
          <p class="form-error" role="alert">
            {error}
          </p>
        ) : (
          <>
            <p>Make the address this link was sent to the email of your Collab Docs account?</p>
            <button type="button" class="button primary wide" disabled={state === 'busy'} onClick={confirm}>
              Confirm the new email
            </button>
          </>
        )}
        <p class="auth-switch">
          <a href={api.user ? '/settings' : '/login'} onClick={onLinkClick}>
            {api.user ? 'Account settings' : 'Log in'}
          </a>
        </p>
      </div>
    </main>
  );
}
