/**
 * The authorization matrix: every API route × every caller role → the expected status, on every
 * backend. Expectations are written out as a table (docs/spec/auth.md [P1] [P2] [P3] [P5]) rather
 * than derived from src/domain/policy.ts, so a change to the policy has to change this table too.
 */
import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { documentStartAnchor } from './support/comment-fixtures.ts';
import { png } from './support/image-fixtures.ts';
import { linkToken, startTestApp, TEST_OPERATOR_TOKEN, type TestApp, type TestSession } from './support/test-app.ts';

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** The caller's relation to workspace W and document D in W (D is shared with viewer/commenter/editor). */
const CALLERS = ['none', 'guest', 'viewer', 'commenter', 'editor', 'member', 'admin', 'owner'] as const;
type Caller = (typeof CALLERS)[number];
type Statuses = [number, number, number, number, number, number, number, number];

/** People who are not callers in the matrix but are acted upon, plus D's creator. */
type Extra = 'author' | 'targetMember' | 'targetAdmin' | 'targetOwner' | 'shareTarget' | 'invitee';
type Cast = Record<Caller | Extra, TestSession>;

/** One workspace as every row sees it; `documentId` is D, `privateDocumentId` is shared with nobody. */
type Fixture = {
  workspaceId: string;
  documentId: string;
  privateDocumentId: string;
  exportJobId?: string;
  /** An image in D, uploaded by its author (docs/spec/images.md). */
  imageId?: string;
  /** A named version of D (docs/spec/history.md). */
  versionId: string;
  /** Open invitations of a stranger's email to W (as member) and to D (as viewer), and an invite link to W. */
  workspaceInvitationId: string;
  documentInvitationId: string;
  inviteLinkId: string;
  inviteLinkToken: string;
  /** A comment thread on D by its author: its first comment and the author's reply [C3]. */
  threadId: string;
  firstCommentId: string;
  replyId: string;
};

/** Everyone's place in a fresh workspace; `none` and `invitee` stay outside it. */
const WORKSPACE_ROLE_OF: Partial<Record<keyof Cast, 'owner' | 'admin' | 'member' | 'guest'>> = {
  admin: 'admin',
  member: 'member',
  author: 'member',
  guest: 'guest',
  viewer: 'guest',
  commenter: 'guest',
  editor: 'guest',
  targetMember: 'member',
  targetAdmin: 'admin',
  targetOwner: 'owner',
};
const SHARE_OF: Partial<Record<keyof Cast, 'viewer' | 'commenter' | 'editor'>> = {
  viewer: 'viewer',
  commenter: 'commenter',
  editor: 'editor',
  shareTarget: 'viewer',
};

/** Titles share one word so a single search query can find both documents of a workspace. */
const SEARCH_WORD = 'matrixword';

/** Keeps the real PostgreSQL pool (10 connections) busy without queueing past its timeout. */
const FIXTURE_BUILD_CONCURRENCY = 4;

type RouteCase = {
  route: string;
  method: Method;
  url(f: Fixture, cast: Cast, caller: TestSession): string;
  body?: (cast: Cast, f: Fixture) => unknown;
  /** The id a random uuid replaces to prove a 404 here looks like a 404 for nothing at all. */
  subject: 'workspace' | 'document' | 'export';
  /** Rows that change state get a fixture of their own so no row depends on another. */
  mutates: boolean;
  /** In CALLERS order: none, guest, viewer, commenter, editor, member, admin, owner. */
  expected: Statuses;
  /** D's creator, a plain workspace member: only where creating D makes a difference. */
  author?: number;
  /** The operator credential (OPERATOR_TOKEN): only on operator routes. */
  operator?: number;
  /** D is moved to the trash (by the owner) before the request: the trash routes [T2]. */
  trashed?: true;
  /** Request headers (a raw body's Content-Type). */
  headers?: Record<string, string>;
};

/** Not a user: the operator's credential where a matrix row needs a session. */
const OPERATOR: TestSession = { userId: 'operator', email: 'operator', token: TEST_OPERATOR_TOKEN, refreshToken: '' };

const ws = (f: Fixture) => `/api/v1/workspaces/${f.workspaceId}`;
const doc = (f: Fixture) => `/api/v1/documents/${f.documentId}`;

