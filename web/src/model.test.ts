/** The buttons the web app offers follow the server's policy and role order (src/domain). */
import { describe, expect, it } from 'vitest';
import type { DocumentInfo } from './api-types.ts';
import { canDelete, canManageShares, canRename, workspaceAtLeast } from './model.ts';

const doc = (access: DocumentInfo['access'], ownerId = 'someone-else'): DocumentInfo => ({
  id: 'd',
  workspaceId: 'w',
  title: 'T',
  createdBy: ownerId,
  ownerId,
  generalAccess: 'edit',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  access,
  trashedAt: null,
  canDelete: false,
});

describe('model: what to offer', () => {
  it('ranks workspace roles guest < member < admin < owner, and nothing while unknown', () => {
    expect(workspaceAtLeast('owner', 'admin')).toBe(true);
    expect(workspaceAtLeast('admin', 'admin')).toBe(true);
    expect(workspaceAtLeast('member', 'admin')).toBe(false);
    expect(workspaceAtLeast('guest', 'member')).toBe(false);
    expect(workspaceAtLeast(undefined, 'guest')).toBe(false);
  });

  it('offers rename to editors and above [P1]', () => {
    expect(canRename(doc('viewer'))).toBe(false);
    expect(canRename(doc('commenter'))).toBe(false);
    expect(canRename(doc('editor'))).toBe(true);
    expect(canRename(doc('owner'))).toBe(true);
  });

  it('offers sharing and deleting to document admins and owners, or the document owner [P1] [P8]', () => {
    expect(canManageShares(doc('admin'), 'me', 'admin')).toBe(true);
    expect(canManageShares(doc('editor'), 'me', 'member')).toBe(false);
    expect(canManageShares(doc('editor', 'me'), 'me', 'member')).toBe(true);
    // An owner who was made a guest keeps their document [P8].
    expect(canManageShares(doc('editor', 'me'), 'me', 'guest')).toBe(true);
    expect(canDelete(doc('editor', 'me'), 'me', 'member')).toBe(true);
    expect(canDelete(doc('viewer'), 'me', undefined)).toBe(false);
  });
});
