-- Images in documents (issue 13, docs/spec/images.md): the bytes live in the file store
-- (namespace "images", src/adapters/storage), this row says whose they are. No foreign keys to
-- documents or workspaces, on purpose: a purged document (or deleted workspace) leaves its rows
-- behind for the image cleanup (src/app/image-cleanup.ts), which deletes each stored file first and
-- then its row, so no file is ever left without a row that names it.
create table document_images (
  id uuid primary key,
  workspace_id uuid not null,
  document_id uuid not null,
  uploaded_by uuid,
  -- The file store key (`<id>-1.<ext>`); the bytes under it are never rewritten.
  storage_key text not null unique,
  content_type text not null check (content_type in ('image/png', 'image/jpeg', 'image/gif', 'image/webp')),
  size_bytes integer not null check (size_bytes > 0),
  width integer,
  height integer,
  -- Hex SHA-256 of the bytes: the ETag, and the same image uploaded twice to a document is stored once.
  sha256 text not null,
  created_at timestamptz not null default now()
);
create unique index document_images_document_sha_idx on document_images (document_id, sha256);
-- Quota: a workspace's image bytes are summed on every upload.
create index document_images_workspace_idx on document_images (workspace_id);
