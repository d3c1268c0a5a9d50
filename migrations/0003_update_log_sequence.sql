-- Log rows get ids from one sequence, so instances appending to the same document never collide.
-- Compaction deletes exactly the ids it merged (never "everything below n": a row with a lower id
-- may commit after a higher one).
create sequence document_updates_seq;
alter table document_updates alter column seq set default nextval('document_updates_seq');
