/** A star toggle for one document: PUT/DELETE /documents/{id}/star, optimistic, undone on failure. */
import { useState } from 'preact/hooks';
import type { ApiClient } from '../api.ts';
import { plainError } from '../form-errors.ts';
import { notify } from '../notify.ts';

type Props = {
  api: ApiClient;
  documentId: string;
  title: string;
  starred: boolean;
  /** Told after the server agreed, so lists that filter by stars can refresh. */
  onChange?: (starred: boolean) => void;
};

export function StarButton({ api, documentId, title, starred, onChange }: Props) {
  const [on, setOn] = useState(starred);
  const [busy, setBusy] = useState(false);
  const toggle = async () => {
    const next = !on;
    setOn(next);
    setBusy(true);
    try {
      await api.request(next ? 'PUT' : 'DELETE', `/documents/${documentId}/star`);
      onChange?.(next);
    } catch (err) {
      setOn(!next);
      notify(plainError(err), 'error');
    } finally {
      setBusy(false);
    }
  };
  return (
    <button
      type="button"
      class={on ? 'star-button starred' : 'star-button'}
      aria-pressed={on}
      aria-label={`Star ${title}`}
      title={on ? 'Starred — click to unstar' : 'Star'}
      disabled={busy}
      onClick={toggle}
    >
      <span aria-hidden="true">{on ? '★' : '☆'}</span>
    </button>
  );
}
