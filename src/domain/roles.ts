/** Roles and their order: workspace roles map onto one ladder of document access. */
export const WORKSPACE_ROLES = ['guest', 'member', 'admin', 'owner'] as const;
export type WorkspaceRole = (typeof WORKSPACE_ROLES)[number];

export const SHARE_ROLES = ['viewer', 'commenter', 'editor'] as const;
export type ShareRole = (typeof SHARE_ROLES)[number];

export const PLANS = ['free', 'business', 'enterprise'] as const;
export type Plan = (typeof PLANS)[number];

/**
 * Effective access to one document, weakest first. Workspace roles contribute: guest → none
 * (guests only see what is shared with them), member → editor, admin → admin, owner → owner.
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

/** effective role = max(workspace role, document share) */
export function effectiveAccess(workspaceRole: WorkspaceRole | null, share: ShareRole | null): DocumentAccess {
  const fromWorkspace = accessFromWorkspaceRole(workspaceRole);
  const fromShare: DocumentAccess = share ?? 'none';
  return rank(fromShare) > rank(fromWorkspace) ? fromShare : fromWorkspace;
}
