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

-- A repaired document is re-created by a new client: the client ids of its old history are
-- retired. A browser that still holds a copy from before the repair (offline, in IndexedDB) would
-- send that history back and duplicate the text; frames naming a retired client are refused with
-- 4409 and the browser drops its copy.
create table document_repairs (
  document_id uuid primary key references documents (id) on delete cascade,
  retired_vector bytea not null,
  repaired_at timestamptz not null default now()
);
