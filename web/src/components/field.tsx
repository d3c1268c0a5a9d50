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
