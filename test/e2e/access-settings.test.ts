/// <reference lib="dom" />
/**
 * General access and account settings in a real browser against the real server: the owner
 * restricts a document from the share dialog while a member has it open, and the member is
 * disconnected at once [P7]; a person renames themselves, sees their sessions and signs out
 * everywhere, after which their old access token is refused [A9].
 */
import { describe, expect, it } from 'vitest';
import { browserBackends } from '../support/backends.ts';
import {
  createDocument,
  createWorkspace,
  openEditor,
  openPage,
  signInWithSession,
  signUpApi,
} from '../support/browser.ts';
import { useBrowserSuite } from '../support/browser-suite.ts';
import { call } from '../support/server-process.ts';
import { linkToken } from '../support/test-app.ts';

const SETTLE_MS = 15_000;

/** One backend for this browser suite (see browserBackends). */
const backends = browserBackends('postgres+redis');

describe.each(backends)('general access and account settings in a real browser [$name]', (backend) => {
  const suite = useBrowserSuite(backend, { setupTimeoutMs: 120_000 });
  const pages = suite.pages;
  const open = async () => {
    const p = await openPage(suite.browser);
    pages.push(p);
    return p;
  };

  it('[P7] restricting a document in the share dialog disconnects a member who has it open', {
    timeout: 90_000,
  }, async () => {
    const [owner, member] = await Promise.all([
      signUpApi(suite.server.url, 'Gia Owner'),
      signUpApi(suite.server.url, 'Max Member'),
    ]);
    const ws = await createWorkspace(suite.server.url, owner.accessToken, 'Access team');
    const invited = await call(suite.server.url, 'POST', `/api/v1/workspaces/${ws.id}/members`, {
      token: owner.accessToken,
      body: { email: member.user.email, role: 'member' },
    });
    const token = linkToken((invited.body as { link: string }).link);
    const accepted = await call(suite.server.url, 'POST', '/api/v1/invitations/accept', {
      token: member.accessToken,
      body: { token },
    });
    expect(accepted.status).toBe(200);
    const doc = await createDocument(suite.server.url, owner.accessToken, ws.id, 'Salaries');

    const m = await open();
    // The member's browser logs the refused document (404s) once it is restricted.
    m.allow(/404|Not Found|4403|WebSocket/i);
    await signInWithSession(m.page, suite.server.url, member);
    await openEditor(m.page, suite.server.url, doc.id);

    const o = await open();
    await signInWithSession(o.page, suite.server.url, owner);
    await openEditor(o.page, suite.server.url, doc.id);
    await o.page.getByRole('button', { name: 'Share' }).click();
    const dialog = o.page.getByRole('dialog', { name: 'Share' });
    const select = dialog.getByRole('combobox', { name: 'General access' });
    await select.waitFor({ timeout: SETTLE_MS });
    expect(await select.inputValue()).toBe('edit');
    await select.selectOption('restricted');
    await dialog.getByText('Only the people above').waitFor({ timeout: SETTLE_MS });
    // The notice comes once the server has saved it (the select itself changes at once).
    await o.page.getByText('General access: restricted.').waitFor({ timeout: SETTLE_MS });

    const after = await call(suite.server.url, 'GET', `/api/v1/documents/${doc.id}`, { token: member.accessToken });
    expect(after.status).toBe(404);
    // The member's open editor is told at once (its socket is closed 4403) and stops offering editing.
    await m.page.waitForFunction(() => !document.querySelector('.ProseMirror[contenteditable="true"]'), undefined, {
      timeout: SETTLE_MS,
    });
  });

  it('[A9] settings: rename, see the sessions, sign out everywhere (the old token is refused)', {
    timeout: 60_000,
  }, async () => {
    const me = await signUpApi(suite.server.url, 'Sid Settings');
    const { page } = await open();
    await signInWithSession(page, suite.server.url, me, '/settings');
    await page.getByRole('heading', { name: 'Account settings' }).waitFor({ timeout: SETTLE_MS });
    const name = page.getByLabel('Display name');
    await name.fill('Sid Renamed');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Your name is saved').waitFor({ timeout: SETTLE_MS });
    // The header follows at once.
    await page.locator('a.user-name', { hasText: 'Sid Renamed' }).waitFor({ timeout: SETTLE_MS });
    const account = await call(suite.server.url, 'GET', '/api/v1/me', { token: me.accessToken });
    expect((account.body as { displayName: string }).displayName).toBe('Sid Renamed');
    await page.locator('[data-testid="session-list"] li').first().waitFor({ timeout: SETTLE_MS });

    await page.getByRole('button', { name: 'Sign out everywhere' }).click();
    await page
      .getByRole('dialog', { name: 'Sign out everywhere' })
      .getByRole('button', { name: 'Sign out everywhere' })
      .click();
    await page.waitForURL((url) => url.pathname === '/login', { timeout: SETTLE_MS });
    expect((await call(suite.server.url, 'GET', '/api/v1/me', { token: me.accessToken })).status).toBe(401);
  });
});
