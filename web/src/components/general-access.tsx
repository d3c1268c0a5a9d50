/**
 * The share dialog's "General access" control (docs/spec/auth.md [P7]): what every member of the
 * workspace may do with the document without a person share. Shown to those who manage access;
 * the API re-checks open editors at once, so the choice holds the moment it is saved.
 */
import { useEffect, useState } from 'preact/hooks';
import type { ApiClient } from '../api.ts';
import type { DocumentInfo } from '../api-types.ts';
import { plainError } from '../form-errors.ts';
import { GENERAL_ACCESS_LABELS, type GeneralAccess } from '../model.ts';
import { notify } from '../notify.ts';
import { FormError } from './field.tsx';

const SETTINGS = Object.keys(GENERAL_ACCESS_LABELS) as GeneralAccess[];

const HINTS: Record<GeneralAccess, string> = {
  restricted: 'Only the people above, the owner and workspace admins can open it.',
  view: 'Every workspace member can find and read it.',
  comment: 'Every workspace member can find, read and comment on it.',
  edit: 'Every workspace member can find and edit it.',
};

type Props = { api: ApiClient; documentId: string };

export function GeneralAccessControl({ api, documentId }: Props) {
  const [setting, setSetting] = useState<GeneralAccess | null>(null);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    api
      .request<DocumentInfo>('GET', `/documents/${documentId}`)
      .then((d) => setSetting(d.generalAccess))
      .catch((err) => setError(plainError(err)));
  }, [api, documentId]);

  const change = async (next: GeneralAccess) => {
    const before = setting;
    setError(null);
    setSaving(true);
    setSetting(next);
    try {
      const d = await api.request<DocumentInfo>('PUT', `/documents/${documentId}/general-access`, {
        generalAccess: next,
      });
      setSetting(d.generalAccess);
      notify(`General access: ${GENERAL_ACCESS_LABELS[d.generalAccess].toLowerCase()}.`);
    } catch (err) {
      setSetting(before);
      setError(plainError(err));
    } finally {
      setSaving(false);
    }
  };

  return (
    <section class="general-access" aria-labelledby="general-access-heading">
      <h3 class="subhead" id="general-access-heading">
        General access
      </h3>
      {setting === null && !error && <p class="muted">Loading…</p>}
      {setting !== null && (
        <div class="general-access-row">
          <select
            aria-label="General access"
            data-testid="general-access"
            value={setting}
            disabled={saving}
            onChange={(e) => change(e.currentTarget.value as GeneralAccess)}
          >
            {SETTINGS.map((s) => (
              <option key={s} value={s}>
                {GENERAL_ACCESS_LABELS[s]}
              </option>
            ))}
          </select>
          <span class="muted general-access-hint">{HINTS[setting]}</span>
        </div>
      )}
      <FormError message={error} />
    </section>
  );
}
