/**
 * A workspace's members: name, email and role; owners and admins invite anyone by email (they
 * join by accepting), see, re-send and withdraw pending invitations, create invite links, change
 * roles and remove people. Anyone may leave. The API decides; refusals are shown in plain words.
 */
import { useEffect, useState } from 'preact/hooks';
import type { ApiClient, User } from '../api.ts';
import type { InvitationSent } from '../api-types.ts';
import { ViewerBrowsingSetting } from '../comments/viewer-browsing-setting.tsx';
import { AddByEmail } from '../components/add-by-email.tsx';
import { CopyableLink } from '../components/copyable-link.tsx';
import { Dialog } from '../components/dialog.tsx';
import { FormError } from '../components/field.tsx';
import { InvitationList } from '../components/invitation-list.tsx';
import { InviteLinks } from '../components/invite-links.tsx';
import { plainError } from '../form-errors.ts';
import { initials } from '../initials.ts';
import {
  type Items,
  type Member,
  WORKSPACE_ROLE_LABELS,
  type Workspace,
  type WorkspaceRole,
  workspaceAtLeast,
} from '../model.ts';
import { notify } from '../notify.ts';
import { navigate } from '../router.ts';

const ROLES: WorkspaceRole[] = ['owner', 'admin', 'member', 'guest'];
const ROLE_HELP: Record<WorkspaceRole, string> = {
  owner: 'everything, including billing and deleting the workspace',
  admin: 'manages members and every document',
  member: 'creates and edits documents',
  guest: 'sees only documents shared with them',
};

type Props = {
  api: ApiClient;
  user: User;
  workspaceId: string;
  workspace: Workspace | undefined;
  /** After the user leaves or changes their own role. */
  onMembershipChanged: () => void;
};

