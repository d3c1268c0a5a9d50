-- Accounts, workspaces, documents, shares: ARCHITECTURE §2.
create table users (
  id uuid primary key,
  email text not null,
  display_name text not null,
  password_hash text,
  -- Subject at an external OIDC issuer, when accounts come from one.
  external_subject text unique,
  created_at timestamptz not null default now()
);
create unique index users_email_key on users (lower(email));

create table workspaces (
  id uuid primary key,
  name text not null,
  plan text not null default 'free' check (plan in ('free', 'business', 'enterprise')),
  rate_limit_per_second integer check (rate_limit_per_second > 0),
  created_by uuid not null references users (id),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table workspace_members (
  workspace_id uuid not null references workspaces (id) on delete cascade,
  user_id uuid not null references users (id) on delete cascade,
  role text not null check (role in ('owner', 'admin', 'member', 'guest')),
  created_at timestamptz not null default now(),
  primary key (workspace_id, user_id)
);
create index workspace_members_user_idx on workspace_members (user_id);

create table documents (
  id uuid primary key,
  workspace_id uuid not null references workspaces (id) on delete cascade,
  title text not null,
  created_by uuid not null references users (id),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- Projections written by the sync tier's compaction: ProseMirror JSON and its plain text.
  content jsonb,
  content_text text not null default '',
  state bytea,
  state_clock bigint not null default 0,
  search tsvector generated always as (
    setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', content_text), 'B')
  ) stored
);
-- Keyset pagination per workspace, newest first.
create index documents_workspace_created_idx on documents (workspace_id, created_at desc, id desc);
create index documents_search_idx on documents using gin (search);

create table document_updates (
  document_id uuid not null references documents (id) on delete cascade,
  seq bigint not null,
  update bytea not null,
  created_at timestamptz not null default now(),
  primary key (document_id, seq)
);

create table document_shares (
  document_id uuid not null references documents (id) on delete cascade,
  user_id uuid not null references users (id) on delete cascade,
  role text not null check (role in ('editor', 'commenter', 'viewer')),
  created_at timestamptz not null default now(),
  primary key (document_id, user_id)
);
create index document_shares_user_idx on document_shares (user_id);
