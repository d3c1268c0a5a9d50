-- Account security (issue 12, docs/spec/auth.md [A10] [A11] [A12]): email changes confirmed by a
-- one-time link mailed to the new address, and whether an account's email has been shown to reach
-- its owner (a link mailed to it was used), which in-app invitations need [I6].

-- One row per requested change; the link's secret is stored as its sha256 only.
create table email_changes (
  token_hash bytea primary key,
  user_id uuid not null references users (id) on delete cascade,
  new_email text not null,
  expires_at timestamptz not null,
  used_at timestamptz,
  created_at timestamptz not null default now()
);
create index email_changes_user_idx on email_changes (user_id);

-- Set when a link mailed to the account's current email is used (an email change or verification
-- link, a password reset); cleared when the email changes by any other way (there is none today).
alter table users add column email_verified_at timestamptz;
