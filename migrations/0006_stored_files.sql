-- Files kept in the database (src/adapters/storage/postgres.ts): the shared store of a scaled
-- deployment with no object storage, so an API pod can serve a file a worker pod wrote. A file is
-- a header row plus 1 MiB bytea chunks, so neither side ever holds a whole large file in one value
-- and a download streams chunk by chunk without keeping a connection.
create table stored_files (
  -- Which use the file belongs to (e.g. "exports"), so each sweeps only its own files.
  namespace text not null,
  key text not null,
  size bigint not null,
  chunks integer not null,
  created_at timestamptz not null default now(),
  primary key (namespace, key)
);
create index stored_files_age_idx on stored_files (namespace, created_at);

create table stored_file_chunks (
  namespace text not null,
  key text not null,
  n integer not null,
  data bytea not null,
  primary key (namespace, key, n),
  foreign key (namespace, key) references stored_files (namespace, key) on delete cascade
);