// biome-ignore format: the table reads best with one row per line.
const ROUTES: RouteCase[] = [
  //                                                                               none gst  view comm edit memb adm  own
  { route: 'GET /workspaces/:id', method: 'GET', subject: 'workspace', mutates: false,
    url: (f) => ws(f),                                                  expected: [404, 200, 200, 200, 200, 200, 200, 200] },
  { route: 'PATCH /workspaces/:id (name)', method: 'PATCH', subject: 'workspace', mutates: true,
    url: (f) => ws(f), body: () => ({ name: 'Renamed' }),               expected: [404, 403, 403, 403, 403, 403, 200, 200] },
  { route: 'DELETE /workspaces/:id', method: 'DELETE', subject: 'workspace', mutates: true,
    url: (f) => ws(f),                                                  expected: [404, 403, 403, 403, 403, 403, 403, 204] },
  { route: 'GET /workspaces/:id/members', method: 'GET', subject: 'workspace', mutates: false,
    url: (f) => `${ws(f)}/members`,                                     expected: [404, 403, 403, 403, 403, 200, 200, 200] },
  { route: 'POST /workspaces/:id/members (as member)', method: 'POST', subject: 'workspace', mutates: true,
    url: (f) => `${ws(f)}/members`, body: (c) => ({ email: c.invitee.email, role: 'member' }),
                                                                        expected: [404, 403, 403, 403, 403, 403, 202, 202] },
  { route: 'POST /workspaces/:id/members (as admin)', method: 'POST', subject: 'workspace', mutates: true,
    url: (f) => `${ws(f)}/members`, body: (c) => ({ email: c.invitee.email, role: 'admin' }),
                                                                        expected: [404, 403, 403, 403, 403, 403, 403, 202] },
  // Invitations and invite links [I3] [I5]: whoever may invite lists, withdraws and re-sends them.
  { route: 'GET /workspaces/:id/invitations', method: 'GET', subject: 'workspace', mutates: false,
    url: (f) => `${ws(f)}/invitations`,                                 expected: [404, 403, 403, 403, 403, 403, 200, 200] },
  { route: 'DELETE /workspaces/:id/invitations/:invitationId', method: 'DELETE', subject: 'workspace', mutates: true,
    url: (f) => `${ws(f)}/invitations/${f.workspaceInvitationId}`,     expected: [404, 403, 403, 403, 403, 403, 204, 204] },
  { route: 'POST /workspaces/:id/invitations/:invitationId/resend', method: 'POST', subject: 'workspace', mutates: true,
    url: (f) => `${ws(f)}/invitations/${f.workspaceInvitationId}/resend`, expected: [404, 403, 403, 403, 403, 403, 202, 202] },
  { route: 'POST /workspaces/:id/invite-links', method: 'POST', subject: 'workspace', mutates: true,
    url: (f) => `${ws(f)}/invite-links`, body: () => ({ role: 'guest', expiresInHours: 24, maxUses: 5 }),
                                                                        expected: [404, 403, 403, 403, 403, 403, 201, 201] },
  { route: 'GET /workspaces/:id/invite-links', method: 'GET', subject: 'workspace', mutates: false,
    url: (f) => `${ws(f)}/invite-links`,                                expected: [404, 403, 403, 403, 403, 403, 200, 200] },
  { route: 'DELETE /workspaces/:id/invite-links/:linkId', method: 'DELETE', subject: 'workspace', mutates: true,
    url: (f) => `${ws(f)}/invite-links/${f.inviteLinkId}`,              expected: [404, 403, 403, 403, 403, 403, 204, 204] },
  // A link is for whoever holds it: anyone signed in joins (members keep their role; the answer says where it leads).
  { route: 'POST /invitations/accept (invite link)', method: 'POST', subject: 'workspace', mutates: true,
    url: () => '/api/v1/invitations/accept', body: (_c, f) => ({ token: f.inviteLinkToken }),
                                                                        expected: [200, 200, 200, 200, 200, 200, 200, 200] },
  { route: 'PATCH /workspaces/:id/members/:member (to guest)', method: 'PATCH', subject: 'workspace', mutates: true,
    url: (f, c) => `${ws(f)}/members/${c.targetMember.userId}`, body: () => ({ role: 'guest' }),
                                                                        expected: [404, 403, 403, 403, 403, 403, 200, 200] },
  { route: 'PATCH /workspaces/:id/members/:member (to admin)', method: 'PATCH', subject: 'workspace', mutates: true,
    url: (f, c) => `${ws(f)}/members/${c.targetMember.userId}`, body: () => ({ role: 'admin' }),
                                                                        expected: [404, 403, 403, 403, 403, 403, 403, 200] },
  { route: 'DELETE /workspaces/:id/members/:member', method: 'DELETE', subject: 'workspace', mutates: true,
    url: (f, c) => `${ws(f)}/members/${c.targetMember.userId}`,         expected: [404, 403, 403, 403, 403, 403, 204, 204] },
  { route: 'PATCH /workspaces/:id/members/:admin (to member)', method: 'PATCH', subject: 'workspace', mutates: true,
    url: (f, c) => `${ws(f)}/members/${c.targetAdmin.userId}`, body: () => ({ role: 'member' }),
                                                                        expected: [404, 403, 403, 403, 403, 403, 403, 200] },
  { route: 'DELETE /workspaces/:id/members/:admin', method: 'DELETE', subject: 'workspace', mutates: true,
    url: (f, c) => `${ws(f)}/members/${c.targetAdmin.userId}`,          expected: [404, 403, 403, 403, 403, 403, 403, 204] },
  { route: 'PATCH /workspaces/:id/members/:owner (to admin)', method: 'PATCH', subject: 'workspace', mutates: true,
    url: (f, c) => `${ws(f)}/members/${c.targetOwner.userId}`, body: () => ({ role: 'admin' }),
                                                                        expected: [404, 403, 403, 403, 403, 403, 403, 200] },
  { route: 'DELETE /workspaces/:id/members/:owner', method: 'DELETE', subject: 'workspace', mutates: true,
    url: (f, c) => `${ws(f)}/members/${c.targetOwner.userId}`,          expected: [404, 403, 403, 403, 403, 403, 403, 204] },
  // Anyone may leave but the primary owner (W's creator, `owner` here) [P9]: they hand the role over first.
  { route: 'DELETE /workspaces/:id/members/:self (leave)', method: 'DELETE', subject: 'workspace', mutates: true,
    url: (f, _c, me) => `${ws(f)}/members/${me.userId}`,                expected: [404, 204, 204, 204, 204, 204, 204, 403] },
  { route: 'POST /workspaces/:id/documents', method: 'POST', subject: 'workspace', mutates: true,
    url: (f) => `${ws(f)}/documents`, body: () => ({ title: 'New' }),   expected: [404, 403, 403, 403, 403, 201, 201, 201] },
  { route: 'POST /workspaces/:id/documents/import', method: 'POST', subject: 'workspace', mutates: true,
    url: (f) => `${ws(f)}/documents/import?name=notes.md`, body: () => Buffer.from('# Notes'),
                                                                        expected: [404, 403, 403, 403, 403, 201, 201, 201] },
  { route: 'GET /workspaces/:id/documents', method: 'GET', subject: 'workspace', mutates: false,
    url: (f) => `${ws(f)}/documents`,                                   expected: [404, 200, 200, 200, 200, 200, 200, 200] },
  { route: 'GET /documents/:id', method: 'GET', subject: 'document', mutates: false,
    url: (f) => doc(f),                                                 expected: [404, 404, 200, 200, 200, 200, 200, 200], author: 200 },
  { route: 'PATCH /documents/:id', method: 'PATCH', subject: 'document', mutates: true,
    url: (f) => doc(f), body: () => ({ title: 'Renamed' }),             expected: [404, 404, 403, 403, 200, 200, 200, 200], author: 200 },
  { route: 'DELETE /documents/:id', method: 'DELETE', subject: 'document', mutates: true,
    url: (f) => doc(f),                                                 expected: [404, 404, 403, 403, 403, 403, 204, 204], author: 204 },
  { route: 'GET /documents/:id/shares', method: 'GET', subject: 'document', mutates: false,
    url: (f) => `${doc(f)}/shares`,                                     expected: [404, 404, 200, 200, 200, 200, 200, 200], author: 200 },
  { route: 'POST /documents/:id/shares (by email)', method: 'POST', subject: 'document', mutates: true,
    url: (f) => `${doc(f)}/shares`, body: (c) => ({ email: c.invitee.email, role: 'commenter' }),
                                                                        expected: [404, 404, 403, 403, 403, 403, 202, 202], author: 202 },
  { route: 'GET /documents/:id/invitations', method: 'GET', subject: 'document', mutates: false,
    url: (f) => `${doc(f)}/invitations`,                                expected: [404, 404, 403, 403, 403, 403, 200, 200], author: 200 },
  { route: 'DELETE /documents/:id/invitations/:invitationId', method: 'DELETE', subject: 'document', mutates: true,
    url: (f) => `${doc(f)}/invitations/${f.documentInvitationId}`,      expected: [404, 404, 403, 403, 403, 403, 204, 204], author: 204 },
  { route: 'POST /documents/:id/invitations/:invitationId/resend', method: 'POST', subject: 'document', mutates: true,
    url: (f) => `${doc(f)}/invitations/${f.documentInvitationId}/resend`, expected: [404, 404, 403, 403, 403, 403, 202, 202], author: 202 },
  { route: 'PUT /documents/:id/shares/:userId', method: 'PUT', subject: 'document', mutates: true,
    url: (f, c) => `${doc(f)}/shares/${c.shareTarget.userId}`, body: () => ({ role: 'editor' }),
                                                                        expected: [404, 404, 403, 403, 403, 403, 200, 200], author: 200 },
  { route: 'DELETE /documents/:id/shares/:userId', method: 'DELETE', subject: 'document', mutates: true,
    url: (f, c) => `${doc(f)}/shares/${c.shareTarget.userId}`,          expected: [404, 404, 403, 403, 403, 403, 204, 204], author: 204 },
  // Primary ownership [P9]: the primary owner's alone (the row hands it to themselves: no change).
  { route: 'PUT /workspaces/:id/primary-owner', method: 'PUT', subject: 'workspace', mutates: false,
    url: (f) => `${ws(f)}/primary-owner`, body: (c) => ({ userId: c.owner.userId }),
                                                                        expected: [404, 403, 403, 403, 403, 403, 403, 200] },
  // General access and ownership [P7] [P8]: workspace admins and owners, and D's owner (its author).
  // Both rows set what D already has (edit; the author), so they share the read-only fixture;
  // every setting × role × operation and real transfers are in test/general-access.test.ts.
  { route: 'PUT /documents/:id/general-access', method: 'PUT', subject: 'document', mutates: false,
    url: (f) => `${doc(f)}/general-access`, body: () => ({ generalAccess: 'edit' }),
                                                                        expected: [404, 404, 403, 403, 403, 403, 200, 200], author: 200 },
  { route: 'PUT /documents/:id/owner', method: 'PUT', subject: 'document', mutates: false,
    url: (f) => `${doc(f)}/owner`, body: (c) => ({ userId: c.author.userId }),
                                                                        expected: [404, 404, 403, 403, 403, 403, 200, 200], author: 200 },
  // Home lists answer everyone signed in; what each caller finds is filtered (the SEES table below) [H1].
  { route: 'GET /documents', method: 'GET', subject: 'workspace', mutates: false,
    url: () => '/api/v1/documents?sharedWithMe=false',              expected: [200, 200, 200, 200, 200, 200, 200, 200] },
  { route: 'PUT /documents/:id/star', method: 'PUT', subject: 'document', mutates: false,
    url: (f) => `${doc(f)}/star`,                                       expected: [404, 404, 204, 204, 204, 204, 204, 204], author: 204 },
  { route: 'DELETE /documents/:id/star', method: 'DELETE', subject: 'document', mutates: false,
    url: (f) => `${doc(f)}/star`,                                       expected: [404, 404, 204, 204, 204, 204, 204, 204], author: 204 },
  // The trash [T2]: whoever may delete D (admins, owners, its creator) restores it or deletes it forever.
  { route: 'GET /trash', method: 'GET', subject: 'workspace', mutates: false,
    url: (f) => `/api/v1/trash?workspaceId=${f.workspaceId}`,           expected: [200, 200, 200, 200, 200, 200, 200, 200] },
  { route: 'POST /trash/:id/restore', method: 'POST', subject: 'document', mutates: true, trashed: true,
    url: (f) => `/api/v1/trash/${f.documentId}/restore`,                expected: [404, 404, 403, 403, 403, 403, 200, 200], author: 200 },
  { route: 'DELETE /trash/:id', method: 'DELETE', subject: 'document', mutates: true, trashed: true,
    url: (f) => `/api/v1/trash/${f.documentId}`,                        expected: [404, 404, 403, 403, 403, 403, 204, 204], author: 204 },
  // Version history [V6]: readers browse and compare; editors save and restore.
  { route: 'GET /documents/:id/versions', method: 'GET', subject: 'document', mutates: false,
    url: (f) => `${doc(f)}/versions`,                                   expected: [404, 404, 200, 200, 200, 200, 200, 200], author: 200 },
  { route: 'POST /documents/:id/versions', method: 'POST', subject: 'document', mutates: false,
    url: (f) => `${doc(f)}/versions`, body: () => ({ name: 'Matrix' }), expected: [404, 404, 403, 403, 201, 201, 201, 201], author: 201 },
  { route: 'GET /documents/:id/versions/:versionId', method: 'GET', subject: 'document', mutates: false,
    url: (f) => `${doc(f)}/versions/${f.versionId}`,                    expected: [404, 404, 200, 200, 200, 200, 200, 200], author: 200 },
  { route: 'GET /documents/:id/versions/:versionId/changes', method: 'GET', subject: 'document', mutates: false,
    url: (f) => `${doc(f)}/versions/${f.versionId}/changes`,            expected: [404, 404, 200, 200, 200, 200, 200, 200], author: 200 },
  { route: 'POST /documents/:id/versions/:versionId/restore', method: 'POST', subject: 'document', mutates: true,
    url: (f) => `${doc(f)}/versions/${f.versionId}/restore`,            expected: [404, 404, 403, 403, 200, 200, 200, 200], author: 200 },
  // Search answers everyone signed in; what each caller finds is filtered (the SEES table below).
  { route: 'GET /search', method: 'GET', subject: 'workspace', mutates: false,
    url: (f) => `/api/v1/search?q=${SEARCH_WORD}&workspaceId=${f.workspaceId}`, expected: [200, 200, 200, 200, 200, 200, 200, 200] },
  { route: 'GET /search/titles', method: 'GET', subject: 'workspace', mutates: false,
    url: (f) => `/api/v1/search/titles?q=${SEARCH_WORD}&workspaceId=${f.workspaceId}`, expected: [200, 200, 200, 200, 200, 200, 200, 200] },
  // Exports (docs/spec/export.md [E1.2] [E5.1] [E8.3]): readers of D export and see D's job (an export by the author);
  // workspace admins and owners administer exports (retrying a job that is not dead is a 409, past authorization).
  { route: 'POST /documents/:id/export', method: 'POST', subject: 'document', mutates: false,
    url: (f) => `${doc(f)}/export`, body: () => ({ format: 'markdown' }), expected: [404, 404, 202, 202, 202, 202, 202, 202], author: 202 },
  // [E10] With comments: whoever may read the comments (viewers while the workspace shows them; see below).
  { route: 'POST /documents/:id/export (with comments)', method: 'POST', subject: 'document', mutates: false,
    url: (f) => `${doc(f)}/export`, body: () => ({ format: 'markdown', comments: 'all' }), expected: [404, 404, 202, 202, 202, 202, 202, 202], author: 202 },
  { route: 'GET /exports/:jobId', method: 'GET', subject: 'export', mutates: false,
    url: (f) => `/api/v1/exports/${f.exportJobId}`,                     expected: [404, 404, 200, 200, 200, 200, 200, 200], author: 200 },
  { route: 'GET /exports/:jobId/download', method: 'GET', subject: 'export', mutates: false,
    url: (f) => `/api/v1/exports/${f.exportJobId}/download`,            expected: [404, 404, 200, 200, 200, 200, 200, 200], author: 200 },
  { route: 'GET /admin/exports/dead', method: 'GET', subject: 'workspace', mutates: false,
    url: (f) => `/api/v1/admin/exports/dead?workspaceId=${f.workspaceId}`, expected: [404, 403, 403, 403, 403, 403, 200, 200] },
  { route: 'POST /admin/exports/:jobId/retry', method: 'POST', subject: 'export', mutates: false,
    url: (f) => `/api/v1/admin/exports/${f.exportJobId}/retry`,         expected: [404, 403, 403, 403, 403, 403, 409, 409], author: 403 },
  // Images [IM1]: editors upload (each row its own D: the same bytes twice would be the same image), readers fetch.
  { route: 'POST /documents/:id/images', method: 'POST', subject: 'document', mutates: true,
    url: (f) => `${doc(f)}/images`, body: () => png(3, 2), headers: { 'content-type': 'image/png' },
                                                                        expected: [404, 404, 403, 403, 201, 201, 201, 201], author: 201 },
  { route: 'GET /documents/:id/images', method: 'GET', subject: 'document', mutates: false,
    url: (f) => `${doc(f)}/images`,                                     expected: [404, 404, 200, 200, 200, 200, 200, 200], author: 200 },
  { route: 'GET /documents/:id/images/:imageId', method: 'GET', subject: 'document', mutates: false,
    url: (f) => `${doc(f)}/images/${f.imageId}`,                        expected: [404, 404, 200, 200, 200, 200, 200, 200], author: 200 },
  // Comments [C1] [C3]: readers read them, commenters and up write; a comment is edited by its author (D's creator
  // here) alone and deleted by its author or D's moderators (admins, owners, creator).
  { route: 'GET /documents/:id/comments', method: 'GET', subject: 'document', mutates: false,
    url: (f) => `${doc(f)}/comments?status=all`,                        expected: [404, 404, 200, 200, 200, 200, 200, 200], author: 200 },
  { route: 'POST /documents/:id/comments', method: 'POST', subject: 'document', mutates: false,
    url: (f) => `${doc(f)}/comments`, body: () => ({ anchor: documentStartAnchor(), quote: '', body: 'hi' }),
                                                                        expected: [404, 404, 403, 201, 201, 201, 201, 201], author: 201 },
  { route: 'POST /documents/:id/comments/:threadId/replies', method: 'POST', subject: 'document', mutates: false,
    url: (f) => `${doc(f)}/comments/${f.threadId}/replies`, body: () => ({ body: 'reply' }),
                                                                        expected: [404, 404, 403, 201, 201, 201, 201, 201], author: 201 },
  { route: 'POST /documents/:id/comments/:threadId/resolve', method: 'POST', subject: 'document', mutates: false,
    url: (f) => `${doc(f)}/comments/${f.threadId}/resolve`,             expected: [404, 404, 403, 200, 200, 200, 200, 200], author: 200 },
  { route: 'POST /documents/:id/comments/:threadId/reopen', method: 'POST', subject: 'document', mutates: false,
    url: (f) => `${doc(f)}/comments/${f.threadId}/reopen`,              expected: [404, 404, 403, 200, 200, 200, 200, 200], author: 200 },
  { route: 'PATCH /documents/:id/comments/:threadId/replies/:commentId', method: 'PATCH', subject: 'document', mutates: false,
    url: (f) => `${doc(f)}/comments/${f.threadId}/replies/${f.firstCommentId}`, body: () => ({ body: 'edited' }),
                                                                        expected: [404, 404, 403, 403, 403, 403, 403, 403], author: 200 },
  { route: 'DELETE /documents/:id/comments/:threadId/replies/:commentId', method: 'DELETE', subject: 'document', mutates: true,
    url: (f) => `${doc(f)}/comments/${f.threadId}/replies/${f.replyId}`, expected: [404, 404, 403, 403, 403, 403, 204, 204], author: 204 },
  { route: 'DELETE /documents/:id/comments/:threadId', method: 'DELETE', subject: 'document', mutates: true,
    url: (f) => `${doc(f)}/comments/${f.threadId}`,                      expected: [404, 404, 403, 403, 403, 403, 204, 204], author: 204 },
  // Whether viewers browse comments and version history [C1] [V6]: read by the workspace's people, set by admins.
  { route: 'GET /workspaces/:id/settings', method: 'GET', subject: 'workspace', mutates: false,
    url: (f) => `${ws(f)}/settings`,                                    expected: [404, 200, 200, 200, 200, 200, 200, 200] },
  { route: 'PATCH /workspaces/:id/settings', method: 'PATCH', subject: 'workspace', mutates: true,
    url: (f) => `${ws(f)}/settings`, body: () => ({ viewersBrowse: false }), expected: [404, 403, 403, 403, 403, 403, 200, 200] },
  { route: 'GET /documents/:id/mentionable', method: 'GET', subject: 'document', mutates: false,
    url: (f) => `${doc(f)}/mentionable?q=a`,                             expected: [404, 404, 403, 200, 200, 200, 200, 200], author: 200 },
  // Notifications are the caller's own [C6]: everyone signed in has them.
  { route: 'GET /notifications', method: 'GET', subject: 'workspace', mutates: false,
    url: () => '/api/v1/notifications',                                 expected: [200, 200, 200, 200, 200, 200, 200, 200] },
  { route: 'GET /notifications/unread-count', method: 'GET', subject: 'workspace', mutates: false,
    url: () => '/api/v1/notifications/unread-count',                    expected: [200, 200, 200, 200, 200, 200, 200, 200] },
  { route: 'POST /notifications/read', method: 'POST', subject: 'workspace', mutates: false,
    url: () => '/api/v1/notifications/read', body: () => ({ ids: [randomUUID()] }),
                                                                        expected: [200, 200, 200, 200, 200, 200, 200, 200] },
  { route: 'POST /notifications/read-all', method: 'POST', subject: 'workspace', mutates: false,
    url: () => '/api/v1/notifications/read-all',                        expected: [200, 200, 200, 200, 200, 200, 200, 200] },
  // The caller's own account [A9]: everyone signed in, about themselves only (another's session is a 404).
  // POST /me/sessions/revoke-all would end the cast's sessions: test/account.test.ts covers it.
  { route: 'PATCH /me', method: 'PATCH', subject: 'workspace', mutates: false,
    url: () => '/api/v1/me', body: () => ({ displayName: 'Matrix person' }), expected: [200, 200, 200, 200, 200, 200, 200, 200] },
  { route: 'GET /me/sessions', method: 'GET', subject: 'workspace', mutates: false,
    url: () => '/api/v1/me/sessions',                                   expected: [200, 200, 200, 200, 200, 200, 200, 200] },
  { route: 'DELETE /me/sessions/:id (not theirs)', method: 'DELETE', subject: 'workspace', mutates: false,
    url: () => `/api/v1/me/sessions/${randomUUID()}`,                   expected: [404, 404, 404, 404, 404, 404, 404, 404] },
  // Password-checked account changes [A10] [A11] [A12] are the caller's own: a wrong password is a 403 for everyone
  // (the right one would change the cast's accounts: test/account-security.test.ts covers it).
  { route: 'PUT /me/password (wrong current password)', method: 'PUT', subject: 'workspace', mutates: false,
    url: () => '/api/v1/me/password', body: () => ({ currentPassword: 'not the password', newPassword: 'a much better passphrase' }),
                                                                        expected: [403, 403, 403, 403, 403, 403, 403, 403] },
  { route: 'POST /me/email (wrong current password)', method: 'POST', subject: 'workspace', mutates: false,
    url: () => '/api/v1/me/email', body: () => ({ currentPassword: 'not the password', email: 'new@example.test' }),
                                                                        expected: [403, 403, 403, 403, 403, 403, 403, 403] },
  // Invitations addressed to the caller [I6]: everyone lists their own; one not theirs is a 404.
  { route: 'GET /me/invitations', method: 'GET', subject: 'workspace', mutates: false,
    url: () => '/api/v1/me/invitations',                                expected: [200, 200, 200, 200, 200, 200, 200, 200] },
  { route: 'POST /me/invitations/:id/accept (not theirs)', method: 'POST', subject: 'workspace', mutates: false,
    url: () => `/api/v1/me/invitations/${randomUUID()}/accept`,          expected: [404, 404, 404, 404, 404, 404, 404, 404] },
  { route: 'POST /me/invitations/:id/decline (not theirs)', method: 'POST', subject: 'workspace', mutates: false,
    url: () => `/api/v1/me/invitations/${randomUUID()}/decline`,         expected: [404, 404, 404, 404, 404, 404, 404, 404] },
  { route: 'GET /me/deletion-preview', method: 'GET', subject: 'workspace', mutates: false,
    url: () => '/api/v1/me/deletion-preview',                           expected: [200, 200, 200, 200, 200, 200, 200, 200] },
  { route: 'DELETE /me (wrong password)', method: 'DELETE', subject: 'workspace', mutates: false,
    url: () => '/api/v1/me', body: () => ({ password: 'not the password', documents: 'trash' }),
                                                                        expected: [403, 403, 403, 403, 403, 403, 403, 403] },
  { route: 'GET /me/notification-settings', method: 'GET', subject: 'workspace', mutates: false,
    url: () => '/api/v1/me/notification-settings',                      expected: [200, 200, 200, 200, 200, 200, 200, 200] },
  { route: 'PUT /me/notification-settings', method: 'PUT', subject: 'workspace', mutates: false,
    url: () => '/api/v1/me/notification-settings', body: () => ({ email: 'digest' }),
                                                                        expected: [200, 200, 200, 200, 200, 200, 200, 200] },
  // Plans are the operator's [P6]: every user token is refused (401: not the operator credential), the owner's included.
  { route: 'PUT /admin/workspaces/:id/plan', method: 'PUT', subject: 'workspace', mutates: true,
    url: (f) => `/api/v1/admin/workspaces/${f.workspaceId}/plan`, body: () => ({ plan: 'enterprise' }),
                                                                        expected: [401, 401, 401, 401, 401, 401, 401, 401], operator: 200 },
];

