/**
 * What the web app knows about the API's resources: their shapes (derived from the server's
 * schemas, see api-types.ts), labels for roles, and which buttons to offer. The buttons ask the
 * server's own policy (src/domain/policy.ts, pure and browser-safe), so the two cannot disagree;
 * the API still decides every request.
 */
import { canOnDocument, type DocumentAction } from '../../src/domain/policy.ts';
import { type GeneralAccess, workspaceAtLeast as serverWorkspaceAtLeast } from '../../src/domain/roles.ts';
import type { DocumentInfo, ShareRole, WorkspaceRole } from './api-types.ts';

export type {
  DocumentAccess as Access,
  DocumentInfo,
  DocumentListItem,
  Items,
  Member,
  Page,
  SearchHit,
  Share,
  ShareRole,
  TrashItem,
  Workspace,
  WorkspaceRole,
} from './api-types.ts';

export const WORKSPACE_ROLE_LABELS: Record<WorkspaceRole, string> = {
  owner: 'Owner',
  admin: 'Admin',
  member: 'Member',
  guest: 'Guest',
};
export type { GeneralAccess } from '../../src/domain/roles.ts';
/** General access [P7], as the share dialog offers it. */
export const GENERAL_ACCESS_LABELS: Record<GeneralAccess, string> = {
  restricted: 'Restricted',
  view: 'Anyone in the workspace can view',
  comment: 'Anyone in the workspace can comment',
  edit: 'Anyone in the workspace can edit',
};
export const SHARE_ROLE_LABELS: Record<ShareRole, string> = {
  viewer: 'Can view',
  commenter: 'Can comment',
  editor: 'Can edit',
};

/** Whether `role` (undefined while the workspace list loads) is `need` or above. */
export const workspaceAtLeast = (role: WorkspaceRole | undefined, need: WorkspaceRole): boolean =>
  role !== undefined && serverWorkspaceAtLeast(role, need);

function may(doc: DocumentInfo, action: DocumentAction, userId?: string, workspaceRole?: WorkspaceRole): boolean {
  return canOnDocument(
    {
      access: doc.access,
      isOwner: userId !== undefined && doc.ownerId === userId,
      workspaceRole: workspaceRole ?? null,
    },
    action,
  );
}

/** `shares.manage`: admins and owners of the workspace, or the document's owner [P8]. */
export const canManageShares = (doc: DocumentInfo, userId: string, workspaceRole: WorkspaceRole | undefined): boolean =>
  may(doc, 'shares.manage', userId, workspaceRole);

/** `document.delete`: the same people. */
export const canDelete = (doc: DocumentInfo, userId: string, workspaceRole: WorkspaceRole | undefined): boolean =>
  may(doc, 'document.delete', userId, workspaceRole);

export const canRename = (doc: DocumentInfo): boolean => may(doc, 'document.rename');
