/**
 * `/trash`: the deleted documents this person may restore (docs/spec/home.md T2) — all of a
 * workspace's for its admins and owners, their own for members — with Restore and, after a
 * confirm, Delete forever. Each row says who deleted it and when it goes for good.
 */
import { useEffect, useState } from 'preact/hooks';
import type { ApiClient } from '../api.ts';
import { Dialog } from '../components/dialog.tsx';
import { FormError } from '../components/field.tsx';
import { plainError } from '../form-errors.ts';
import { fullTime, relativeTime } from '../format.ts';
import type { Page, TrashItem } from '../model.ts';
import { notify } from '../notify.ts';
import { onLinkClick } from '../router.ts';

const PAGE_SIZE = 50;

export function TrashPage({ api }: { api: ApiClient }) {
  const [items, setItems] = useState<TrashItem[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<TrashItem | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  useEffect(() => {
    document.title = 'Trash — Collab Docs';
  }, []);

  const load = async (cursor: string | null) => {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE), ...(cursor && { cursor }) });
    const page = await api.request<Page<TrashItem>>('GET', `/trash?${query}`);
    setItems((prev) => [...(cursor ? (prev ?? []) : []), ...page.items]);
    setNext(page.nextCursor);
  };

  useEffect(() => {
    load(null).catch((err) => setError(plainError(err)));
  }, [api]);

  const drop = (id: string) => setItems((prev) => (prev ?? []).filter((i) => i.id !== id));

  const restore = async (item: TrashItem) => {
    setBusy(item.id);
    setActionError(null);
    try {
      await api.request('POST', `/trash/${item.id}/restore`);
      drop(item.id);
      notify(`“${item.title}” was restored.`);
    } catch (err) {
      setActionError(plainError(err));
    } finally {
      setBusy(null);
    }
  };

  const purge = async (item: TrashItem) => {
    setConfirming(null);
    setBusy(item.id);
    setActionError(null);
    try {
      await api.request('DELETE', `/trash/${item.id}`);
      drop(item.id);
      notify(`“${item.title}” was deleted forever.`);
    } catch (err) {
      setActionError(plainError(err));
    } finally {
      setBusy(null);
    }
  };

  return (
    <main class="page" id="main">
      <div class="page-head">
        <h1>Trash</h1>
        <a class="button subtle" href="/" onClick={onLinkClick}>
          ← Home
        </a>
      </div>
      <p class="muted">
        Deleted documents stay here for a while, then they are deleted for good. You see the ones you may restore.
      </p>
      <FormError message={actionError} />
      {error && (
        <div class="empty" role="alert">
          <p>{error}</p>
        </div>
      )}
      {!error && items === null && (
        <p class="muted loading" role="status">
          Loading the trash…
        </p>
      )}
      {items !== null && items.length === 0 && (
        <div class="empty">
          <p class="empty-title">The trash is empty</p>
        </div>
      )}
      {items !== null && items.length > 0 && (
        <ul class="doc-list" data-testid="trash-list">
          {items.map((item) => (
            <li key={item.id} class="doc-row">
              <span class="doc-icon" aria-hidden="true" />
              <span class="doc-main">
                <span class="doc-title">{item.title}</span>
                <span class="doc-meta" title={fullTime(item.trashedAt)}>
                  {item.workspaceName} · deleted {relativeTime(item.trashedAt)}
                  {item.trashedBy ? ` by ${item.trashedBy.displayName}` : ''} · gone for good{' '}
                  {new Date(item.purgeAt).toLocaleDateString()}
                </span>
              </span>
              <span class="doc-actions">
                <button
                  type="button"
                  class="button subtle"
                  aria-label={`Restore ${item.title}`}
                  disabled={busy === item.id}
                  onClick={() => restore(item)}
                >
                  Restore
                </button>
                <button
                  type="button"
                  class="button subtle danger-text"
                  aria-label={`Delete ${item.title} forever`}
                  disabled={busy === item.id}
                  onClick={() => setConfirming(item)}
                >
                  Delete forever
                </button>
              </span>
            </li>
          ))}
        </ul>
      )}
      {next && (
        <p>
          <button type="button" class="button" onClick={() => load(next).catch((err) => setError(plainError(err)))}>
            Show more
          </button>
        </p>
      )}
      {confirming && (
        <Dialog label="Delete forever" onClose={() => setConfirming(null)}>
          <p>Delete “{confirming.title}” forever? Its history, shares and exports go with it. This cannot be undone.</p>
          <div class="dialog-actions">
            <button type="button" class="button" onClick={() => setConfirming(null)}>
              Cancel
            </button>
            <button type="button" class="button danger" onClick={() => purge(confirming)}>
              Delete forever
            </button>
          </div>
        </Dialog>
      )}
    </main>
  );
}
