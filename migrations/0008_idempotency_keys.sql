-- Idempotency-Key (draft-ietf-httpapi-idempotency-key-header) on POST routes that create things:
-- a retried request with the same key (per user) gets the first answer instead of a second job
-- or document. Rows live 24 hours; `status` is null while the first request is still running.
create table idempotency_keys (
  user_id uuid not null references users (id) on delete cascade,
  key text not null,
  -- sha256 of method, path and body: the same key with another request is refused (422).
  fingerprint bytea not null,
  status integer,
  response_body text,
  response_location text,
  created_at timestamptz not null default now(),
  primary key (user_id, key)
);
create index idempotency_keys_created_idx on idempotency_keys (created_at);
