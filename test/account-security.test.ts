/**
 * Changing one's password and email and deleting one's account, on every backend (docs/spec/auth.md
 * [A10] [A11] [A12]): the current password is required and its failures throttled; a password
 * change ends every other session and keeps the caller's on a new one; an email changes only when
 * the link mailed to the new address is used; deleting hands documents over or trashes them,
 * refuses while a workspace depends on the person, and closes their sockets at once.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode } from '../src/sync/close-codes.ts';
import { backends } from './support/backends.ts';
import { linkIn, readMailbox, waitForMail } from './support/mailbox.ts';
import { SyncPeer } from './support/sync-peer.ts';
import { linkToken, startTestApp, TEST_PASSWORD, type TestApp, type TestSession } from './support/test-app.ts';

const API = '/api/v1';
const NEW_PASSWORD = 'a much better passphrase';
const FAILURES = 3;

describe.each(backends)('account security [$name]', (backend) => {
  let t: TestApp;
  let base: string;
  const peers: SyncPeer[] = [];

  const call = (token: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown) =>
    t.request(method, `${API}${url}`, { token, body });
  const logIn = (email: string, password = TEST_PASSWORD) =>
    t.request('POST', `${API}/auth/login`, { body: { email, password } });
  const refresh = (refreshToken: string) => t.request('POST', `${API}/auth/refresh`, { body: { refreshToken } });
  const workspace = async (owner: TestSession, name = 'W') =>
    (await call(owner.token, 'POST', '/workspaces', { name })).json().id as string;
  const document = async (who: TestSession, workspaceId: string, title = 'D') =>
    (await call(who.token, 'POST', `/workspaces/${workspaceId}/documents`, { title })).json().id as string;
  const mailDir = () => t.app.config.dataDir;

  beforeAll(async () => {
    t = await startTestApp(backend, {
      PORT: '0',
      HOST: '127.0.0.1',
      SYNC_ROOM_GRACE_MS: '50',
      LOGIN_MAX_FAILURES_PER_ACCOUNT: String(FAILURES),
      PASSWORD_RESET_MAX_PER_EMAIL_PER_HOUR: '3',
    });
    base = await t.app.listen();
  }, 120_000);
  afterAll(async () => {
    for (const p of peers) p.close();
    await t?.close();
  });

  describe('password change [A10]', () => {
    it('[A10] needs the current password; ends every other session and keeps the caller signed in on a new one', async () => {
      const me = await t.signUp('changer');
      const laptop = (await logIn(me.email)).json();
      const res = await call(me.token, 'PUT', '/me/password', {
        currentPassword: TEST_PASSWORD,
        newPassword: NEW_PASSWORD,
      });
      expect(res.statusCode, res.body).toBe(200);
      const session = res.json();
      expect(session.user.id).toBe(me.userId);
      // The new session works; every old access and refresh token is refused.
      expect((await call(session.accessToken, 'GET', '/me')).statusCode).toBe(200);
      expect((await refresh(session.refreshToken)).statusCode).toBe(200);
      for (const token of [me.token, laptop.accessToken])
        expect((await call(token, 'GET', '/me')).statusCode).toBe(401);
      for (const r of [me.refreshToken, laptop.refreshToken]) expect((await refresh(r)).statusCode).toBe(401);
      expect((await logIn(me.email)).statusCode).toBe(401);
      expect((await logIn(me.email, NEW_PASSWORD)).statusCode).toBe(200);
    });

    it('[A10] [A6] a wrong current password is a 403, a weak or unchanged new one a 400 naming /newPassword', async () => {
      const me = await t.signUp('weak');
      const wrong = await call(me.token, 'PUT', '/me/password', {
        currentPassword: 'not it at all',
        newPassword: NEW_PASSWORD,
      });
      expect(wrong.statusCode).toBe(403);
      expect(wrong.json().detail).toMatch(/current password is not right/);
      for (const newPassword of ['password123', TEST_PASSWORD]) {
        const res = await call(me.token, 'PUT', '/me/password', { currentPassword: TEST_PASSWORD, newPassword });
        expect(res.statusCode).toBe(400);
        expect(res.json().errors.map((e: { field: string }) => e.field)).toContain('/newPassword');
      }
      // Nothing changed: the old password and session still work.
      expect((await call(me.token, 'GET', '/me')).statusCode).toBe(200);
      expect((await logIn(me.email)).statusCode).toBe(200);
    });

    it('[A10] wrong current passwords are throttled per account: 429 even for the right one', async () => {
      const me = await t.signUp('guessed');
      for (let i = 0; i < FAILURES; i++) {
        const res = await call(me.token, 'PUT', '/me/password', {
          currentPassword: `guess ${i}`,
          newPassword: NEW_PASSWORD,
        });
        expect(res.statusCode).toBe(403);
      }
      const right = await call(me.token, 'PUT', '/me/password', {
        currentPassword: TEST_PASSWORD,
        newPassword: NEW_PASSWORD,
      });
      expect(right.statusCode).toBe(429);
      expect(Number(right.headers['retry-after'])).toBeGreaterThan(0);
      // The same counter guards the other password-checked actions.
      const email = await call(me.token, 'POST', '/me/email', {
        currentPassword: TEST_PASSWORD,
        email: 'x@example.test',
      });
      expect(email.statusCode).toBe(429);
    });
  });

  describe('email change [A11]', () => {
    const confirm = (token: string) => t.request('POST', `${API}/auth/email-change/confirm`, { body: { token } });

    it('[A11] mails a one-time link to the new address and a notice to the old; the email changes only when it is used', async () => {
      const me = await t.signUp('mover');
      const next = `moved-${randomUUID()}@example.test`;
      const res = await call(me.token, 'POST', '/me/email', { currentPassword: TEST_PASSWORD, email: next });
      expect(res.statusCode).toBe(202);
      expect(res.body).toBe('');
      const mail = await waitForMail(mailDir(), next, /Confirm your new Collab Docs email/);
      expect(mail.text).toMatch(/works once, for 15 minutes/);
      const link = linkIn(mail.text);
      expect(link).toMatch(/^http:\/\/localhost:3000\/confirm-email#token=/);
      const notice = await waitForMail(mailDir(), me.email, /about to change/);
      expect(notice.text).toContain(`${next[0]}***@example.test`);
      expect(notice.text).not.toContain(next);
      expect(notice.text).not.toMatch(/#token=/);
      // Not changed yet.
      expect((await call(me.token, 'GET', '/me')).json().email).toBe(me.email);
      expect((await confirm(linkToken(link))).statusCode).toBe(204);
      // Sessions go on; the new email logs in, the old one no longer does.
      const after = await call(me.token, 'GET', '/me');
      expect(after.statusCode).toBe(200);
      expect(after.json().email).toBe(next);
      expect((await logIn(next)).statusCode).toBe(200);
      expect((await logIn(me.email)).statusCode).toBe(401);
      const again = await confirm(linkToken(link));
      expect(again.statusCode).toBe(410);
      expect(again.json().detail).toMatch(/already used/);
    });

    it('[A11] answers the same for an address another account has; using the link then fails in plain words', async () => {
      const me = await t.signUp('taker');
      const other = await t.signUp('holder');
      const free = `free-${randomUUID()}@example.test`;
      const [taken, untaken] = await Promise.all([
        call(me.token, 'POST', '/me/email', { currentPassword: TEST_PASSWORD, email: other.email.toUpperCase() }),
        call(me.token, 'POST', '/me/email', { currentPassword: TEST_PASSWORD, email: free }),
      ]);
      expect([taken.statusCode, untaken.statusCode]).toEqual([202, 202]);
      expect(taken.body).toBe(untaken.body);
      const link = linkIn((await waitForMail(mailDir(), other.email.toUpperCase(), /Confirm your new/)).text);
      const res = await confirm(linkToken(link));
      expect(res.statusCode).toBe(409);
      expect(res.json().detail).toMatch(/another account already uses this email address/);
      expect((await call(me.token, 'GET', '/me')).json().email).toBe(me.email);
    });

    it('[A11] an unknown or malformed link is a 410; a wrong password sends nothing', async () => {
      const me = await t.signUp('careful');
      expect((await confirm('x'.repeat(43))).statusCode).toBe(410);
      const target = `never-${randomUUID()}@example.test`;
      const res = await call(me.token, 'POST', '/me/email', { currentPassword: 'wrong password!', email: target });
      expect(res.statusCode).toBe(403);
      expect((await readMailbox(mailDir())).some((m) => m.to.includes(target))).toBe(false);
    });
  });

  describe('delete account [A12]', () => {
    it('[A12] previews, then hands owned documents to the chosen person, deletes unshared workspaces, refuses tokens and closes sockets', async () => {
      const owner = await t.signUp('teamlead');
      const leaver = await t.signUp('leaver');
      const heir = await t.signUp('heir');
      const w = await workspace(owner, 'Team');
      await t.addMember(owner, w, leaver, 'member');
      await t.addMember(owner, w, heir, 'member');
      const doc = await document(leaver, w, 'Leaver notes');
      const solo = await workspace(leaver, 'Just me');
      const soloDoc = await document(leaver, solo, 'Private');

      const preview = (await call(leaver.token, 'GET', '/me/deletion-preview')).json();
      expect(preview.canDelete).toBe(true);
      expect(preview.ownedDocuments.map((d: { id: string }) => d.id)).toEqual([doc]);
      expect(preview.workspaces).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ id: w, outcome: 'left', otherMembers: 2 }),
          expect.objectContaining({ id: solo, outcome: 'deleted', otherMembers: 0 }),
        ]),
      );

      const peer = await SyncPeer.connect(base, doc, leaver.token);
      peers.push(peer);
      await peer.untilSynced();

      expect((await call(leaver.token, 'DELETE', '/me', { documents: 'transfer' })).statusCode).toBe(403);
      const res = await call(leaver.token, 'DELETE', '/me', {
        password: TEST_PASSWORD,
        documents: 'transfer',
        transferTo: heir.userId,
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({ documentsTransferred: 1, documentsTrashed: 0, workspacesDeleted: 1 });
      expect((await peer.untilClosed(5000)).code).toBe(CloseCode.FORBIDDEN);

      const refused = await call(leaver.token, 'GET', '/me');
      expect(refused.statusCode).toBe(401);
      expect((await refresh(leaver.refreshToken)).statusCode).toBe(401);
      expect((await logIn(leaver.email)).statusCode).toBe(401);
      const handed = (await call(heir.token, 'GET', `/documents/${doc}`)).json();
      expect(handed.ownerId).toBe(heir.userId);
      expect((await call(owner.token, 'GET', `/documents/${soloDoc}`)).statusCode).toBe(404);
      const members = (await call(owner.token, 'GET', `/workspaces/${w}/members`)).json().items;
      expect(members.map((m: { userId: string }) => m.userId)).not.toContain(leaver.userId);
      // The email is free again: someone may sign up with it.
      const again = await t.request('POST', `${API}/auth/signup`, {
        body: { email: leaver.email, password: TEST_PASSWORD, displayName: 'New person' },
      });
      expect(again.statusCode).toBe(201);
    });

    it('[A12] [P4.1] a document read before the deletion no longer names the account as its creator', async () => {
      const owner = await t.signUp('reader');
      const leaver = await t.signUp('author');
      const w = await workspace(owner);
      await t.addMember(owner, w, leaver, 'member');
      const doc = await document(leaver, w, 'Handed over before');
      const handed = await call(leaver.token, 'PUT', `/documents/${doc}/owner`, { userId: owner.userId });
      expect(handed.statusCode).toBe(200);
      // Cached now with the creator's id; the account's deletion re-points the creator only.
      expect((await call(owner.token, 'GET', `/documents/${doc}`)).json().createdBy).toBe(leaver.userId);
      const res = await call(leaver.token, 'DELETE', '/me', { password: TEST_PASSWORD, documents: 'transfer' });
      expect(res.statusCode, res.body).toBe(200);
      const after = (await call(owner.token, 'GET', `/documents/${doc}`)).json();
      expect(after.createdBy).not.toBe(leaver.userId);
      expect(after.ownerId).toBe(owner.userId);
    });

    it('[A12] documents: trash moves owned documents to the trash, where the workspace owner may restore them', async () => {
      const owner = await t.signUp('keeper');
      const leaver = await t.signUp('trasher');
      const w = await workspace(owner);
      await t.addMember(owner, w, leaver, 'member');
      const doc = await document(leaver, w, 'Draft');
      const res = await call(leaver.token, 'DELETE', '/me', { password: TEST_PASSWORD, documents: 'trash' });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().documentsTrashed).toBe(1);
      const trash = (await call(owner.token, 'GET', `/trash?workspaceId=${w}`)).json();
      expect(trash.items.map((i: { id: string }) => i.id)).toContain(doc);
      expect((await call(owner.token, 'POST', `/trash/${doc}/restore`)).statusCode).toBe(200);
    });

    it('[A12] [P9] the primary owner of a workspace others use gets a 409 until they hand the role over', async () => {
      const founder = await t.signUp('founder');
      const colleague = await t.signUp('colleague');
      const w = await workspace(founder, 'Founded');
      await t.addMember(founder, w, colleague, 'member');
      expect((await call(founder.token, 'GET', '/me/deletion-preview')).json().canDelete).toBe(false);
      const res = await call(founder.token, 'DELETE', '/me', { password: TEST_PASSWORD, documents: 'transfer' });
      expect(res.statusCode).toBe(409);
      expect(res.json().detail).toMatch(/primary owner of “Founded”.*hand primary ownership/);
      expect((await call(founder.token, 'GET', '/me')).statusCode).toBe(200);
      const handed = await call(founder.token, 'PUT', `/workspaces/${w}/primary-owner`, { userId: colleague.userId });
      expect(handed.statusCode).toBe(200);
      const done = await call(founder.token, 'DELETE', '/me', { password: TEST_PASSWORD, documents: 'transfer' });
      expect(done.statusCode, done.body).toBe(200);
      expect((await call(colleague.token, 'GET', `/workspaces/${w}`)).statusCode).toBe(200);
    });

    it('[A12] a wrong password is a 403 and deletes nothing; a chosen person in none of the workspaces is a 422', async () => {
      const me = await t.signUp('hesitant');
      const stranger = await t.signUp('stranger');
      const w = await workspace(me);
      await document(me, w);
      const other = await t.signUp('other');
      await t.addMember(me, w, other, 'owner');
      await call(me.token, 'PUT', `/workspaces/${w}/primary-owner`, { userId: other.userId });
      expect(
        (await call(me.token, 'DELETE', '/me', { password: 'not my password', documents: 'trash' })).statusCode,
      ).toBe(403);
      const res = await call(me.token, 'DELETE', '/me', {
        password: TEST_PASSWORD,
        documents: 'transfer',
        transferTo: stranger.userId,
      });
      expect(res.statusCode).toBe(422);
      expect((await call(me.token, 'GET', '/me')).statusCode).toBe(200);
    });
  });
});
