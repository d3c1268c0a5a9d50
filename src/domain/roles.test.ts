/** Effective access to a document: every workspace role × every general access × share × ownership [P7] [P8]. */
import { describe, expect, it } from 'vitest';
import { type DocumentAccess, effectiveAccess, GENERAL_ACCESS, type GeneralAccess, WORKSPACE_ROLES } from './roles.ts';

/** Written out, not derived: a change of the rule has to change this table. */
const WITHOUT_SHARE: Record<GeneralAccess, Record<(typeof WORKSPACE_ROLES)[number] | 'outsider', DocumentAccess>> = {
  restricted: { outsider: 'none', guest: 'none', member: 'none', admin: 'admin', owner: 'owner' },
  view: { outsider: 'none', guest: 'none', member: 'viewer', admin: 'admin', owner: 'owner' },
  comment: { outsider: 'none', guest: 'none', member: 'commenter', admin: 'admin', owner: 'owner' },
  edit: { outsider: 'none', guest: 'none', member: 'editor', admin: 'admin', owner: 'owner' },
};

describe('effective access [P7] [P8]', () => {
  for (const generalAccess of GENERAL_ACCESS) {
    for (const role of [...WORKSPACE_ROLES, 'outsider'] as const) {
      const expected = WITHOUT_SHARE[generalAccess][role];
      it(`[P7] general access ${generalAccess}, ${role} without a share → ${expected}`, () => {
        const r = role === 'outsider' ? null : role;
        expect(effectiveAccess(r, null, { generalAccess, isOwner: false })).toBe(expected);
      });
    }
  }

  it('[P7] a person share lifts access above general access, never lowers it', () => {
    const restricted = { generalAccess: 'restricted', isOwner: false } as const;
    const edit = { generalAccess: 'edit', isOwner: false } as const;
    expect(effectiveAccess('member', 'viewer', restricted)).toBe('viewer');
    expect(effectiveAccess('guest', 'commenter', restricted)).toBe('commenter');
    expect(effectiveAccess(null, 'editor', restricted)).toBe('editor');
    expect(effectiveAccess('member', 'viewer', edit)).toBe('editor');
    expect(effectiveAccess('admin', 'viewer', restricted)).toBe('admin');
  });

  it('[P8] the owner edits a restricted document in any workspace role, and loses it only by leaving', () => {
    const owned = { generalAccess: 'restricted', isOwner: true } as const;
    expect(effectiveAccess('member', null, owned)).toBe('editor');
    expect(effectiveAccess('guest', null, owned)).toBe('editor');
    expect(effectiveAccess('owner', null, owned)).toBe('owner');
    expect(effectiveAccess(null, null, owned)).toBe('none');
  });
});
