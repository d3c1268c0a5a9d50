/**
 * Invitations answered in the app (docs/spec/auth.md [I6]), on every backend: listed for the
 * person they are addressed to only once that email is verified (a link mailed to it was used),
 * accepted or declined there; a declined invitation's link says so; nobody else can answer them.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { linkIn, waitForMail } from './support/mailbox.ts';
import { linkToken, startTestApp, TEST_PASSWORD, type TestApp, type TestSession } from './support/test-app.ts';

const API = '/api/v1';

describe.each(backends)('invitations in the app [$name]', (backend) => {
  let t: TestApp;
  const call = (who: TestSession, method: 'GET' | 'POST', url: string, body?: unknown) =>
    t.request(method, `${API}${url}`, { token: who.token, body });
  const signUpAs = async (email: string): Promise<TestSession> => {
    const res = await t.request('POST', `${API}/auth/signup`, {
      body: { email, password: TEST_PASSWORD, displayName: 'Invitee' },
    });
    const b = res.json();
    return { userId: b.user.id, email, token: b.accessToken, refreshToken: b.refreshToken };
  };
  /** Verifies the account's email the way a person does: a confirmation link mailed to it. */
  const verify = async (who: TestSession) => {
    const asked = await call(who, 'POST', '/me/email', { currentPassword: TEST_PASSWORD, email: who.email });
    expect(asked.statusCode).toBe(202);
    const mail = await waitForMail(t.app.config.dataDir, who.email, /Confirm your Collab Docs email/);
    const res = await t.request('POST', `${API}/auth/email-change/confirm`, {
      body: { token: linkToken(linkIn(mail.text)) },
    });
    expect(res.statusCode).toBe(204);
  };

  beforeAll(async () => {
    t = await startTestApp(backend);
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  it('[I6] lists nothing until the email is verified; then lists, accepts and declines; a declined link says so', async () => {
    const owner = await t.signUp('inviter');
    const w = (await call(owner, 'POST', '/workspaces', { name: 'Acme' })).json().id as string;
    const d = (await call(owner, 'POST', `/workspaces/${w}/documents`, { title: 'Plan' })).json().id as string;
    const email = `invitee-${randomUUID()}@example.test`;
    // A share to an email without an account is a pending invitation; a workspace invitation always is.
    const shared = await call(owner, 'POST', `/documents/${d}/shares`, { email, role: 'commenter' });
    expect(shared.statusCode).toBe(202);
    const me = await signUpAs(email);
    const invited = await call(owner, 'POST', `/workspaces/${w}/members`, { email, role: 'member' });
    expect(invited.statusCode).toBe(202);

    const before = (await call(me, 'GET', '/me/invitations')).json();
    expect(before).toEqual({ emailVerified: false, items: [] });
    await verify(me);
    const listed = (await call(me, 'GET', '/me/invitations')).json();
    expect(listed.emailVerified).toBe(true);
    const workspaceInvitation = listed.items.find((i: { kind: string }) => i.kind === 'workspace');
    const documentInvitation = listed.items.find((i: { kind: string }) => i.kind === 'document');
    expect(workspaceInvitation).toMatchObject({ workspaceId: w, workspaceName: 'Acme', role: 'member' });
    expect(workspaceInvitation.invitedBy).toMatch(/^inviter/);
    expect(documentInvitation).toMatchObject({ documentId: d, documentTitle: 'Plan', role: 'commenter' });

    const accepted = await call(me, 'POST', `/me/invitations/${workspaceInvitation.id}/accept`);
    expect(accepted.statusCode).toBe(200);
    expect(accepted.json()).toEqual({ workspaceId: w, documentId: null, role: 'member' });
    expect((await call(me, 'GET', `/workspaces/${w}`)).statusCode).toBe(200);

    expect((await call(me, 'POST', `/me/invitations/${documentInvitation.id}/decline`)).statusCode).toBe(204);
    expect((await call(me, 'GET', '/me/invitations')).json().items).toEqual([]);
    const pending = (await call(owner, 'GET', `/documents/${d}/invitations`)).json().items;
    expect(pending.map((i: { id: string }) => i.id)).not.toContain(documentInvitation.id);
    const preview = await t.request('POST', `${API}/invitations/preview`, {
      body: { token: linkToken(shared.json().link) },
    });
    expect(preview.statusCode).toBe(410);
    expect(preview.json().detail).toMatch(/declined/);
    expect((await call(me, 'POST', `/me/invitations/${documentInvitation.id}/accept`)).statusCode).toBe(410);
  });

  it('[I6] an unverified account cannot answer in the app; nobody answers an invitation addressed to someone else', async () => {
    const owner = await t.signUp('owner');
    const w = (await call(owner, 'POST', '/workspaces', { name: 'Private' })).json().id as string;
    const email = `target-${randomUUID()}@example.test`;
    const invited = await call(owner, 'POST', `/workspaces/${w}/members`, { email, role: 'member' });
    const target = await signUpAs(email);
    const id = (await call(owner, 'GET', `/workspaces/${w}/invitations`)).json().items[0].id as string;
    const unverified = await call(target, 'POST', `/me/invitations/${id}/accept`);
    expect(unverified.statusCode).toBe(403);
    expect(unverified.json().detail).toMatch(/verify your email/);
    expect((await call(target, 'POST', `/me/invitations/${id}/decline`)).statusCode).toBe(403);
    const stranger = await t.signUp('stranger');
    await verify(stranger);
    expect((await call(stranger, 'POST', `/me/invitations/${id}/accept`)).statusCode).toBe(404);
    expect((await call(stranger, 'POST', `/me/invitations/${id}/decline`)).statusCode).toBe(404);
    expect((await call(stranger, 'GET', '/me/invitations')).json().items).toEqual([]);
    // Accepting from the emailed link proves the inbox: the email is verified from then on.
    const viaLink = await call(target, 'POST', '/invitations/accept', { token: linkToken(invited.json().link) });
    expect(viaLink.statusCode).toBe(200);
    expect((await call(target, 'GET', '/me/invitations')).json().emailVerified).toBe(true);
  });
});
