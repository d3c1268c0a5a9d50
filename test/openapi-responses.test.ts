/**
 * Real responses match the OpenAPI document: every operation is driven through inject() (its
 * success and its error paths), and every answer must have a documented status, a documented
 * Content-Type and a body that validates against the documented schema. Every documented status
 * must be produced here at least once, unless EXEMPT says which other test produces it.
 */
import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { withExportTables } from '../src/export/job-schema.ts';
import { backends } from './support/backends.ts';
import { documentStartAnchor } from './support/comment-fixtures.ts';
import { linkIn, waitForMail } from './support/mailbox.ts';
import {
  fetchOpenApi,
  type OpenApiDocument,
  type Operation,
  operationsOf,
  ResponseChecker,
} from './support/openapi.ts';
import { linkToken, startTestApp, TEST_OPERATOR_TOKEN, TEST_PASSWORD, type TestApp } from './support/test-app.ts';

/** Documented statuses this file does not produce, and where they are produced instead. */
const EXEMPT: Record<string, string> = {
  'getReadiness 503': 'needs a dependency down or a shutdown under way: lifecycle and redis-outage integration tests',
  'createDocument 409':
    'a repeat with the same Idempotency-Key while the first still runs after 5 s: src/app/idempotency.ts',
  'importDocument 409':
    'a repeat with the same Idempotency-Key while the first still runs after 5 s: src/app/idempotency.ts',
  'requestExport 409':
    'a repeat with the same Idempotency-Key while the first still runs after 5 s: src/app/idempotency.ts',
  'requestExport 403':
    'comments asked for by a viewer whose workspace hides them [E10.2]: test/export-comments.test.ts, test/authorization-matrix.test.ts',
  'takeProfile 404': 'the operator API is off without OPERATOR_TOKEN: test/operator-api.test.ts',
  'getTopTalkers 404': 'the operator API is off without OPERATOR_TOKEN: test/operator-api.test.ts',
  'takeProfile 409': 'one profile at a time (ProfileBusy): src/observability/profiler.test.ts',
  'getDocumentContent 423': 'a quarantined document (spec S11.4): test/crdt-isolation.integration.test.ts',
  'createCommentThread 409': 'a document at THREADS_PER_DOCUMENT_MAX threads: test/comments.test.ts',
  'replyToCommentThread 409': 'a thread at COMMENTS_PER_THREAD_MAX comments: test/comments.test.ts',
  // Images [IM1]–[IM4]: a raw image body, not JSON; every status is driven in test/images.test.ts.
  'uploadImage 200': 'the same bytes twice [IM3.4]: test/images.test.ts',
  'uploadImage 201': 'test/images.test.ts',
  'uploadImage 403': 'a viewer uploads [IM1.1]: test/images.test.ts',
  'uploadImage 409': 'a full workspace [IM3.2]: test/images.test.ts',
  'uploadImage 410': 'a trashed document: test/images.test.ts',
  'uploadImage 413': 'past IMAGE_MAX_BYTES [IM3.1]: test/images.test.ts',
  'uploadImage 415': 'SVG, HTML, JSON [IM2.2]: test/images.test.ts',
  'listImages 200': 'test/images.test.ts',
  'listImages 410': 'a trashed document: test/images.test.ts',
  'getImage 200': 'test/images.test.ts',
  'getImage 304': 'If-None-Match [IM4.1]: test/images.test.ts',
  'getImage 410': 'a trashed document: test/images.test.ts',
  'createCommentThread 422': 'an Idempotency-Key reused for another comment: test/idempotency.test.ts',
  'replyToCommentThread 422': 'an Idempotency-Key reused for another reply: test/idempotency.test.ts',
};
/**
 * Any operation may document 429 for the shared rate limiter, whose own tests drive it; the
 * operations with a limit of their own (sign-up, log-in, export quota) are driven here.
 */
const LIMITER_STATUS = '429';
const SIGNUPS_PER_IP = 2;
const RESETS_PER_IP = 2;
const LOGIN_FAILURES_PER_ACCOUNT = 3;
const OVERSIZED = 'x'.repeat(65 * 1024);

type Call = {
  token?: string;
  params?: Record<string, string>;
  query?: string;
  body?: unknown;
  /** A body sent as-is with this content type instead of JSON. */
  raw?: { payload: string; contentType: string };
  ip?: string;
  headers?: Record<string, string>;
};
type Session = { userId: string; email: string; token: string; refreshToken: string };

/** A small ProseMirror-shaped document, as the editor stores it. */
function storedState(text: string): Uint8Array {
  const doc = new Y.Doc();
  const p = new Y.XmlElement('paragraph');
  p.insert(0, [new Y.XmlText(text)]);
  doc.getXmlFragment('default').insert(0, [p]);
  return Y.encodeStateAsUpdate(doc);
}

