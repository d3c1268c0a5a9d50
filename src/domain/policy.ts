/**
 * Who may do what, decided in one place. Every route asks here before reading or writing.
 * Outsiders get NotFound (no existence leak); insiders without the right get Forbidden.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Conflict, Forbidden, InTrash, NotFound, Unauthenticated } from './errors.ts';
import { atLeast, type DocumentAccess, WORKSPACE_ROLES, type WorkspaceRole, workspaceAtLeast } from './roles.ts';

export type WorkspaceAction =
  | 'workspace.read'
  | 'workspace.rename'
  | 'workspace.delete'
  | 'members.list'
  | 'members.add'
  | 'documents.create'
  | 'documents.listAll'
  | 'trash.listAll'
  | 'workspace.settings';

const WORKSPACE_RULES: Record<WorkspaceAction, WorkspaceRole> = {
  'workspace.read': 'guest',
  'workspace.rename': 'admin',
  'workspace.delete': 'owner',
  'members.list': 'member',
  'members.add': 'admin',
  'documents.create': 'member',
  'documents.listAll': 'member',
  // Everyone's trashed documents of the workspace; members see the trashed documents they created [T2].
  'trash.listAll': 'admin',
  // Workspace settings such as whether viewers browse comments and history [C1] [V6].
  'workspace.settings': 'admin',
};

export function canInWorkspace(role: WorkspaceRole | null, action: WorkspaceAction): boolean {
  return workspaceAtLeast(role, WORKSPACE_RULES[action]);
}

/** Throws NotFound for non-members, Forbidden for members lacking the role. */
/**
 * The workspace roles that allow `action`, for queries that filter many rows at once (cross-workspace
 * lists): the same rule as canInWorkspace, stated as a set for SQL.
 */
export function workspaceRolesFor(action: WorkspaceAction): WorkspaceRole[] {
  return WORKSPACE_ROLES.filter((r) => canInWorkspace(r, action));
}

export function authorizeWorkspace(role: WorkspaceRole | null, action: WorkspaceAction): void {
  if (role === null) throw new NotFound('workspace not found');
  if (!canInWorkspace(role, action)) throw new Forbidden(`your workspace role (${role}) does not allow ${action}`);
}

/**
 * Changing someone's membership: admins manage members and guests; only owners touch admins
 * and owners; anyone may remove themselves. "Last owner" is checked by the command (it needs data).
 */
export function authorizeMemberChange(
  actor: { userId: string; role: WorkspaceRole | null },
  target: { userId: string; currentRole: WorkspaceRole; newRole: WorkspaceRole | null },
  /** The workspace's primary owner [P9] (null: none recorded; every owner then acts as one). */
  primaryOwnerId: string | null = null,
): void {
  if (actor.role === null) throw new NotFound('workspace not found');
  // Anyone may leave or step down; the command still keeps at least one owner.
  const selfDemotion =
    actor.userId === target.userId &&
    (target.newRole === null || !workspaceAtLeast(target.newRole, target.currentRole));
  if (selfDemotion) {
    authorizeOwnerChange(actor, target, primaryOwnerId);
    return;
  }
  if (!workspaceAtLeast(actor.role, 'admin')) throw new Forbidden('only admins and owners manage members');
  const touchesPrivileged =
    workspaceAtLeast(target.currentRole, 'admin') ||
    (target.newRole !== null && workspaceAtLeast(target.newRole, 'admin'));
  if (touchesPrivileged && actor.role !== 'owner') throw new Forbidden('only owners manage admins and owners');
  authorizeOwnerChange(actor, target, primaryOwnerId);
}

/**
 * [P9] Owners are demoted or removed only by the primary owner (or step down themselves); the
 * primary owner neither leaves nor steps down until they hand the role to someone else.
 */
function authorizeOwnerChange(
  actor: { userId: string; role: WorkspaceRole | null },
  target: { userId: string; currentRole: WorkspaceRole; newRole: WorkspaceRole | null },
  primaryOwnerId: string | null,
): void {
  if (target.currentRole !== 'owner' || target.newRole === 'owner' || primaryOwnerId === null) return;
  if (target.userId === primaryOwnerId) {
    throw new Forbidden(
      'the primary owner cannot leave or step down: make another member primary owner first (PUT /workspaces/{id}/primary-owner)',
    );
  }
  if (actor.userId !== target.userId && actor.userId !== primaryOwnerId && actor.role === 'owner') {
    throw new Forbidden('only the primary owner demotes or removes owners');
  }
}

