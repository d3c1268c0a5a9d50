-- "Sign out everywhere" (issue 12, docs/spec/auth.md [A9]): access tokens issued before this
-- instant are refused, so they do not outlive the sessions revoked with them.
alter table users add column sessions_revoked_at timestamptz;
