-- Comments in exports (issue 14, docs/spec/export.md [E10]): which threads a job prints (`none`,
-- `open` or `all`), and the threads themselves, captured in the request's transaction with the
-- requester's right to read them, as the text is pinned [E2.1]: the file shows the comments as
-- they were when the export was asked for, and a share revoked later cannot leak newer ones.
-- Dropped with the pinned state once the job is done.
alter table export_jobs
  add column comments text not null default 'none' check (comments in ('none', 'open', 'all')),
  add column pinned_comments jsonb;
