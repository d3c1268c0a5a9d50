/**
 * `/`: everything the person can open, across workspaces (docs/spec/home.md): recently opened,
 * shared with them (who shared, when), starred, and each workspace's latest documents. A person
 * who only has shares lands here and finds them; nothing links to a workspace they are not in.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { ApiClient } from '../api.ts';
import { PendingInvitations } from '../components/pending-invitations.tsx';
import { StarButton } from '../components/star-button.tsx';
import { plainError } from '../form-errors.ts';
import { fullTime, relativeTime } from '../format.ts';
import type { DocumentListItem, Page, Workspace } from '../model.ts';
import { onLinkClick } from '../router.ts';
import { loadEditor } from './editor-route.tsx';

const RECENT_LIMIT = 8;
const SECTION_LIMIT = 50;
const PER_WORKSPACE = 5;

const prefetchEditor = () => void loadEditor().catch(() => undefined);

type Props = {
  api: ApiClient;
  workspaces: Workspace[] | null;
  workspacesError: string | null;
  onNewWorkspace: () => void;
};

type Lists = { recent: DocumentListItem[]; shared: DocumentListItem[]; starred: DocumentListItem[] };

export function HomePage({ api, workspaces, workspacesError, onNewWorkspace }: Props) {
  const [lists, setLists] = useState<Lists | null>(null);
  const [error, setError] = useState<string | null>(null);
  /** Bumped after a star changes, so every section shows the same flag. */
  const [version, setVersion] = useState(0);

  useEffect(() => {
    document.title = 'Home — Collab Docs';
  }, []);

  useEffect(() => {
    let cancelled = false;
    const get = (query: string) => api.request<Page<DocumentListItem>>('GET', `/documents?${query}`);
    Promise.all([
      get(`order=opened&limit=${RECENT_LIMIT}`),
      get(`sharedWithMe=true&limit=${SECTION_LIMIT}`),
      get(`starred=true&limit=${SECTION_LIMIT}`),
    ]).then(
      ([recent, shared, starred]) => {
        if (cancelled) return;
        setLists({ recent: recent.items, shared: shared.items, starred: starred.items });
        setError(null);
      },
      (err: unknown) => {
        if (!cancelled) setError(plainError(err));
      },
    );
    return () => {
      cancelled = true;
    };
  }, [api, version]);

  const starChanged = useCallback(() => setVersion((v) => v + 1), []);
  const shown = error ?? workspacesError;
  const nothing =
    lists !== null &&
    workspaces !== null &&
    workspaces.length === 0 &&
    lists.recent.length + lists.shared.length + lists.starred.length === 0;

  return (
    <main class="page" id="main">
      <div class="page-head">
        <h1>Home</h1>
        <a class="button subtle" href="/trash" onClick={onLinkClick}>
          Trash
        </a>
      </div>
      <PendingInvitations api={api} />
      {shown && (
        <div class="empty" role="alert">
          <p>{shown}</p>
          <p>
            <button type="button" class="button" onClick={() => location.reload()}>
              Try again
            </button>
          </p>
        </div>
      )}
      {!shown && lists === null && (
        <p class="muted loading" role="status">
          Loading your documents…
        </p>
      )}
      {nothing && (
        <div class="empty">
          <p class="empty-title">Nothing here yet</p>
          <p class="muted">Documents shared with you will appear here. Or start your own:</p>
          <p>
            <button type="button" class="button primary" onClick={onNewWorkspace}>
              Create a workspace
            </button>
          </p>
        </div>
      )}
      {lists && !nothing && (
        <>
          <Section
            api={api}
            title="Recent"
            testId="home-recent"
            empty="Documents you open will appear here."
            items={lists.recent}
            meta={(d) => `${d.workspaceName} · opened ${relativeTime(d.openedAt ?? d.updatedAt)}`}
            version={version}
            onStar={starChanged}
          />
          <Section
            api={api}
            title="Shared with me"
            testId="home-shared"
            empty="Nothing is shared with you yet."
            items={lists.shared}
            meta={sharedMeta}
            version={version}
            onStar={starChanged}
          />
          <Section
            api={api}
            title="Starred"
            testId="home-starred"
            empty="Star a document to keep it here."
            items={lists.starred}
            meta={editedMeta}
            version={version}
            onStar={starChanged}
          />
          {(workspaces ?? []).map((w) => (
            <WorkspaceSection key={`${w.id}:${version}`} api={api} workspace={w} onStar={starChanged} />
          ))}
        </>
      )}
    </main>
  );
}

