/// <reference lib="dom" />
/**
 * Undo keeps the cursor where the undone change was, in real Chromium [issue 13]: paragraphs, a
 * paragraph turned into a heading (Ctrl+Alt+2), Enter, typing, Ctrl+Z — the next words must land
 * where the cursor was, never in a new paragraph at the top of the document, and the blocks keep
 * their order. Typed with no delay (one undo step) and with pauses (several steps).
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

/** Longer than the undo manager's capture window (500 ms): each step is an undo step of its own. */
const STEP_PAUSE_MS = 700;

const blocks = (page: Page) =>
  page.evaluate(
    (sel) => [...document.querySelector(sel)!.children].map((b) => `${b.tagName.toLowerCase()}:${b.textContent ?? ''}`),
    EDITOR,
  );

/** One backend for this browser suite (see browserBackends). */
const backends = browserBackends('postgres+redis');

describe.each(backends)('undo and the cursor in a real browser [$name]', (backend) => {
  const suite = useBrowserSuite(backend, { setupTimeoutMs: 120_000 });
  const pages = suite.pages;

  const open = async () => {
    const person = await signUpApi(suite.server.url, 'Una Undo');
    const ws = await createWorkspace(suite.server.url, person.accessToken, 'Undo');
    const doc = await createDocument(suite.server.url, person.accessToken, ws.id, 'Undo');
    const tracked = await openPage(suite.browser);
    pages.push(tracked);
    await signInWithSession(tracked.page, suite.server.url, person);
    await openEditor(tracked.page, suite.server.url, doc.id);
    return tracked.page;
  };

  for (const pause of [0, STEP_PAUSE_MS]) {
    it(`after heading, Enter, typing and Ctrl+Z the next words stay where the cursor was (pauses ${pause} ms)`, {
      timeout: 90_000,
    }, async () => {
      const page = await open();
      const wait = () => (pause > 0 ? page.waitForTimeout(pause) : Promise.resolve());
      await page.locator(EDITOR).click();
      await page.keyboard.type('First paragraph');
      await page.keyboard.press('Enter');
      await page.keyboard.type('Second paragraph');
      await page.keyboard.press('Enter');
      await page.keyboard.type('Plan');
      // The paragraphs are there before the change that is undone (an undo step of their own).
      await page.waitForTimeout(STEP_PAUSE_MS);
      await page.keyboard.press('Control+Alt+2');
      expect(await page.locator(`${EDITOR} h2`).allTextContents()).toEqual(['Plan']);
      await wait();
      await page.keyboard.press('Enter');
      await page.keyboard.type('typed under the heading');
      await wait();
      await page.keyboard.press('ControlOrMeta+z');
      const afterUndo = await blocks(page);
      expect(afterUndo[0]).toBe('p:First paragraph');
      expect(afterUndo[1]).toBe('p:Second paragraph');
      await page.keyboard.type('NEXT');
      const after = await blocks(page);
      // Nothing new at the top; the words joined the text the cursor was in.
      expect(after[0]).toBe('p:First paragraph');
      expect(after[1]).toBe('p:Second paragraph');
      expect(after.length).toBe(afterUndo.length);
      expect((await editorText(page)).split('\n').filter((line) => line.includes('NEXT'))).toHaveLength(1);
      const undone = afterUndo.join('\n');
      const withNext = after.join('\n');
      // Exactly one block changed, and it gained NEXT where the cursor was (never at its start).
      const changed = after.filter((b, i) => b !== afterUndo[i]);
      expect(changed, `${undone}\n→\n${withNext}`).toHaveLength(1);
      expect(changed[0]).toMatch(/^(p|h2):.+NEXT/);
    });
  }
});