export function MembersPage({ api, user, workspaceId, workspace, onMembershipChanged }: Props) {
  const [members, setMembers] = useState<Member[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [leaving, setLeaving] = useState<Member | null>(null);
  const [sent, setSent] = useState<InvitationSent | null>(null);
  const [invitations, setInvitations] = useState(0);
  const base = `/workspaces/${workspaceId}/members`;
  const myRole = workspace?.role;
  const manages = workspaceAtLeast(myRole, 'admin');
  // [P9] The primary owner hands the role over before leaving; only they demote owners.
  const primaryOwnerId = workspace?.primaryOwnerId ?? null;
  const iAmPrimary = primaryOwnerId === user.id;

  useEffect(() => {
    document.title = `Members · ${workspace?.name ?? 'Workspace'} — Collab Docs`;
  }, [workspace?.name]);

  useEffect(() => {
    setMembers(null);
    setLoadError(null);
    api
      .request<Items<Member>>('GET', base)
      .then((r) => setMembers(r.items))
      .catch((err) =>
        setLoadError(
          err.status === 403
            ? 'Only workspace members can see who else is in this workspace. Guests see only what is shared with them.'
            : err.status === 404
              ? 'This workspace does not exist, or you are no longer a member of it.'
              : plainError(err),
        ),
      );
  }, [api, base]);

  const invite = async (email: string, role: WorkspaceRole) => {
    const s = await api.request<InvitationSent>('POST', base, { email, role });
    setSent(s);
    setInvitations((v) => v + 1);
    notify(`Invitation sent to ${s.email}. They join when they accept it.`);
  };

  const change = async (m: Member, next: WorkspaceRole) => {
    setError(null);
    try {
      const updated = await api.request<Member>('PATCH', `${base}/${m.userId}`, { role: next });
      setMembers((prev) => (prev ?? []).map((x) => (x.userId === m.userId ? updated : x)));
      notify(`${m.displayName} is now ${WORKSPACE_ROLE_LABELS[next].toLowerCase()}.`);
      if (m.userId === user.id) onMembershipChanged();
    } catch (err) {
      setError(plainError(err));
      setMembers((prev) => (prev ? [...prev] : prev));
    }
  };

  const makePrimary = async (m: Member) => {
    setError(null);
    try {
      await api.request('PUT', `/workspaces/${workspaceId}/primary-owner`, { userId: m.userId });
      setMembers((prev) => (prev ?? []).map((x) => (x.userId === m.userId ? { ...x, role: 'owner' } : x)));
      notify(`${m.displayName} is now the primary owner.`);
      onMembershipChanged();
    } catch (err) {
      setError(plainError(err));
    }
  };

  const remove = async (m: Member) => {
    setLeaving(null);
    setError(null);
    try {
      await api.request('DELETE', `${base}/${m.userId}`);
      if (m.userId === user.id) {
        notify(`You left ${workspace?.name ?? 'the workspace'}.`);
        onMembershipChanged();
        navigate('/', { replace: true });
        return;
      }
      setMembers((prev) => (prev ?? []).filter((x) => x.userId !== m.userId));
      notify(`${m.displayName} was removed from the workspace.`);
    } catch (err) {
      setError(plainError(err));
    }
  };

  return (
    <main class="page" id="main">
      <div class="page-head">
        <h1>Members</h1>
        {workspace && <p class="muted page-sub">{workspace.name}</p>}
      </div>
      {loadError ? (
        <div class="empty" role="alert">
          <p>{loadError}</p>
        </div>
      ) : (
        <>
          <section class="card" aria-labelledby="invite-heading">
            <h2 id="invite-heading" class="subhead">
              Invite someone
            </h2>
            {!manages && members !== null && (
              <p class="muted small">Only workspace owners and admins can invite people or change roles.</p>
            )}
            <AddByEmail
              class="invite"
              roles={ROLES}
              roleLabels={WORKSPACE_ROLE_LABELS}
              initialRole="member"
              action="Invite"
              onAdd={invite}
              onFormError={setError}
              hint={(role) => (
                <>
                  {WORKSPACE_ROLE_LABELS[role]}: {ROLE_HELP[role]}. They join when they accept the emailed invitation;
                  without an account they can sign up from it.
                </>
              )}
            />
            {sent?.link && (
              <CopyableLink label={`Invitation link for ${sent.email} (no mail server: pass it on)`} url={sent.link} />
            )}
            {manages && (
              <InvitationList
                api={api}
                base={`/workspaces/${workspaceId}`}
                roleLabel={(r) => WORKSPACE_ROLE_LABELS[r as WorkspaceRole] ?? r}
                version={invitations}
              />
            )}
          </section>
          {manages && <InviteLinks api={api} workspaceId={workspaceId} />}
          {manages && <ViewerBrowsingSetting api={api} workspaceId={workspaceId} />}
          <FormError message={error} />
          {members === null ? (
            <p class="muted loading">Loading members…</p>
          ) : (
            <ul class="people members" data-testid="member-list" aria-label="Members">
              {members.map((m) => {
                const self = m.userId === user.id;
                return (
                  <li key={m.userId} class="person">
                    <span class="avatar" aria-hidden="true">
                      {initials(m.displayName)}
                    </span>
                    <span class="person-text">
                      <span class="person-name">
                        {m.displayName}
                        {self && <span class="muted"> (you)</span>}
                        {m.userId === primaryOwnerId && <span class="muted"> · primary owner</span>}
                      </span>
                      <span class="person-email">{m.email}</span>
                    </span>
                    <select
                      class="person-role"
                      aria-label={`Permission for ${m.displayName}`}
                      value={m.role}
                      onChange={(e) => change(m, e.currentTarget.value as WorkspaceRole)}
                    >
                      {ROLES.map((r) => (
                        <option key={r} value={r}>
                          {WORKSPACE_ROLE_LABELS[r]}
                        </option>
                      ))}
                    </select>
                    {iAmPrimary && !self && (
                      <button
                        type="button"
                        class="button subtle person-action"
                        aria-label={`Make ${m.displayName} primary owner`}
                        onClick={() => makePrimary(m)}
                      >
                        Make primary owner
                      </button>
                    )}
                    <button
                      type="button"
                      class="button subtle danger-text person-action"
                      aria-label={self ? undefined : `Remove ${m.displayName}`}
                      disabled={self && iAmPrimary}
                      title={self && iAmPrimary ? 'Make another member primary owner first' : undefined}
                      onClick={() => (self ? setLeaving(m) : remove(m))}
                    >
                      {self ? 'Leave' : 'Remove'}
                    </button>
                  </li>
                );
              })}
            </ul>
          )}
        </>
      )}
      {leaving && (
        <Dialog label="Leave workspace" onClose={() => setLeaving(null)}>
          <p>Leave {workspace?.name ?? 'this workspace'}? You will lose access to its documents.</p>
          <div class="dialog-actions">
            <button type="button" class="button" onClick={() => setLeaving(null)}>
              Cancel
            </button>
            <button type="button" class="button danger" onClick={() => remove(leaving)}>
              Leave
            </button>
          </div>
        </Dialog>
      )}
    </main>
  );
}
