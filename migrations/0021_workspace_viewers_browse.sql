-- Whether viewers of a workspace's documents see their comments and version history (issue 14,
-- docs/spec/comments.md [C1], docs/spec/history.md [V6]). Owners and admins change it; on by
-- default so viewers keep what they saw before the setting existed. People who can comment or
-- edit always see both: the setting is only about read-only viewers.
alter table workspaces add column viewers_browse boolean not null default true;
