import { describe, expect, it } from 'vitest';
import { Forbidden, InTrash, NotFound, Unauthenticated } from './errors.ts';
import {
  authorizeDocument,
  authorizeMemberChange,
  authorizeOperator,
  authorizePrimaryOwnerTransfer,
  authorizeWorkspace,
  canOnDocument,
  mayBrowse,
  workspaceRolesFor,
} from './policy.ts';
import { effectiveAccess } from './roles.ts';

describe('effective access = max(workspace role, document share) at the default general access (edit)', () => {
  it.each([
    [null, null, 'none'],
    ['guest', null, 'none'],
    ['guest', 'viewer', 'viewer'],
    ['member', 'viewer', 'editor'],
    [null, 'commenter', 'commenter'],
    ['admin', 'editor', 'admin'],
    ['owner', null, 'owner'],
  ] as const)('workspace %s + share %s → %s', (ws, share, expected) => {
    expect(effectiveAccess(ws, share, { generalAccess: 'edit', isOwner: false })).toBe(expected);
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
    const viewer = { access: 'viewer', isOwner: false, workspaceRole: null } as const;
    expect(() => authorizeDocument({ ...viewer, access: 'none' }, 'document.read')).toThrow(NotFound);
    expect(() => authorizeDocument(viewer, 'document.read')).not.toThrow();
    expect(() => authorizeDocument(viewer, 'document.edit')).toThrow(Forbidden);
  });

  it('[P8] lets the owner delete and share the documents they own, not others, in any workspace role', () => {
    const mine = { access: 'editor', isOwner: true, workspaceRole: 'member' } as const;
    expect(canOnDocument(mine, 'document.delete')).toBe(true);
    expect(canOnDocument({ ...mine, isOwner: false }, 'document.delete')).toBe(false);
    // A role change never takes a document from its owner [P8]; leaving the workspace does.
    expect(canOnDocument({ access: 'editor', isOwner: true, workspaceRole: 'guest' }, 'shares.manage')).toBe(true);
    expect(canOnDocument({ access: 'editor', isOwner: true, workspaceRole: null }, 'shares.manage')).toBe(false);
    // An editor share alone never manages: general access and ownership are the owner's and admins'.
    for (const action of ['shares.manage', 'document.setGeneralAccess', 'document.transferOwnership'] as const) {
      expect(canOnDocument({ access: 'editor', isOwner: false, workspaceRole: 'member' }, action)).toBe(false);
      expect(canOnDocument({ access: 'admin', isOwner: false, workspaceRole: 'admin' }, action)).toBe(true);
      expect(canOnDocument({ access: 'editor', isOwner: true, workspaceRole: 'member' }, action)).toBe(true);
    }
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

describe('primary owner [P9]', () => {
  const change = (actor: string, target: string, newRole: 'admin' | null) =>
    authorizeMemberChange(
      { userId: actor, role: 'owner' },
      { userId: target, currentRole: 'owner', newRole },
      'primary',
    );

  it('[P9] only the primary owner demotes or removes owners; others may step down themselves', () => {
    expect(() => change('primary', 'other', 'admin')).not.toThrow();
    expect(() => change('primary', 'other', null)).not.toThrow();
    expect(() => change('other', 'third', 'admin')).toThrow(Forbidden);
    expect(() => change('other', 'primary', null)).toThrow(Forbidden);
    expect(() => change('other', 'other', null)).not.toThrow();
  });

  it('[P9] the primary owner neither leaves nor steps down; only they hand the role over', () => {
    expect(() => change('primary', 'primary', null)).toThrow(/primary owner cannot leave/);
    expect(() => change('primary', 'primary', 'admin')).toThrow(Forbidden);
    expect(() => authorizePrimaryOwnerTransfer({ userId: 'primary', role: 'owner' }, 'primary')).not.toThrow();
    expect(() => authorizePrimaryOwnerTransfer({ userId: 'other', role: 'owner' }, 'primary')).toThrow(Forbidden);
    expect(() => authorizePrimaryOwnerTransfer({ userId: 'x', role: null }, 'primary')).toThrow(NotFound);
  });
});

describe('trash (docs/spec/home.md)', () => {
  const subject = (over: Partial<Parameters<typeof canOnDocument>[0]>) => ({
    access: 'editor' as const,
    isOwner: false,
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

  it('[T2] [P8] admins, owners and the document owner (in any workspace role) restore and purge; editors do not', () => {
    for (const action of ['document.restore', 'document.purge'] as const) {
      expect(canOnDocument(subject({ access: 'admin', workspaceRole: 'admin' }), action)).toBe(true);
      expect(canOnDocument(subject({ access: 'owner', workspaceRole: 'owner' }), action)).toBe(true);
      expect(canOnDocument(subject({ isOwner: true }), action)).toBe(true);
      expect(canOnDocument(subject({}), action)).toBe(false);
      expect(canOnDocument(subject({ isOwner: true, workspaceRole: 'guest' }), action)).toBe(true);
      expect(canOnDocument(subject({ isOwner: true, workspaceRole: null }), action)).toBe(false);
    }
  });

  it('[H1] [T2] the role sets lists and the trash filter by come from the same rules', () => {
    expect(workspaceRolesFor('documents.listAll')).toEqual(['member', 'admin', 'owner']);
    expect(workspaceRolesFor('trash.listAll')).toEqual(['admin', 'owner']);
  });
});

describe('viewers browse comments and history if the workspace allows [C1] [V6]', () => {
  const subject = (access: 'viewer' | 'commenter' | 'editor' | 'admin', viewersBrowse?: boolean) => ({
    access,
    isOwner: false,
    workspaceRole: 'guest' as const,
    ...(viewersBrowse !== undefined && { viewersBrowse }),
  });

  it.each([
    ['viewer', undefined, true],
    ['viewer', true, true],
    ['viewer', false, false],
    ['commenter', false, true],
    ['editor', false, true],
    ['admin', false, true],
  ] as const)('%s, setting %s → reads comments and versions: %s', (access, setting, reads) => {
    const s = subject(access, setting);
    expect(mayBrowse(s)).toBe(reads);
    expect(canOnDocument(s, 'comments.read')).toBe(reads);
    expect(canOnDocument(s, 'versions.read')).toBe(reads);
    // The document itself stays readable either way.
    expect(canOnDocument(s, 'document.read')).toBe(true);
  });

  it('a viewer is refused with 403 (they know the document), never 404', () => {
    expect(() => authorizeDocument(subject('viewer', false), 'comments.read')).toThrow(Forbidden);
    expect(() => authorizeWorkspace('member', 'workspace.settings')).toThrow(Forbidden);
    expect(() => authorizeWorkspace('admin', 'workspace.settings')).not.toThrow();
  });
});
