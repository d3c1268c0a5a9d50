-- The document list ordered by last update (GET /workspaces/{id}/documents?order=updated) reads
-- one keyset page per request, like the creation order next to it.
create index documents_workspace_updated_idx on documents (workspace_id, updated_at desc, id desc);
