-- Invitations declined by their invitee in the app (issue 12, docs/spec/auth.md [I6]). revoked_at
-- is set with it, so every list and check that skips withdrawn invitations skips a declined one;
-- its link then says it was declined.
alter table invitations add column declined_at timestamptz;
