-- Search at a million documents (issue 18, docs/architecture.md "Search"). The generated
-- `documents.search` (title + whole content) made every rename re-parse the content and, the
-- update never being HOT, re-insert every lexeme of the document into the GIN index. Now:
--   * documents.title_search: the title's own vector (tiny), GIN-indexed with the workspace id,
--     plus a trigram index on the title for the quick switcher (substring and typo-tolerant);
--   * document_search: one narrow row per document with text, the body's vector and the time
--     its content last changed, kept by triggers from `content_text` only, so a rename never
--     touches it. Its rows are pushed to TOAST early (toast_tuple_target) so the heap the
--     permission filter and the recency window walk stays small.
create extension if not exists pg_trgm;
-- B-tree operators in GIN: the workspace id sits in the same GIN index as the words, so the
-- permission filter and the term are intersected inside one index scan (a rare word in a big
-- workspace reads a handful of entries, not the workspace's 50,000).
create extension if not exists btree_gin;

-- Large columns (content, its text, the Yjs state) go to TOAST even when a few hundred bytes, so
-- the rows that lists, renames and title searches read and rewrite stay small.
alter table documents set (toast_tuple_target = 128);

alter table documents drop column search;
alter table documents
  add column title_search tsvector generated always as (to_tsvector('english', title)) stored;
create index documents_title_search_idx on documents using gin (workspace_id, title_search);
create index documents_title_trgm_idx on documents using gin (workspace_id, title gin_trgm_ops);

create table document_search (
  document_id uuid primary key references documents (id) on delete cascade,
  -- Copied from the document (documents never change workspace) so the permission filter
  -- needs no join before the window is cut.
  workspace_id uuid not null,
  content_updated_at timestamptz not null,
  body tsvector not null
) with (toast_tuple_target = 128);
create index document_search_body_idx on document_search using gin (workspace_id, body);

create function document_search_refresh() returns trigger language plpgsql as $$
begin
  if new.content_text = '' then
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

create trigger documents_search_insert after insert on documents
  for each row when (new.content_text <> '') execute function document_search_refresh();
create trigger documents_search_update after update of content_text on documents
  for each row when (old.content_text is distinct from new.content_text) execute function document_search_refresh();

insert into document_search (document_id, workspace_id, content_updated_at, body)
select id, workspace_id, updated_at, to_tsvector('english', content_text) from documents where content_text <> '';
