-- The workspace's primary owner (issue 12, docs/spec/auth.md [P9]): the one owner who may demote or
-- remove other owners and who cannot leave or step down until they hand the role to another
-- member. Follows 0015 (general access and document ownership). Existing workspaces: their creator if still an owner,
-- otherwise their longest-standing owner.
alter table workspaces add column primary_owner_id uuid references users (id) on delete set null;
update workspaces w set primary_owner_id = coalesce(
  (select m.user_id from workspace_members m
    where m.workspace_id = w.id and m.user_id = w.created_by and m.role = 'owner'),
  (select m.user_id from workspace_members m
    where m.workspace_id = w.id and m.role = 'owner' order by m.created_at, m.user_id limit 1));
