import { describe, expect, it } from 'vitest';
import { Forbidden, InTrash, NotFound, Unauthenticated } from './errors.ts';
import {
  authorizeDocument,
  authorizeMemberChange,
  authorizeOperator,
  authorizeWorkspace,
  canOnDocument,
  workspaceRolesFor,
} from './policy.ts';
import { effectiveAccess } from './roles.ts';

describe('effective access = max(workspace role, document share)', () => {
  it.each([
    [null, null, 'none'],
    ['guest', null, 'none'],
    ['guest', 'viewer', 'viewer'],
    ['member', 'viewer', 'editor'],
    [null, 'commenter', 'commenter'],
    ['admin', 'editor', 'admin'],
    ['owner', null, 'owner'],
  ] as const)('workspace %s + share %s → %s', (ws, share, expected) => {
    expect(effectiveAccess(ws, share)).toBe(expected);
  });
});

describe('policy', () => {
  it('hides workspaces from outsiders (404) and forbids insiders without the role (403)', () => {
    expect(() => authorizeWorkspace(null, 'workspace.read')).toThrow(NotFound);
    expect(() => authorizeWorkspace('member', 'workspace.rename')).toThrow(Forbidden);
    expect(() => authorizeWorkspace('admin', 'workspace.rename')).not.toThrow();
    expect(() => authorizeWorkspace('admin', 'workspace.delete')).toThrow(Forbidden);
  });

  it('[P6] plans are set with the operator credential only: a user token is refused like no token', () => {
    const token = 'o'.repeat(40);
    expect(() => authorizeOperator(`Bearer ${token}`, token)).not.toThrow();
    expect(() => authorizeOperator('Bearer a-users-access-token', token)).toThrow(Unauthenticated);
    expect(() => authorizeOperator(undefined, token)).toThrow(Unauthenticated);
    expect(() => authorizeOperator(`Bearer ${token}`, undefined)).toThrow(NotFound);
  });

  it('hides documents from people with no access and forbids viewers from editing', () => {
    const viewer = { access: 'viewer', isCreator: false, workspaceRole: null } as const;
    expect(() => authorizeDocument({ ...viewer, access: 'none' }, 'document.read')).toThrow(NotFound);
    expect(() => authorizeDocument(viewer, 'document.read')).not.toThrow();
    expect(() => authorizeDocument(viewer, 'document.edit')).toThrow(Forbidden);
  });

  it('lets a member delete and share the documents they created, not others', () => {
    const mine = { access: 'editor', isCreator: true, workspaceRole: 'member' } as const;
    expect(canOnDocument(mine, 'document.delete')).toBe(true);
    expect(canOnDocument({ ...mine, isCreator: false }, 'document.delete')).toBe(false);
    // A guest who was given editor and happens to be creator of nothing gains nothing extra.
    expect(canOnDocument({ access: 'editor', isCreator: true, workspaceRole: 'guest' }, 'shares.manage')).toBe(false);
  });

  it('only owners touch admins and owners; anyone may leave', () => {
    expect(() =>
      authorizeMemberChange({ userId: 'a', role: 'admin' }, { userId: 'b', currentRole: 'member', newRole: 'guest' }),
    ).not.toThrow();
    expect(() =>
      authorizeMemberChange({ userId: 'a', role: 'admin' }, { userId: 'b', currentRole: 'member', newRole: 'admin' }),
    ).toThrow(Forbidden);
    expect(() =>
      authorizeMemberChange({ userId: 'a', role: 'admin' }, { userId: 'b', currentRole: 'owner', newRole: null }),
    ).toThrow(Forbidden);
    expect(() =>
      authorizeMemberChange({ userId: 'g', role: 'guest' }, { userId: 'g', currentRole: 'guest', newRole: null }),
    ).not.toThrow();
    // Stepping down is leaving a little: allowed. Promoting yourself is not.
    expect(() =>
      authorizeMemberChange({ userId: 'a', role: 'admin' }, { userId: 'a', currentRole: 'admin', newRole: 'member' }),
    ).not.toThrow();
    expect(() =>
      authorizeMemberChange({ userId: 'm', role: 'member' }, { userId: 'm', currentRole: 'member', newRole: 'admin' }),
    ).toThrow(Forbidden);
  });
});

describe('trash (docs/spec/home.md)', () => {
  const subject = (over: Partial<Parameters<typeof canOnDocument>[0]>) => ({
    access: 'editor' as const,
    isCreator: false,
    workspaceRole: 'member' as const,
    trashed: true,
    ...over,
  });

  it('[T1] a trashed document: readers may inspect it and get 410 for everything else; outsiders 404', () => {
    expect(() =>
      authorizeDocument(subject({ access: 'viewer', workspaceRole: null }), 'document.inspect'),
    ).not.toThrow();
    for (const action of ['document.read', 'document.edit', 'document.rename', 'shares.read'] as const) {
      expect(() => authorizeDocument(subject({ access: 'owner', workspaceRole: 'owner' }), action)).toThrow(InTrash);
    }
    expect(() => authorizeDocument(subject({ access: 'none', workspaceRole: null }), 'document.inspect')).toThrow(
      NotFound,
    );
  });

  it('[T2] admins, owners and the creator (while a member) restore and purge; editors and guests do not', () => {
    for (const action of ['document.restore', 'document.purge'] as const) {
      expect(canOnDocument(subject({ access: 'admin', workspaceRole: 'admin' }), action)).toBe(true);
      expect(canOnDocument(subject({ access: 'owner', workspaceRole: 'owner' }), action)).toBe(true);
      expect(canOnDocument(subject({ isCreator: true }), action)).toBe(true);
      expect(canOnDocument(subject({}), action)).toBe(false);
      expect(canOnDocument(subject({ isCreator: true, workspaceRole: 'guest' }), action)).toBe(false);
    }
  });

  it('[H1] [T2] the role sets lists and the trash filter by come from the same rules', () => {
    expect(workspaceRolesFor('documents.listAll')).toEqual(['member', 'admin', 'owner']);
    expect(workspaceRolesFor('trash.listAll')).toEqual(['admin', 'owner']);
  });
});
