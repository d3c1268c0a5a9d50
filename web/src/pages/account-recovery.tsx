/**
 * "Forgot your password?": ask for a reset link (the answer is the same whether or not the email
 * has an account), and the page that link opens, which sets a new password. Expired or used
 * links say so in plain words and offer a new one.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { EMAIL_MAX_LENGTH, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../../../src/domain/limits.ts';
import { type ApiClient, ApiError } from '../api.ts';
import { Field, FormError, PasswordField } from '../components/field.tsx';
import { type FieldErrors, formProblem } from '../form-errors.ts';
import { forgetLinkToken, takeLinkToken } from '../link-token.ts';
import { onLinkClick } from '../router.ts';

const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const RESET_TOKEN_KEY = 'collab-docs.reset-token';

function Card({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <main class="auth" id="main">
      <div class="auth-card">
        <p class="brand auth-brand">
          <span class="brand-mark" aria-hidden="true">
            ◆
          </span>{' '}
          Collab Docs
        </p>
        <h1>{title}</h1>
        {children}
      </div>
    </main>
  );
}

export function ForgotPasswordPage({ api }: { api: ApiClient }) {
  const [email, setEmail] = useState('');
  const [fields, setFields] = useState<FieldErrors>({});
  const [error, setError] = useState<string | null>(null);
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    document.title = 'Reset your password — Collab Docs';
  }, []);

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
      await api.request('POST', '/auth/password-reset', { email: address }, false);
      setSentTo(address);
    } catch (err) {
      const p = formProblem(err, { email: 'Email' });
      setFields(p.fields);
      setError(p.message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card title="Reset your password">
      {sentTo ? (
        <p role="status">
          If an account uses {sentTo}, we sent it a link to choose a new password. The link works once, for 15 minutes.
          Nothing arrived? Check your spam folder, or ask again in a few minutes.
        </p>
      ) : (
        <form class="stack" onSubmit={submit} noValidate>
          <FormError message={error} />
          <p class="hint">Enter the email you signed up with; we will send you a link to choose a new password.</p>
          <Field
            label="Email"
            name="email"
            type="email"
            value={email}
            onInput={setEmail}
            error={fields.email}
            autoComplete="username"
            maxLength={EMAIL_MAX_LENGTH}
          />
          <button type="submit" class="button primary wide" disabled={busy}>
            Send the link
          </button>
        </form>
      )}
      <p class="auth-switch">
        <a href="/login" onClick={onLinkClick}>
          Back to log in
        </a>
      </p>
    </Card>
  );
}

export function ResetPasswordPage({ api }: { api: ApiClient }) {
  const [token] = useState(() => takeLinkToken(RESET_TOKEN_KEY));
  const [password, setPassword] = useState('');
  const [fields, setFields] = useState<FieldErrors>({});
  const [error, setError] = useState<string | null>(null);
  const [linkDead, setLinkDead] = useState(!token);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    document.title = 'Choose a new password — Collab Docs';
  }, []);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (password.length < PASSWORD_MIN_LENGTH) {
      setFields({ password: `Use at least ${PASSWORD_MIN_LENGTH} characters.` });
      return;
    }
    setBusy(true);
    setError(null);
    setFields({});
    try {
      await api.request('POST', '/auth/password-reset/confirm', { token, password }, false);
      forgetLinkToken(RESET_TOKEN_KEY);
      setDone(true);
    } catch (err) {
      if (err instanceof ApiError && err.status === 410) {
        forgetLinkToken(RESET_TOKEN_KEY);
        setLinkDead(true);
      }
      const p = formProblem(err, { password: 'New password' });
      setFields(p.fields);
      setError(p.message);
    } finally {
      setBusy(false);
    }
  };

  if (done) {
    return (
      <Card title="Password changed">
        <p role="status">Your password is changed and you are signed out everywhere. Log in with the new one.</p>
        <p>
          <a class="button primary wide" href="/login" onClick={onLinkClick}>
            Log in
          </a>
        </p>
      </Card>
    );
  }
  return (
    <Card title="Choose a new password">
      {linkDead ? (
        <>
          <p class="form-error" role="alert">
            {error ?? 'This page needs the link from your password reset email.'}
          </p>
          <p>
            <a href="/forgot-password" onClick={onLinkClick}>
              Ask for a new link
            </a>
          </p>
        </>
      ) : (
        <form class="stack" onSubmit={submit} noValidate>
          <FormError message={error} />
          <PasswordField
            purpose="new"
            label="New password"
            name="password"
            value={password}
            onInput={setPassword}
            error={fields.password}
            maxLength={PASSWORD_MAX_LENGTH}
            hint={`At least ${PASSWORD_MIN_LENGTH} characters. This signs you out on every device.`}
          />
          <button type="submit" class="button primary wide" disabled={busy}>
            Set the new password
          </button>
        </form>
      )}
    </Card>
  );
}
