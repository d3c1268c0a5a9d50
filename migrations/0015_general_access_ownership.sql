-- General access and document ownership (issue 12, docs/spec/auth.md [P7] [P8]).
--   * documents.general_access: what every member of the workspace may do with the document
--     without a person share: 'restricted' (nothing), 'view', 'comment' or 'edit'. Workspace admins
--     and owners keep full access whatever it says; guests only ever get person shares. Existing
--     and new documents start at 'edit', what members could do before the setting existed.
--   * documents.owner_id: the document's owner, who keeps it through any workspace role change
--     and may hand it to another member. Starts as its creator (created_by stays who created it).
alter table documents add column general_access text not null default 'edit'
  check (general_access in ('restricted', 'view', 'comment', 'edit'));
alter table documents add column owner_id uuid references users (id) on delete set null;
update documents set owner_id = created_by;
-- Every insert path (API, CLI, seeds, benchmarks) gets its creator as owner unless it says otherwise.
create or replace function document_owner_default() returns trigger language plpgsql as $$
begin
  new.owner_id := coalesce(new.owner_id, new.created_by);
  return new;
end $$;
create trigger documents_owner_default before insert on documents
  for each row execute function document_owner_default();
-- Lists and search skip a member's restricted documents by looking these up per workspace.
create index documents_restricted_idx on documents (workspace_id) where general_access = 'restricted';
-- "Documents I own" across workspaces (a guest's own documents are listed through it).
create index documents_owner_idx on documents (owner_id);
