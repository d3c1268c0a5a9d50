/// <reference lib="dom" />
/**
 * Importing files from the document list in real Chromium [I1]: a Markdown file through the
 * Import button's file picker and a Word file (built here with the `docx` package) dropped on the
 * list each open as a new document in the editor, with their structure and title. No console
 * errors or CSP violations.
 */
import { Document, HeadingLevel, Packer, Paragraph, Table, TableCell, TableRow, TextRun } from 'docx';
import { describe, expect, it } from 'vitest';
import { browserBackends } from '../support/backends.ts';
import {
  createWorkspace,
  EDITOR,
  openPage,
  signInWithSession,
  signUpApi,
  waitForEditorText,
} from '../support/browser.ts';
import { useBrowserSuite } from '../support/browser-suite.ts';

const SETTLE_MS = 20_000;
const DOCUMENT_URL = /\/d\/[0-9a-f-]{36}$/;

async function wordFile(): Promise<Buffer> {
  return Packer.toBuffer(
    new Document({
      title: 'Supplier review',
      sections: [
        {
          children: [
            new Paragraph({ text: 'Findings', heading: HeadingLevel.HEADING_2 }),
            new Paragraph({ children: [new TextRun('Deliveries were '), new TextRun({ text: 'late', bold: true })] }),
            new Table({
              rows: [
                new TableRow({
                  children: [
                    new TableCell({ children: [new Paragraph('City')] }),
                    new TableCell({ children: [new Paragraph('Łódź')] }),
                  ],
                }),
              ],
            }),
          ],
        },
      ],
    }),
  );
}

/** One backend for this browser suite (see browserBackends). */
const backends = browserBackends('embedded');

describe.each(backends)('importing files from the document list in a real browser [$name]', (backend) => {
  const suite = useBrowserSuite(backend, { setupTimeoutMs: 120_000 });
  const pages = suite.pages;

  const openList = async () => {
    const person = await signUpApi(suite.server.url, 'Ivy Importer');
    const ws = await createWorkspace(suite.server.url, person.accessToken, 'Imports');
    const tracked = await openPage(suite.browser);
    pages.push(tracked);
    await signInWithSession(tracked.page, suite.server.url, person, `/w/${ws.id}`);
    await tracked.page.getByRole('button', { name: 'Import' }).waitFor({ timeout: SETTLE_MS });
    return tracked.page;
  };

  it('[I1] a Markdown file chosen with Import opens as a document titled by its heading', {
    timeout: 90_000,
  }, async () => {
    const page = await openList();
    const md = '# Launch notes\n\nWe ship **Friday**.\n\n## Risks\n\n- [x] budget\n- [ ] hiring\n\n1. one\n2. two\n';
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Import' }).click();
    await (await chooser).setFiles({ name: 'launch.md', mimeType: 'text/markdown', buffer: Buffer.from(md) });
    await page.waitForURL(DOCUMENT_URL, { timeout: SETTLE_MS });
    await page.waitForSelector(EDITOR, { timeout: SETTLE_MS });
    await waitForEditorText(page, 'hiring', SETTLE_MS);
    expect(await page.getByRole('textbox', { name: 'Title' }).inputValue()).toBe('Launch notes');
    expect(await page.locator(`${EDITOR} h2`).allTextContents()).toEqual(['Risks']);
    expect(await page.locator(`${EDITOR} strong`).allTextContents()).toEqual(['Friday']);
    expect(await page.locator(`${EDITOR} ul[data-type="taskList"] li`).count()).toBe(2);
    expect(await page.locator(`${EDITOR} ol li`).count()).toBe(2);
  });

  it('[I1] a Word file dropped on the list opens as a document with its table', { timeout: 90_000 }, async () => {
    const page = await openList();
    const bytes = [...(await wordFile())];
    // Chromium has no way to drag a file from outside the page: the drop is dispatched as it would arrive.
    await page.evaluate((data) => {
      const file = new File([new Uint8Array(data)], 'review.docx', {
        type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      });
      const transfer = new DataTransfer();
      transfer.items.add(file);
      const zone = document.querySelector('main#main')!;
      zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, bytes);
    await page.waitForURL(DOCUMENT_URL, { timeout: SETTLE_MS });
    await waitForEditorText(page, 'Łódź', SETTLE_MS);
    expect(await page.getByRole('textbox', { name: 'Title' }).inputValue()).toBe('Supplier review');
    expect(await page.locator(`${EDITOR} h2`).allTextContents()).toEqual(['Findings']);
    expect(await page.locator(`${EDITOR} table td`).allTextContents()).toEqual(['City', 'Łódź']);
  });

  it('[I3] a file that cannot be imported says why and stays on the list', { timeout: 60_000 }, async () => {
    const page = await openList();
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Import' }).click();
    await (await chooser).setFiles({
      name: 'broken.docx',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from('no'),
    });
    await page.getByRole('alert').filter({ hasText: 'cannot be imported' }).waitFor({ timeout: SETTLE_MS });
    expect(page.url()).toMatch(/\/w\/[0-9a-f-]{36}$/);
    pages.at(-1)?.allow(/status of 422/);
  });
});
