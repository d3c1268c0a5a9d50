/// <reference lib="dom" />
/**
 * Images in real Chromium against the real server, under the app's strict CSP (docs/spec/images.md):
 * an image added with the toolbar button, an image file pasted, one dropped, and pasted HTML whose <img> is a
 * data: URL (uploaded, never stored inline) all show (fetched with the token into blob: URLs); the
 * alt text is edited; a second person sees them live, a reload keeps them, and the server's
 * Markdown names the uploaded images. A file that is not an image is refused in plain words.
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
  type Session,
  shareDocument,
  signInWithSession,
  signUpApi,
  until,
  waitForStatus,
} from '../support/browser.ts';
import { useBrowserSuite } from '../support/browser-suite.ts';
import { png } from '../support/image-fixtures.ts';

const SETTLE_MS = 20_000;
const SHOWN = `${EDITOR} figure.ed-image img[src^="blob:"]`;

/** Images the editor shows that really decoded (a blob: URL whose bytes are an image). */
const shownImages = (page: Page) =>
  page.evaluate(
    (selector) =>
      Array.from(document.querySelectorAll<HTMLImageElement>(selector)).map((img) => ({
        width: img.naturalWidth,
        alt: img.alt,
      })),
    SHOWN,
  );

async function waitForShown(page: Page, count: number): Promise<{ width: number; alt: string }[]> {
  return until(
    `${count} images shown`,
    () => shownImages(page),
    (images) => images.length === count && images.every((i) => i.width > 0),
    SETTLE_MS,
  );
}

/** Dispatches a paste of files and/or strings into the editor, as the browser does. */
async function paste(page: Page, items: { files?: { name: string; type: string; base64: string }[]; html?: string }) {
  await page.locator(EDITOR).focus();
  await page.evaluate(
    ([selector, data]) => {
      const transfer = new DataTransfer();
      for (const f of data.files ?? []) {
        const bytes = Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0));
        transfer.items.add(new File([bytes], f.name, { type: f.type }));
      }
      if (data.html) transfer.setData('text/html', data.html);
      const event = new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true });
      document.querySelector(selector)!.dispatchEvent(event);
    },
    [EDITOR, items] as const,
  );
}

async function markdownOf(base: string, session: Session, documentId: string): Promise<string> {
  const res = await fetch(`${base}/api/v1/documents/${documentId}/content?format=markdown`, {
    headers: { authorization: `Bearer ${session.accessToken}` },
  });
  return res.text();
}

/** One backend for this browser suite (see browserBackends). */
const backends = browserBackends('postgres+redis');

