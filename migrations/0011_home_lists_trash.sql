-- Home and trash (issue 12): what a person can open, across workspaces, and documents that are
-- deleted only after a grace period.
--   * documents.trashed_at / trashed_by: a trashed document is hidden from lists and search and
--     refused to everything but its restore and purge; the worker deletes it for good after
--     TRASH_RETENTION_DAYS (its update log, shares, stars and visits go with it by cascade).
--   * document_shares.shared_by: who shared, for "Shared with me" (null for shares made before).
--   * document_stars: a person's starred documents.
--   * document_visits: when a person last opened a document ("Recent"), written at most once per
--     throttle interval per person and document, so opening is not a write per connection.
alter table documents add column trashed_at timestamptz;
alter table documents add column trashed_by uuid references users (id) on delete set null;
-- The trash list per workspace and the purge's "expired" scan read only trashed rows.
create index documents_trashed_idx on documents (workspace_id, trashed_at desc, id desc) where trashed_at is not null;
create index documents_trash_expiry_idx on documents (trashed_at) where trashed_at is not null;
-- Title order (GET …/documents?order=title) pages by (title, id) like the other orders.
create index documents_workspace_title_idx on documents (workspace_id, title, id);

alter table document_shares add column shared_by uuid references users (id) on delete set null;

create table document_stars (
  user_id uuid not null references users (id) on delete cascade,
  document_id uuid not null references documents (id) on delete cascade,
  created_at timestamptz not null default now(),
  primary key (user_id, document_id)
);
create index document_stars_document_idx on document_stars (document_id);

create table document_visits (
  user_id uuid not null references users (id) on delete cascade,
  document_id uuid not null references documents (id) on delete cascade,
  visited_at timestamptz not null default now(),
  primary key (user_id, document_id)
);
create index document_visits_recent_idx on document_visits (user_id, visited_at desc, document_id desc);
create index document_visits_document_idx on document_visits (document_id);

-- Search never holds a trashed body: trashing removes its row, restoring writes it again.
create or replace function document_search_refresh() returns trigger language plpgsql as $$
begin
  if new.content_text = '' or new.trashed_at is not null then
    delete from document_search where document_id = new.id;
  else
    insert into document_search (document_id, workspace_id, content_updated_at, body)
    values (new.id, new.workspace_id, new.updated_at, to_tsvector('english', new.content_text))
    on conflict (document_id) do update
      set workspace_id = excluded.workspace_id,
          content_updated_at = excluded.content_updated_at,
          body = excluded.body;
  end if;
  return null;
end
$$;

create trigger documents_search_trash after update of trashed_at on documents
  for each row when (old.trashed_at is distinct from new.trashed_at) execute function document_search_refresh();
