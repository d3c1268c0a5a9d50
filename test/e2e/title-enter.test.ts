/// <reference lib="dom" />
/**
 * Enter in the title moves the focus to the text within the same keystroke (docs/spec/editor.md
 * ED3), in real Chromium against the real server: "Title⏎body text" typed with no delay, and again
 * as one burst of raw key events sent without waiting for each other, leaves the title exactly
 * "Title" and the body starting with "body text". TipTap's focus command waits for the next
 * animation frame, so keys typed before it used to land in the title.
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
  signInWithSession,
  signUpApi,
} from '../support/browser.ts';
import { useBrowserSuite } from '../support/browser-suite.ts';

const TITLE = 'input[aria-label="Title"]';

/** Every key of `text` as raw CDP key events, all sent before any is answered (a fast typist). */
async function burst(page: Page, text: string): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  const sent: Promise<unknown>[] = [];
  for (const ch of text) {
    const enter = ch === '\n';
    const key = enter ? 'Enter' : ch;
    const common = {
      key,
      code: enter ? 'Enter' : ch === ' ' ? 'Space' : `Key${ch.toUpperCase()}`,
      windowsVirtualKeyCode: enter ? 13 : ch.toUpperCase().charCodeAt(0),
    };
    sent.push(cdp.send('Input.dispatchKeyEvent', { type: 'keyDown', ...common, text: enter ? '\r' : ch }));
    sent.push(cdp.send('Input.dispatchKeyEvent', { type: 'keyUp', ...common }));
  }
  await Promise.all(sent);
  await cdp.detach();
}

/** One backend for this browser suite (see browserBackends). */
const backends = browserBackends('postgres+redis');

describe.each(backends)('Enter in the title in a real browser [$name]', (backend) => {
  const suite = useBrowserSuite(backend);
  const pages = suite.pages;

  const open = async () => {
    const person = await signUpApi(suite.server.url, 'Tia Typist');
    const ws = await createWorkspace(suite.server.url, person.accessToken, 'Titles');
    const doc = await createDocument(suite.server.url, person.accessToken, ws.id, 'Untitled');
    const tracked = await openPage(suite.browser);
    pages.push(tracked);
    await signInWithSession(tracked.page, suite.server.url, person);
    await openEditor(tracked.page, suite.server.url, doc.id);
    return tracked.page;
  };

  const typedInto = async (page: Page) => ({
    title: await page.locator(TITLE).inputValue(),
    body: await editorText(page),
  });

  it('[ED3.1] keeps every key of "Title⏎body text" typed with no delay where it belongs', {
    timeout: 60_000,
  }, async () => {
    const page = await open();
    await page.locator(TITLE).click();
    await page.keyboard.type('Title\nbody text', { delay: 0 });
    await expect.poll(() => typedInto(page)).toMatchObject({ title: 'Title' });
    const { body } = await typedInto(page);
    expect(body.startsWith('body text')).toBe(true);
    expect(await page.locator(EDITOR).evaluate((el) => el.contains(document.activeElement))).toBe(true);
  });

  it('[ED3.1] keeps every key of a burst of raw key events where it belongs', { timeout: 60_000 }, async () => {
    const page = await open();
    await page.locator(TITLE).click();
    await burst(page, 'Title\nbody text');
    await expect.poll(() => editorText(page)).toMatch(/^body text/);
    expect(await page.locator(TITLE).inputValue()).toBe('Title');
  });
});
