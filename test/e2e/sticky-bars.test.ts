/// <reference lib="dom" />
/**
 * The toolbar and the save status stay in sight over a long document (docs/spec/editor.md ED4), in
 * real Chromium against the real server, at 1280 px and on a 375 px phone: scrolled to the end,
 * the sticky bar is inside the viewport and below the app header (not under it), "Saved" and Undo
 * are what is really at their place on screen (nothing covers them), and Undo works from there
 * without scrolling back. On the phone Undo is reachable without scrolling the toolbar row and the
 * page has no horizontal scrolling. No console errors or CSP violations anywhere.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { browserBackends } from '../support/backends.ts';
import {
  createDocument,
  createWorkspace,
  editorText,
  openEditor,
  openPage,
  type PageOptions,
  pasteHtml,
  STATUS,
  signInWithSession,
  signUpApi,
  waitForStatus,
} from '../support/browser.ts';
import { useBrowserSuite } from '../support/browser-suite.ts';

const SETTLE_MS = 15_000;
const UNDO = '.ed-tool--undo';
const LONG_DOCUMENT = Array.from(
  { length: 80 },
  (_, i) => `<p>Paragraph ${i + 1} of a long document, with enough words to fill most of a line.</p>`,
).join('');

/** Where the bars are, and whether each control is the element really hit at its centre. */
const layout = (page: Page) =>
  page.evaluate(
    ([undoSelector, statusSelector]) => {
      const hit = (el: Element | null) => {
        if (!el) return false;
        const r = el.getBoundingClientRect();
        const at = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return at !== null && (el === at || el.contains(at));
      };
      const bar = document.querySelector('.ed-sticky')!.getBoundingClientRect();
      const header = document.querySelector('.app-header')?.getBoundingClientRect();
      const undo = document.querySelector(undoSelector)!;
      const undoBox = undo.getBoundingClientRect();
      return {
        scrollY: window.scrollY,
        barTop: bar.top,
        barBottom: bar.bottom,
        headerBottom: header ? Math.max(0, header.bottom) : 0,
        viewportHeight: window.innerHeight,
        viewportWidth: window.innerWidth,
        undoRight: undoBox.right,
        undoLeft: undoBox.left,
        undoHit: hit(undo),
        statusHit: hit(document.querySelector(statusSelector)),
        pageWidth: document.documentElement.scrollWidth,
      };
    },
    [UNDO, STATUS] as const,
  );

const VIEWPORTS: { name: string; options: PageOptions }[] = [
  { name: 'desktop 1280 px', options: { viewport: { width: 1280, height: 800 } } },
  { name: 'phone 375 px', options: { viewport: { width: 375, height: 740 }, isMobile: true } },
];

/** One backend for this browser suite (see browserBackends). */
const backends = browserBackends('embedded');

describe.each(backends)('sticky toolbar and status in a real browser [$name]', (backend) => {
  const suite = useBrowserSuite(backend);
  const pages = suite.pages;

  it.each(VIEWPORTS)(
    '[ED4.1][ED4.2] keeps the toolbar, "Saved" and Undo usable at the end of a long document ($name)',
    {
      timeout: 90_000,
    },
    async ({ options }) => {
      const person = await signUpApi(suite.server.url, 'Stella Sticky');
      const ws = await createWorkspace(suite.server.url, person.accessToken, 'Sticky');
      const doc = await createDocument(suite.server.url, person.accessToken, ws.id, 'Long');
      const tracked = await openPage(suite.browser, options);
      pages.push(tracked);
      const { page } = tracked;
      await signInWithSession(page, suite.server.url, person);
      await openEditor(page, suite.server.url, doc.id);
      await pasteHtml(page, LONG_DOCUMENT);
      await waitForStatus(page, 'Saved', SETTLE_MS);
      // The end of the text, one more word, then the page scrolled to its very end.
      await page.keyboard.press('ControlOrMeta+End');
      await page.keyboard.type(' THE END');
      await waitForStatus(page, 'Saved', SETTLE_MS);
      await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));

      await expect
        .poll(async () => {
          const l = await layout(page);
          return l.scrollY > 1000 && l.undoHit && l.statusHit;
        })
        .toBe(true);
      const l = await layout(page);
      expect(l.barTop).toBeGreaterThanOrEqual(l.headerBottom - 1); // below the app header, not under it
      expect(l.barBottom).toBeLessThanOrEqual(l.viewportHeight);
      expect(l.undoLeft).toBeGreaterThanOrEqual(0);
      expect(l.undoRight).toBeLessThanOrEqual(l.viewportWidth);
      expect(l.pageWidth).toBeLessThanOrEqual(l.viewportWidth);

      // Undo from there works, and nothing had to scroll for it.
      const before = l.scrollY;
      await page.mouse.click(...(await centre(page, UNDO)));
      await expect.poll(async () => (await editorText(page)).includes('THE END')).toBe(false);
      expect(Math.abs((await layout(page)).scrollY - before)).toBeLessThan(200);
    },
  );
});

async function centre(page: Page, selector: string): Promise<[number, number]> {
  const box = await page.locator(selector).boundingBox();
  if (!box) throw new Error(`${selector} is not on screen`);
  return [box.x + box.width / 2, box.y + box.height / 2];
}
