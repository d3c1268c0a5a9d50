/// <reference lib="dom" />
/**
 * The editor's blocks and faithful paste in real Chromium against the real server, under the
 * app's strict CSP [issue 13]: a table built with the toolbar and Tab, a checklist, the link that
 * typing does not extend with its bar and Ctrl+click, and a paste from each clipboard source in
 * test/fixtures/clipboard arriving as structure. The server's Markdown of the result proves the
 * blocks synced and were projected. No console errors or CSP violations anywhere.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { browserBackends } from '../support/backends.ts';
import {
  createDocument,
  createWorkspace,
  EDITOR,
  openEditor,
  openPage,
  pasteClipboard as paste,
  type Session,
  signInWithSession,
  signUpApi,
  until,
  waitForStatus,
} from '../support/browser.ts';
import { useBrowserSuite } from '../support/browser-suite.ts';

const SETTLE_MS = 15_000;
const fixture = (name: string) => readFileSync(join(import.meta.dirname, '..', 'fixtures', 'clipboard', name), 'utf8');

async function markdownOf(base: string, session: Session, documentId: string): Promise<string> {
  const res = await fetch(`${base}/api/v1/documents/${documentId}/content?format=markdown`, {
    headers: { authorization: `Bearer ${session.accessToken}` },
  });
  return res.text();
}

const count = (page: Page, selector: string) => page.locator(`${EDITOR} ${selector}`).count();

/** One backend for this browser suite (see browserBackends). */
const backends = browserBackends('embedded');

