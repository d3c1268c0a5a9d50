/** The comment rules of the policy (docs/spec/comments.md [C1] [C3]), table by table. */
import { describe, expect, it } from 'vitest';
import { Forbidden, InTrash, NotFound } from './errors.ts';
import { authorizeCommentChange, canOnDocument, type DocumentSubject } from './policy.ts';
import type { DocumentAccess } from './roles.ts';

const subject = (access: DocumentAccess, extra: Partial<DocumentSubject> = {}): DocumentSubject => ({
  access,
  isOwner: false,
  workspaceRole: access === 'admin' || access === 'owner' ? access : access === 'editor' ? 'member' : 'guest',
  ...extra,
});

describe('comment rules [C1] [C3]', () => {
  it.each([
    ['viewer', true, false, false],
    ['commenter', true, true, false],
    ['editor', true, true, false],
    ['admin', true, true, true],
    ['owner', true, true, true],
  ] as const)('%s: read %s, comment %s, moderate %s', (access, read, comment, moderate) => {
    const s = subject(access);
    expect(canOnDocument(s, 'comments.read')).toBe(read);
    expect(canOnDocument(s, 'document.comment')).toBe(comment);
    expect(canOnDocument(s, 'comments.moderate')).toBe(moderate);
    // Commenting never grants editing.
    if (access === 'commenter') expect(canOnDocument(s, 'document.edit')).toBe(false);
  });

  it("the document's owner moderates its comments; other editors do not [P8]", () => {
    expect(canOnDocument(subject('editor', { isOwner: true }), 'comments.moderate')).toBe(true);
    expect(canOnDocument(subject('editor'), 'comments.moderate')).toBe(false);
  });

  it('authors edit and delete their own comments while they may comment; moderators only delete', () => {
    expect(() => authorizeCommentChange(subject('commenter'), 'edit', true)).not.toThrow();
    expect(() => authorizeCommentChange(subject('commenter'), 'delete', true)).not.toThrow();
    expect(() => authorizeCommentChange(subject('editor'), 'edit', false)).toThrow(Forbidden);
    expect(() => authorizeCommentChange(subject('owner'), 'edit', false)).toThrow(Forbidden);
    expect(() => authorizeCommentChange(subject('owner'), 'delete', false)).not.toThrow();
    // An author who is now only a viewer can no longer change what they wrote.
    expect(() => authorizeCommentChange(subject('viewer'), 'edit', true)).toThrow(Forbidden);
    expect(() => authorizeCommentChange(subject('none'), 'delete', true)).toThrow(NotFound);
    expect(() => authorizeCommentChange(subject('owner', { trashed: true }), 'delete', true)).toThrow(InTrash);
  });
});
