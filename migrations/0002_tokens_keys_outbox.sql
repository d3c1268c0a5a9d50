-- Rotating refresh tokens (stored hashed), signing keys, and the invalidation-event outbox.
create table refresh_tokens (
  id uuid primary key,
  user_id uuid not null references users (id) on delete cascade,
  family_id uuid not null,
  token_hash bytea not null unique,
  expires_at timestamptz not null,
  created_at timestamptz not null default now(),
  -- Set when this token was exchanged for its successor; presenting it again is reuse.
  rotated_at timestamptz,
  revoked_at timestamptz
);
create index refresh_tokens_family_idx on refresh_tokens (family_id);

create table signing_keys (
  kid text primary key,
  algorithm text not null default 'RS256',
  public_jwk jsonb not null,
  private_jwk jsonb not null,
  created_at timestamptz not null default now(),
  -- The newest non-retired key signs; retired keys stay published until tokens they signed expire.
  retired_at timestamptz
);

-- Written in the same transaction as the change it describes; published after commit.
create table outbox_events (
  id bigserial primary key,
  channel text not null,
  payload jsonb not null,
  created_at timestamptz not null default now()
);
