/**
 * A workspace's documents, most recently updated first (or by creation or title; all, mine or
 * starred): create, open, star, rename inline, share, move to the trash (after a confirm), and
 * full-text search with highlighted snippets.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { SEARCH_QUERY_MAX_LENGTH, TITLE_MAX_LENGTH } from '../../../src/domain/limits.ts';
import type { ApiClient, User } from '../api.ts';
import { Dialog } from '../components/dialog.tsx';
import { FormError } from '../components/field.tsx';
import { ShareDialog } from '../components/share-dialog.tsx';
import { Snippet } from '../components/snippet.tsx';
import { StarButton } from '../components/star-button.tsx';
import { plainError } from '../form-errors.ts';
import { fullTime, relativeTime } from '../format.ts';
import {
  canDelete,
  canManageShares,
  canRename,
  type DocumentListItem,
  type Page,
  type SearchHit,
  type Workspace,
  workspaceAtLeast,
} from '../model.ts';
import { notify } from '../notify.ts';
import { navigate, onLinkClick } from '../router.ts';
import { ImportButton, useFileImport } from './document-import.tsx';
import { loadEditor } from './editor-route.tsx';

/** One page of the list ordered by last update (`order=updated`); older ones are a search away. */
const PAGE_SIZE = 100;
const SEARCH_DEBOUNCE_MS = 300;
const SEARCH_LIMIT = 20;

/** Starts downloading the editor bundle when a click that needs it looks likely. */
const prefetchEditor = () => void loadEditor().catch(() => undefined);

type Order = 'updated' | 'created' | 'title';
type Filter = 'all' | 'mine' | 'starred';
const ORDER_LABELS: Record<Order, string> = { updated: 'Last edited', created: 'Newest', title: 'Title A–Z' };
const FILTER_LABELS: Record<Filter, string> = { all: 'All documents', mine: 'Created by me', starred: 'Starred' };

type Props = { api: ApiClient; user: User; workspaceId: string; workspace: Workspace | undefined };

