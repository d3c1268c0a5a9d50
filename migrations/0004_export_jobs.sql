-- Export jobs (ARCHITECTURE §5): the queue is this table. A job row is inserted in the request's
-- transaction together with the quota increment (the outbox), so a 202 always has a job behind it.
create table export_jobs (
  id uuid primary key,
  workspace_id uuid not null references workspaces (id) on delete cascade,
  -- No foreign key: a job outlives its document's deletion and then ends `failed`, visibly.
  document_id uuid not null,
  requested_by uuid not null references users (id) on delete cascade,
  format text not null check (format in ('pdf', 'docx', 'markdown', 'html')),
  status text not null default 'queued' check (status in ('queued', 'running', 'succeeded', 'failed', 'dead')),
  -- Tries started so far (a try cut short by a worker crash counts; one cut short by shutdown does not).
  attempts integer not null default 0,
  -- Not claimable before this (retry backoff).
  run_after timestamptz not null default now(),
  -- A running job whose lease expired belongs to nobody: another worker reclaims it.
  leased_by text,
  lease_expires_at timestamptz,
  -- The pinned version: the stored state and the log rows as one statement saw them at request time.
  title text not null,
  pinned_state bytea,
  pinned_updates bytea[] not null default '{}',
  pinned_seq bigint,
  error text,
  result_key text,
  result_content_type text,
  result_bytes bigint,
  result_expires_at timestamptz,
  -- Completion/final-failure notification; `webhook_state` is null when there is nothing to send.
  webhook_url text,
  webhook_secret text,
  webhook_state text check (webhook_state in ('pending', 'delivered', 'failed')),
  webhook_attempts integer not null default 0,
  webhook_next_at timestamptz,
  webhook_last_error text,
  webhook_delivered_at timestamptz,
  -- Bumped by an admin retry: every outcome is announced once, under its own delivery id.
  generation integer not null default 1,
  created_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz,
  updated_at timestamptz not null default now()
);
create index export_jobs_claim_idx on export_jobs (run_after) where status = 'queued';
create index export_jobs_lease_idx on export_jobs (lease_expires_at) where status = 'running';
create index export_jobs_workspace_status_idx on export_jobs (workspace_id, status, created_at desc);
create index export_jobs_webhook_idx on export_jobs (webhook_next_at) where webhook_state = 'pending';
create index export_jobs_expiry_idx on export_jobs (result_expires_at) where result_key is not null;

-- Exports requested per workspace per calendar month (UTC); the quota is checked and counted in
-- one statement of the request's transaction.
create table export_quota_usage (
  workspace_id uuid not null references workspaces (id) on delete cascade,
  month date not null,
  used integer not null default 0,
  primary key (workspace_id, month)
);
