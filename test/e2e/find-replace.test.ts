/// <reference lib="dom" />
/**
 * Find and replace in real Chromium against the real server (docs/spec/editor.md ED1): Ctrl/Cmd+F
 * opens the find bar, matches are highlighted and counted ("2 of 4"), Enter and Shift+Enter move
 * between them (wrapping), the case toggle narrows them, Replace all is one change that a reader
 * sees live and that one Undo reverts, Replace does one at a time, and Escape closes the bar and
 * takes the highlights away. The reader's bar finds but cannot replace. On a 375 px phone, with no
 * keyboard shortcut, the Find button in the sticky bar is in sight at the end of a long document and
 * opens the same bar (ED1.5). No console errors or CSP violations anywhere.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { browserBackends } from '../support/backends.ts';
import {
  createDocument,
  createWorkspace,
  EDITOR,
  editorText,
  openEditor,
  openPage,
  pasteHtml,
  shareDocument,
  signInWithSession,
  signUpApi,
  waitForEditorText,
  waitForStatus,
} from '../support/browser.ts';
import { useBrowserSuite } from '../support/browser-suite.ts';

const SETTLE_MS = 15_000;
const FIND_BAR = '[data-testid="find-bar"]';

/** A long document (the sticky bar is what stays in sight): every third paragraph has a cat. */
const LONG_DOCUMENT = Array.from(
  { length: 60 },
  (_, i) => `<p>Paragraph ${i + 1} ${i % 3 === 0 ? 'with a cat' : 'without one'}, and enough words to fill a line.</p>`,
).join('');

/** Whether the element is inside the viewport and really what a tap at its centre hits. */
const reachable = (page: Page, selector: string) =>
  page.evaluate((sel) => {
    const el = document.querySelector(sel);
    if (!el) return { inView: false, hit: false, pageWidth: 0, viewportWidth: 0 };
    const r = el.getBoundingClientRect();
    const at = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return {
      inView: r.top >= 0 && r.left >= 0 && r.bottom <= window.innerHeight && r.right <= window.innerWidth,
      hit: at !== null && (el === at || el.contains(at)),
      pageWidth: document.documentElement.scrollWidth,
      viewportWidth: window.innerWidth,
    };
  }, selector);

const findCount = (page: Page) => page.locator('[data-testid="find-count"]').textContent();
const highlighted = (page: Page) =>
  page.locator(`${EDITOR} .ProseMirror-search-match, ${EDITOR} .ProseMirror-active-search-match`).count();

/** One backend for this browser suite (see browserBackends). */
const backends = browserBackends('embedded');