export function DocumentsPage({ api, user, workspaceId, workspace }: Props) {
  const [docs, setDocs] = useState<DocumentListItem[] | null>(null);
  const [order, setOrder] = useState<Order>('updated');
  const [filter, setFilter] = useState<Filter>('all');
  const [truncated, setTruncated] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [renaming, setRenaming] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<DocumentListItem | null>(null);
  const [sharing, setSharing] = useState<DocumentListItem | null>(null);

  useEffect(() => {
    document.title = `${workspace?.name ?? 'Documents'} — Collab Docs`;
  }, [workspace?.name]);

  useEffect(() => {
    let cancelled = false;
    setDocs(null);
    setLoadError(null);
    (async () => {
      const query = new URLSearchParams({ order, limit: String(PAGE_SIZE) });
      if (filter === 'mine') query.set('owner', user.id);
      if (filter === 'starred') query.set('starred', 'true');
      const res: Page<DocumentListItem> = await api.request('GET', `/workspaces/${workspaceId}/documents?${query}`);
      if (cancelled) return;
      setTruncated(res.nextCursor !== null);
      setDocs(res.items);
    })().catch((err) => {
      if (cancelled) return;
      setLoadError(
        (err as { status?: number }).status === 404
          ? 'This workspace does not exist, or you are no longer a member of it.'
          : plainError(err),
      );
    });
    return () => {
      cancelled = true;
    };
  }, [api, workspaceId, order, filter]);

  const create = async () => {
    setCreating(true);
    setActionError(null);
    try {
      const doc = await api.request<{ id: string }>('POST', `/workspaces/${workspaceId}/documents`, {});
      navigate(`/d/${doc.id}`);
    } catch (err) {
      setActionError(plainError(err));
      setCreating(false);
    }
  };

  const rename = async (doc: DocumentListItem, title: string) => {
    setRenaming(null);
    const next = title.trim() || 'Untitled';
    if (next === doc.title) return;
    setActionError(null);
    try {
      const updated = await api.request<{ title: string; updatedAt: string }>('PATCH', `/documents/${doc.id}`, {
        title: next,
      });
      setDocs((prev) =>
        (prev ?? []).map((d) => (d.id === doc.id ? { ...d, title: updated.title, updatedAt: updated.updatedAt } : d)),
      );
      notify(`Renamed to “${updated.title}”.`);
    } catch (err) {
      setActionError(plainError(err));
    }
  };

  const remove = async (doc: DocumentListItem) => {
    setActionError(null);
    try {
      await api.request('DELETE', `/documents/${doc.id}`);
      setDocs((prev) => (prev ?? []).filter((d) => d.id !== doc.id));
      setDeleting(null);
      notify(`“${doc.title}” was moved to the trash.`);
    } catch (err) {
      setDeleting(null);
      setActionError(plainError(err));
    }
  };

  const mayCreate = workspace === undefined || workspaceAtLeast(workspace.role, 'member');
  const importer = useFileImport(api, workspaceId, setActionError);

  return (
    <main class={importer.dragging ? 'page drop-target' : 'page'} id="main" {...(mayCreate ? importer.zone : {})}>
      <div class="page-head">
        <h1>{workspace?.name ?? 'Documents'}</h1>
        {mayCreate && <ImportButton importer={importer} />}
        {mayCreate && (
          <button
            type="button"
            class="button primary"
            onClick={create}
            onPointerEnter={prefetchEditor}
            onFocus={prefetchEditor}
            disabled={creating}
          >
            <span aria-hidden="true">+</span> New document
          </button>
        )}
      </div>
      <SearchBox api={api} workspaceId={workspaceId}>
        <div class="list-controls">
          <label>
            <span class="muted small">Show</span>
            <select value={filter} onChange={(e) => setFilter(e.currentTarget.value as Filter)}>
              {(Object.keys(FILTER_LABELS) as Filter[]).map((f) => (
                <option key={f} value={f}>
                  {FILTER_LABELS[f]}
                </option>
              ))}
            </select>
          </label>
          <label>
            <span class="muted small">Sort by</span>
            <select value={order} onChange={(e) => setOrder(e.currentTarget.value as Order)}>
              {(Object.keys(ORDER_LABELS) as Order[]).map((o) => (
                <option key={o} value={o}>
                  {ORDER_LABELS[o]}
                </option>
              ))}
            </select>
          </label>
        </div>
        <FormError message={actionError} />
        {loadError && (
          <div class="empty" role="alert">
            <p>{loadError}</p>
            <p>
              <a href="/" onClick={onLinkClick}>
                Go to your workspaces
              </a>
            </p>
          </div>
        )}
        {!loadError && docs === null && <p class="muted loading">Loading documents…</p>}
        {docs !== null && docs.length === 0 && (
          <div class="empty">
            <p class="empty-title">No documents yet</p>
            <p class="muted">
              {filter !== 'all'
                ? 'Nothing matches this filter.'
                : mayCreate
                  ? 'Create the first one with “New document”.'
                  : 'Documents shared with you will appear here.'}
            </p>
          </div>
        )}
        {docs !== null && docs.length > 0 && (
          <ul class="doc-list" data-testid="document-list">
            {docs.map((doc) =>
              renaming === doc.id ? (
                <RenameRow
                  key={doc.id}
                  doc={doc}
                  onDone={(title) => rename(doc, title)}
                  onCancel={() => setRenaming(null)}
                />
              ) : (
                <DocumentRow
                  key={doc.id}
                  api={api}
                  doc={doc}
                  mayRename={canRename(doc)}
                  mayShare={canManageShares(doc, user.id, workspace?.role)}
                  mayDelete={doc.canDelete && canDelete(doc, user.id, workspace?.role)}
                  onRename={() => setRenaming(doc.id)}
                  onShare={() => setSharing(doc)}
                  onDelete={() => setDeleting(doc)}
                />
              ),
            )}
          </ul>
        )}
        {truncated && (
          <p class="muted">Showing the {PAGE_SIZE} most recently edited documents. Use search to find older ones.</p>
        )}
      </SearchBox>
      {deleting && (
        <Dialog label="Delete document" onClose={() => setDeleting(null)}>
          <p>
            Move “{deleting.title}” to the trash? Everyone it is shared with loses it too, until it is restored from the
            Trash.
          </p>
          <div class="dialog-actions">
            <button type="button" class="button" onClick={() => setDeleting(null)}>
              Cancel
            </button>
            <button type="button" class="button danger" onClick={() => remove(deleting)}>
              Move to trash
            </button>
          </div>
        </Dialog>
      )}
      {sharing && (
        <ShareDialog api={api} documentId={sharing.id} documentTitle={sharing.title} onClose={() => setSharing(null)} />
      )}
    </main>
  );
}

type RowProps = {
  api: ApiClient;
  doc: DocumentListItem;
  mayRename: boolean;
  mayShare: boolean;
  mayDelete: boolean;
  onRename: () => void;
  onShare: () => void;
  onDelete: () => void;
};

function DocumentRow({ api, doc, mayRename, mayShare, mayDelete, onRename, onShare, onDelete }: RowProps) {
  return (
    <li class="doc-row">
      <span class="doc-icon" aria-hidden="true" />
      <span class="doc-main">
        <a
          class="doc-title"
          href={`/d/${doc.id}`}
          onClick={onLinkClick}
          onPointerEnter={prefetchEditor}
          onFocus={prefetchEditor}
        >
          {doc.title}
        </a>
        <span class="doc-meta" title={fullTime(doc.updatedAt)}>
          Edited {relativeTime(doc.updatedAt)} · by {doc.createdByName}
          {doc.access === 'viewer' || doc.access === 'commenter'
            ? ` · you can ${doc.access === 'viewer' ? 'view' : 'comment'}`
            : ''}
        </span>
      </span>
      <span class="doc-actions">
        <StarButton api={api} documentId={doc.id} title={doc.title} starred={doc.starred} />
        {mayRename && (
          <button type="button" class="button subtle" aria-label={`Rename ${doc.title}`} onClick={onRename}>
            Rename
          </button>
        )}
        {mayShare && (
          <button type="button" class="button subtle" aria-label={`Share ${doc.title}`} onClick={onShare}>
            Share
          </button>
        )}
        {mayDelete && (
          <button type="button" class="button subtle danger-text" aria-label={`Delete ${doc.title}`} onClick={onDelete}>
            Delete
          </button>
        )}
      </span>
    </li>
  );
}

