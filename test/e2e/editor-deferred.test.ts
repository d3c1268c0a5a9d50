/// <reference lib="dom" />
/**
 * Table editing and linkify load after the first render (web/src/editor/deferred-plugins.ts) and
 * still behave as the editor's blocks must [issue 13], in real Chromium against the real server:
 * a table inserted while the table-editing chunk is held back waits for it and then works (Tab,
 * dragging a column's border, whose width is stored and survives a reload), and with linkify in
 * (openEditor waits for both), a URL typed before a space becomes a link and a URL pasted over
 * selected text links it.
 * No console errors or CSP violations (column widths are set through the CSSOM).
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { browserBackends } from '../support/backends.ts';
import {
  createDocument,
  createWorkspace,
  EDITOR,
  openEditor,
  pasteClipboard,
  signInWithSession,
  signUpApi,
  waitForStatus,
} from '../support/browser.ts';
import { useBrowserSuite } from '../support/browser-suite.ts';

const SETTLE_MS = 15_000;

/** Until the deferred chunk `name` (deferred-plugins.ts' performance mark) has put its plugins in. */
const deferredLoaded = (page: Page, name: string) =>
  page.waitForFunction((mark) => performance.getEntriesByName(mark).length > 0, `collab-docs:deferred-${name}`, {
    timeout: SETTLE_MS,
  });

/** One backend for this browser suite (see browserBackends). */
const backends = browserBackends('embedded');

describe.each(backends)('editing behaviour loaded after the first render [$name]', (backend) => {
  const suite = useBrowserSuite(backend);

  const newDocument = async (title: string) => {
    const person = await signUpApi(suite.server.url, 'Dee Ferred');
    const ws = await createWorkspace(suite.server.url, person.accessToken, 'Deferred');
    const doc = await createDocument(suite.server.url, person.accessToken, ws.id, title);
    const { page } = await suite.openPage();
    await signInWithSession(page, suite.server.url, person);
    return { page, doc };
  };

  it('a table inserted before table editing has loaded waits for it; Tab and column resizing then work and the width is stored', {
    timeout: 90_000,
  }, async () => {
    const { page, doc } = await newDocument('Held tables');
    const { promise: released, resolve: release } = Promise.withResolvers<void>();
    await page.route(/\/assets\/table-editing-[\w-]+\.js$/, async (route) => {
      await released;
      await route.continue();
    });
    // openEditor would wait for the held chunk.
    await page.goto(`${suite.server.url}/d/${doc.id}`);
    await page.waitForSelector(EDITOR, { timeout: SETTLE_MS });
    await waitForStatus(page, 'Saved', SETTLE_MS);
    await page.locator(EDITOR).click();
    await page.keyboard.type('Intro');
    await page.getByRole('button', { name: 'Insert table' }).click();
    // The command waits for its chunk: nothing yet, and nothing went wrong.
    expect(await page.locator(`${EDITOR} table`).count()).toBe(0);
    release();
    await page.locator(`${EDITOR} table`).waitFor({ timeout: SETTLE_MS });
    await deferredLoaded(page, 'table');
    await page.keyboard.type('Name');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Owner');
    expect(await page.locator(`${EDITOR} th`).allTextContents()).toEqual(['Name', 'Owner', '']);

    // Drag the first column's right border 80 px to the right.
    const first = await page.locator(`${EDITOR} th`).first().boundingBox();
    if (!first) throw new Error('the first header cell has no box');
    const edge = { x: first.x + first.width - 2, y: first.y + first.height / 2 };
    await page.mouse.move(edge.x - 20, edge.y);
    await page.mouse.move(edge.x, edge.y, { steps: 4 });
    await page.locator(`${EDITOR} .column-resize-handle`).first().waitFor({ timeout: SETTLE_MS });
    await page.mouse.down();
    await page.mouse.move(edge.x + 80, edge.y, { steps: 8 });
    await page.mouse.up();
    const firstColWidth = () =>
      page
        .locator(`${EDITOR} col`)
        .first()
        .evaluate((col) => (col as HTMLElement).style.width);
    await expect.poll(firstColWidth).toMatch(/^\d+px$/);
    const width = Number.parseInt(await firstColWidth(), 10);
    expect(width).toBeGreaterThan(first.width + 40);
    await waitForStatus(page, 'Saved', SETTLE_MS);

    // The width is the cell's colwidth in the shared document: a reload draws it again.
    await openEditor(page, suite.server.url, doc.id);
    await page.locator(`${EDITOR} table`).waitFor({ timeout: SETTLE_MS });
    expect(await firstColWidth()).toBe(`${width}px`);
  });

  it('a URL typed before a space becomes a link and a URL pasted over selected text links it', {
    timeout: 60_000,
  }, async () => {
    const { page, doc } = await newDocument('Autolinks');
    await openEditor(page, suite.server.url, doc.id);
    await page.locator(EDITOR).click();
    await page.keyboard.type('Visit https://example.com/docs today');
    await expect.poll(() => page.locator(`${EDITOR} a`).getAttribute('href')).toBe('https://example.com/docs');
    expect(await page.locator(`${EDITOR} a`).textContent()).toBe('https://example.com/docs');

    await page.keyboard.press('Enter');
    await page.keyboard.type('Read the guide');
    for (let i = 0; i < 'guide'.length; i += 1) await page.keyboard.press('Shift+ArrowLeft');
    await pasteClipboard(page, { 'text/plain': 'https://example.org/guide' });
    await expect.poll(() => page.locator(`${EDITOR} a`).count()).toBe(2);
    const second = page.locator(`${EDITOR} a`).nth(1);
    expect(await second.textContent()).toBe('guide');
    expect(await second.getAttribute('href')).toBe('https://example.org/guide');
    await waitForStatus(page, 'Saved', SETTLE_MS);
  });
});
