/**
 * The version-history panel (docs/spec/history.md): versions newest first with who edited, a
 * version opened read-only with what changed since the one before highlighted by author (added
 * underlined in the author's colour, removed struck through), "Save version" and "Restore" for
 * editors. A restore is a new change on the live document, so the open editor shows it by itself.
 */
import type { JSX } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { VERSION_NAME_MAX_LENGTH } from '../../../src/domain/limits.ts';
import { type ApiClient, ApiError } from '../api.ts';
import type { Page, Version, VersionChanges, VersionRestored } from '../api-types.ts';
import { fullTime, relativeTime } from '../format.ts';
import { colorForUserId } from './user-color.ts';
import './history-panel.css';

type Props = { api: ApiClient; documentId: string; canEdit: boolean; onClose: () => void };

const PAGE_SIZE = 50;

function kindLabel(v: Version): string {
  if (v.kind === 'named') return v.name ?? 'Named version';
  if (v.kind === 'restore') return 'Restored an earlier version';
  if (v.kind === 'pre-restore') return 'Before a restore';
  return 'Edited';
}

const people = (v: Version): string => {
  const names = v.contributors.length > 0 ? v.contributors : v.createdBy ? [v.createdBy] : [];
  return names.map((p) => p.displayName).join(', ');
};

export function HistoryPanel({ api, documentId, canEdit, onClose }: Props): JSX.Element {
  const [versions, setVersions] = useState<Version[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<Version | null>(null);
  const [changes, setChanges] = useState<VersionChanges | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<string | null>(null);
  const [name, setName] = useState('');
  const root = useRef<HTMLElement>(null);
  const base = `/documents/${encodeURIComponent(documentId)}/versions`;
  const message = (err: unknown, fallback: string) => (err instanceof ApiError ? err.message : fallback);

  const load = useCallback(
    async (after: string | null) => {
      setLoading(true);
      try {
        const q = after ? `&cursor=${encodeURIComponent(after)}` : '';
        const page = await api.request<Page<Version>>('GET', `${base}?limit=${PAGE_SIZE}${q}`);
        setVersions((old) => (after ? [...old, ...page.items] : page.items));
        setCursor(page.nextCursor);
        setError(null);
      } catch (err) {
        setError(message(err, 'The history could not be loaded.'));
      } finally {
        setLoading(false);
      }
    },
    [api, base],
  );

  useEffect(() => {
    void load(null);
  }, [load]);

  useEffect(() => {
    root.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [onClose]);

  const open = async (v: Version) => {
    setSelected(v);
    setChanges(null);
    setConfirming(false);
    setNote(null);
    try {
      setChanges(await api.request<VersionChanges>('GET', `${base}/${v.id}/changes`));
    } catch (err) {
      setError(message(err, 'This version could not be opened.'));
    }
  };

  const save = async (e: Event) => {
    e.preventDefault();
    if (!name.trim()) return;
    setBusy(true);
    try {
      await api.request<Version>('POST', base, { name: name.trim() });
      setName('');
      setNote('Version saved.');
      await load(null);
    } catch (err) {
      setError(message(err, 'The version could not be saved.'));
    } finally {
      setBusy(false);
    }
  };

  const restore = async () => {
    if (!selected) return;
    setBusy(true);
    try {
      await api.request<VersionRestored>('POST', `${base}/${selected.id}/restore`);
      setNote(`Restored the version of ${fullTime(selected.createdAt)}. Everyone editing sees it now.`);
      setSelected(null);
      setChanges(null);
      setConfirming(false);
      await load(null);
    } catch (err) {
      setError(message(err, 'The version could not be restored.'));
    } finally {
      setBusy(false);
    }
  };

  const authorName = (id: string | undefined) =>
    id ? (changes?.authors.find((a) => a.userId === id)?.displayName ?? 'someone') : 'someone';

  return (
    <aside class="vh-panel" aria-label="Version history" tabIndex={-1} ref={root} data-testid="history-panel">
      <header class="vh-head">
        <h2>Version history</h2>
        <button type="button" class="ed-btn" aria-label="Close version history" onClick={onClose}>
          ×
        </button>
      </header>
      {note && (
        <p class="vh-note" role="status">
          {note}
        </p>
      )}
      {error && (
        <p class="vh-error" role="alert">
          {error}
        </p>
      )}
      {canEdit && !selected && (
        <form class="vh-save" onSubmit={save}>
          <input
            aria-label="Version name"
            placeholder="Name this version"
            maxLength={VERSION_NAME_MAX_LENGTH}
            value={name}
            onInput={(e) => setName((e.target as HTMLInputElement).value)}
          />
          <button type="submit" class="ed-btn" disabled={busy || !name.trim()}>
            Save version
          </button>
        </form>
      )}
      {selected ? (
        <section class="vh-view" aria-label={`Version of ${fullTime(selected.createdAt)}`}>
          <div class="vh-view__bar">
            <button type="button" class="ed-btn" onClick={() => setSelected(null)}>
              ← All versions
            </button>
            {canEdit &&
              (confirming ? (
                <span class="vh-confirm">
                  Restore for everyone?
                  <button
                    type="button"
                    class="ed-btn ed-btn--primary"
                    disabled={busy}
                    onClick={restore}
                    data-testid="history-confirm-restore"
                  >
                    Restore
                  </button>
                  <button type="button" class="ed-btn" onClick={() => setConfirming(false)}>
                    Cancel
                  </button>
                </span>
              ) : (
                <button type="button" class="ed-btn" onClick={() => setConfirming(true)} data-testid="history-restore">
                  Restore this version
                </button>
              ))}
          </div>
          <p class="vh-view__meta">
            {kindLabel(selected)} · {fullTime(selected.createdAt)}
            {changes && ` · ${changes.added} characters added, ${changes.removed} removed`}
          </p>
          {!changes ? (
            <p class="vh-muted">Loading…</p>
          ) : (
            <div class="vh-doc" data-testid="history-doc">
              {changes.blocks.map((b, i) => (
                <p key={i} class={`vh-block vh-block--${b.type} vh-block--${b.status}`}>
                  {b.segments.map((s, j) =>
                    s.status === 'same' ? (
                      <span key={j}>{s.text}</span>
                    ) : s.status === 'added' ? (
                      <ins
                        key={j}
                        style={s.authorId ? { '--vh-author': colorForUserId(s.authorId) } : undefined}
                        title={`Added by ${authorName(s.authorId)}`}
                      >
                        {s.text}
                      </ins>
                    ) : (
                      <del key={j} title={`Removed (written by ${authorName(s.authorId)})`}>
                        {s.text}
                      </del>
                    ),
                  )}
                </p>
              ))}
            </div>
          )}
        </section>
      ) : (
        <ol class="vh-list" data-testid="history-list">
          {versions.map((v) => (
            <li key={v.id}>
              <button type="button" class="vh-item" onClick={() => open(v)}>
                <span class="vh-item__title">{kindLabel(v)}</span>
                <time dateTime={v.createdAt} title={fullTime(v.createdAt)}>
                  {relativeTime(v.createdAt)}
                </time>
                <span class="vh-item__people">{people(v)}</span>
              </button>
            </li>
          ))}
          {!loading && versions.length === 0 && (
            <li class="vh-muted">No versions yet: one is saved once editing pauses.</li>
          )}
          {cursor && (
            <li>
              <button type="button" class="ed-btn" disabled={loading} onClick={() => load(cursor)}>
                Show older versions
              </button>
            </li>
          )}
        </ol>
      )}
    </aside>
  );
}
