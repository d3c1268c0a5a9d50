/** A labelled text input with its error next to it (aria-invalid + aria-describedby). */
import { useId } from 'preact/hooks';

type Props = {
  label: string;
  name: string;
  value: string;
  onInput: (value: string) => void;
  error?: string;
  hint?: string;
  type?: 'text' | 'email' | 'password';
  autoComplete?: string;
  maxLength?: number;
  placeholder?: string;
};

export function Field({
  label,
  name,
  value,
  onInput,
  error,
  hint,
  type = 'text',
  autoComplete,
  maxLength,
  placeholder,
}: Props) {
  const id = useId();
  const described = error ? `${id}-error` : hint ? `${id}-hint` : undefined;
  return (
    <div class={`field${error ? ' has-error' : ''}`}>
      <label for={id}>{label}</label>
      <input
        id={id}
        name={name}
        type={type as 'text'}
        value={value}
        onInput={(e) => onInput(e.currentTarget.value)}
        autoComplete={autoComplete}
        maxLength={maxLength}
        placeholder={placeholder}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={described}
        spellcheck={type === 'text'}
      />
      {described === `${id}-hint` && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p class="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

/** A form's own error (not one field's), announced as it appears; nothing when there is none. */
export function FormError({ message }: { message: string | null | undefined }) {
  if (!message) return null;
  return (
    <p class="form-error" role="alert">
      {message}
    </p>
  );
}

/** A password input: the browser's manager fills the right one, and the server's length cap holds. */
export function PasswordField(
  props: Omit<Props, 'type' | 'autoComplete' | 'maxLength'> & { purpose: 'current' | 'new'; maxLength: number },
) {
  const { purpose, ...rest } = props;
  return <Field {...rest} type="password" autoComplete={purpose === 'current' ? 'current-password' : 'new-password'} />;
}
