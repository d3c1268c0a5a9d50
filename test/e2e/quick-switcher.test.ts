/// <reference lib="dom" />
/**
 * The quick switcher in a real browser against the real server: Ctrl+K opens it from anywhere
 * (the editor included), typing narrows titles, arrows and Enter open one, a typo still finds the
 * title, Escape closes it and gives focus back. Keyboard only; no console errors or CSP violations.
 */
import { describe, expect, it } from 'vitest';
import { browserBackends } from '../support/backends.ts';
import { createDocument, createWorkspace, EDITOR, openPage, signInWithSession, signUpApi } from '../support/browser.ts';
import { useBrowserSuite } from '../support/browser-suite.ts';

const SETTLE_MS = 15_000;

/** One backend for this browser suite (see browserBackends). */
const backends = browserBackends('postgres+redis');

describe.each(backends)('the quick switcher in a real browser [$name]', (backend) => {
  const suite = useBrowserSuite(backend);
  const pages = suite.pages;

  it('Ctrl+K, type, arrows and Enter open a document; a typo still finds it; Escape closes', {
    timeout: 60_000,
  }, async () => {
    const kim = await signUpApi(suite.server.url, 'Kim Switcher');
    const ws = await createWorkspace(suite.server.url, kim.accessToken, 'Switching');
    const first = await createDocument(suite.server.url, kim.accessToken, ws.id, 'Roadmap for spring');
    const second = await createDocument(suite.server.url, kim.accessToken, ws.id, 'Quarterly roadmap review');
    await createDocument(suite.server.url, kim.accessToken, ws.id, 'Hiring plan');
    const tracked = await openPage(suite.browser);
    pages.push(tracked);
    const { page } = tracked;
    await signInWithSession(page, suite.server.url, kim, `/w/${ws.id}`);
    await page.locator(`[data-testid="document-list"] a[href$="/d/${first.id}"]`).waitFor({ timeout: SETTLE_MS });

    await page.keyboard.press('Control+k');
    const dialog = page.getByRole('dialog', { name: 'Go to document' });
    await dialog.waitFor({ timeout: SETTLE_MS });
    const field = page.getByRole('combobox', { name: 'Document title' });
    expect(await field.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.type('roadm');
    const options = dialog.getByRole('option');
    await options.nth(1).waitFor({ timeout: SETTLE_MS });
    // A title that starts with the query comes first; the other contains it.
    expect(await options.allTextContents()).toEqual([
      expect.stringContaining('Roadmap for spring'),
      expect.stringContaining('Quarterly roadmap review'),
    ]);
    expect(await options.nth(0).getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('ArrowDown');
    expect(await field.getAttribute('aria-activedescendant')).toBe(await options.nth(1).getAttribute('id'));
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`/d/${second.id}$`), { timeout: SETTLE_MS });
    await page.waitForSelector(EDITOR, { timeout: SETTLE_MS });

    // From inside the editor too; a typo finds the title as a similar one.
    await page.locator(EDITOR).click();
    await page.keyboard.press('Control+k');
    await dialog.waitFor({ timeout: SETTLE_MS });
    await page.keyboard.type('hirng');
    await dialog.getByRole('option', { name: /Hiring plan/ }).waitFor({ timeout: SETTLE_MS });
    expect(await dialog.getByRole('option').first().textContent()).toContain('similar title');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden', timeout: 2_000 });
    expect(page.url()).toMatch(new RegExp(`/d/${second.id}$`));
  });
});