/** [P9] Handing over primary ownership is the primary owner's alone. */
export function authorizePrimaryOwnerTransfer(
  actor: { userId: string; role: WorkspaceRole | null },
  primaryOwnerId: string | null,
): void {
  if (actor.role === null) throw new NotFound('workspace not found');
  const isPrimary = primaryOwnerId === null ? actor.role === 'owner' : actor.userId === primaryOwnerId;
  if (!isPrimary) throw new Forbidden('only the primary owner hands over primary ownership');
}

export function authorizeMemberAdd(actorRole: WorkspaceRole | null, newRole: WorkspaceRole): void {
  authorizeWorkspace(actorRole, 'members.add');
  if (workspaceAtLeast(newRole, 'admin') && actorRole !== 'owner') {
    throw new Forbidden('only owners add admins and owners');
  }
}

export type DocumentAction =
  | 'document.read'
  | 'document.comment'
  | 'comments.read'
  | 'comments.moderate'
  | 'document.edit'
  | 'document.rename'
  | 'shares.read'
  | 'shares.manage'
  | 'document.delete'
  | 'document.inspect'
  | 'document.restore'
  | 'document.purge'
  | 'versions.read'
  | 'versions.create'
  | 'versions.restore'
  | 'document.setGeneralAccess'
  | 'document.transferOwnership'
  | 'images.upload'
  | 'images.read';

const DOCUMENT_RULES: Record<DocumentAction, DocumentAccess> = {
  'document.read': 'viewer',
  // Start threads, reply, resolve and reopen [C3]; viewers read comments if the workspace allows [C1].
  'document.comment': 'commenter',
  'comments.read': 'viewer',
  // Delete anyone's comment (moderation); editing a comment stays its author's alone [C3].
  'comments.moderate': 'admin',
  'document.edit': 'editor',
  'document.rename': 'editor',
  'shares.read': 'viewer',
  'shares.manage': 'admin',
  'document.delete': 'admin',
  // Its metadata, trashed or not (GET /documents/:id says when it went to the trash).
  'document.inspect': 'viewer',
  // Whoever may move a document to the trash may take it out again or delete it for good [T2].
  'document.restore': 'admin',
  'document.purge': 'admin',
  // Version history (docs/spec/history.md): readers browse and compare (viewers if the workspace
  // allows [V6]); editors save and restore.
  'versions.read': 'viewer',
  'versions.create': 'editor',
  'versions.restore': 'editor',
  // General access and ownership [P7] [P8]: workspace admins and owners, and the document's owner.
  'document.setGeneralAccess': 'admin',
  'document.transferOwnership': 'admin',
  // Images in a document (docs/spec/images.md [IM1]): who may edit adds them, who may read sees them.
  'images.upload': 'editor',
  'images.read': 'viewer',
};

/** What may still be done to a document in the trash; everything else is 410 for its readers [T1]. */
const TRASH_ACTIONS: ReadonlySet<DocumentAction> = new Set(['document.inspect', 'document.restore', 'document.purge']);
const OWNER_ACTIONS: ReadonlySet<DocumentAction> = new Set([
  'comments.moderate',
  'document.delete',
  'shares.manage',
  'document.restore',
  'document.purge',
  'document.setGeneralAccess',
  'document.transferOwnership',
]);

export type DocumentSubject = {
  access: DocumentAccess;
  /** The document's owner (its creator until ownership is transferred) [P8]. */
  isOwner: boolean;
  workspaceRole: WorkspaceRole | null;
  /** In the trash (absent = not). */
  trashed?: boolean;
  /** The workspace lets viewers see comments and version history (absent = it does) [C1] [V6]. */
  viewersBrowse?: boolean;
};

/** What the workspace's viewer-browsing setting governs: reading comments and version history. */
const BROWSE_ACTIONS: ReadonlySet<DocumentAction> = new Set(['comments.read', 'versions.read']);

