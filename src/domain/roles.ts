/** Roles and their order: workspace roles map onto one ladder of document access. */
export const WORKSPACE_ROLES = ['guest', 'member', 'admin', 'owner'] as const;
export type WorkspaceRole = (typeof WORKSPACE_ROLES)[number];

export const SHARE_ROLES = ['viewer', 'commenter', 'editor'] as const;
export type ShareRole = (typeof SHARE_ROLES)[number];

export const PLANS = ['free', 'business', 'enterprise'] as const;
export type Plan = (typeof PLANS)[number];

/**
 * Effective access to one document, weakest first. Workspace roles contribute: guest → none
 * (guests only see what is shared with them), member → the document's general access, admin →
 * admin, owner → owner (see effectiveAccess).
 */
export const DOCUMENT_ACCESS = ['none', 'viewer', 'commenter', 'editor', 'admin', 'owner'] as const;
export type DocumentAccess = (typeof DOCUMENT_ACCESS)[number];

const rank = (a: DocumentAccess): number => DOCUMENT_ACCESS.indexOf(a);
export const atLeast = (have: DocumentAccess, need: DocumentAccess): boolean => rank(have) >= rank(need);

const workspaceRank = (r: WorkspaceRole | null): number => (r === null ? -1 : WORKSPACE_ROLES.indexOf(r));
export const workspaceAtLeast = (have: WorkspaceRole | null, need: WorkspaceRole): boolean =>
  workspaceRank(have) >= workspaceRank(need);

export function accessFromWorkspaceRole(role: WorkspaceRole | null): DocumentAccess {
  switch (role) {
    case 'owner':
      return 'owner';
    case 'admin':
      return 'admin';
    case 'member':
      return 'editor';
    default:
      return 'none';
  }
}

/**
 * What every member of the workspace may do with a document without a person share
 * (docs/spec/auth.md [P7]); admins and owners of the workspace keep full access whatever it says.
 */
export const GENERAL_ACCESS = ['restricted', 'view', 'comment', 'edit'] as const;
export type GeneralAccess = (typeof GENERAL_ACCESS)[number];

const FROM_GENERAL_ACCESS: Record<GeneralAccess, DocumentAccess> = {
  restricted: 'none',
  view: 'viewer',
  comment: 'commenter',
  edit: 'editor',
};

/** What a document says about everyone's access to it, beyond person shares. */
export type DocumentGrants = { generalAccess: GeneralAccess; isOwner: boolean };

const higher = (a: DocumentAccess, b: DocumentAccess): DocumentAccess => (rank(a) >= rank(b) ? a : b);

/**
 * Effective access = the highest of: the workspace role (admin/owner: full; member: the document's
 * general access; guest: nothing), the person share, and ownership (the document's owner edits and
 * manages it in any workspace role, guest included [P8]). Not a member of the workspace at all:
 * only a person share counts.
 */
export function effectiveAccess(
  workspaceRole: WorkspaceRole | null,
  share: ShareRole | null,
  document: DocumentGrants,
): DocumentAccess {
  let access = accessFromWorkspaceRole(workspaceRole);
  if (workspaceRole === 'member') access = FROM_GENERAL_ACCESS[document.generalAccess];
  if (document.isOwner && workspaceRole !== null) access = higher(access, 'editor');
  return higher(access, share ?? 'none');
}
