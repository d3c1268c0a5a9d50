/** "New workspace": a name, then the new workspace opens. */
import { useState } from 'preact/hooks';
import { WORKSPACE_NAME_MAX_LENGTH } from '../../../src/domain/limits.ts';
import { type FieldErrors, formProblem } from '../form-errors.ts';
import type { Workspace } from '../model.ts';
import { Dialog } from './dialog.tsx';
import { Field, FormError } from './field.tsx';

type Props = { onCreate: (name: string) => Promise<Workspace>; onClose: () => void; onCreated: (w: Workspace) => void };

export function NewWorkspaceDialog({ onCreate, onClose, onCreated }: Props) {
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fields, setFields] = useState<FieldErrors>({});

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!name.trim()) {
      setFields({ name: 'Enter a name for the workspace.' });
      setError('Name: Enter a name for the workspace.');
      return;
    }
    setBusy(true);
    try {
      onCreated(await onCreate(name.trim()));
    } catch (err) {
      const p = formProblem(err, { name: 'Name' });
      setError(p.message);
      setFields(p.fields);
      setBusy(false);
    }
  };

  return (
    <Dialog label="New workspace" onClose={onClose}>
      <form class="stack" onSubmit={submit} noValidate>
        <FormError message={error} />
        <Field
          label="Name"
          name="name"
          value={name}
          onInput={setName}
          error={fields.name}
          maxLength={WORKSPACE_NAME_MAX_LENGTH}
          placeholder="e.g. Marketing team"
        />
        <div class="dialog-actions">
          <button type="button" class="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="button primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create workspace'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