type MatrixRow = { name: string; caller: Caller | 'author' | 'operator'; status: number; route: RouteCase };

const MATRIX: MatrixRow[] = ROUTES.flatMap((route) => {
  const rows: MatrixRow[] = CALLERS.map((caller, i) => ({
    caller,
    status: route.expected[i] as number,
    route,
    name: '',
  }));
  if (route.author !== undefined) rows.push({ caller: 'author', status: route.author, route, name: '' });
  if (route.operator !== undefined) rows.push({ caller: 'operator', status: route.operator, route, name: '' });
  const who = (c: MatrixRow['caller']) =>
    c === 'author' ? 'author (member who created D)' : c === 'operator' ? 'operator (OPERATOR_TOKEN)' : c;
  return rows.map((r) => ({ ...r, name: `${who(r.caller)}: ${route.route} → ${r.status}` }));
});

/** Every 4xx is RFC 9457 problem+json whose status matches the response. */
function expectProblem(res: LightMyRequestResponse, status: number): Record<string, unknown> {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.json();
  expect(body).toMatchObject({
    status,
    type: expect.any(String),
    title: expect.any(String),
    detail: expect.any(String),
  });
  return body;
}

function expectStatus(res: LightMyRequestResponse, status: number): void {
  if (status >= 400) expectProblem(res, status);
  else expect(res.statusCode, res.body).toBe(status);
}