describe.each(backends)('editor blocks and paste in a real browser [$name]', (backend) => {
  const suite = useBrowserSuite(backend);
  const pages = suite.pages;

  const openDocument = async (title: string) => {
    const person = await signUpApi(suite.server.url, 'Tess Tables');
    const ws = await createWorkspace(suite.server.url, person.accessToken, 'Blocks');
    const doc = await createDocument(suite.server.url, person.accessToken, ws.id, title);
    const tracked = await openPage(suite.browser);
    pages.push(tracked);
    await signInWithSession(tracked.page, suite.server.url, person);
    await openEditor(tracked.page, suite.server.url, doc.id);
    return { page: tracked.page, person, doc };
  };

  it('builds a table with the toolbar and Tab, then a checklist; the server exports both', {
    timeout: 90_000,
  }, async () => {
    const { page, person, doc } = await openDocument('Table');
    await page.locator(EDITOR).click();
    await page.keyboard.type('Intro');
    await page.keyboard.press('Enter');
    await page.keyboard.type('Outro');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('End');
    await page.getByRole('button', { name: 'Insert table' }).click();
    await page.locator(`${EDITOR} table`).waitFor({ timeout: SETTLE_MS });
    await page.keyboard.type('Name');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Owner');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Launch');
    expect(await page.locator(`${EDITOR} th`).allTextContents()).toEqual(['Name', 'Owner', '']);
    expect(await page.locator(`${EDITOR} td`).first().textContent()).toBe('Launch');
    expect(await count(page, 'tr')).toBe(3);
    await page.getByRole('button', { name: 'Add row below' }).click();
    expect(await count(page, 'tr')).toBe(4);
    await page.getByRole('button', { name: 'Add column right' }).click();
    expect(await count(page, 'th')).toBe(4);
    // Into the new column (Tab moves one cell right), which is the one deleted.
    await page.keyboard.press('Tab');
    await page.getByRole('button', { name: 'Delete column' }).click();
    expect(await page.locator(`${EDITOR} th`).allTextContents()).toEqual(['Name', 'Owner', '']);
    // Out of the table: Ctrl+End lands in the paragraph after it; a checklist item there.
    await page.keyboard.press('ControlOrMeta+End');
    await page.getByRole('button', { name: 'Checklist' }).click();
    await page.keyboard.press('End');
    await page.keyboard.type('Book the venue');
    await page.locator(`${EDITOR} ul[data-type="taskList"] input[type="checkbox"]`).first().check();
    await waitForStatus(page, 'Saved', SETTLE_MS);
    const markdown = await until(
      'the server Markdown',
      () => markdownOf(suite.server.url, person, doc.id),
      (md) => md.includes('- [x] OutroBook the venue'),
      SETTLE_MS,
    );
    expect(markdown).toContain('| Name | Owner | |');
    expect(markdown).toContain('| Launch |');
  });

  it('keeps typing at a link end outside the link; the link bar edits and removes it; Ctrl+click opens it', {
    timeout: 60_000,
  }, async () => {
    const { page } = await openDocument('Links');
    await paste(page, {
      'text/html': '<p>Read <a href="https://example.com/docs">the docs</a></p>',
      'text/plain': 'x',
    });
    await page.keyboard.type(' today');
    await expect.poll(() => page.locator(`${EDITOR} a`).textContent()).toBe('the docs');
    expect(await page.locator(EDITOR).textContent()).toContain('Read the docs today');
    // The cursor inside the link shows its bar.
    await page.locator(`${EDITOR} a`).click();
    const bar = page.getByTestId('link-bubble');
    await bar.waitFor({ timeout: SETTLE_MS });
    expect(await bar.getByRole('link').getAttribute('href')).toBe('https://example.com/docs');
    // Ctrl+click opens it in a new tab (recorded instead of navigating).
    await page.evaluate(() => {
      const w = window as unknown as { opened: string[] };
      w.opened = [];
      window.open = ((url: string) => {
        w.opened.push(String(url));
        return null;
      }) as typeof window.open;
    });
    await page.locator(`${EDITOR} a`).click({ modifiers: ['ControlOrMeta'] });
    expect(await page.evaluate(() => (window as unknown as { opened: string[] }).opened)).toEqual([
      'https://example.com/docs',
    ]);
    await bar.getByRole('button', { name: 'Remove link' }).click();
    await expect.poll(() => count(page, 'a')).toBe(0);
  });

  it('pastes Google Docs, Word, a web page and Markdown as structure, with no CSP violation', {
    timeout: 90_000,
  }, async () => {
    const { page, person, doc } = await openDocument('Pasted');
    const clear = async () => {
      await page.locator(EDITOR).click();
      await page.keyboard.press('ControlOrMeta+A');
      await page.keyboard.press('Delete');
    };

    await paste(page, { 'text/html': fixture('google-docs.html'), 'text/plain': 'Q3 Launch Plan' });
    await expect.poll(() => count(page, 'table')).toBe(1);
    expect(await page.locator(`${EDITOR} h1`).textContent()).toBe('Q3 Launch Plan');
    expect(await page.locator(`${EDITOR} p strong`).allTextContents()).toEqual([
      'bold',
      'both',
      'Goal:',
      'Owner',
      'Due',
    ]);
    expect(await page.locator(`${EDITOR} em`).allTextContents()).toEqual(['italic', 'both']);
    expect(await page.locator(`${EDITOR} mark`).allTextContents()).toEqual(['highlighted']);
    expect(await count(page, 'ul[data-type="taskList"] > li')).toBe(2);

    await clear();
    await paste(page, { 'text/html': fixture('word.html'), 'text/plain': 'Status report' });
    await expect.poll(() => count(page, 'ol > li')).toBe(2);
    expect(await count(page, 'ul > li > ul > li')).toBe(1);
    expect(await page.locator(`${EDITOR} ul > li`).first().textContent()).toMatch(/^First bullet/);
    expect(await count(page, 'table td')).toBe(4);

    await clear();
    await paste(page, { 'text/html': fixture('web-page.html'), 'text/plain': 'Install' });
    await expect.poll(() => count(page, 'table th')).toBe(2);
    expect(await page.locator(`${EDITOR} h2`).textContent()).toBe('Install');
    expect(await page.evaluate(() => (window as unknown as { pasted?: boolean }).pasted)).toBeUndefined();

    await clear();
    await paste(page, { 'text/plain': fixture('notes.md') });
    await expect.poll(() => count(page, 'h1')).toBe(1);
    expect(await page.locator(`${EDITOR} h1`).textContent()).toBe('Meeting notes');
    expect(await count(page, 'ul[data-type="taskList"] > li')).toBe(2);
    expect(await count(page, 'table')).toBe(1);
    expect(await count(page, 'pre code')).toBe(1);

    await waitForStatus(page, 'Saved', SETTLE_MS);
    const markdown = await until(
      'the server Markdown',
      () => markdownOf(suite.server.url, person, doc.id),
      (md) => md.includes('# Meeting notes'),
      SETTLE_MS,
    );
    expect(markdown).toContain('- [ ] Draft the brief');
    expect(markdown).toContain('| Owner | Task |');
  });
});
