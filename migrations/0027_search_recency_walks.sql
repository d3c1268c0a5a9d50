-- Search at a million documents, second step (issue 18, docs/architecture.md "Search"). A common
-- word matches thousands of rows in one reader's reach; fetching every match from the GIN index to
-- keep the 200 most recent cost 600–900 ms of PostgreSQL CPU. Search now runs one arm per
-- workspace with the workspace id as a literal (src/adapters/sql/postgres-search.ts), and the
-- planner picks per arm: the GIN index for a rare word, or one of these newest-first walks for a
-- common one, stopping at the window:
--   * document_search (workspace, content time, id): the body's walk, one narrow heap row a step;
--   * documents (workspace, updated, id) with the title and its vector included, live documents
--     only: the title walks (search's title window, the quick switcher) read this index alone.
create index document_search_recent_idx on document_search (workspace_id, content_updated_at desc, document_id desc);
create index documents_title_recent_idx on documents (workspace_id, updated_at desc, id desc)
  include (title, title_search) where trashed_at is null;
