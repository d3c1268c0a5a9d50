/**
 * "Email + role + button": adding a person by email, shared by the share dialog (document shares)
 * and the members page (workspace invitations). It checks the address's shape, shows the API's
 * refusal of the address next to the field (emailInviteProblem), keeps focus in the field and
 * clears it after a success; what adding means is the caller's `onAdd`.
 */
import type { ComponentChildren } from 'preact';
import { useId, useRef, useState } from 'preact/hooks';
import { EMAIL_MAX_LENGTH } from '../../../src/domain/limits.ts';
import { emailInviteProblem, emailShapeProblem } from '../form-errors.ts';

type Props<R extends string> = {
  roles: readonly R[];
  roleLabels: Record<R, string>;
  initialRole: R;
  /** The button's label ("Add", "Invite"); its lower case ends the empty-field message. */
  action: string;
  /** Adds the person; throws the API's error when refused. */
  onAdd: (email: string, role: R) => Promise<void>;
  /** A refusal that is not about the address (or null when the next attempt starts). */
  onFormError: (message: string | null) => void;
  /** Shown under the form, e.g. what the chosen role may do. */
  hint?: (role: R) => ComponentChildren;
  class?: string;
};

export function AddByEmail<R extends string>(props: Props<R>) {
  const { roles, roleLabels, action, onAdd, onFormError, hint } = props;
  const id = useId();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<R>(props.initialRole);
  const [emailError, setEmailError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    const address = email.trim();
    onFormError(null);
    const shape = emailShapeProblem(address, action.toLowerCase());
    if (shape) {
      setEmailError(shape);
      return;
    }
    setEmailError(null);
    setBusy(true);
    try {
      await onAdd(address, role);
      setEmail('');
    } catch (err) {
      const problem = emailInviteProblem(err);
      if (problem.email) setEmailError(problem.email);
      else onFormError(problem.form ?? null);
    } finally {
      setBusy(false);
      input.current?.focus();
    }
  };

  const described = emailError ? `${id}-error` : hint ? `${id}-hint` : undefined;
  return (
    <>
      <form class={`add-by-email${props.class ? ` ${props.class}` : ''}`} onSubmit={submit} noValidate>
        <div class={`field grow${emailError ? ' has-error' : ''}`}>
          <label for={`${id}-email`}>Email</label>
          <input
            ref={input}
            id={`${id}-email`}
            type="email"
            value={email}
            autoComplete="off"
            placeholder="name@example.com"
            maxLength={EMAIL_MAX_LENGTH}
            aria-invalid={emailError ? 'true' : undefined}
            aria-describedby={described}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
        </div>
        <div class="field">
          <select aria-label="Role" value={role} onChange={(e) => setRole(e.currentTarget.value as R)}>
            {roles.map((r) => (
              <option key={r} value={r}>
                {roleLabels[r]}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" class="button primary" disabled={busy}>
          {action}
        </button>
      </form>
      {emailError && (
        <p class="field-error" id={`${id}-error`} role="alert">
          {emailError}
        </p>
      )}
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint(role)}
        </p>
      )}
    </>
  );
}
