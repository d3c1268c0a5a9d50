/** The API's resource shapes as the web app reads them (see src/http/schemas.ts). */
import type { Segment } from './components/snippet.tsx';

export type WorkspaceRole = 'owner' | 'admin' | 'member' | 'guest';
export type ShareRole = 'viewer' | 'commenter' | 'editor';
export type Access = 'none' | 'viewer' | 'commenter' | 'editor' | 'admin' | 'owner';

export type Workspace = {
  id: string;
  name: string;
  plan: string;
  role: WorkspaceRole;
  createdAt: string;
  updatedAt: string;
};
export type Member = { userId: string; email: string; displayName: string; role: WorkspaceRole; joinedAt: string };
export type DocumentInfo = {
  id: string;
  workspaceId: string;
  title: string;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  access: Access;
};
export type Share = { userId: string; email: string; displayName: string; role: ShareRole; sharedAt: string };
export type SearchHit = { id: string; workspaceId: string; title: string; rank: number; snippet: Segment[] };
export type Items<T> = { items: T[] };
export type Page<T> = { items: T[]; nextCursor: string | null };

export const WORKSPACE_ROLE_LABELS: Record<WorkspaceRole, string> = {
  owner: 'Owner',
  admin: 'Admin',
  member: 'Member',
  guest: 'Guest',
};
export const SHARE_ROLE_LABELS: Record<ShareRole, string> = {
  viewer: 'Can view',
  commenter: 'Can comment',
  editor: 'Can edit',
};

const WORKSPACE_RANK: Record<WorkspaceRole, number> = { guest: 0, member: 1, admin: 2, owner: 3 };
export const workspaceAtLeast = (role: WorkspaceRole | undefined, need: WorkspaceRole): boolean =>
  role !== undefined && WORKSPACE_RANK[role] >= WORKSPACE_RANK[need];

/**
 * Mirrors src/domain/policy.ts for `shares.manage`: admins and owners of the document, or its
 * creator while a workspace member. Only decides whether to offer the button; the API decides.
 */
export function canManageShares(doc: DocumentInfo, userId: string, workspaceRole: WorkspaceRole | undefined): boolean {
  if (doc.access === 'admin' || doc.access === 'owner') return true;
  return doc.createdBy === userId && workspaceAtLeast(workspaceRole, 'member');
}

/** Same shape of rule for `document.delete`. */
export const canDelete = canManageShares;

export const canRename = (doc: DocumentInfo): boolean =>
  doc.access === 'editor' || doc.access === 'admin' || doc.access === 'owner';