function sharedMeta(d: DocumentListItem): string {
  const who = d.share?.sharedBy?.displayName;
  const when = d.share ? relativeTime(d.share.sharedAt) : '';
  return `${d.workspaceName} · ${who ? `shared by ${who}` : 'shared with you'} ${when}`;
}

function editedMeta(d: DocumentListItem): string {
  return `${d.workspaceName} · edited ${relativeTime(d.updatedAt)} · by ${d.createdByName}`;
}

type SectionProps = {
  api: ApiClient;
  title: string;
  testId: string;
  empty: string;
  items: DocumentListItem[];
  meta: (d: DocumentListItem) => string;
  version: number;
  onStar: () => void;
};

function Section({ api, title, testId, empty, items, meta, version, onStar }: SectionProps) {
  const id = `home-${testId}`;
  return (
    <section class="home-section" aria-labelledby={id}>
      <h2 class="subhead" id={id}>
        {title}
      </h2>
      {items.length === 0 ? (
        <p class="muted small">{empty}</p>
      ) : (
        <ul class="doc-list" data-testid={testId}>
          {items.map((d) => (
            // Keyed by the star version: a star changed elsewhere shows here too.
            <Row key={`${d.id}:${version}`} api={api} doc={d} meta={meta(d)} onStar={onStar} />
          ))}
        </ul>
      )}
    </section>
  );
}

function Row({ api, doc, meta, onStar }: { api: ApiClient; doc: DocumentListItem; meta: string; onStar: () => void }) {
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
        <span class="doc-meta" title={fullTime(doc.share?.sharedAt ?? doc.updatedAt)}>
          {meta}
        </span>
      </span>
      <span class="doc-actions">
        <StarButton api={api} documentId={doc.id} title={doc.title} starred={doc.starred} onChange={onStar} />
      </span>
    </li>
  );
}

/** A workspace's few most recently updated documents, with a link to all of them. */
function WorkspaceSection({ api, workspace, onStar }: { api: ApiClient; workspace: Workspace; onStar: () => void }) {
  const [docs, setDocs] = useState<DocumentListItem[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let cancelled = false;
    api
      .request<Page<DocumentListItem>>(
        'GET',
        `/workspaces/${workspace.id}/documents?order=updated&limit=${PER_WORKSPACE}`,
      )
      .then(
        (page) => {
          if (!cancelled) setDocs(page.items);
        },
        (err: unknown) => {
          if (!cancelled) setError(plainError(err));
        },
      );
    return () => {
      cancelled = true;
    };
  }, [api, workspace.id]);
  const id = `home-ws-${workspace.id}`;
  return (
    <section class="home-section" aria-labelledby={id}>
      <div class="home-section-head">
        <h2 class="subhead" id={id}>
          {workspace.name}
        </h2>
        <a href={`/w/${workspace.id}`} onClick={onLinkClick} aria-label={`All documents in ${workspace.name}`}>
          All documents →
        </a>
      </div>
      {error && <p class="form-error">{error}</p>}
      {docs !== null && docs.length === 0 && <p class="muted small">No documents you can open yet.</p>}
      {docs !== null && docs.length > 0 && (
        <ul class="doc-list">
          {docs.map((d) => (
            <Row key={d.id} api={api} doc={d} meta={editedMeta(d)} onStar={onStar} />
          ))}
        </ul>
      )}
    </section>
  );
}