// Response shapes do not depend on the storage backend; the authorization matrix runs both.
describe.each(backends.slice(0, 1))('every operation answers as the OpenAPI document says [$name]', (backend) => {
  let t: TestApp;
  let doc: OpenApiDocument;
  let checker: ResponseChecker;
  const byId = new Map<string, { method: string; path: string; op: Operation }>();
  const seen = new Set<string>();
  let ipCounter = 0;
  const nextIp = () => `10.0.${Math.floor(++ipCounter / 250)}.${(ipCounter % 250) + 1}`;

  /** Calls an operation by its operationId, checks the answer against the document, records its status. */
  async function call(operationId: string, c: Call, expected: number): Promise<LightMyRequestResponse> {
    const entry = byId.get(operationId);
    if (!entry) throw new Error(`no operation ${operationId} in the document`);
    const path = entry.path.replace(/\{(\w+)\}/g, (_, name: string) => {
      const value = c.params?.[name];
      if (value === undefined) throw new Error(`${operationId}: no value for {${name}}`);
      return encodeURIComponent(value);
    });
    const headers: Record<string, string> = { ...c.headers };
    if (c.token) headers.authorization = `Bearer ${c.token}`;
    if (c.raw) headers['content-type'] = c.raw.contentType;
    else if (c.body !== undefined) headers['content-type'] = 'application/json';
    const res = await t.app.server.inject({
      method: entry.method.toUpperCase() as 'GET',
      url: c.query ? `${path}?${c.query}` : path,
      headers,
      ...(c.raw ? { payload: c.raw.payload } : c.body !== undefined && { payload: JSON.stringify(c.body) }),
      remoteAddress: c.ip ?? '127.0.0.1',
    });
    const where = `${operationId} (${entry.method.toUpperCase()} ${path}) → ${res.statusCode}`;
    expect(res.statusCode, `${where}: ${res.body.slice(0, 500)}`).toBe(expected);
    expect(checker.problems(entry.op, res), where).toEqual([]);
    seen.add(`${operationId} ${res.statusCode}`);
    return res;
  }

  const signUp = async (name: string): Promise<Session> => {
    const email = `${name}-${randomUUID()}@example.test`;
    const body = { email, password: TEST_PASSWORD, displayName: name };
    const s = (await call('signUp', { body, ip: nextIp() }, 201)).json();
    return { userId: s.user.id, email, token: s.accessToken, refreshToken: s.refreshToken };
  };

  let owner: Session;
  let member: Session;
  let guest: Session;
  let viewer: Session;
  let invitee: Session;
  let leaver: Session;
  let workspaceId: string;
  let freeWorkspaceId: string;
  let documentId: string;

  beforeAll(async () => {
    t = await startTestApp(backend, {
      SIGNUP_MAX_PER_IP_PER_HOUR: String(SIGNUPS_PER_IP),
      LOGIN_MAX_FAILURES_PER_ACCOUNT: String(LOGIN_FAILURES_PER_ACCOUNT),
      // One export a month on the free plan; the main workspace is on the business plan.
      EXPORT_QUOTA_FREE: '1',
      PASSWORD_RESET_MAX_PER_IP_PER_HOUR: String(RESETS_PER_IP),
      IMPORT_MAX_BYTES: String(64 * 1024),
    });
    doc = await fetchOpenApi(t);
    checker = new ResponseChecker(doc);
    for (const entry of operationsOf(doc)) byId.set(entry.op.operationId as string, entry);
    [owner, member, guest, viewer, invitee, leaver] = await Promise.all(
      ['owner', 'member', 'guest', 'viewer', 'invitee', 'leaver'].map(signUp),
    );
  }, 180_000);
  afterAll(async () => {
    await t?.close();
  });

  it('auth: sign up, log in, refresh, log out, me, keys', async () => {
    await call('signUp', { body: { email: owner.email, password: TEST_PASSWORD, displayName: 'Again' } }, 409);
    const ip = nextIp();
    for (let i = 0; i < SIGNUPS_PER_IP; i++) await signUpFrom(ip, 201);
    await signUpFrom(ip, 429);

    const session = (await call('logIn', { body: { email: owner.email, password: TEST_PASSWORD } }, 200)).json();
    const refreshed = (await call('refreshSession', { body: { refreshToken: session.refreshToken } }, 200)).json();
    await call('refreshSession', { body: { refreshToken: session.refreshToken.replace(/.$/, 'x') } }, 401);
    await call('logOut', { body: { refreshToken: refreshed.refreshToken } }, 204);
    // Lock-out counts failures per account from one address [A5].
    const guesser = nextIp();
    for (let i = 0; i < LOGIN_FAILURES_PER_ACCOUNT; i++)
      await call('logIn', { body: { email: leaver.email, password: 'wrong password' }, ip: guesser }, 401);
    await call('logIn', { body: { email: leaver.email, password: TEST_PASSWORD }, ip: guesser }, 429);

    await call('getMe', { token: owner.token }, 200);
    // The account's own settings and sessions [A9], on a session of its own (signing out everywhere ends it).
    const solo = await signUp('solo');
    const mine = (
      await call('logIn', { body: { email: solo.email, password: TEST_PASSWORD }, ip: nextIp() }, 200)
    ).json();
    await call('updateMe', { token: mine.accessToken, body: { displayName: 'Solo' } }, 200);
    const sessions = (await call('listSessions', { token: mine.accessToken }, 200)).json().items as { id: string }[];
    await call('revokeSession', { token: mine.accessToken, params: { id: sessions.at(-1)?.id as string } }, 204);
    await call('signOutEverywhere', { token: mine.accessToken }, 200);
    await call('getMe', { token: mine.accessToken }, 401);
    await call('getJwks', {}, 200);
    await call('getLiveness', {}, 200);
    await call('getReadiness', {}, 200);
    await call('getMetrics', {}, 200);
  });

  async function signUpFrom(ip: string, status: number) {
    const body = { email: `burst-${randomUUID()}@example.test`, password: TEST_PASSWORD, displayName: 'Burst' };
    await call('signUp', { body, ip }, status);
  }

  it('the operator API: top talkers and a live profile, never for a user token', async () => {
    await call('getTopTalkers', { token: TEST_OPERATOR_TOKEN }, 200);
    await call('getTopTalkers', { token: owner.token }, 401);
    await call('takeProfile', { token: TEST_OPERATOR_TOKEN, query: 'type=cpu&seconds=1' }, 200);
    await call('takeProfile', { token: owner.token, query: 'seconds=1' }, 401);
  });

  it('workspaces and members', async () => {
    const ws = (await call('createWorkspace', { token: owner.token, body: { name: 'Main' } }, 201)).json();
    workspaceId = ws.id;
    // Plans are the operator's [P6].
    const plan = { params: { id: workspaceId }, body: { plan: 'business' } };
    await call('setWorkspacePlan', { ...plan, token: TEST_OPERATOR_TOKEN }, 200);
    await call('setWorkspacePlan', { ...plan, token: owner.token }, 401);
    await call('setWorkspacePlan', plan, 401);
    freeWorkspaceId = (await call('createWorkspace', { token: owner.token, body: { name: 'Free' } }, 201)).json().id;
    const doomed = (await call('createWorkspace', { token: owner.token, body: { name: 'Doomed' } }, 201)).json().id;
    const id = { id: workspaceId };

    // People join by accepting their invitation's link [I2].
    for (const [who, role] of [
      [member, 'member'],
      [guest, 'guest'],
      [leaver, 'member'],
    ] as const) {
      const sent = await call('addMember', { token: owner.token, params: id, body: { email: who.email, role } }, 202);
      await call('acceptInvitation', { token: who.token, body: { token: linkToken(sent.json().link) } }, 200);
    }
    await call('addMember', { token: owner.token, params: id, body: { email: member.email, role: 'guest' } }, 409);
    await call('addMember', { token: member.token, params: id, body: { email: invitee.email, role: 'member' } }, 403);

    await call('listWorkspaces', { token: owner.token }, 200);
    await call('getWorkspace', { token: member.token, params: id }, 200);
    await call('updateWorkspace', { token: owner.token, params: id, body: { name: 'Main renamed' } }, 200);
    await call('updateWorkspace', { token: member.token, params: id, body: { name: 'Mine now' } }, 403);
    await call('getWorkspaceSettings', { token: member.token, params: id }, 200);
    await call('updateWorkspaceSettings', { token: member.token, params: id, body: { viewersBrowse: false } }, 403);
    await call('updateWorkspaceSettings', { token: owner.token, params: id, body: { viewersBrowse: true } }, 200);
    await call('listMembers', { token: member.token, params: id }, 200);
    await call('listMembers', { token: guest.token, params: id }, 403);

    const leaverId = { id: workspaceId, userId: leaver.userId };
    await call('setMemberRole', { token: owner.token, params: leaverId, body: { role: 'guest' } }, 200);
    await call('setMemberRole', { token: member.token, params: leaverId, body: { role: 'member' } }, 403);
    await call('removeMember', { token: member.token, params: { id: workspaceId, userId: owner.userId } }, 403);
    await call('removeMember', { token: owner.token, params: leaverId }, 204);

    await call('deleteWorkspace', { token: member.token, params: id }, 403);
    await call('deleteWorkspace', { token: owner.token, params: { id: doomed } }, 204);
  });

  it('documents, content, shares and search', async () => {
    const ws = { id: workspaceId };
    const created = await call('createDocument', { token: owner.token, params: ws, body: { title: 'Plan' } }, 201);
    documentId = created.json().id;
    const key = { 'idempotency-key': `create-${randomUUID()}` };
    await call('createDocument', { token: owner.token, params: ws, body: { title: 'Once' }, headers: key }, 201);
    await call('createDocument', { token: owner.token, params: ws, body: { title: 'Other' }, headers: key }, 422);
    const second = (await call('createDocument', { token: member.token, params: ws, body: {} }, 201)).json().id;
    await call('createDocument', { token: guest.token, params: ws, body: { title: 'Not allowed' } }, 403);
    await t.app.database
      .pool('api')
      .updateTable('documents')
      .set({ state: storedState('Quarterly numbers') })
      .where('id', '=', documentId)
      .execute();

    const first = (await call('listDocuments', { token: owner.token, params: ws, query: 'limit=1' }, 200)).json();
    const cursor = encodeURIComponent(first.nextCursor);
    await call('listDocuments', { token: owner.token, params: ws, query: `limit=1&cursor=${cursor}` }, 200);

    const id = { id: documentId };
    const share = { id: documentId, userId: viewer.userId };
    await call('setShare', { token: owner.token, params: share, body: { role: 'viewer' } }, 200);
    await call('getDocument', { token: viewer.token, params: id }, 200);
    await call('renameDocument', { token: owner.token, params: id, body: { title: 'Quarterly plan' } }, 200);
    await call('renameDocument', { token: viewer.token, params: id, body: { title: 'Mine' } }, 403);
    await call('deleteDocument', { token: viewer.token, params: id }, 403);
    await call('deleteDocument', { token: owner.token, params: { id: second } }, 204);

    await call('shareByEmail', { token: owner.token, params: id, body: { email: invitee.email, role: 'editor' } }, 202);
    await call('shareByEmail', { token: owner.token, params: id, body: { email: invitee.email, role: 'viewer' } }, 409);
    await call('shareByEmail', { token: viewer.token, params: id, body: { email: guest.email, role: 'viewer' } }, 403);
    await call('listShares', { token: viewer.token, params: id }, 200);
    await call('setShare', { token: viewer.token, params: share, body: { role: 'editor' } }, 403);
    const inviteeShare = { id: documentId, userId: invitee.userId };
    await call('removeShare', { token: viewer.token, params: inviteeShare }, 403);
    await call('removeShare', { token: owner.token, params: inviteeShare }, 204);

    for (const format of ['json', 'markdown', 'html', 'text']) {
      const res = await call('getDocumentContent', { token: viewer.token, params: id, query: `format=${format}` }, 200);
      expect(res.body).toContain('Quarterly numbers');
    }
    await call('getDocumentContent', { token: viewer.token, params: id }, 200);
    await call('searchDocuments', { token: owner.token, query: `q=quarterly&workspaceId=${workspaceId}` }, 200);
    await call('searchTitles', { token: owner.token, query: 'q=quartrly' }, 200);
  });

  it('invitations, invite links and password reset [I1] [I3] [I5] [A8]', async () => {
    const id = { id: workspaceId };
    const stranger = `stranger-${randomUUID()}@example.test`;
    const first = await call(
      'addMember',
      { token: owner.token, params: id, body: { email: stranger, role: 'member' } },
      202,
    );
    await call('listWorkspaceInvitations', { token: member.token, params: id }, 403);
    const open = (await call('listWorkspaceInvitations', { token: owner.token, params: id }, 200)).json();
    const invitation = {
      id: workspaceId,
      invitationId: open.items.find((i: { email: string }) => i.email === stranger).id,
    };
    await call('resendWorkspaceInvitation', { token: member.token, params: invitation }, 403);
    const again = (await call('resendWorkspaceInvitation', { token: owner.token, params: invitation }, 202)).json();
    // Re-sending replaced the first link.
    await call('previewInvitation', { body: { token: linkToken(first.json().link) } }, 410);
    await call('previewInvitation', { body: { token: linkToken(again.link) } }, 200);
    // Sent to another email than the caller's.
    await call('acceptInvitation', { token: invitee.token, body: { token: linkToken(again.link) } }, 403);
    await call('revokeWorkspaceInvitation', { token: member.token, params: invitation }, 403);
    await call('revokeWorkspaceInvitation', { token: owner.token, params: invitation }, 204);
    await call('acceptInvitation', { token: invitee.token, body: { token: linkToken(again.link) } }, 410);

    const doc = { id: documentId };
    await call('shareByEmail', { token: owner.token, params: doc, body: { email: stranger, role: 'viewer' } }, 202);
    await call('listDocumentInvitations', { token: viewer.token, params: doc }, 403);
    const docOpen = (await call('listDocumentInvitations', { token: owner.token, params: doc }, 200)).json();
    const docInvitation = { id: documentId, invitationId: docOpen.items[0].id };
    await call('resendDocumentInvitation', { token: viewer.token, params: docInvitation }, 403);
    await call('resendDocumentInvitation', { token: owner.token, params: docInvitation }, 202);
    await call('revokeDocumentInvitation', { token: viewer.token, params: docInvitation }, 403);
    await call('revokeDocumentInvitation', { token: owner.token, params: docInvitation }, 204);

    const linkBody = { role: 'guest', expiresInHours: 1, maxUses: 1 };
    await call('createInviteLink', { token: member.token, params: id, body: linkBody }, 403);
    const link = (await call('createInviteLink', { token: owner.token, params: id, body: linkBody }, 201)).json();
    await call('listInviteLinks', { token: member.token, params: id }, 403);
    await call('listInviteLinks', { token: owner.token, params: id }, 200);
    await call('previewInvitation', { body: { token: linkToken(link.url) } }, 200);
    const joiner = await signUp('joiner');
    await call('acceptInvitation', { token: joiner.token, body: { token: linkToken(link.url) } }, 200);
    // One use only: the next person is told it is used up.
    const late = await signUp('late');
    await call('acceptInvitation', { token: late.token, body: { token: linkToken(link.url) } }, 410);
    const linkId = { id: workspaceId, linkId: link.id };
    await call('revokeInviteLink', { token: member.token, params: linkId }, 403);
    await call('revokeInviteLink', { token: owner.token, params: linkId }, 204);

    // Password reset: 202 whether or not the email has an account; the link works once.
    await call('requestPasswordReset', { body: { email: joiner.email } }, 202);
    await call('requestPasswordReset', { body: { email: `nobody-${randomUUID()}@example.test` } }, 202);
    const ip = nextIp();
    for (let i = 0; i < RESETS_PER_IP; i++) await call('requestPasswordReset', { body: { email: stranger }, ip }, 202);
    await call('requestPasswordReset', { body: { email: stranger }, ip }, 429);
    const mail = await waitForMail(t.app.config.dataDir, joiner.email, /password/i);
    const reset = { token: linkToken(linkIn(mail.text)), password: 'a brand new passphrase' };
    await call('confirmPasswordReset', { body: reset }, 204);
    await call('confirmPasswordReset', { body: reset }, 410);
  });

  it('account security: password change, email change, account deletion [A10] [A11] [A12]', async () => {
    const next = 'a brand new passphrase';
    const me = await signUp('secure');
    const other = await signUp('holder');
    await call(
      'changePassword',
      { token: me.token, body: { currentPassword: 'wrong password', newPassword: next } },
      403,
    );
    const session = (
      await call(
        'changePassword',
        { token: me.token, body: { currentPassword: TEST_PASSWORD, newPassword: next } },
        200,
      )
    ).json();
    const token = session.accessToken as string;
    await call('requestEmailChange', { token, body: { currentPassword: 'wrong password', email: other.email } }, 403);
    await call('requestEmailChange', { token, body: { currentPassword: next, email: other.email } }, 202);
    const taken = linkIn((await waitForMail(t.app.config.dataDir, other.email, /Confirm your new/)).text);
    await call('confirmEmailChange', { body: { token: linkToken(taken) } }, 409);
    const fresh = `fresh-${randomUUID()}@example.test`;
    await call('requestEmailChange', { token, body: { currentPassword: next, email: fresh } }, 202);
    const link = linkIn((await waitForMail(t.app.config.dataDir, fresh, /Confirm your new/)).text);
    await call('confirmEmailChange', { body: { token: linkToken(link) } }, 204);
    await call('confirmEmailChange', { body: { token: linkToken(link) } }, 410);

    const w = (await call('createWorkspace', { token, body: { name: 'Mine' } }, 201)).json().id as string;
    await call('createDocument', { token, params: { id: w }, body: { title: 'Mine' } }, 201);
    await t.addMember({ ...me, token }, w, other, 'member');
    await call('previewAccountDeletion', { token }, 200);
    await call('deleteAccount', { token, body: { password: 'wrong password', documents: 'trash' } }, 403);
    await call('deleteAccount', { token, body: { password: next, documents: 'transfer' } }, 409);
    await call('transferPrimaryOwnership', { token, params: { id: w }, body: { userId: other.userId } }, 200);
    const stranger = await signUp('stranger');
    const toStranger = { password: next, documents: 'transfer', transferTo: stranger.userId };
    await call('deleteAccount', { token, body: toStranger }, 422);
    await call('deleteAccount', { token, body: { password: next, documents: 'transfer' } }, 200);
  });

  it('invitations answered in the app [I6]', async () => {
    const inviter = await signUp('inviter');
    const w = (await call('createWorkspace', { token: inviter.token, body: { name: 'Asked' } }, 201)).json()
      .id as string;
    const me = await signUp('asked');
    const invite = (body: unknown) => call('addMember', { token: inviter.token, params: { id: w }, body }, 202);
    await invite({ email: me.email, role: 'member' });
    await invite({ email: me.email, role: 'guest' });
    const open = (await call('listWorkspaceInvitations', { token: inviter.token, params: { id: w } }, 200)).json()
      .items;
    const [latest] = open as { id: string }[];
    await call('listMyInvitations', { token: me.token }, 200);
    await call('acceptMyInvitation', { token: me.token, params: { id: latest?.id as string } }, 403);
    await call('declineMyInvitation', { token: me.token, params: { id: latest?.id as string } }, 403);
    await call(
      'requestEmailChange',
      { token: me.token, body: { currentPassword: TEST_PASSWORD, email: me.email } },
      202,
    );
    const mail = await waitForMail(t.app.config.dataDir, me.email, /Confirm your Collab Docs email/);
    await call('confirmEmailChange', { body: { token: linkToken(linkIn(mail.text)) } }, 204);
    const mine = (await call('listMyInvitations', { token: me.token }, 200)).json().items as { id: string }[];
    const id = { id: mine[0]?.id as string };
    await call('declineMyInvitation', { token: me.token, params: id }, 204);
    await call('declineMyInvitation', { token: me.token, params: id }, 404);
    await call('acceptMyInvitation', { token: me.token, params: id }, 410);
    await invite({ email: me.email, role: 'member' });
    const again = (await call('listMyInvitations', { token: me.token }, 200)).json().items as { id: string }[];
    await call('acceptMyInvitation', { token: me.token, params: { id: again[0]?.id as string } }, 200);
  });

  it('home lists, stars and the trash', async () => {
    const ws = { id: workspaceId };
    await call('listDocuments', { token: owner.token, params: ws, query: 'order=title&limit=1' }, 200);
    await call('listMyDocuments', { token: viewer.token, query: 'sharedWithMe=true' }, 200);
    await call('listMyDocuments', { token: owner.token, query: 'order=opened' }, 200);
    const doomed = (
      await call('createDocument', { token: member.token, params: ws, body: { title: 'Bin' } }, 201)
    ).json().id as string;
    const id = { id: doomed };
    await call('starDocument', { token: member.token, params: id }, 204);
    await call('unstarDocument', { token: member.token, params: id }, 204);
    await call('deleteDocument', { token: member.token, params: id }, 204);
    await call('deleteDocument', { token: member.token, params: id }, 410);
    await call('starDocument', { token: member.token, params: id }, 410);
    await call('listTrash', { token: owner.token, query: `workspaceId=${workspaceId}` }, 200);
    await call('restoreDocument', { token: viewer.token, params: id }, 404);
    await call('restoreDocument', { token: member.token, params: id }, 200);
    await call('restoreDocument', { token: member.token, params: id }, 409);
    await call('deleteDocumentForever', { token: member.token, params: id }, 409);
    await call('deleteDocument', { token: owner.token, params: id }, 204);
    // Everything else about a trashed document answers 410 to people who could read it [T1].
    const share = { id: doomed, userId: viewer.userId };
    await call('renameDocument', { token: owner.token, params: id, body: { title: 'x' } }, 410);
    await call('listShares', { token: owner.token, params: id }, 410);
    await call('shareByEmail', { token: owner.token, params: id, body: { email: viewer.email, role: 'viewer' } }, 410);
    await call('setShare', { token: owner.token, params: share, body: { role: 'editor' } }, 410);
    await call('removeShare', { token: owner.token, params: share }, 410);
    await call('getDocumentContent', { token: owner.token, params: id }, 410);
    await call('requestExport', { token: owner.token, params: id, body: { format: 'markdown' } }, 410);
    const invitation = { id: doomed, invitationId: randomUUID() };
    await call('listDocumentInvitations', { token: owner.token, params: id }, 410);
    await call('resendDocumentInvitation', { token: owner.token, params: invitation }, 410);
    await call('revokeDocumentInvitation', { token: owner.token, params: invitation }, 410);
    // A member who did not create it may neither restore nor delete it forever.
    const byOwner = (
      await call('createDocument', { token: owner.token, params: ws, body: { title: 'Bin 2' } }, 201)
    ).json().id as string;
    await call('deleteDocument', { token: owner.token, params: { id: byOwner } }, 204);
    await call('restoreDocument', { token: member.token, params: { id: byOwner } }, 403);
    await call('deleteDocumentForever', { token: member.token, params: { id: byOwner } }, 403);
    await call('deleteDocumentForever', { token: owner.token, params: id }, 204);
  });

  it('comments, mentions and notifications [C1] [C3] [C4] [C6]', async () => {
    const id = { id: documentId };
    const anchor = documentStartAnchor();
    const body = (text: string, mentions: string[] = []) => ({ anchor, quote: '', body: text, mentions });
    const thread = (
      await call('createCommentThread', { token: member.token, params: id, body: body('@owner?', [owner.userId]) }, 201)
    ).json();
    await call('createCommentThread', { token: viewer.token, params: id, body: body('no') }, 403);
    await call('createCommentThread', { token: member.token, params: id, body: body('x', [guest.userId]) }, 400);
    const inThread = { id: documentId, threadId: thread.id };
    const replied = (
      await call('replyToCommentThread', { token: owner.token, params: inThread, body: { body: 'ok' } }, 201)
    ).json();
    await call('replyToCommentThread', { token: viewer.token, params: inThread, body: { body: 'no' } }, 403);
    const reply = { ...inThread, commentId: replied.comments[1].id };
    await call('editComment', { token: owner.token, params: reply, body: { body: 'ok!' } }, 200);
    await call('editComment', { token: member.token, params: reply, body: { body: 'mine' } }, 403);
    await call('resolveCommentThread', { token: member.token, params: inThread }, 200);
    await call('resolveCommentThread', { token: viewer.token, params: inThread }, 403);
    await call('listComments', { token: viewer.token, params: id, query: 'status=resolved' }, 200);
    await call('reopenCommentThread', { token: owner.token, params: inThread }, 200);
    await call('reopenCommentThread', { token: viewer.token, params: inThread }, 403);
    await call('listMentionablePeople', { token: member.token, params: id, query: 'q=o' }, 200);
    await call('listMentionablePeople', { token: viewer.token, params: id }, 403);

    const mine = (await call('listNotifications', { token: owner.token, query: 'unread=true' }, 200)).json();
    expect(mine.items.length).toBeGreaterThan(0);
    await call('countUnreadNotifications', { token: owner.token }, 200);
    await call('markNotificationsRead', { token: owner.token, body: { ids: [mine.items[0].id] } }, 200);
    await call('markAllNotificationsRead', { token: owner.token }, 200);
    await call('getNotificationSettings', { token: owner.token }, 200);
    await call('setNotificationSettings', { token: owner.token, body: { email: 'off' } }, 200);

    await call('deleteComment', { token: member.token, params: reply }, 403);
    await call('deleteComment', { token: owner.token, params: reply }, 204);
    await call('deleteCommentThread', { token: viewer.token, params: inThread }, 403);
    await call('deleteCommentThread', { token: member.token, params: inThread }, 204);

    // A document in the trash answers 410 to its readers [T1].
    const ws = { id: workspaceId };
    const binned = (await call('createDocument', { token: owner.token, params: ws, body: { title: 'x' } }, 201)).json();
    await call('deleteDocument', { token: owner.token, params: { id: binned.id } }, 204);
    const gone = { id: binned.id, threadId: randomUUID(), commentId: randomUUID() };
    await call('listComments', { token: owner.token, params: gone }, 410);
    await call('createCommentThread', { token: owner.token, params: gone, body: body('x') }, 410);
    await call('replyToCommentThread', { token: owner.token, params: gone, body: { body: 'x' } }, 410);
    await call('editComment', { token: owner.token, params: gone, body: { body: 'x' } }, 410);
    await call('deleteComment', { token: owner.token, params: gone }, 410);
    await call('deleteCommentThread', { token: owner.token, params: gone }, 410);
    await call('resolveCommentThread', { token: owner.token, params: gone }, 410);
    await call('reopenCommentThread', { token: owner.token, params: gone }, 410);
    await call('listMentionablePeople', { token: owner.token, params: gone }, 410);
  });

  it('version history: list, read in every format, compare, save, restore [V2] [V4] [V6]', async () => {
    const ws = { id: workspaceId };
    const id = { id: documentId };
    const saved = (await call('saveVersion', { token: owner.token, params: id, body: { name: 'Draft' } }, 201)).json();
    await call('saveVersion', { token: viewer.token, params: id, body: { name: 'Mine' } }, 403);
    await call('saveVersion', { token: owner.token, params: id, body: { name: 'Second' } }, 201);
    const page = (await call('listVersions', { token: viewer.token, params: id, query: 'limit=1' }, 200)).json();
    await call('listVersions', { token: viewer.token, params: id, query: `cursor=${page.nextCursor}` }, 200);
    const version = { id: documentId, versionId: saved.id };
    for (const format of ['json', 'markdown', 'html']) {
      const res = await call('getVersion', { token: viewer.token, params: version, query: `format=${format}` }, 200);
      expect(res.body).toContain('Quarterly numbers');
    }
    await call('getVersionChanges', { token: viewer.token, params: version }, 200);
    await call('restoreVersion', { token: viewer.token, params: version }, 403);
    await call('restoreVersion', { token: owner.token, params: version }, 200);

    // A document in the trash answers 410 [T1]; a quarantined one 423 to a save or a restore [S11.4].
    const other = (await call('createDocument', { token: owner.token, params: ws, body: { title: 'Old' } }, 201)).json()
      .id as string;
    const kept = (
      await call('saveVersion', { token: owner.token, params: { id: other }, body: { name: 'v' } }, 201)
    ).json();
    const otherVersion = { id: other, versionId: kept.id };
    await t.app.database
      .pool('api')
      .insertInto('document_quarantine')
      .values({ document_id: other, reason: 'test', detail: '{}' })
      .execute();
    await call('saveVersion', { token: owner.token, params: { id: other }, body: { name: 'v' } }, 423);
    await call('restoreVersion', { token: owner.token, params: otherVersion }, 423);
    await call('deleteDocument', { token: owner.token, params: { id: other } }, 204);
    await call('listVersions', { token: owner.token, params: { id: other } }, 410);
    await call('saveVersion', { token: owner.token, params: { id: other }, body: { name: 'v' } }, 410);
    await call('getVersion', { token: owner.token, params: otherVersion }, 410);
    await call('getVersionChanges', { token: owner.token, params: otherVersion }, 410);
    await call('restoreVersion', { token: owner.token, params: otherVersion }, 410);
  });

  // Renders for real in the worker threads (started on first use): more than the default 30 s on a busy machine.
  it('general access and ownership [P7] [P8]', async () => {
    const ws = { id: workspaceId };
    const mine = (
      await call('createDocument', { token: member.token, params: ws, body: { title: 'Mine' } }, 201)
    ).json().id as string;
    const id = { id: mine };
    const restricted = { generalAccess: 'restricted' };
    await call('setGeneralAccess', { token: member.token, params: id, body: restricted }, 200);
    await call('setGeneralAccess', { token: viewer.token, params: id, body: { generalAccess: 'edit' } }, 404);
    await call('transferDocumentOwnership', { token: member.token, params: id, body: { userId: guest.userId } }, 422);
    await call('transferDocumentOwnership', { token: member.token, params: id, body: { userId: owner.userId } }, 200);
    // The previous owner keeps an editor share: no longer theirs to manage.
    await call('setGeneralAccess', { token: member.token, params: id, body: { generalAccess: 'view' } }, 403);
    await call('transferDocumentOwnership', { token: member.token, params: id, body: { userId: member.userId } }, 403);
    await call('deleteDocument', { token: owner.token, params: id }, 204);
    await call('setGeneralAccess', { token: owner.token, params: id, body: restricted }, 410);
    await call('transferDocumentOwnership', { token: owner.token, params: id, body: { userId: member.userId } }, 410);
    // Primary ownership [P9]: the creator's to hand over; a hand-over to oneself changes nothing.
    const ws2 = { id: workspaceId };
    await call('transferPrimaryOwnership', { token: member.token, params: ws2, body: { userId: member.userId } }, 403);
    await call('transferPrimaryOwnership', { token: owner.token, params: ws2, body: { userId: randomUUID() } }, 422);
    await call('transferPrimaryOwnership', { token: owner.token, params: ws2, body: { userId: owner.userId } }, 200);
  });

  it('exports: request, status, download (200, 409, 410), quota, dead letters and retry', {
    timeout: 120_000,
  }, async () => {
    const id = { id: documentId };
    const exportsDb = withExportTables(t.app.database.pool('api'));
    const finished = async (jobId: string) => {
      const deadline = Date.now() + 90_000;
      for (;;) {
        const job = (await call('getExport', { token: owner.token, params: { jobId } }, 200)).json();
        if (job.status !== 'queued' && job.status !== 'running') return job;
        if (Date.now() > deadline) throw new Error(`export ${jobId} did not finish in 90 s`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };

    const job = (
      await call('requestExport', { token: owner.token, params: id, body: { format: 'markdown' } }, 202)
    ).json();
    expect((await finished(job.id)).status).toBe('succeeded');
    const download = await call('downloadExport', { token: viewer.token, params: { jobId: job.id } }, 200);
    expect(download.body).toContain('Quarterly numbers');

    // 409: not succeeded yet, while no worker runs.
    const worker = t.app.exportWorker;
    if (!worker) throw new Error('the test app runs no export worker');
    await worker.stop(5_000);
    try {
      const waiting = (
        await call('requestExport', { token: owner.token, params: id, body: { format: 'html' } }, 202)
      ).json();
      await call('downloadExport', { token: owner.token, params: { jobId: waiting.id } }, 409);
    } finally {
      worker.start();
    }

    // 410: its retention time has passed.
    const stale = (
      await call('requestExport', { token: owner.token, params: id, body: { format: 'markdown' } }, 202)
    ).json();
    expect((await finished(stale.id)).status).toBe('succeeded');
    await exportsDb
      .updateTable('export_jobs')
      .set({ result_expires_at: new Date(Date.now() - 1_000) })
      .where('id', '=', stale.id)
      .execute();
    await call('downloadExport', { token: owner.token, params: { jobId: stale.id } }, 410);

    // 429: the free plan's monthly quota (one) is spent by the first export.
    const free = { id: freeWorkspaceId };
    const freeDoc = (await call('createDocument', { token: owner.token, params: free, body: {} }, 201)).json().id;
    await call('requestExport', { token: owner.token, params: { id: freeDoc }, body: { format: 'markdown' } }, 202);
    await call('requestExport', { token: owner.token, params: { id: freeDoc }, body: { format: 'markdown' } }, 429);
    const key = { 'idempotency-key': `export-${randomUUID()}` };
    const exportOf = (format: string) => ({ token: owner.token, params: id, body: { format }, headers: key });
    await call('requestExport', exportOf('html'), 202);
    await call('requestExport', exportOf('markdown'), 422);

    // Dead letters: a job marked dead directly (how jobs die is export.test.ts's business).
    const ws = `workspaceId=${workspaceId}`;
    await call('retryExport', { token: owner.token, params: { jobId: job.id } }, 409);
    await exportsDb.updateTable('export_jobs').set({ status: 'dead' }).where('id', '=', job.id).execute();
    await call('listDeadExports', { token: owner.token, query: ws }, 200);
    await call('listDeadExports', { token: member.token, query: ws }, 403);
    await call('retryExport', { token: member.token, params: { jobId: job.id } }, 403);
    await call('retryExport', { token: owner.token, params: { jobId: job.id } }, 202);
  });

  it('imports a file as a document [I1]', async () => {
    const ws = { id: workspaceId };
    const file = (name: string, payload: string) => ({
      query: `name=${name}`,
      raw: { payload, contentType: 'application/octet-stream' },
    });
    await call('importDocument', { token: owner.token, params: ws, ...file('notes.md', '# Notes\n\ntext') }, 201);
    await call('importDocument', { token: guest.token, params: ws, ...file('notes.md', 'text') }, 403);
    await call('importDocument', { token: owner.token, params: ws, ...file('big.txt', OVERSIZED) }, 413);
    await call('importDocument', { token: owner.token, params: ws, ...file('a.pdf', '%PDF-1.7') }, 415);
    await call('importDocument', { token: owner.token, params: ws, ...file('a.docx', 'not a zip') }, 422);
  });

  /** A body each operation accepts, so that only the ids decide the answer. */
  const VALID_BODIES: Record<string, unknown> = {
    signUp: { email: 'x@example.test', password: TEST_PASSWORD, displayName: 'X' },
    logIn: { email: 'x@example.test', password: TEST_PASSWORD },
    refreshSession: { refreshToken: 'r'.repeat(43) },
    logOut: { refreshToken: 'r'.repeat(43) },
    createWorkspace: { name: 'W' },
    updateWorkspace: { name: 'W' },
    addMember: { email: 'x@example.test', role: 'member' },
    setMemberRole: { role: 'member' },
    createDocument: { title: 'T' },
    renameDocument: { title: 'T' },
    shareByEmail: { email: 'x@example.test', role: 'viewer' },
    createInviteLink: { role: 'member', expiresInHours: 24 },
    setShare: { role: 'viewer' },
    setGeneralAccess: { generalAccess: 'view' },
    transferDocumentOwnership: { userId: randomUUID() },
    transferPrimaryOwnership: { userId: randomUUID() },
    updateMe: { displayName: 'Me' },
    changePassword: { currentPassword: 'x', newPassword: 'a brand new passphrase' },
    requestEmailChange: { currentPassword: 'x', email: 'x@example.test' },
    deleteAccount: { password: 'x', documents: 'trash' },
    confirmEmailChange: { token: 't'.repeat(43) },
    requestExport: { format: 'markdown' },
    setWorkspacePlan: { plan: 'free' },
    createCommentThread: { anchor: documentStartAnchor(), quote: '', body: 'x' },
    replyToCommentThread: { body: 'x' },
    editComment: { body: 'x' },
    saveVersion: { name: 'v' },
    updateWorkspaceSettings: { viewersBrowse: true },
    importDocument: 'file bytes',
  };
  const randomIds = (path: string) =>
    Object.fromEntries([...path.matchAll(/\{(\w+)\}/g)].map((m) => [m[1] as string, randomUUID()]));
  const operatorOnly = (op: Operation) => op.security?.some((s) => 'operator' in s) ?? false;
  const tokenFor = (op: Operation) =>
    operatorOnly(op) ? TEST_OPERATOR_TOKEN : op.security === undefined ? owner.token : undefined;

  it('every authenticated operation answers 401 without a token', async () => {
    for (const { path, op } of operationsOf(doc).filter((e) => e.op.security === undefined)) {
      await call(op.operationId as string, { params: randomIds(path) }, 401);
    }
  });

  it('every operation with input answers 400 to bad input', async () => {
    for (const { op } of operationsOf(doc)) {
      const operationId = op.operationId as string;
      const pathParams = op.parameters?.filter((p) => p.in === 'path') ?? [];
      const token = tokenFor(op);
      if (pathParams.length > 0) {
        const params = Object.fromEntries(pathParams.map((p) => [p.name, 'not-a-uuid']));
        await call(operationId, { token, params, body: VALID_BODIES[operationId] }, 400);
      } else if (op.requestBody) {
        await call(operationId, { token, body: [], ip: nextIp() }, 400);
      } else if (op.parameters?.length) {
        await call(operationId, { token, query: 'unknownParameter=1' }, 400);
      }
    }
  });

  it('every operation with a JSON body answers 415 to another media type and 413 to an oversized body', async () => {
    // Image uploads and imports take a raw body: their 413 and 415 are driven in test/images.test.ts and above.
    const json = (op: Operation) => {
      const content = (op.requestBody as { content?: object } | undefined)?.content;
      return content !== undefined && Object.hasOwn(content, 'application/json');
    };
    for (const { path, op } of operationsOf(doc).filter((e) => json(e.op))) {
      const c = { token: tokenFor(op), params: randomIds(path), ip: nextIp() };
      await call(op.operationId as string, { ...c, raw: { payload: 'name=W', contentType: 'text/plain' } }, 415);
      await call(op.operationId as string, { ...c, body: { name: OVERSIZED } }, 413);
    }
  });

  it('every operation about an id answers 404 for an id that does not exist', async () => {
    // Operations about no id at all (the operator API, whose 404 means "switched off") are in EXEMPT.
    const aboutAnId = (e: { path: string; op: Operation }) =>
      e.path.includes('{') || (e.op.parameters ?? []).some((p) => p.in === 'query' && p.required);
    for (const { path, op } of operationsOf(doc).filter((e) => e.op.responses['404'] && aboutAnId(e))) {
      const operationId = op.operationId as string;
      const query =
        operationId === 'listDeadExports'
          ? `workspaceId=${randomUUID()}`
          : operationId === 'importDocument'
            ? 'name=a.md'
            : undefined;
      await call(
        operationId,
        { token: tokenFor(op) ?? owner.token, params: randomIds(path), query, body: VALID_BODIES[operationId] },
        404,
      );
    }
  });

  it('produced every documented status of every operation (or EXEMPT says where it is produced)', () => {
    const missing: string[] = [];
    for (const { op } of operationsOf(doc)) {
      for (const status of Object.keys(op.responses)) {
        const key = `${op.operationId} ${status}`;
        if (seen.has(key) || EXEMPT[key] || status === LIMITER_STATUS) continue;
        missing.push(key);
      }
    }
    // A new operation or status needs a case above that produces it.
    expect(missing).toEqual([]);
    const stale = Object.keys(EXEMPT).filter((key) => {
      const [operationId, status] = key.split(' ');
      return !byId.get(operationId as string)?.op.responses[status as string];
    });
    expect(stale).toEqual([]);
  });
});
