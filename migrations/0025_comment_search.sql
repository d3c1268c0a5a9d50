-- Comments in search (issue 14, docs/spec/comments.md [C8]): one row per document with comments,
-- holding the text of its comments (newest first, capped) and that text's vector, GIN-indexed
-- with the workspace id like document_search (0009) so the permission filter and the term meet
-- in one index scan. Kept by triggers, so every path that writes or deletes a comment (a reply,
-- an edit, a deleted comment or thread) updates it in the same transaction: a deleted comment is
-- not found from the moment it is gone. A document's comments are bounded (5,000 threads of at
-- most 500 comments), the text is cut at 200,000 characters, well under a tsvector's 1 MB.
create table comment_search (
  document_id uuid primary key references documents (id) on delete cascade,
  workspace_id uuid not null,
  updated_at timestamptz not null,
  -- The comments' text (snippets are cut from it) and its vector.
  text text not null,
  body tsvector not null
) with (toast_tuple_target = 128);
create index comment_search_body_idx on comment_search using gin (workspace_id, body);

create function comment_search_refresh(doc uuid) returns void language plpgsql as $$
declare
  ws uuid;
  joined text;
begin
  -- The document is going (a cascade from its deletion): its row goes with it.
  select workspace_id into ws from documents where id = doc;
  if ws is null then
    return;
  end if;
  select left(string_agg(x.body, E'\n' order by x.id desc), 200000) into joined from (
    select c.id, c.body from comments c join comment_threads t on t.id = c.thread_id
    where t.document_id = doc
    order by c.id desc limit 5000) x;
  if joined is null then
    delete from comment_search where document_id = doc;
  else
    insert into comment_search (document_id, workspace_id, updated_at, text, body)
    values (doc, ws, now(), joined, to_tsvector('english', joined))
    on conflict (document_id) do update
      set updated_at = excluded.updated_at, text = excluded.text, body = excluded.body;
  end if;
end
$$;

create function comments_search_trigger() returns trigger language plpgsql as $$
declare
  doc uuid;
begin
  -- A thread deleted with its comments: the thread's own trigger refreshes the document.
  select document_id into doc from comment_threads where id = coalesce(new.thread_id, old.thread_id);
  if doc is not null then
    perform comment_search_refresh(doc);
  end if;
  return null;
end
$$;
create trigger comments_search_change after insert or delete or update of body on comments
  for each row execute function comments_search_trigger();

create function comment_threads_search_trigger() returns trigger language plpgsql as $$
begin
  perform comment_search_refresh(old.document_id);
  return null;
end
$$;
create trigger comment_threads_search_delete after delete on comment_threads
  for each row execute function comment_threads_search_trigger();

insert into comment_search (document_id, workspace_id, updated_at, text, body)
select d.id, d.workspace_id, now(), j.joined, to_tsvector('english', j.joined)
from documents d
join lateral (
  select left(string_agg(x.body, E'\n' order by x.id desc), 200000) as joined from (
    select c.id, c.body from comments c join comment_threads t on t.id = c.thread_id
    where t.document_id = d.id order by c.id desc limit 5000) x
) j on j.joined is not null
where exists (select 1 from comment_threads t where t.document_id = d.id);
