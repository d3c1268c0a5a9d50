/// <reference lib="dom" />
/**
 * Invitations and account recovery in a real browser against the real server, mail read from
 * the `.eml` files the embedded mailer writes (docs/spec/auth.md [I2] [A8]): someone without an
 * account follows a share's email link, signs up and lands in the document; someone who forgot
 * their password resets it from the emailed link and logs in with the new one. No console errors
 * or CSP violations anywhere.
 */
import { describe, expect, it } from 'vitest';
import { browserBackends } from '../support/backends.ts';
import {
  createDocument,
  createWorkspace,
  type E2eServer,
  EDITOR,
  logInViaUi,
  openEditor,
  openPage,
  PASSWORD,
  signInWithSession,
  signUpApi,
  type TrackedPage,
  uniqueEmail,
} from '../support/browser.ts';
import { useBrowserSuite } from '../support/browser-suite.ts';
import { linkIn, waitForMail } from '../support/mailbox.ts';

const SETTLE_MS = 15_000;

/** The emailed link on this test server (its PUBLIC_URL is the default; path and token are the email's). */
const onServer = (server: E2eServer, link: string) => {
  const u = new URL(link);
  return `${server.url}${u.pathname}${u.hash}`;
};
const NEW_PASSWORD = 'a completely new passphrase';

/** One backend for this browser suite (see browserBackends). */
const backends = browserBackends('postgres+redis');

describe.each(backends)('invitations and password reset in a real browser [$name]', (backend) => {
  const suite = useBrowserSuite(backend);
  const pages = suite.pages;
  const open = async (): Promise<TrackedPage> => {
    const p = await openPage(suite.browser);
    pages.push(p);
    return p;
  };

  it('[I2] someone without an account is shared a document, signs up from the .eml link and lands in it', {
    timeout: 90_000,
  }, async () => {
    const alice = await signUpApi(suite.server.url, 'Alice Owner');
    const ws = await createWorkspace(suite.server.url, alice.accessToken, 'Launch');
    const doc = await createDocument(suite.server.url, alice.accessToken, ws.id, 'Launch checklist');
    const newcomer = uniqueEmail('Nora Newcomer');

    // Alice shares through the share dialog with an address that has no account.
    const a = await open();
    await signInWithSession(a.page, suite.server.url, alice);
    await openEditor(a.page, suite.server.url, doc.id);
    await a.page.getByRole('button', { name: 'Share' }).click();
    const dialog = a.page.getByRole('dialog', { name: 'Share' });
    await dialog.getByLabel('Email').fill(newcomer);
    await dialog.getByLabel('Role').selectOption('commenter');
    await dialog.getByRole('button', { name: 'Add' }).click();
    await dialog.getByRole('list', { name: 'Pending invitations' }).getByText(newcomer).waitFor({ timeout: SETTLE_MS });
    // No mail server here: Alice also sees the link to pass on, the same as in the email.
    const shown = await dialog.getByLabel(/^Link for /).inputValue();

    const mail = await waitForMail(suite.server.dataDir, newcomer, /shared “Launch checklist” with you/);
    const link = linkIn(mail.text);
    expect(link).toBe(shown);

    const n = await open();
    await n.page.goto(onServer(suite.server, link));
    await n.page
      .getByTestId('invitation-summary')
      .getByText(/Alice Owner invited you to the document “Launch checklist” \(can comment\)/)
      .waitFor({ timeout: SETTLE_MS });
    // The token left the address bar; the invited email is filled in.
    expect(new URL(n.page.url()).hash).toBe('');
    expect(await n.page.getByLabel('Email').inputValue()).toBe(newcomer);
    await n.page.getByLabel('Display name').fill('Nora Newcomer');
    await n.page.getByLabel('Password').fill(PASSWORD);
    await n.page.getByRole('button', { name: 'Sign up' }).click();
    await n.page.waitForURL(new RegExp(`/d/${doc.id}$`), { timeout: SETTLE_MS });
    await n.page.locator(EDITOR).waitFor({ timeout: SETTLE_MS });

    // The invitation is no longer pending for Alice.
    await a.page.reload();
    await a.page.getByRole('button', { name: 'Share' }).click();
    await dialog.getByText('Nora Newcomer').first().waitFor({ timeout: SETTLE_MS });
    expect(await dialog.getByRole('list', { name: 'Pending invitations' }).count()).toBe(0);
  });

  it('[A8] a forgotten password is reset from the .eml link, then the new one logs in', {
    timeout: 90_000,
  }, async () => {
    const bob = await signUpApi(suite.server.url, 'Bob Forgetful');
    const { page, allow } = await open();
    await page.goto(`${suite.server.url}/login`);
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.waitForURL(/\/forgot-password$/, { timeout: SETTLE_MS });
    await page.getByLabel('Email').fill(bob.user.email);
    await page.getByRole('button', { name: 'Send the link' }).click();
    await page.getByText(/we sent it a link to choose a new password/).waitFor({ timeout: SETTLE_MS });

    const mail = await waitForMail(suite.server.dataDir, bob.user.email, /Reset your Collab Docs password/);
    const link = linkIn(mail.text);
    await page.goto(onServer(suite.server, link));
    await page.getByLabel('New password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await page.getByText(/Your password is changed/).waitFor({ timeout: SETTLE_MS });

    // The link works once: opened again, it says so in plain words.
    const again = await open();
    again.allow(/status of 410/);
    await again.page.goto(onServer(suite.server, link));
    await again.page.getByLabel('New password').fill('yet another passphrase');
    await again.page.getByRole('button', { name: 'Set the new password' }).click();
    await again.page.getByText(/already used; ask for a new one/i).waitFor({ timeout: SETTLE_MS });

    // The old password no longer works; the new one does.
    allow(/status of 401/);
    await page.getByRole('link', { name: 'Log in' }).click();
    await logInViaUi(page, suite.server.url, bob.user.email, PASSWORD);
    await page
      .getByText(/incorrect/i)
      .first()
      .waitFor({ timeout: SETTLE_MS });
    await logInViaUi(page, suite.server.url, bob.user.email, NEW_PASSWORD);
    await page.getByRole('button', { name: 'Log out' }).waitFor({ timeout: SETTLE_MS });
  });
});
