/// <reference lib="dom" />
/**
 * The outline of headings in real Chromium against the real server (docs/spec/editor.md ED2): the
 * Outline button and Ctrl/Cmd+Shift+O open it beside a long document, it lists the H1–H3 headings
 * and follows a collaborator's new heading live, a click scrolls the heading into view below the
 * sticky bars; at 375 px it is a drawer that closes once a heading is chosen, with no horizontal
 * scrolling. No console errors or CSP violations anywhere.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { browserBackends } from '../support/backends.ts';
import {
  createDocument,
  createWorkspace,
  EDITOR,
  openEditor,
  openPage,
  pasteHtml,
  shareDocument,
  signInWithSession,
  signUpApi,
  waitForEditorText,
} from '../support/browser.ts';
import { useBrowserSuite } from '../support/browser-suite.ts';

const SETTLE_MS = 15_000;
const OUTLINE = '[data-testid="outline"]';
const filler = (n: number, word: string) =>
  Array.from({ length: n }, (_, i) => `<p>${word} paragraph ${i + 1} with enough words to fill a line.</p>`).join('');
const LONG_DOCUMENT = `<h1>Introduction</h1>${filler(25, 'Intro')}<h2>Details</h2>${filler(25, 'Detail')}<h3>Deep dive</h3>${filler(25, 'Deep')}<h2>Summary</h2>${filler(25, 'Summary')}`;

const outlineItems = (page: Page) => page.locator(`${OUTLINE} li`).allTextContents();

/** Where the heading is on screen, and where the sticky bars over the text end. */
const placement = (page: Page, text: string) =>
  page.evaluate(
    ([selector, t]) => {
      const heading = [...document.querySelectorAll(`${selector} h1, ${selector} h2, ${selector} h3`)].find(
        (h) => h.textContent === t,
      )!;
      const box = heading.getBoundingClientRect();
      const bars = document.querySelector('.ed-sticky')!.getBoundingClientRect();
      return { top: box.top, bottom: box.bottom, barsBottom: bars.bottom, viewport: window.innerHeight };
    },
    [EDITOR, text] as const,
  );

/** One backend for this browser suite (see browserBackends). */
const backends = browserBackends('embedded');

describe.each(backends)('the outline in a real browser [$name]', (backend) => {
  const suite = useBrowserSuite(backend);
  const pages = suite.pages;

  it('[ED2.1][ED2.2][ED2.3] lists the headings live, scrolls to one on click, toggles with the shortcut; a drawer at 375 px', {
    timeout: 120_000,
  }, async () => {
    const owner = await signUpApi(suite.server.url, 'Olga Outline');
    const coauthor = await signUpApi(suite.server.url, 'Cora Coauthor');
    const ws = await createWorkspace(suite.server.url, owner.accessToken, 'Outline');
    const doc = await createDocument(suite.server.url, owner.accessToken, ws.id, 'Long read');
    await shareDocument(suite.server.url, owner.accessToken, doc.id, coauthor.user.email, 'editor');
    const a = await openPage(suite.browser);
    const b = await openPage(suite.browser);
    const phone = await openPage(suite.browser, { viewport: { width: 375, height: 740 }, isMobile: true });
    pages.push(a, b, phone);
    await signInWithSession(a.page, suite.server.url, owner);
    await signInWithSession(b.page, suite.server.url, coauthor);
    await signInWithSession(phone.page, suite.server.url, owner);
    await openEditor(a.page, suite.server.url, doc.id);
    await openEditor(b.page, suite.server.url, doc.id);
    const page = a.page;

    await pasteHtml(page, LONG_DOCUMENT);
    await waitForEditorText(b.page, 'Summary paragraph 25', SETTLE_MS);

    // ED2.1: the button opens the panel beside the text, listing H1–H3 in order with their levels.
    await page.getByRole('button', { name: 'Outline' }).click();
    await page.locator(OUTLINE).waitFor({ timeout: SETTLE_MS });
    await expect
      .poll(() => outlineItems(page), { timeout: SETTLE_MS })
      .toEqual(['Introduction', 'Details', 'Deep dive', 'Summary']);
    expect(await page.locator(`${OUTLINE} li.ed-outline__item--h3`).allTextContents()).toEqual(['Deep dive']);
    const panel = await page.locator(OUTLINE).boundingBox();
    const text = await page.locator(EDITOR).boundingBox();
    expect(panel!.x + panel!.width).toBeLessThanOrEqual(text!.x); // beside the text, not over it

    // ED2.2: a click scrolls the heading into view, below the sticky toolbar.
    await page.locator(OUTLINE).getByRole('button', { name: 'Summary' }).click();
    await expect
      .poll(
        async () => {
          const p = await placement(page, 'Summary');
          return p.top >= p.barsBottom && p.bottom <= p.viewport;
        },
        { timeout: SETTLE_MS },
      )
      .toBe(true);
    expect(await page.evaluate(() => window.scrollY)).toBeGreaterThan(500);

    // ED2.1: a collaborator's new heading appears live.
    await b.page.locator(EDITOR).click();
    await b.page.keyboard.press('ControlOrMeta+End');
    await b.page.keyboard.press('Enter');
    await b.page.keyboard.press('Control+Alt+2');
    await b.page.keyboard.type('Appendix');
    await expect
      .poll(() => outlineItems(page), { timeout: SETTLE_MS })
      .toEqual(['Introduction', 'Details', 'Deep dive', 'Summary', 'Appendix']);

    // ED2.3: the shortcut closes and opens it.
    await page.keyboard.press('ControlOrMeta+Shift+O');
    await page.locator(OUTLINE).waitFor({ state: 'detached', timeout: SETTLE_MS });
    expect(await page.getByRole('button', { name: 'Outline' }).getAttribute('aria-expanded')).toBe('false');
    await page.keyboard.press('ControlOrMeta+Shift+O');
    await page.locator(OUTLINE).waitFor({ timeout: SETTLE_MS });

    // ED2.3: on a phone it starts closed and is a drawer that closes once a heading is chosen.
    await openEditor(phone.page, suite.server.url, doc.id);
    expect(await phone.page.locator(OUTLINE).count()).toBe(0);
    await phone.page.getByRole('button', { name: 'Outline' }).click();
    await phone.page.locator(OUTLINE).waitFor({ timeout: SETTLE_MS });
    const drawer = await phone.page.locator(OUTLINE).boundingBox();
    expect(drawer!.x).toBe(0);
    expect(drawer!.width).toBeLessThanOrEqual(375);
    await phone.page.locator(OUTLINE).getByRole('button', { name: 'Deep dive' }).click();
    await phone.page.locator(OUTLINE).waitFor({ state: 'detached', timeout: SETTLE_MS });
    await expect
      .poll(
        async () => {
          const p = await placement(phone.page, 'Deep dive');
          return p.top >= 0 && p.bottom <= p.viewport;
        },
        { timeout: SETTLE_MS },
      )
      .toBe(true);
    expect(await phone.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
  });
});