describe.each(backends)('find and replace in a real browser [$name]', (backend) => {
  const suite = useBrowserSuite(backend);
  const pages = suite.pages;

  it('[ED1.1][ED1.2][ED1.3][ED1.4] finds, counts, replaces all as one undoable change a reader sees, and closes', {
    timeout: 120_000,
  }, async () => {
    const owner = await signUpApi(suite.server.url, 'Fran Finder');
    const reader = await signUpApi(suite.server.url, 'Rhea Reader');
    const ws = await createWorkspace(suite.server.url, owner.accessToken, 'Find');
    const doc = await createDocument(suite.server.url, owner.accessToken, ws.id, 'Cats');
    await shareDocument(suite.server.url, owner.accessToken, doc.id, reader.user.email, 'viewer');
    const a = await openPage(suite.browser);
    const b = await openPage(suite.browser);
    pages.push(a, b);
    await signInWithSession(a.page, suite.server.url, owner);
    await signInWithSession(b.page, suite.server.url, reader);
    await openEditor(a.page, suite.server.url, doc.id);
    await openEditor(b.page, suite.server.url, doc.id);
    const page = a.page;

    await page.locator(EDITOR).click();
    for (const line of ['The cat sat', 'A Cat ran', 'one more cat', 'concatenate']) {
      await page.keyboard.type(line);
      await page.keyboard.press('Enter');
    }
    await page.keyboard.type('end');
    await waitForEditorText(b.page, 'concatenate', SETTLE_MS);

    // ED1.1: Ctrl/Cmd+F opens the bar with the query box focused.
    await page.keyboard.press('ControlOrMeta+f');
    await page.locator(FIND_BAR).waitFor({ timeout: SETTLE_MS });
    const query = page.getByRole('textbox', { name: 'Find in document' });
    await expect.poll(() => query.evaluate((el) => el === document.activeElement)).toBe(true);

    // ED1.2: every match highlighted and counted; the first one after the cursor (wrapping) selected.
    await page.keyboard.type('cat');
    await expect.poll(() => findCount(page)).toBe('1 of 4');
    await expect.poll(() => highlighted(page)).toBe(4);
    expect(await page.locator(`${EDITOR} .ProseMirror-active-search-match`).textContent()).toBe('cat');
    await page.keyboard.press('Enter');
    await expect.poll(() => findCount(page)).toBe('2 of 4');
    expect(await page.locator(`${EDITOR} .ProseMirror-active-search-match`).textContent()).toBe('Cat');
    await page.keyboard.press('Shift+Enter');
    await expect.poll(() => findCount(page)).toBe('1 of 4');
    await page.keyboard.press('Shift+Enter');
    await expect.poll(() => findCount(page)).toBe('4 of 4');
    await page.getByRole('button', { name: 'Next match' }).click();
    await expect.poll(() => findCount(page)).toBe('1 of 4');
    // The case toggle: "Cat" no longer matches.
    await page.getByRole('button', { name: 'Match case' }).click();
    await expect.poll(() => findCount(page)).toMatch(/ of 3$/);
    expect(await page.getByRole('button', { name: 'Match case' }).getAttribute('aria-pressed')).toBe('true');
    // Highlights are this person's own: nothing in the reader's editor.
    expect(await highlighted(b.page)).toBe(0);

    // ED1.3: Replace all is one change, seen live by the reader.
    await page.getByRole('textbox', { name: 'Replace with' }).fill('dog');
    await page.getByRole('button', { name: 'Replace all' }).click();
    await expect.poll(() => findCount(page)).toBe('Replaced 3 matches');
    const replaced = 'The dog sat\nA Cat ran\none more dog\ncondogenate\nend';
    expect(await editorText(page)).toBe(replaced);
    await waitForEditorText(b.page, 'condogenate', SETTLE_MS);
    expect(await editorText(b.page)).toBe(replaced);

    // ED1.4: Escape closes the bar, the highlights go, the text has the focus again.
    await page.keyboard.press('Escape');
    await page.locator(FIND_BAR).waitFor({ state: 'detached', timeout: SETTLE_MS });
    expect(await highlighted(page)).toBe(0);
    await expect.poll(() => page.locator(EDITOR).evaluate((el) => el.contains(document.activeElement))).toBe(true);

    // One Undo reverts every replacement (and nothing typed before them).
    await page.keyboard.press('ControlOrMeta+z');
    const original = 'The cat sat\nA Cat ran\none more cat\nconcatenate\nend';
    await expect.poll(() => editorText(page)).toBe(original);
    await waitForEditorText(b.page, 'concatenate', SETTLE_MS);
    expect(await editorText(b.page)).toBe(original);

    // Replace: one match at a time, the next one selected.
    await page.keyboard.press('ControlOrMeta+f');
    await page.locator(FIND_BAR).waitFor({ timeout: SETTLE_MS });
    await query.fill('cat');
    await expect.poll(() => findCount(page)).toMatch(/^1 of 4$/);
    await page.getByRole('textbox', { name: 'Replace with' }).fill('owl');
    await page.getByRole('button', { name: 'Replace', exact: true }).click();
    await expect.poll(() => findCount(page)).toBe('1 of 3');
    expect(await editorText(page)).toBe('The owl sat\nA Cat ran\none more cat\nconcatenate\nend');

    // The reader's bar finds but offers no replacing.
    await b.page.locator(EDITOR).click();
    await b.page.keyboard.press('ControlOrMeta+f');
    await b.page.locator(FIND_BAR).waitFor({ timeout: SETTLE_MS });
    await b.page.keyboard.type('owl');
    await expect.poll(() => findCount(b.page)).toBe('1 of 1');
    expect(await b.page.getByRole('textbox', { name: 'Replace with' }).count()).toBe(0);
  });

  it('[ED1.5] on a phone the Find button in the sticky bar opens the find bar at the end of a long document', {
    timeout: 120_000,
  }, async () => {
    const owner = await signUpApi(suite.server.url, 'Phoebe Phone');
    const ws = await createWorkspace(suite.server.url, owner.accessToken, 'Find on a phone');
    const doc = await createDocument(suite.server.url, owner.accessToken, ws.id, 'Long cats');
    const tracked = await openPage(suite.browser, { viewport: { width: 375, height: 740 }, isMobile: true });
    pages.push(tracked);
    const page = tracked.page;
    await signInWithSession(page, suite.server.url, owner);
    await openEditor(page, suite.server.url, doc.id);
    await pasteHtml(page, LONG_DOCUMENT);
    await waitForEditorText(page, 'Paragraph 60 without one', SETTLE_MS);

    // At the end of the document, with the toolbar row scrolled to either end, Find is in sight.
    const FIND_OPEN = '.ed-find-open';
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    await expect.poll(() => page.evaluate(() => window.scrollY)).toBeGreaterThan(500);
    for (const end of ['start', 'end'] as const) {
      await page.evaluate((where) => {
        const row = document.querySelector('.ed-toolbar');
        if (row) row.scrollLeft = where === 'end' ? row.scrollWidth : 0;
      }, end);
      const at = await reachable(page, FIND_OPEN);
      expect(at, `toolbar scrolled to its ${end}`).toMatchObject({ inView: true, hit: true });
      expect(at.pageWidth).toBeLessThanOrEqual(at.viewportWidth);
    }

    // A tap opens the bar (in sight, the sticky bar's) with the query box focused.
    const button = page.getByRole('button', { name: 'Find and replace' });
    expect(await button.getAttribute('aria-expanded')).toBe('false');
    await button.tap();
    await page.locator(FIND_BAR).waitFor({ timeout: SETTLE_MS });
    expect(await button.getAttribute('aria-expanded')).toBe('true');
    const query = page.getByRole('textbox', { name: 'Find in document' });
    await expect.poll(() => query.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await reachable(page, FIND_BAR)).toMatchObject({ inView: true, hit: true });
    await page.keyboard.type('cat');
    await expect.poll(() => findCount(page)).toMatch(/^\d+ of 20$/);

    // And it replaces, as on a desktop.
    await page.getByRole('textbox', { name: 'Replace with' }).fill('dog');
    await page.getByRole('button', { name: 'Replace all' }).tap();
    await expect.poll(() => findCount(page)).toBe('Replaced 20 matches');
    expect(await editorText(page)).not.toContain('cat');
    await waitForStatus(page, 'Saved', SETTLE_MS);
  });
});
