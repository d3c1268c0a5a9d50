-- Documents whose CRDT data cannot be served within budget (one update or one load would hold
-- the event loop past CRDT_MAIN_BUDGET_MS, or a rebuild ran past CRDT_WORKER_BUDGET_MS). While a
-- row exists, sockets are refused (4423) and content reads answer 423; an operator inspects,
-- repairs or releases it (`collab-docs documents ...`, docs/operations.md).
create table document_quarantine (
  document_id uuid primary key references documents (id) on delete cascade,
  reason text not null,
  detail jsonb not null default '{}'::jsonb,
  quarantined_at timestamptz not null default now()
);
