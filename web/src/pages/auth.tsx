/**
 * Log in and sign up: labelled fields, errors next to them and summarised in an alert. Also
 * embedded by the invitation page, which prefills the invited email and decides what comes next.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import {
  DISPLAY_NAME_MAX_LENGTH,
  EMAIL_MAX_LENGTH,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
} from '../../../src/domain/limits.ts';
import type { ApiClient } from '../api.ts';
import { Field, FormError } from '../components/field.tsx';
import { type FieldErrors, type FieldLabels, formProblem, summarize } from '../form-errors.ts';
import { navigate, onLinkClick } from '../router.ts';

const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

type Mode = 'login' | 'signup';

const LABELS: FieldLabels = { displayName: 'Display name', email: 'Email', password: 'Password' };

/** Where to go after logging in: a same-origin path from ?next=, else home. */
export function nextPath(search: string): string {
  const next = new URLSearchParams(search).get('next');
  return next?.startsWith('/') && !next.startsWith('//') ? next : '/';
}

function validate(mode: Mode, v: { email: string; password: string; displayName: string }): FieldErrors {
  const errors: FieldErrors = {};
  if (mode === 'signup' && !v.displayName.trim()) errors.displayName = 'Enter your name.';
  if (!v.email.trim()) errors.email = 'Enter your email address.';
  else if (!EMAIL_SHAPE.test(v.email.trim())) errors.email = 'Enter an email address like name@example.com.';
  if (!v.password) errors.password = 'Enter your password.';
  else if (mode === 'signup' && v.password.length < PASSWORD_MIN_LENGTH)
    errors.password = `Use at least ${PASSWORD_MIN_LENGTH} characters.`;
  return errors;
}

type Props = {
  api: ApiClient;
  mode: Mode;
  /** The invited address, prefilled. */
  initialEmail?: string;
  /** Embedded: called after signing in instead of leaving for ?next=. */
  onDone?: () => void;
  /** Embedded: switches between log-in and sign-up in place. */
  onSwitch?: (mode: Mode) => void;
  /** Embedded: shown above the form (what the invitation offers). */
  intro?: ComponentChildren;
};

export function AuthPage({ api, mode, initialEmail, onDone, onSwitch, intro }: Props) {
  const [displayName, setDisplayName] = useState('');
  const [email, setEmail] = useState(initialEmail ?? '');
  const [password, setPassword] = useState('');
  const [fields, setFields] = useState<FieldErrors>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (initialEmail) setEmail(initialEmail);
  }, [initialEmail]);

  useEffect(() => {
    document.title = mode === 'login' ? 'Log in — Collab Docs' : 'Sign up — Collab Docs';
    setFields({});
    setError(null);
  }, [mode]);

  const submit = async (e: Event) => {
    e.preventDefault();
    const local = validate(mode, { email, password, displayName });
    if (Object.keys(local).length > 0) {
      setFields(local);
      setError(summarize(local, LABELS));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      if (mode === 'login') await api.logIn(email.trim(), password);
      else await api.signUp(email.trim(), password, displayName.trim());
      if (onDone) onDone();
      else navigate(nextPath(location.search), { replace: true });
    } catch (err) {
      const p = formProblem(err, LABELS);
      setFields(p.fields);
      setError(p.message);
      setBusy(false);
    }
  };

  const isLogin = mode === 'login';
  return (
    <main class="auth" id="main">
      <div class="auth-card">
        <p class="brand auth-brand">
          <span class="brand-mark" aria-hidden="true">
            ◆
          </span>{' '}
          Collab Docs
        </p>
        <h1>{isLogin ? 'Log in' : 'Create your account'}</h1>
        {intro}
        <form class="stack" onSubmit={submit} noValidate>
          <FormError message={error} />
          {!isLogin && (
            <Field
              label="Display name"
              name="displayName"
              value={displayName}
              onInput={setDisplayName}
              error={fields.displayName}
              autoComplete="name"
              maxLength={DISPLAY_NAME_MAX_LENGTH}
              hint="Shown to people you work with."
            />
          )}
          <Field
            label="Email"
            name="email"
            type="email"
            value={email}
            onInput={setEmail}
            error={fields.email}
            autoComplete={isLogin ? 'username' : 'email'}
            maxLength={EMAIL_MAX_LENGTH}
          />
          <Field
            label="Password"
            name="password"
            type="password"
            value={password}
            onInput={setPassword}
            error={fields.password}
            autoComplete={isLogin ? 'current-password' : 'new-password'}
            maxLength={PASSWORD_MAX_LENGTH}
            hint={isLogin ? undefined : `At least ${PASSWORD_MIN_LENGTH} characters.`}
          />
          <button type="submit" class="button primary wide" disabled={busy}>
            {isLogin ? 'Log in' : 'Sign up'}
          </button>
        </form>
        {isLogin && (
          <p class="auth-switch">
            <a href="/forgot-password" onClick={onLinkClick}>
              Forgot your password?
            </a>
          </p>
        )}
        <p class="auth-switch">
          {isLogin ? 'New here? ' : 'Already have an account? '}
          {onSwitch ? (
            <button type="button" class="link-button" onClick={() => onSwitch(isLogin ? 'signup' : 'login')}>
              {isLogin ? 'Create an account' : 'Log in'}
            </button>
          ) : (
            <a href={isLogin ? `/signup${location.search}` : `/login${location.search}`} onClick={onLinkClick}>
              {isLogin ? 'Create an account' : 'Log in'}
            </a>
          )}
        </p>
      </div>
    </main>
  );
}
