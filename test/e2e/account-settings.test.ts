/// <reference lib="dom" />
/**
 * Account settings in a real browser against the real server (docs/spec/auth.md [A10] [A12]
 * [P8]): changing the password keeps this tab signed in and signs the other sessions out;
 * deleting the account shows what it touches, moves owned documents to the trash as chosen and
 * lands on log-in, after which the account no longer logs in; the share dialog hands a document to
 * another member after asking; a verified invitee accepts an invitation from the home page [I6].
 * No console errors or CSP violations anywhere.
 */
import { describe, expect, it } from 'vitest';
import { browserBackends } from '../support/backends.ts';
import {
  createDocument,
  createWorkspace,
  logInViaUi,
  openEditor,
  openPage,
  PASSWORD,
  type Session,
  signInWithSession,
  signUpApi,
  type TrackedPage,
} from '../support/browser.ts';
import { useBrowserSuite } from '../support/browser-suite.ts';
import { linkIn, waitForMail } from '../support/mailbox.ts';

const SETTLE_MS = 15_000;
const NEW_PASSWORD = 'a completely new passphrase';

const api = async (base: string, method: string, path: string, token?: string, body?: unknown) => {
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: {
      ...(token && { authorization: `Bearer ${token}` }),
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
};

/** `member` joins `owner`'s workspace the way people do: invited, then accepting the link. */
async function join(base: string, owner: Session, workspaceId: string, member: Session, role: string) {
  const invited = await api(base, 'POST', `/workspaces/${workspaceId}/members`, owner.accessToken, {
    email: member.user.email,
    role,
  });
  const token = new URL(invited.body.link).hash.replace('#token=', '');
  const accepted = await api(base, 'POST', '/invitations/accept', member.accessToken, { token });
  if (accepted.status !== 200) throw new Error(`join failed: ${accepted.status}`);
}

/** One backend for this browser suite (see browserBackends). */
const backends = browserBackends('embedded');

describe.each(backends)('account settings in a real browser [$name]', (backend) => {
  const suite = useBrowserSuite(backend, { setupTimeoutMs: 180_000 });
  const pages = suite.pages;
  const open = async (): Promise<TrackedPage> => {
    const p = await openPage(suite.browser);
    pages.push(p);
    return p;
  };

  it('[A10] a password change keeps this tab signed in and signs the other session out', {
    timeout: 90_000,
  }, async () => {
    const pat = await signUpApi(suite.server.url, 'Pat Careful');
    const elsewhere = await api(suite.server.url, 'POST', '/auth/login', undefined, {
      email: pat.user.email,
      password: PASSWORD,
    });
    const { page } = await open();
    await signInWithSession(page, suite.server.url, pat, '/settings');
    await page.getByRole('heading', { name: 'Account settings' }).waitFor({ timeout: SETTLE_MS });
    const form = page.locator('section', { has: page.getByRole('heading', { name: 'Password' }) });
    await form.getByLabel('Current password').fill(PASSWORD);
    await form.getByLabel('New password').fill(NEW_PASSWORD);
    await form.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Your password is changed. Every other device is signed out.').waitFor({ timeout: SETTLE_MS });

    // This tab goes on (a reload keeps the new session); the other session's refresh token is dead.
    await page.reload();
    await page.getByRole('heading', { name: 'Account settings' }).waitFor({ timeout: SETTLE_MS });
    await page.getByTestId('session-list').waitFor({ timeout: SETTLE_MS });
    const refreshed = await api(suite.server.url, 'POST', '/auth/refresh', undefined, {
      refreshToken: elsewhere.body.refreshToken,
    });
    expect(refreshed.status).toBe(401);
    const oldPassword = await api(suite.server.url, 'POST', '/auth/login', undefined, {
      email: pat.user.email,
      password: PASSWORD,
    });
    expect(oldPassword.status).toBe(401);
    const newPassword = await api(suite.server.url, 'POST', '/auth/login', undefined, {
      email: pat.user.email,
      password: NEW_PASSWORD,
    });
    expect(newPassword.status).toBe(200);
  });

  it('[A12] deleting the account warns what it touches, trashes owned documents as chosen and ends the account', {
    timeout: 90_000,
  }, async () => {
    const olga = await signUpApi(suite.server.url, 'Olga Owner');
    const dan = await signUpApi(suite.server.url, 'Dan Departing');
    const team = await createWorkspace(suite.server.url, olga.accessToken, 'Team');
    await join(suite.server.url, olga, team.id, dan, 'member');
    const notes = await createDocument(suite.server.url, dan.accessToken, team.id, 'Dan notes');
    await createWorkspace(suite.server.url, dan.accessToken, 'Dan alone');

    const { page, allow } = await open();
    // Requests in flight when the account goes (the notification bell) are refused.
    allow(/status of 401/);
    await signInWithSession(page, suite.server.url, dan, '/settings');
    await page.getByRole('button', { name: 'Delete account…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete your account' });
    await dialog.getByTestId('owned-documents').getByText('Dan notes').waitFor({ timeout: SETTLE_MS });
    await dialog.getByTestId('deleted-workspaces').getByText('Dan alone').waitFor({ timeout: SETTLE_MS });
    await dialog.getByLabel(/Move them to the trash/).check();
    await dialog.getByLabel('Your password').fill(PASSWORD);
    await dialog.getByRole('button', { name: 'Delete my account' }).click();
    await page.waitForURL(/\/login$/, { timeout: SETTLE_MS });

    const login = await api(suite.server.url, 'POST', '/auth/login', undefined, {
      email: dan.user.email,
      password: PASSWORD,
    });
    expect(login.status).toBe(401);
    const trash = await api(suite.server.url, 'GET', `/trash?workspaceId=${team.id}`, olga.accessToken);
    expect(trash.body.items.map((i: { id: string }) => i.id)).toContain(notes.id);
    await logInViaUi(page, suite.server.url, dan.user.email);
    await page
      .getByText(/incorrect/i)
      .first()
      .waitFor({ timeout: SETTLE_MS });
  });

  it('[P8] the share dialog hands the document to another member after asking', { timeout: 90_000 }, async () => {
    const ada = await signUpApi(suite.server.url, 'Ada Author');
    const ben = await signUpApi(suite.server.url, 'Ben Heir');
    const ws = await createWorkspace(suite.server.url, ada.accessToken, 'Handover');
    await join(suite.server.url, ada, ws.id, ben, 'member');
    const doc = await createDocument(suite.server.url, ada.accessToken, ws.id, 'Handbook');

    const { page } = await open();
    await signInWithSession(page, suite.server.url, ada);
    await openEditor(page, suite.server.url, doc.id);
    await page.getByRole('button', { name: 'Share' }).click();
    const dialog = page.getByRole('dialog', { name: 'Share' });
    await dialog.getByTestId('document-owner').getByText('You').waitFor({ timeout: SETTLE_MS });
    await dialog.getByLabel('New owner').selectOption({ label: 'Ben Heir' });
    await dialog.getByRole('button', { name: 'Transfer ownership…' }).click();
    const confirm = page.getByRole('dialog', { name: 'Transfer ownership' });
    await confirm.getByText(/Make Ben Heir the owner of this document/).waitFor({ timeout: SETTLE_MS });
    await confirm.getByRole('button', { name: 'Transfer ownership' }).click();
    await dialog.getByTestId('document-owner').getByText('Ben Heir').waitFor({ timeout: SETTLE_MS });
    const after = await api(suite.server.url, 'GET', `/documents/${doc.id}`, ben.accessToken);
    expect(after.body.ownerId).toBe(ben.user.id);
  });
  it('[I6] a verified invitee finds the invitation on the home page and accepts it there', {
    timeout: 90_000,
  }, async () => {
    const host = await signUpApi(suite.server.url, 'Hana Host');
    const ivy = await signUpApi(suite.server.url, 'Ivy Invitee');
    const ws = await createWorkspace(suite.server.url, host.accessToken, 'Garden');
    const invited = await api(suite.server.url, 'POST', `/workspaces/${ws.id}/members`, host.accessToken, {
      email: ivy.user.email,
      role: 'member',
    });
    expect(invited.status).toBe(202);
    // Ivy confirms her address (the link mailed to it), as Account settings offers.
    const asked = await api(suite.server.url, 'POST', '/me/email', ivy.accessToken, {
      currentPassword: PASSWORD,
      email: ivy.user.email,
    });
    expect(asked.status).toBe(202);
    const mail = await waitForMail(suite.server.dataDir, ivy.user.email, /Confirm your Collab Docs email/);
    const token = new URL(linkIn(mail.text)).hash.replace('#token=', '');
    expect((await api(suite.server.url, 'POST', '/auth/email-change/confirm', undefined, { token })).status).toBe(204);

    const { page } = await open();
    await signInWithSession(page, suite.server.url, ivy, '/');
    const list = page.getByTestId('home-invitations');
    await list.getByText('Garden').waitFor({ timeout: SETTLE_MS });
    await list.getByText(/Hana Host invited you \(member\)/).waitFor({ timeout: SETTLE_MS });
    await list.getByRole('button', { name: 'Accept' }).click();
    await page.waitForURL(new RegExp(`/w/${ws.id}$`), { timeout: SETTLE_MS });
    const me = await api(suite.server.url, 'GET', `/workspaces/${ws.id}`, ivy.accessToken);
    expect(me.status).toBe(200);
  });
});