function RenameRow({
  doc,
  onDone,
  onCancel,
}: {
  doc: DocumentListItem;
  onDone: (t: string) => void;
  onCancel: () => void;
}) {
  const input = useRef<HTMLInputElement>(null);
  const finished = useRef(false);
  // Layout effect: the field has focus before the next key event, however fast the typing.
  useLayoutEffect(() => {
    input.current?.focus();
    input.current?.select();
  }, []);
  const finish = (save: boolean) => {
    if (finished.current) return;
    finished.current = true;
    if (save) onDone(input.current?.value ?? doc.title);
    else onCancel();
  };
  return (
    <li class="doc-row editing">
      <span class="doc-icon" aria-hidden="true" />
      <form
        class="doc-main"
        onSubmit={(e) => {
          e.preventDefault();
          finish(true);
        }}
      >
        <input
          ref={input}
          class="rename-input"
          aria-label={`New title for ${doc.title}`}
          defaultValue={doc.title}
          maxLength={TITLE_MAX_LENGTH}
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              e.preventDefault();
              finish(false);
            }
          }}
          onBlur={() => finish(true)}
        />
      </form>
      <span class="doc-actions">
        <span class="muted small">Enter to save · Esc to cancel</span>
      </span>
    </li>
  );
}

/** The search field; while it has a query, results replace the list (`children`). */
function SearchBox({
  api,
  workspaceId,
  children,
}: {
  api: ApiClient;
  workspaceId: string;
  children: ComponentChildren;
}) {
  const [q, setQ] = useState('');
  const [active, setActive] = useState('');
  const [hits, setHits] = useState<SearchHit[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const seq = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const run = async (query: string) => {
    clearTimeout(timer.current);
    const trimmed = query.trim();
    const mine = ++seq.current;
    setActive(trimmed);
    setError(null);
    if (!trimmed) {
      setHits(null);
      return;
    }
    try {
      const params = new URLSearchParams({
        q: trimmed.slice(0, SEARCH_QUERY_MAX_LENGTH),
        workspaceId,
        limit: String(SEARCH_LIMIT),
      });
      const res = await api.request<{ items: SearchHit[] }>('GET', `/search?${params}`);
      if (mine === seq.current) setHits(res.items);
    } catch (err) {
      if (mine !== seq.current) return;
      setHits([]);
      setError((err as { status?: number }).status === 400 ? 'Type a word or two to search for.' : plainError(err));
    }
  };

  useEffect(() => () => clearTimeout(timer.current), []);
  useEffect(() => {
    setQ('');
    setActive('');
    setHits(null);
  }, [workspaceId]);

  return (
    <>
      <search>
        <form
          class="search"
          onSubmit={(e) => {
            e.preventDefault();
            void run(q);
          }}
        >
          <span class="search-icon" aria-hidden="true" />
          <input
            type="search"
            aria-label="Search documents"
            placeholder="Search documents"
            value={q}
            maxLength={SEARCH_QUERY_MAX_LENGTH}
            onInput={(e) => {
              const value = e.currentTarget.value;
              setQ(value);
              clearTimeout(timer.current);
              timer.current = setTimeout(() => void run(value), SEARCH_DEBOUNCE_MS);
            }}
            onKeyDown={(e) => {
              if (e.key === 'Escape' && q) {
                e.preventDefault();
                setQ('');
                void run('');
              }
            }}
          />
        </form>
      </search>
      {active ? (
        <section aria-label="Search results" class="results">
          <p class="muted" role="status">
            {hits === null
              ? 'Searching…'
              : error
                ? ''
                : `${hits.length === 0 ? 'No' : hits.length} ${hits.length === 1 ? 'document matches' : 'documents match'} “${active}”.`}
          </p>
          <FormError message={error} />
          <ul class="result-list" data-testid="search-results">
            {(hits ?? []).map((h) => (
              <li key={h.id} class="result">
                <a class="doc-title" href={`/d/${h.id}`} onClick={onLinkClick}>
                  {h.title}
                </a>
                {h.snippet.length > 0 && <Snippet segments={h.snippet} fromComment={h.snippetSource === 'comment'} />}
              </li>
            ))}
          </ul>
        </section>
      ) : (
        children
      )}
    </>
  );
}
