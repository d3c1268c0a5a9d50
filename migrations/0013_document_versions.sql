-- Version history (docs/spec/history.md): each version holds the whole encoded Yjs state of the
-- document at that moment, so it survives compaction (which deletes the update-log rows) and can
-- be rendered, compared and restored on its own. Listed newest first by (created_at, id).
create table document_versions (
  id uuid primary key,
  document_id uuid not null references documents (id) on delete cascade,
  created_at timestamptz not null default now(),
  kind text not null check (kind in ('auto', 'named', 'restore', 'pre-restore')),
  name text,
  -- Who asked for it (named, restore, pre-restore); null for automatic versions.
  created_by uuid references users (id) on delete set null,
  -- Who edited since the previous version (user ids; kept when an account goes).
  contributors uuid[] not null default '{}',
  -- A restore entry: the version it brought back (kept as an id even after that version expires).
  restored_from uuid,
  state bytea not null,
  state_bytes integer not null,
  -- sha256 of state: an automatic version identical to the latest one is not stored twice.
  state_hash bytea not null
);
create index document_versions_document_idx on document_versions (document_id, created_at desc, id desc);

-- Who edited a document and when, written by the sync tier at most once per person every few
-- seconds (never per keystroke): a version's contributors are the people who edited after the
-- previous version.
create table document_version_authors (
  document_id uuid not null references documents (id) on delete cascade,
  user_id uuid not null references users (id) on delete cascade,
  last_edit_at timestamptz not null default now(),
  primary key (document_id, user_id)
);

-- Which person a Yjs client id belongs to (one per editing session), so a comparison of two
-- versions can say who wrote the text it shows as added. First writer wins: a client id is never
-- re-assigned to someone else.
create table document_clients (
  document_id uuid not null references documents (id) on delete cascade,
  client_id bigint not null,
  user_id uuid not null references users (id) on delete cascade,
  primary key (document_id, client_id)
);
