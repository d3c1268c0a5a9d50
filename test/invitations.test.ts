/**
 * Invitations for anyone, with consent (docs/spec/auth.md [I1]–[I5]): the inviter's answer never
 * tells whether an email has an account; workspace invitations change nothing until accepted;
 * document shares reach accounts at once and wait for sign-up otherwise; links expire, are
 * withdrawn, re-sent and used up with problems in plain words; throttled per workspace.
 */
import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { linkIn, readMailbox, waitForMail } from './support/mailbox.ts';
import { linkToken, startTestApp, TEST_PASSWORD, type TestApp, type TestSession } from './support/test-app.ts';

const API = '/api/v1';
const MAX_PER_WORKSPACE_PER_DAY = 6;

describe.each(backends)('invitations [$name]', (backend) => {
  let t: TestApp;
  let owner: TestSession;
  let workspaceId: string;
  let documentId: string;

  beforeAll(async () => {
    t = await startTestApp(backend, { INVITATIONS_MAX_PER_WORKSPACE_PER_DAY: String(MAX_PER_WORKSPACE_PER_DAY) });
    owner = await t.signUp('owner');
    workspaceId = (await t.request('POST', `${API}/workspaces`, { token: owner.token, body: { name: 'Acme' } })).json()
      .id;
    documentId = (
      await t.request('POST', `${API}/workspaces/${workspaceId}/documents`, {
        token: owner.token,
        body: { title: 'Roadmap' },
      })
    ).json().id;
  });
  afterAll(async () => {
    await t?.close();
  });

  const post = (path: string, token: string | undefined, body: unknown) =>
    t.request('POST', `${API}${path}`, { ...(token && { token }), body });
  const newWorkspace = async (name: string) => (await post('/workspaces', owner.token, { name })).json().id as string;
  const signUpAs = async (email: string) => {
    const res = await post('/auth/signup', undefined, { email, password: TEST_PASSWORD, displayName: 'New person' });
    expect(res.statusCode, res.body).toBe(201);
    return { userId: res.json().user.id as string, token: res.json().accessToken as string };
  };

  it('[I1] inviting answers the same status and body shape whether or not the email has an account', async () => {
    const ws = await newWorkspace('Same answer');
    const known = await t.signUp('known');
    const unknown = `nobody-${randomUUID()}@example.test`;
    const a = await post(`/workspaces/${ws}/members`, owner.token, { email: known.email, role: 'member' });
    const b = await post(`/workspaces/${ws}/members`, owner.token, { email: unknown, role: 'member' });
    expect([a.statusCode, b.statusCode]).toEqual([202, 202]);
    expect(Object.keys(a.json()).sort()).toEqual(Object.keys(b.json()).sort());
    const c = await post(`/documents/${documentId}/shares`, owner.token, { email: known.email, role: 'viewer' });
    const d = await post(`/documents/${documentId}/shares`, owner.token, { email: unknown, role: 'viewer' });
    expect([c.statusCode, d.statusCode]).toEqual([202, 202]);
    expect(Object.keys(c.json()).sort()).toEqual(Object.keys(d.json()).sort());
    expect(c.json().link).toMatch(/^http:\/\/localhost:3000\/invite#token=[A-Za-z0-9_-]{43}$/);
  });

  it('[I2] a workspace invitation changes nothing until the invitee accepts it from the link', async () => {
    const ws = await newWorkspace('Consent');
    const victim = await t.signUp('victim');
    const sent = await post(`/workspaces/${ws}/members`, owner.token, { email: victim.email, role: 'member' });
    expect(sent.statusCode).toBe(202);
    const theirs = (await t.request('GET', `${API}/workspaces`, { token: victim.token })).json().items;
    expect(theirs.map((w: { id: string }) => w.id)).not.toContain(ws);
    const mail = await waitForMail(t.app.config.dataDir, victim.email, /invited you to “Consent”/);
    expect(mail.text).toContain('Nothing changes until you accept');
    const accepted = await post('/invitations/accept', victim.token, { token: linkToken(linkIn(mail.text)) });
    expect(accepted.json()).toEqual({ workspaceId: ws, documentId: null, role: 'member' });
    expect((await t.request('GET', `${API}/workspaces/${ws}`, { token: victim.token })).json().role).toBe('member');
    // Accepting again answers the same and changes nothing.
    const again = await post('/invitations/accept', victim.token, { token: linkToken(linkIn(mail.text)) });
    expect(again.json()).toEqual(accepted.json());
  });

  it('[I2] someone without an account signs up from the link and lands in the shared document', async () => {
    const email = `newcomer-${randomUUID()}@example.test`;
    const sent = await post(`/documents/${documentId}/shares`, owner.token, { email, role: 'commenter' });
    expect(sent.statusCode).toBe(202);
    const mail = await waitForMail(t.app.config.dataDir, email, /shared “Roadmap” with you/);
    const token = linkToken(linkIn(mail.text));
    const preview = (await post('/invitations/preview', undefined, { token })).json();
    expect(preview).toMatchObject({ kind: 'document', email, role: 'commenter', documentTitle: 'Roadmap' });
    const open = (await t.request('GET', `${API}/documents/${documentId}/invitations`, { token: owner.token })).json();
    expect(open.items.map((i: { email: string }) => i.email)).toContain(email);

    const newcomer = await signUpAs(email);
    expect((await t.request('GET', `${API}/documents/${documentId}`, { token: newcomer.token })).statusCode).toBe(404);
    const accepted = await post('/invitations/accept', newcomer.token, { token });
    expect(accepted.json()).toEqual({ workspaceId, documentId, role: 'commenter' });
    const doc = await t.request('GET', `${API}/documents/${documentId}`, { token: newcomer.token });
    expect(doc.json().access).toBe('commenter');
    const after = (await t.request('GET', `${API}/documents/${documentId}/invitations`, { token: owner.token })).json();
    expect(after.items.map((i: { email: string }) => i.email)).not.toContain(email);
  });

  it('[I2] a share by email reaches an existing account at once, with an email', async () => {
    const carol = await t.signUp('carol');
    await post(`/documents/${documentId}/shares`, owner.token, { email: carol.email, role: 'editor' });
    expect((await t.request('GET', `${API}/documents/${documentId}`, { token: carol.token })).json().access).toBe(
      'editor',
    );
    const mail = await waitForMail(t.app.config.dataDir, carol.email, /shared/);
    // Its link just opens the document for them.
    const opened = await post('/invitations/accept', carol.token, { token: linkToken(linkIn(mail.text)) });
    expect(opened.json()).toEqual({ workspaceId, documentId, role: 'editor' });
  });

  it('[I3] an invitation is accepted only by the account it was sent to', async () => {
    const ws = await newWorkspace('Addressed');
    const intended = `intended-${randomUUID()}@example.test`;
    const sent = (await post(`/workspaces/${ws}/members`, owner.token, { email: intended, role: 'member' })).json();
    const other = await t.signUp('other');
    const res = await post('/invitations/accept', other.token, { token: linkToken(sent.link) });
    expect(res.statusCode).toBe(403);
    expect(res.json().detail).toContain(intended);
  });

  it('[I3] withdrawn, replaced, expired and unknown links say so in plain words (410)', async () => {
    const ws = await newWorkspace('Links');
    const dan = await t.signUp('dan');
    const first = (await post(`/workspaces/${ws}/members`, owner.token, { email: dan.email, role: 'guest' })).json();
    const open = (await t.request('GET', `${API}/workspaces/${ws}/invitations`, { token: owner.token })).json().items;
    expect(open).toEqual([expect.objectContaining({ email: dan.email, role: 'guest', status: 'pending' })]);
    const resent = (await post(`/workspaces/${ws}/invitations/${open[0].id}/resend`, owner.token, undefined)).json();
    const replaced = await post('/invitations/accept', dan.token, { token: linkToken(first.link) });
    expect(replaced.statusCode).toBe(410);
    expect(replaced.json().detail).toMatch(/not a valid invitation/);

    const withdrawn = await t.request('DELETE', `${API}/workspaces/${ws}/invitations/${open[0].id}`, {
      token: owner.token,
    });
    expect(withdrawn.statusCode).toBe(204);
    const afterWithdrawal = await post('/invitations/accept', dan.token, { token: linkToken(resent.link) });
    expect(afterWithdrawal.statusCode).toBe(410);
    expect(afterWithdrawal.json()).toMatchObject({ type: expect.stringMatching(/link_revoked$/) });
    expect(afterWithdrawal.json().detail).toMatch(/withdrawn by the person who sent it/);

    const late = (await post(`/workspaces/${ws}/members`, owner.token, { email: dan.email, role: 'guest' })).json();
    await t.app.database
      .pool('api')
      .updateTable('invitations')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('workspace_id', '=', ws)
      .execute();
    const expired = await post('/invitations/accept', dan.token, { token: linkToken(late.link) });
    expect(expired.statusCode).toBe(410);
    expect(expired.json().detail).toMatch(/^this invitation expired on .*; ask the person who sent it/);
    const listed = (await t.request('GET', `${API}/workspaces/${ws}/invitations`, { token: owner.token })).json();
    expect(listed.items[0].status).toBe('expired');
  });

  it('[I3] only owners withdraw or re-send an invitation to become an admin', async () => {
    const ws = await newWorkspace('Admins');
    const admin = await t.signUp('admin');
    await t.addMember(owner, ws, admin, 'admin');
    await post(`/workspaces/${ws}/members`, owner.token, { email: `boss-${randomUUID()}@example.test`, role: 'admin' });
    const [inv] = (await t.request('GET', `${API}/workspaces/${ws}/invitations`, { token: admin.token })).json().items;
    const res = await post(`/workspaces/${ws}/invitations/${inv.id}/resend`, admin.token, undefined);
    expect(res.statusCode).toBe(403);
    const del = await t.request('DELETE', `${API}/workspaces/${ws}/invitations/${inv.id}`, { token: admin.token });
    expect(del.statusCode).toBe(403);
  });

  it('[I4] invitations are throttled per workspace (INVITATIONS_MAX_PER_WORKSPACE_PER_DAY)', async () => {
    const ws = await newWorkspace('Throttled');
    const invite = () =>
      post(`/workspaces/${ws}/members`, owner.token, { email: `p-${randomUUID()}@example.test`, role: 'guest' });
    for (let i = 0; i < MAX_PER_WORKSPACE_PER_DAY; i++) expect((await invite()).statusCode).toBe(202);
    const refused = await invite();
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBeDefined();
    expect(refused.json().detail).toMatch(/daily limit/);
  });

  it('[I5] an invite link lets people join with its role until it is used up or revoked', async () => {
    const ws = await newWorkspace('Onboarding');
    const created = await post(`/workspaces/${ws}/invite-links`, owner.token, {
      role: 'member',
      expiresInHours: 48,
      maxUses: 2,
    });
    expect(created.statusCode).toBe(201);
    const link = created.json();
    expect(link).toMatchObject({ role: 'member', maxUses: 2, uses: 0, status: 'active' });
    const token = linkToken(link.url);
    expect((await post('/invitations/preview', undefined, { token })).json()).toMatchObject({
      kind: 'link',
      workspaceName: 'Onboarding',
      role: 'member',
    });
    const [a, b, c] = await Promise.all([t.signUp('a'), t.signUp('b'), t.signUp('c')]);
    expect((await post('/invitations/accept', a.token, { token })).json()).toMatchObject({ workspaceId: ws });
    // The owner opening it keeps their role and costs no use.
    expect((await post('/invitations/accept', owner.token, { token })).json().role).toBe('owner');
    expect((await post('/invitations/accept', b.token, { token })).statusCode).toBe(200);
    const usedUp = await post('/invitations/accept', c.token, { token });
    expect(usedUp.statusCode).toBe(410);
    expect(usedUp.json().detail).toMatch(/used its 2 times already/);
    const listed = (await t.request('GET', `${API}/workspaces/${ws}/invite-links`, { token: owner.token })).json();
    expect(listed.items).toEqual([expect.objectContaining({ id: link.id, uses: 2, status: 'used-up' })]);
    expect(listed.items[0].url).toBeUndefined();

    const second = (
      await post(`/workspaces/${ws}/invite-links`, owner.token, { role: 'guest', expiresInHours: 1 })
    ).json();
    await t.request('DELETE', `${API}/workspaces/${ws}/invite-links/${second.id}`, { token: owner.token });
    const revoked = await post('/invitations/accept', c.token, { token: linkToken(second.url) });
    expect(revoked.statusCode).toBe(410);
    expect(revoked.json().detail).toMatch(/turned off/);
    // Tokens are stored hashed: the database never holds the link.
    const rows = await t.app.database.pool('api').selectFrom('workspace_invite_links').select('token_hash').execute();
    expect(rows.every((r) => Buffer.from(r.token_hash).length === 32)).toBe(true);
  });

  it('[M1] the embedded mailer writes each message as an .eml file readable by its owner only', async () => {
    const mails = await readMailbox(t.app.config.dataDir);
    expect(mails.length).toBeGreaterThan(0);
    for (const m of mails) expect(statSync(m.file).mode & 0o777).toBe(0o600);
    expect(mails[0]?.from).toContain('no-reply@localhost');
  });
});
