-- Comments (issue 14): threads anchored to a text range of a document, their comments, the
-- notifications mentions and replies create, and each person's email setting for them.
-- An anchor is a pair of Yjs relative positions (base64 of Y.encodeRelativePosition): they point
-- at CRDT items, not offsets, so they follow the text through everyone's edits; when the text is
-- deleted they collapse and the thread shows as "on deleted text" (docs/spec/comments.md [C2]).
create table comment_threads (
  id uuid primary key,
  document_id uuid not null references documents (id) on delete cascade,
  created_by uuid references users (id) on delete set null,
  anchor_start text not null,
  anchor_end text not null,
  -- The text that was selected, as it read then (shown when the text is gone).
  quote text not null default '',
  resolved_at timestamptz,
  resolved_by uuid references users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
-- Lists read one document's threads in id (= creation, uuid v7) order, open or resolved.
create index comment_threads_document_idx on comment_threads (document_id, id);

create table comments (
  id uuid primary key,
  thread_id uuid not null references comment_threads (id) on delete cascade,
  author_id uuid references users (id) on delete set null,
  body text not null,
  -- People @mentioned in the body (structured: the body's "@Name" is only text).
  mentions uuid[] not null default '{}',
  created_at timestamptz not null default now(),
  edited_at timestamptz
);
create index comments_thread_idx on comments (thread_id, id);

create table notifications (
  id uuid primary key,
  user_id uuid not null references users (id) on delete cascade,
  kind text not null check (kind in ('mention', 'reply')),
  document_id uuid not null references documents (id) on delete cascade,
  thread_id uuid not null references comment_threads (id) on delete cascade,
  comment_id uuid not null references comments (id) on delete cascade,
  actor_id uuid references users (id) on delete set null,
  created_at timestamptz not null default now(),
  read_at timestamptz,
  -- Set once the notification went out in a digest email, or was skipped (read, email off).
  emailed_at timestamptz
);
create index notifications_user_idx on notifications (user_id, id desc);
create index notifications_unread_idx on notifications (user_id) where read_at is null;
-- The digest job's queue: notifications not yet emailed, oldest first.
create index notifications_digest_idx on notifications (created_at) where emailed_at is null;

create table notification_settings (
  user_id uuid primary key references users (id) on delete cascade,
  email text not null default 'digest' check (email in ('digest', 'off')),
  updated_at timestamptz not null default now()
);
