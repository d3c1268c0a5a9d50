/// <reference lib="dom" />
/**
 * Home and trash in a real browser against the real server (docs/spec/home.md): a person with a
 * share and no workspace finds the document under "Shared with me", opens it and finds their way
 * back without dead ends; a document moved to the trash while open shows the trash banner and is
 * restored from it; the Trash page restores and, after a confirm, deletes forever.
 */
import { describe, expect, it } from 'vitest';
import { browserBackends } from '../support/backends.ts';
import {
  createDocument,
  createWorkspace,
  openEditor,
  openPage,
  shareDocument,
  signInWithSession,
  signUpApi,
  waitForStatus,
} from '../support/browser.ts';
import { useBrowserSuite } from '../support/browser-suite.ts';
import { call } from '../support/server-process.ts';

const SETTLE_MS = 15_000;

/** One backend for this browser suite (see browserBackends). */
const backends = browserBackends('embedded');

describe.each(backends)('home and trash in a real browser [$name]', (backend) => {
  const suite = useBrowserSuite(backend);
  const pages = suite.pages;

  const open = async () => {
    const p = await openPage(suite.browser);
    pages.push(p);
    return p;
  };

  it('[H3] shared with me: a document shared by someone else is on Home with who shared it, opens, and leads back Home', {
    timeout: 60_000,
  }, async () => {
    const [owner, guest] = await Promise.all([
      signUpApi(suite.server.url, 'Olga Owner'),
      signUpApi(suite.server.url, 'Sam Shared'),
    ]);
    const ws = await createWorkspace(suite.server.url, owner.accessToken, 'Olga’s team');
    const doc = await createDocument(suite.server.url, owner.accessToken, ws.id, 'Launch checklist');
    await shareDocument(suite.server.url, owner.accessToken, doc.id, guest.user.email, 'editor');

    const { page } = await open();
    await signInWithSession(page, suite.server.url, guest, '/');
    const shared = page.locator('[data-testid="home-shared"]');
    const link = shared.locator(`a[href="/d/${doc.id}"]`);
    await link.waitFor({ timeout: SETTLE_MS });
    expect(await shared.textContent()).toContain('shared by Olga Owner');
    // Sam belongs to no workspace: nothing in the header leads to one.
    const sections = page.getByRole('navigation', { name: 'Sections' });
    expect(await sections.getByRole('link', { name: 'Documents' }).count()).toBe(0);
    expect(await sections.getByRole('link', { name: 'Members' }).count()).toBe(0);

    await link.click();
    await page.waitForURL(new RegExp(`/d/${doc.id}$`), { timeout: SETTLE_MS });
    await waitForStatus(page, 'Saved', SETTLE_MS);
    expect(await sections.getByRole('link', { name: 'Documents' }).count()).toBe(0);
    // "← Home", not "← Documents" of a workspace Sam cannot open.
    await page.getByRole('button', { name: 'Home' }).click();
    await page.waitForURL((url) => url.pathname === '/', { timeout: SETTLE_MS });
    // Opening it counts as recent.
    await page.locator(`[data-testid="home-recent"] a[href="/d/${doc.id}"]`).waitFor({ timeout: SETTLE_MS });
  });

  it('[T1] [T4] an open editor sees "moved to the trash" and restores it; the Trash page restores and deletes forever', {
    timeout: 90_000,
  }, async () => {
    const owner = await signUpApi(suite.server.url, 'Tess Trash');
    const ws = await createWorkspace(suite.server.url, owner.accessToken, 'Bins');
    const doc = await createDocument(suite.server.url, owner.accessToken, ws.id, 'Budget 2027');
    const other = await createDocument(suite.server.url, owner.accessToken, ws.id, 'Old notes');

    const { page } = await open();
    await signInWithSession(page, suite.server.url, owner);
    await openEditor(page, suite.server.url, doc.id);
    // Someone (here: the API, as another tab would) moves it to the trash while it is open.
    expect(
      (await call(suite.server.url, 'DELETE', `/api/v1/documents/${doc.id}`, { token: owner.accessToken })).status,
    ).toBe(204);
    const banner = page.locator('[data-testid="trash-banner"]');
    await banner.waitFor({ timeout: SETTLE_MS });
    expect(await banner.textContent()).toContain('moved to the trash');
    await banner.getByRole('button', { name: 'Restore' }).click();
    await banner.waitFor({ state: 'detached', timeout: SETTLE_MS });
    await waitForStatus(page, 'Saved', SETTLE_MS);
    const meta = await call(suite.server.url, 'GET', `/api/v1/documents/${doc.id}`, { token: owner.accessToken });
    expect(meta.body.trashedAt).toBeNull();

    // Delete from the list (with a confirm), then restore from the Trash page.
    await page.goto(`${suite.server.url}/w/${ws.id}`);
    await page.getByRole('button', { name: 'Delete Old notes' }).click();
    await page.getByRole('dialog', { name: 'Delete document' }).getByRole('button', { name: 'Move to trash' }).click();
    await page.locator(`[data-testid="document-list"] a[href$="/d/${other.id}"]`).waitFor({ state: 'detached' });
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Trash' }).click();
    const trash = page.locator('[data-testid="trash-list"]');
    await trash.getByText('Old notes').waitFor({ timeout: SETTLE_MS });
    await page.getByRole('button', { name: 'Restore Old notes' }).click();
    await trash.getByText('Old notes').waitFor({ state: 'detached', timeout: SETTLE_MS });
    await page.goto(`${suite.server.url}/w/${ws.id}`);
    await page.locator(`[data-testid="document-list"] a[href$="/d/${other.id}"]`).waitFor({ timeout: SETTLE_MS });

    // Delete forever asks first.
    expect(
      (await call(suite.server.url, 'DELETE', `/api/v1/documents/${other.id}`, { token: owner.accessToken })).status,
    ).toBe(204);
    await page.goto(`${suite.server.url}/trash`);
    await page.getByRole('button', { name: 'Delete Old notes forever' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete forever' });
    await confirm.getByRole('button', { name: 'Delete forever' }).click();
    await page.getByText('The trash is empty').waitFor({ timeout: SETTLE_MS });
    const gone = await call(suite.server.url, 'GET', `/api/v1/documents/${other.id}`, { token: owner.accessToken });
    expect(gone.status).toBe(404);
  });
});