/**
 * [C1] [V6] The one decision on comments and history for read-only people: viewers browse them
 * only while their workspace allows it; anyone who can comment or more always does (they need the
 * threads to comment, the history to restore).
 */
export function mayBrowse(subject: DocumentSubject): boolean {
  return subject.viewersBrowse !== false || atLeast(subject.access, 'commenter');
}

export function canOnDocument(subject: DocumentSubject, action: DocumentAction): boolean {
  if (subject.trashed && !TRASH_ACTIONS.has(action)) return false;
  // The document's owner manages it, may delete it and restore it [T2], in any workspace role:
  // a role change never takes a document from its owner; leaving the workspace does [P8].
  if (OWNER_ACTIONS.has(action) && subject.isOwner && subject.workspaceRole !== null) {
    return true;
  }
  if (BROWSE_ACTIONS.has(action) && !mayBrowse(subject)) return false;
  return atLeast(subject.access, DOCUMENT_RULES[action]);
}

export function authorizeDocument(subject: DocumentSubject, action: DocumentAction): void {
  if (subject.access === 'none') throw new NotFound('document not found');
  if (subject.trashed && !TRASH_ACTIONS.has(action)) {
    throw new InTrash('this document was moved to the trash; restore it to use it again');
  }
  if (!canOnDocument(subject, action)) throw new Forbidden(`your access (${subject.access}) does not allow ${action}`);
}

/**
 * Editing or deleting one comment [C3]: its author may, while they may still comment; deleting
 * is also open to whoever moderates the document's comments (admins, owners, the document's owner).
 */
export function authorizeCommentChange(subject: DocumentSubject, change: 'edit' | 'delete', isAuthor: boolean): void {
  authorizeDocument(subject, 'comments.read');
  if (isAuthor && canOnDocument(subject, 'document.comment')) return;
  if (change === 'delete' && canOnDocument(subject, 'comments.moderate')) return;
  throw new Forbidden(
    change === 'edit' ? 'only its author may edit a comment' : 'only its author or an admin may delete a comment',
  );
}

/**
 * The operator API (live profiles, top talkers, and plans and rate-limit overrides, which are the
 * operator's, never a workspace owner's [P6]) is for whoever holds OPERATOR_TOKEN, not for any
 * account, whatever its workspace roles: operators act on the whole fleet, outside every workspace. Off when no token is
 * configured (404, as if the routes did not exist); otherwise the bearer must match, compared in
 * constant time so response timing reveals nothing about the secret.
 */
export function authorizeOperator(authorization: string | undefined, operatorToken: string | undefined): void {
  if (!operatorToken) throw new NotFound('the operator API is not enabled (set OPERATOR_TOKEN)');
  const presented = /^Bearer (.+)$/i.exec(authorization ?? '')?.[1];
  if (!presented) throw new Unauthenticated('the operator API needs Authorization: Bearer <OPERATOR_TOKEN>');
  const digest = (s: string) => createHash('sha256').update(s).digest();
  if (!timingSafeEqual(digest(presented), digest(operatorToken))) {
    throw new Unauthenticated('not the operator token');
  }
}

/** A workspace as the person deleting their account holds it [A12]. */
export type HeldWorkspace = {
  name: string;
  role: WorkspaceRole;
  isPrimaryOwner: boolean;
  otherMembers: number;
  otherOwners: number;
};

/**
 * [A12] Deleting one's account must not leave a workspace with members but no owner: the primary
 * owner (or the only owner) of a workspace with other members hands the role over first (409).
 */
export const blocksAccountDeletion = (w: HeldWorkspace): boolean =>
  w.otherMembers > 0 && (w.isPrimaryOwner || (w.role === 'owner' && w.otherOwners === 0));

export function authorizeAccountDeletion(held: HeldWorkspace[]): void {
  const blocking = held.filter(blocksAccountDeletion);
  if (blocking.length === 0) return;
  const names = blocking.map((w) => `“${w.name}”`).join(', ');
  throw new Conflict(
    `you are the primary owner of ${names}, which other people use: hand primary ownership to one of them ` +
      '(Members page) or remove them before deleting your account',
  );
}