/** What a client can tell apart: everything but where it asked (`instance`) and the trace id. */
function comparable(res: LightMyRequestResponse) {
  const { instance: _instance, traceId: _traceId, ...body } = res.json();
  return { status: res.statusCode, contentType: res.headers['content-type'], body };
}

async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

describe.each(backends)('authorization matrix [$name]', (backend) => {
  let t: TestApp;
  let cast: Cast;
  /** Read-only rows share one workspace; every mutating row has its own, built up front. */
  let shared: Fixture;
  const own = new Map<string, Fixture>();

  const call = (who: TestSession, method: Method, url: string, body?: unknown, headers?: Record<string, string>) =>
    t.request(method, url, { token: who.token, body, headers });

  const must = async (res: Promise<LightMyRequestResponse>, status: number) => {
    const r = await res;
    if (r.statusCode !== status) throw new Error(`fixture step failed: ${r.statusCode} ${r.body}`);
    return r.body ? r.json() : undefined;
  };

  /** Every document id `who` finds in GET /documents, all pages (every fixture adds some). */
  async function everything(who: TestSession): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const page = await must(call(who, 'GET', `/api/v1/documents?limit=100${q}`), 200);
      ids.push(...page.items.map((d: { id: string }) => d.id));
      cursor = page.nextCursor;
    } while (cursor);
    return ids;
  }

  /** W owned by `owner`, everyone placed by WORKSPACE_ROLE_OF and SHARE_OF, D and the private doc by `author`. */
  async function createFixture(withThread = false): Promise<Fixture> {
    const w = await must(call(cast.owner, 'POST', '/api/v1/workspaces', { name: 'Matrix' }), 201);
    const f: Fixture = {
      workspaceId: w.id as string,
      documentId: '',
      privateDocumentId: '',
      workspaceInvitationId: '',
      documentInvitationId: '',
      inviteLinkId: '',
      inviteLinkToken: '',
      threadId: '',
      firstCommentId: '',
      replyId: '',
      versionId: '',
    };
    await Promise.all(
      Object.entries(WORKSPACE_ROLE_OF).map(([who, role]) =>
        t.addMember(cast.owner, f.workspaceId, cast[who as keyof Cast], role),
      ),
    );
    const [d, p] = await Promise.all([
      must(call(cast.author, 'POST', `${ws(f)}/documents`, { title: `${SEARCH_WORD} shared plan` }), 201),
      must(call(cast.author, 'POST', `${ws(f)}/documents`, { title: `${SEARCH_WORD} private budget` }), 201),
    ]);
    f.documentId = d.id;
    f.privateDocumentId = p.id;
    const stranger = () => ({ email: `stranger-${randomUUID()}@example.test` });
    const [, , link] = await Promise.all([
      must(call(cast.owner, 'POST', `${ws(f)}/members`, { ...stranger(), role: 'member' }), 202),
      must(call(cast.owner, 'POST', `${doc(f)}/shares`, { ...stranger(), role: 'viewer' }), 202),
      must(call(cast.owner, 'POST', `${ws(f)}/invite-links`, { role: 'member', expiresInHours: 24 }), 201),
    ]);
    const [wi, di] = await Promise.all([
      must(call(cast.owner, 'GET', `${ws(f)}/invitations`), 200),
      must(call(cast.owner, 'GET', `${doc(f)}/invitations`), 200),
    ]);
    f.workspaceInvitationId = wi.items[0].id;
    f.documentInvitationId = di.items[0].id;
    f.inviteLinkId = link.id;
    f.inviteLinkToken = linkToken(link.url);
    f.versionId = (await must(call(cast.author, 'POST', `${doc(f)}/versions`, { name: 'v1' }), 201)).id;
    await Promise.all(
      Object.entries(SHARE_OF).map(([who, role]) =>
        must(call(cast.author, 'PUT', `${doc(f)}/shares/${cast[who as keyof Cast].userId}`, { role }), 200),
      ),
    );
    if (!withThread) return f;
    const thread = await must(
      call(cast.author, 'POST', `${doc(f)}/comments`, { anchor: documentStartAnchor(), quote: '', body: 'first' }),
      201,
    );
    const replied = await must(
      call(cast.author, 'POST', `${doc(f)}/comments/${thread.id}/replies`, { body: 'two' }),
      201,
    );
    f.threadId = thread.id;
    f.firstCommentId = thread.comments[0].id;
    f.replyId = replied.comments[1].id;
    return f;
  }

  /** An export of D by its author, finished by the app's worker so its file can be downloaded. */
  async function exportOf(f: Fixture): Promise<string> {
    const job = await must(call(cast.author, 'POST', `${doc(f)}/export`, { format: 'markdown' }), 202);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const s = await must(call(cast.author, 'GET', `/api/v1/exports/${job.id}`), 200);
      if (s.status === 'succeeded') return job.id;
      if (s.status !== 'queued' && s.status !== 'running')
        throw new Error(`fixture export ended ${s.status}: ${s.error}`);
      if (Date.now() > deadline) throw new Error('fixture export did not finish in 30 s');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  beforeAll(async () => {
    // Real PostgreSQL's default 100 ms acquire timeout is for production back-pressure, not fixtures.
    t = await startTestApp(backend, { DB_POOL_ACQUIRE_TIMEOUT_MS: '10000' });
    const names = [
      ...CALLERS,
      'author',
      'targetMember',
      'targetAdmin',
      'targetOwner',
      'shareTarget',
      'invitee',
    ] as const;
    // Roles are relative to a workspace, so the same people are placed afresh in every fixture.
    const sessions = await Promise.all(names.map((n) => t.signUp(n)));
    cast = Object.fromEntries(names.map((n, i) => [n, sessions[i]])) as Cast;
    shared = await createFixture(true);
    shared.exportJobId = await exportOf(shared);
    shared.imageId = (
      await must(call(cast.author, 'POST', `${doc(shared)}/images`, png(4, 4), { 'content-type': 'image/png' }), 201)
    ).id;
    const mutating = MATRIX.filter((r) => r.route.mutates);
    const fixtures = await mapLimited(mutating, FIXTURE_BUILD_CONCURRENCY, (r) =>
      createFixture(r.route.route.includes('/comments')),
    );
    for (const [i, r] of mutating.entries()) own.set(r.name, fixtures[i] as Fixture);
    // ~230 fixtures: 40 s on an idle machine, past 120 s on a shared and loaded one.
  }, 300_000);
  afterAll(async () => {
    await t?.close();
  });

  describe('every route × every role [P1] [P2] [P5] [P7] [P8] [I3] [I5] [C1] [C3]', () => {
    for (const row of MATRIX) {
      it(row.name, async () => {
        const { route } = row;
        const f = route.mutates ? (own.get(row.name) as Fixture) : shared;
        const me = row.caller === 'operator' ? OPERATOR : cast[row.caller];
        const body = route.body?.(cast, f);
        if (route.trashed) await must(call(cast.owner, 'DELETE', doc(f)), 204);
        const res = await call(me, route.method, route.url(f, cast, me), body, route.headers);
        expectStatus(res, row.status);
        if (row.status !== 404) return;
        // No existence leak: the same request about an id that never existed answers identically.
        const nothing =
          route.subject === 'workspace'
            ? { ...f, workspaceId: randomUUID() }
            : route.subject === 'export'
              ? { ...f, exportJobId: randomUUID() }
              : { ...f, documentId: randomUUID() };
        const res2 = await call(me, route.method, route.url(nothing, cast, me), body, route.headers);
        expectProblem(res2, 404);
        expect(comparable(res)).toEqual(comparable(res2));
        // The second request really named another id (in the path, or in the query for query-scoped routes).
        expect(route.url(nothing, cast, me)).not.toBe(route.url(f, cast, me));
      });
    }
  });

  describe('what each role sees in lists and search [P1] [P2]', () => {
    const SEES: Record<Caller, 'nothing' | 'D' | 'all'> = {
      none: 'nothing',
      guest: 'nothing',
      viewer: 'D',
      commenter: 'D',
      editor: 'D',
      member: 'all',
      admin: 'all',
      owner: 'all',
    };
    const idsFor = (sees: 'nothing' | 'D' | 'all') =>
      sees === 'nothing' ? [] : sees === 'D' ? [shared.documentId] : [shared.documentId, shared.privateDocumentId];

    for (const caller of CALLERS) {
      it(`${caller}: GET /search?q=…&workspaceId=W returns ${SEES[caller]}`, async () => {
        const res = await call(
          cast[caller],
          'GET',
          `/api/v1/search?q=${SEARCH_WORD}&workspaceId=${shared.workspaceId}`,
        );
        expect(res.statusCode).toBe(200);
        const ids = res.json().items.map((h: { id: string }) => h.id);
        expect(ids.sort()).toEqual(idsFor(SEES[caller]).sort());
      });
    }

    for (const caller of CALLERS) {
      for (const scope of ['workspaceId=W', 'everywhere'] as const) {
        const sees = scope === 'everywhere' ? 'nothing it may not read' : SEES[caller];
        it(`${caller}: GET /search/titles?q=…&${scope} (quick switcher) returns ${sees}`, async () => {
          const where = scope === 'everywhere' ? '' : `&workspaceId=${shared.workspaceId}`;
          const res = await call(cast[caller], 'GET', `/api/v1/search/titles?q=${SEARCH_WORD}${where}`);
          expect(res.statusCode).toBe(200);
          const ids = res.json().items.map((h: { id: string }) => h.id);
          const inW = ids.filter((id: string) => id === shared.documentId || id === shared.privateDocumentId);
          if (scope === 'workspaceId=W') expect(inW.sort()).toEqual(idsFor(SEES[caller]).sort());
          // Everywhere, every fixture's workspace matches too and the page is cut at the limit:
          // whatever of W comes back must be readable.
          else for (const id of inW) expect(idsFor(SEES[caller])).toContain(id);
        });
      }
    }

    for (const caller of CALLERS) {
      it(`${caller}: GET /documents (every workspace) lists ${SEES[caller]} of W [H1]`, async () => {
        const ids = await everything(cast[caller]);
        const inW = ids.filter((id: string) => id === shared.documentId || id === shared.privateDocumentId);
        expect(inW.sort()).toEqual(idsFor(SEES[caller]).sort());
      });
    }

    for (const caller of CALLERS.filter((c) => c !== 'none')) {
      it(`${caller}: GET /workspaces/:id/documents lists ${SEES[caller]}`, async () => {
        const res = await call(cast[caller], 'GET', `${ws(shared)}/documents`);
        expect(res.statusCode).toBe(200);
        const ids = res.json().items.map((d: { id: string }) => d.id);
        expect(ids.sort()).toEqual(idsFor(SEES[caller]).sort());
      });
    }
  });

  describe('effective access is max(workspace role, share) at the default general access, edit [P1] [P7]', () => {
    const ACCESS_OF = {
      viewer: 'viewer',
      commenter: 'commenter',
      editor: 'editor',
      member: 'editor',
      admin: 'admin',
      owner: 'owner',
      author: 'editor',
    } as const;
    for (const [caller, access] of Object.entries(ACCESS_OF)) {
      it(`${caller}: GET /documents/:id reports access ${access}`, async () => {
        const res = await call(cast[caller as keyof typeof ACCESS_OF], 'GET', doc(shared));
        expect(res.statusCode).toBe(200);
        expect(res.json().access).toBe(access);
      });
    }

    it('a share weaker than the workspace role changes nothing: member and admin with a viewer share', async () => {
      const f = await createFixture();
      for (const who of [cast.member, cast.admin]) {
        await must(call(cast.owner, 'PUT', `${doc(f)}/shares/${who.userId}`, { role: 'viewer' }), 200);
      }
      expect((await call(cast.member, 'PATCH', doc(f), { title: 'still editor' })).json().access).toBe('editor');
      expect((await call(cast.admin, 'GET', `${doc(f)}/shares`)).statusCode).toBe(200);
      expect((await call(cast.admin, 'DELETE', doc(f))).statusCode).toBe(204);
    });
  });

  describe('insiders learn nothing about membership they may not manage [P2]', () => {
    for (const caller of ['guest', 'member'] as const) {
      it(`${caller}: PATCH and DELETE /workspaces/:id/members/:userId → 403 whether or not userId is a member`, async () => {
        const me = cast[caller];
        for (const userId of [cast.targetMember.userId, cast.none.userId, randomUUID()]) {
          expectProblem(await call(me, 'PATCH', `${ws(shared)}/members/${userId}`, { role: 'guest' }), 403);
          expectProblem(await call(me, 'DELETE', `${ws(shared)}/members/${userId}`), 403);
        }
      });
    }

    it('admin: PATCH /workspaces/:id/members/:userId → 404 for someone who is not a member', async () => {
      expectProblem(
        await call(cast.admin, 'PATCH', `${ws(shared)}/members/${cast.none.userId}`, { role: 'guest' }),
        404,
      );
    });
  });

  describe('viewers browse comments and version history only if the workspace allows [C1] [V6]', () => {
    const READS = [
      (f: Fixture) => `${doc(f)}/comments?status=all`,
      (f: Fixture) => `${doc(f)}/versions`,
      (f: Fixture) => `${doc(f)}/versions/${f.versionId}`,
      (f: Fixture) => `${doc(f)}/versions/${f.versionId}/changes`,
    ];
    // Setting off: viewers 403 (they still read the document); everyone who can comment reads on.
    const OFF: Record<Exclude<Caller, 'none' | 'guest'>, number> = {
      viewer: 403,
      commenter: 200,
      editor: 200,
      member: 200,
      admin: 200,
      owner: 200,
    };

    it('setting off, then on again: each reader × comments list, versions list, version, changes', async () => {
      const f = await createFixture(true);
      expect((await must(call(cast.admin, 'GET', `${ws(f)}/settings`), 200)).viewersBrowse).toBe(true);
      await must(call(cast.admin, 'PATCH', `${ws(f)}/settings`, { viewersBrowse: false }), 200);
      for (const [caller, status] of Object.entries(OFF)) {
        const me = cast[caller as keyof typeof OFF];
        for (const url of READS) expectStatus(await call(me, 'GET', url(f)), status);
        // [E10] An export with comments is reading them: 403 for those who may not, 202 for the rest.
        const exported = await call(me, 'POST', `${doc(f)}/export`, { format: 'markdown', comments: 'open' });
        expectStatus(exported, status === 200 ? 202 : status);
        const d = await must(call(me, 'GET', doc(f)), 200);
        expect(d.canBrowse, caller).toBe(status === 200);
      }
      expect((await must(call(cast.viewer, 'GET', `${ws(f)}/settings`), 200)).viewersBrowse).toBe(false);
      await must(call(cast.owner, 'PATCH', `${ws(f)}/settings`, { viewersBrowse: true }), 200);
      for (const url of READS) expectStatus(await call(cast.viewer, 'GET', url(f)), 200);
      expect((await must(call(cast.viewer, 'GET', doc(f)), 200)).canBrowse).toBe(true);
    });
  });

  describe('the last owner [P5]', () => {
    it('can neither leave nor step down, and nobody can remove them', async () => {
      const f = await createFixture();
      const owner = cast.owner;
      await must(call(owner, 'DELETE', `${ws(f)}/members/${cast.targetOwner.userId}`), 204);
      expectProblem(await call(owner, 'DELETE', `${ws(f)}/members/${owner.userId}`), 403);
      expectProblem(await call(owner, 'PATCH', `${ws(f)}/members/${owner.userId}`, { role: 'admin' }), 403);
      expectProblem(await call(cast.admin, 'DELETE', `${ws(f)}/members/${owner.userId}`), 403);
      expect((await call(owner, 'GET', ws(f))).json().role).toBe('owner');
    });
  });

  describe('revocation holds on the very next request on this instance [P3]', () => {
    // Each case first succeeds (which also fills the permission cache), then revokes, then retries once.

    it('viewer whose share is deleted: GET /documents/:id 200 → 404', async () => {
      const f = await createFixture();
      expect((await call(cast.viewer, 'GET', doc(f))).statusCode).toBe(200);
      await must(call(cast.owner, 'DELETE', `${doc(f)}/shares/${cast.viewer.userId}`), 204);
      expectProblem(await call(cast.viewer, 'GET', doc(f)), 404);
    });

    it('editor whose share is downgraded to viewer: PATCH /documents/:id 200 → 403', async () => {
      const f = await createFixture();
      expect((await call(cast.editor, 'PATCH', doc(f), { title: 'mine' })).statusCode).toBe(200);
      await must(call(cast.owner, 'PUT', `${doc(f)}/shares/${cast.editor.userId}`, { role: 'viewer' }), 200);
      expectProblem(await call(cast.editor, 'PATCH', doc(f), { title: 'mine again' }), 403);
    });

    it('member removed from the workspace: GET /workspaces/:id and GET /documents/:id 200 → 404', async () => {
      const f = await createFixture();
      expect((await call(cast.member, 'GET', ws(f))).statusCode).toBe(200);
      expect((await call(cast.member, 'GET', doc(f))).statusCode).toBe(200);
      await must(call(cast.admin, 'DELETE', `${ws(f)}/members/${cast.member.userId}`), 204);
      expectProblem(await call(cast.member, 'GET', ws(f)), 404);
      expectProblem(await call(cast.member, 'GET', doc(f)), 404);
    });

    it('member who leaves: GET /workspaces/:id 200 → 404', async () => {
      const f = await createFixture();
      expect((await call(cast.member, 'GET', ws(f))).statusCode).toBe(200);
      await must(call(cast.member, 'DELETE', `${ws(f)}/members/${cast.member.userId}`), 204);
      expectProblem(await call(cast.member, 'GET', ws(f)), 404);
    });

    it('member downgraded to guest: GET /workspaces/:id/members 200 → 403, unshared document 200 → 404', async () => {
      const f = await createFixture();
      expect((await call(cast.member, 'GET', `${ws(f)}/members`)).statusCode).toBe(200);
      expect((await call(cast.member, 'GET', `/api/v1/documents/${f.privateDocumentId}`)).statusCode).toBe(200);
      await must(call(cast.admin, 'PATCH', `${ws(f)}/members/${cast.member.userId}`, { role: 'guest' }), 200);
      expectProblem(await call(cast.member, 'GET', `${ws(f)}/members`), 403);
      expectProblem(await call(cast.member, 'GET', `/api/v1/documents/${f.privateDocumentId}`), 404);
    });

    it('admin downgraded to member: PATCH /workspaces/:id (name) 200 → 403', async () => {
      const f = await createFixture();
      expect((await call(cast.admin, 'PATCH', ws(f), { name: 'By admin' })).statusCode).toBe(200);
      await must(call(cast.owner, 'PATCH', `${ws(f)}/members/${cast.admin.userId}`, { role: 'member' }), 200);
      expectProblem(await call(cast.admin, 'PATCH', ws(f), { name: 'Still admin?' }), 403);
    });

    it('[P8] owner downgraded to guest keeps D; owner removed from the workspace: GET /documents/:id 200 → 404', async () => {
      const f = await createFixture();
      expect((await call(cast.author, 'GET', doc(f))).statusCode).toBe(200);
      await must(call(cast.owner, 'PATCH', `${ws(f)}/members/${cast.author.userId}`, { role: 'guest' }), 200);
      expect((await call(cast.author, 'GET', doc(f))).json().access).toBe('editor');
      await must(call(cast.owner, 'DELETE', `${ws(f)}/members/${cast.author.userId}`), 204);
      expectProblem(await call(cast.author, 'GET', doc(f)), 404);
      expectProblem(await call(cast.author, 'DELETE', doc(f)), 404);
    });

    it('[P7] general access set to restricted: a member gets GET /documents/:id 200 → 404, a viewer share still reads', async () => {
      const f = await createFixture();
      expect((await call(cast.member, 'GET', doc(f))).statusCode).toBe(200);
      await must(call(cast.author, 'PUT', `${doc(f)}/general-access`, { generalAccess: 'restricted' }), 200);
      expectProblem(await call(cast.member, 'GET', doc(f)), 404);
      expect((await call(cast.viewer, 'GET', doc(f))).statusCode).toBe(200);
      expect((await call(cast.admin, 'GET', doc(f))).json().access).toBe('admin');
    });

    it('document trashed [T1]: its viewer gets content 200 → 410, metadata with trashedAt; deleted forever → 404', async () => {
      const f = await createFixture();
      expect((await call(cast.viewer, 'GET', `${doc(f)}/content`)).statusCode).toBe(200);
      await must(call(cast.owner, 'DELETE', doc(f)), 204);
      expectProblem(await call(cast.viewer, 'GET', `${doc(f)}/content`), 410);
      expect((await call(cast.viewer, 'GET', doc(f))).json().trashedAt).toEqual(expect.any(String));
      await must(call(cast.owner, 'DELETE', `/api/v1/trash/${f.documentId}`), 204);
      expectProblem(await call(cast.viewer, 'GET', doc(f)), 404);
    });

    it("share removed [H1]: D leaves the viewer's GET /documents on the next request", async () => {
      const f = await createFixture();
      expect(await everything(cast.viewer)).toContain(f.documentId);
      await must(call(cast.owner, 'DELETE', `${doc(f)}/shares/${cast.viewer.userId}`), 204);
      expect(await everything(cast.viewer)).not.toContain(f.documentId);
    });

    it('workspace deleted: its member gets GET /workspaces/:id and GET /documents/:id 200 → 404', async () => {
      const f = await createFixture();
      expect((await call(cast.member, 'GET', ws(f))).statusCode).toBe(200);
      expect((await call(cast.member, 'GET', doc(f))).statusCode).toBe(200);
      await must(call(cast.owner, 'DELETE', ws(f)), 204);
      expectProblem(await call(cast.member, 'GET', ws(f)), 404);
      expectProblem(await call(cast.member, 'GET', doc(f)), 404);
    });
  });
});