describe.each(backends)('images in a real browser [$name]', (backend) => {
  const suite = useBrowserSuite(backend, { setupTimeoutMs: 180_000 });
  const pages = suite.pages;

  it('[IM4.3] [IM6.1] button, pasted file, dropped file and pasted data: HTML upload and show; alt text; a reader sees them; reload keeps them', {
    timeout: 180_000,
  }, async () => {
    const owner = await signUpApi(suite.server.url, 'Ines Images');
    const reader = await signUpApi(suite.server.url, 'Rita Reader');
    const ws = await createWorkspace(suite.server.url, owner.accessToken, 'Pictures');
    const doc = await createDocument(suite.server.url, owner.accessToken, ws.id, 'Album');
    await shareDocument(suite.server.url, owner.accessToken, doc.id, reader.user.email, 'viewer');

    const mine = await openPage(suite.browser);
    pages.push(mine);
    const page = mine.page;
    await signInWithSession(page, suite.server.url, owner);
    await openEditor(page, suite.server.url, doc.id);
    await page.locator(EDITOR).click();
    await page.keyboard.type('Launch photos');

    // 1. The toolbar button's file picker.
    await page.getByRole('button', { name: 'Add image' }).waitFor({ timeout: SETTLE_MS });
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Add image' }).click();
    await (await chooser).setFiles({ name: 'red.png', mimeType: 'image/png', buffer: png(40, 30) });
    expect((await waitForShown(page, 1))[0]?.width).toBe(40);

    // 2. An image file on the clipboard.
    await page.keyboard.press('ControlOrMeta+End');
    await paste(page, {
      files: [{ name: 'blue.png', type: 'image/png', base64: png(24, 12, [0, 0, 200]).toString('base64') }],
    });
    await waitForShown(page, 2);

    // 3. Pasted HTML with an inline data: image (as Word and some pages put it on the clipboard).
    await page.keyboard.press('ControlOrMeta+End');
    const chart = png(16, 16, [0, 160, 0]).toString('base64');
    await paste(page, { html: `<p>Chart below</p><img src="data:image/png;base64,${chart}" alt="Sales chart">` });
    const shown = await waitForShown(page, 3);
    expect(shown.map((i) => i.alt)).toContain('Sales chart');

    await until(
      'the pasted alt text on the server',
      () => markdownOf(suite.server.url, owner, doc.id),
      (md) => md.includes('![Sales chart]('),
      SETTLE_MS,
    );

    // 4. An image file dropped on the text (the file handler's drop).
    const box = await page.locator(EDITOR).boundingBox();
    await page.evaluate(
      ([selector, base64, x, y]) => {
        const bytes = Uint8Array.from(atob(base64 as string), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], 'dropped.png', { type: 'image/png' }));
        const target = document.querySelector(selector as string)!;
        const at = {
          dataTransfer: transfer,
          bubbles: true,
          cancelable: true,
          clientX: x as number,
          clientY: y as number,
        };
        target.dispatchEvent(new DragEvent('dragover', at));
        target.dispatchEvent(new DragEvent('drop', at));
      },
      [EDITOR, png(10, 20, [10, 10, 10]).toString('base64'), (box?.x ?? 0) + 20, (box?.y ?? 0) + 10] as const,
    );
    await waitForShown(page, 4);

    // Alt text of the button's image (the first without one): select it, edit, save.
    await page.locator(`${EDITOR} figure.ed-image:has(img[alt=""])`).first().click();
    await page.getByLabel('Alt text').fill('Red square');
    await page.getByRole('button', { name: 'Save alt text' }).click();
    await until(
      'the alt text',
      () => shownImages(page),
      (i) => i[0]?.alt === 'Red square',
      SETTLE_MS,
    );

    // A file that is not an image is refused in plain words, and nothing is inserted.
    const chooser2 = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Add image' }).click();
    await (await chooser2).setFiles({ name: 'notes.svg', mimeType: 'image/svg+xml', buffer: Buffer.from('<svg/>') });
    await page.getByRole('alert').filter({ hasText: 'Only PNG, JPEG, GIF and WebP images can be added.' }).waitFor({
      timeout: SETTLE_MS,
    });
    await waitForStatus(page, 'Saved', SETTLE_MS);

    // The server projects the images with their URLs (no data: URL was stored) and the alt text.
    const markdown = await until(
      'the server Markdown',
      () => markdownOf(suite.server.url, owner, doc.id),
      (md) => (md.match(/!\[[^\]]*\]\(\/api\/v1\/documents\/[0-9a-f-]+\/images\/[0-9a-f-]+\)/g) ?? []).length === 4,
      SETTLE_MS,
    );
    expect(markdown).toContain('![Red square](');
    expect(markdown).toContain('![Sales chart](');
    // Each image went where the cursor was: after the text typed before it.
    expect(markdown.indexOf('Launch photos')).toBeLessThan(markdown.indexOf('![Red square]('));
    expect(markdown).not.toContain('data:');

    // A second person (a reader) sees all four, fetched with their own token.
    const theirs = await openPage(suite.browser);
    pages.push(theirs);
    await signInWithSession(theirs.page, suite.server.url, reader);
    await openEditor(theirs.page, suite.server.url, doc.id);
    await waitForShown(theirs.page, 4);
    // …and sees a new one arrive live.
    await page.keyboard.press('ControlOrMeta+End');
    await paste(page, {
      files: [{ name: 'late.png', type: 'image/png', base64: png(8, 8, [200, 200, 0]).toString('base64') }],
    });
    await waitForShown(theirs.page, 5);

    // A reload keeps them.
    await page.reload();
    await page.locator(EDITOR).waitFor({ timeout: SETTLE_MS });
    await waitForShown(page, 5);
  });
});
