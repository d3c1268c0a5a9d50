-- Outgoing mail (an outbox: a request never waits for SMTP), password resets, invitations to a
-- workspace or a document for any email, and workspace invite links. Every secret a link carries
-- is stored as its sha256 only.

-- One row per message still to deliver; deleted once delivered (or given up on), so the links it
-- carries do not outlive their delivery.
create table mail_outbox (
  id uuid primary key,
  -- What the message is for (password-reset, invitation, share): the metrics' label.
  kind text not null,
  recipient text not null,
  subject text not null,
  body_text text not null,
  attempts integer not null default 0,
  -- Due time; a claimed row is pushed into the future (a lease) while it is being sent.
  next_attempt_at timestamptz not null default now(),
  last_error text,
  created_at timestamptz not null default now()
);
create index mail_outbox_due_idx on mail_outbox (next_attempt_at);

create table password_resets (
  token_hash bytea primary key,
  user_id uuid not null references users (id) on delete cascade,
  expires_at timestamptz not null,
  used_at timestamptz,
  created_at timestamptz not null default now()
);
create index password_resets_user_idx on password_resets (user_id);

-- An invitation to a workspace (document_id null; role is a workspace role) or to a document
-- (role is a share role), for an email that may or may not have an account.
create table invitations (
  id uuid primary key,
  workspace_id uuid not null references workspaces (id) on delete cascade,
  document_id uuid references documents (id) on delete cascade,
  email text not null,
  role text not null,
  token_hash bytea not null unique,
  invited_by uuid references users (id) on delete set null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  accepted_at timestamptz,
  accepted_by uuid references users (id) on delete set null,
  revoked_at timestamptz
);
create index invitations_workspace_idx on invitations (workspace_id, created_at);
create index invitations_document_idx on invitations (document_id, created_at) where document_id is not null;
create index invitations_email_idx on invitations (lower(email));

-- Links that let anyone holding them join a workspace with a role, until they expire, are used
-- up or are revoked.
create table workspace_invite_links (
  id uuid primary key,
  workspace_id uuid not null references workspaces (id) on delete cascade,
  role text not null,
  token_hash bytea not null unique,
  created_by uuid references users (id) on delete set null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  max_uses integer,
  uses integer not null default 0,
  revoked_at timestamptz
);
create index workspace_invite_links_workspace_idx on workspace_invite_links (workspace_id, created_at);
