/// <reference lib="dom" />
/**
 * Screenshots of the main screens for the README: `npx node test/e2e/screenshots.ts`.
 * Builds the web app if stale, starts the real server on the embedded default, drives two people
 * through the UI in headless Chromium and writes docs/screenshots/*.png. Fails on any console
 * error, page error or CSP violation, like the browser tests.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildWebIfStale, DEFAULT_WEB_DIR, PROJECT_ROOT } from '../../src/web/web-build.ts';
import { backends } from '../support/backends.ts';
import {
  createDocument,
  createWorkspace,
  launchBrowser,
  openEditor,
  openPage,
  PASSWORD,
  signInWithSession,
  signUpApi,
  startE2eServer,
  type TrackedPage,
  typeAtEnd,
  waitForEditorText,
  waitForStatus,
} from '../support/browser.ts';
import { png } from '../support/image-fixtures.ts';
import { call } from '../support/server-process.ts';

const OUT = join(PROJECT_ROOT, 'docs', 'screenshots');
const log = (msg: string) => process.stderr.write(`[screenshots] ${msg}\n`);

// The server serves WEB_DIR when set (it inherits the environment), so build that one.
await buildWebIfStale(process.env.WEB_DIR || DEFAULT_WEB_DIR, (_level, msg) => log(msg));
mkdirSync(OUT, { recursive: true });
const browser = await launchBrowser();
const server = await startE2eServer(backends[0] as (typeof backends)[number]);
const pages: TrackedPage[] = [];
const shot = async (p: TrackedPage, name: string) => {
  await p.page.screenshot({ path: join(OUT, `${name}.png`) });
  log(`wrote docs/screenshots/${name}.png`);
};

try {
  // A fresh server each run, so plain addresses cannot collide.
  const [alice, bob] = await Promise.all([
    signUpApi(server.url, 'Alice Martin', 'alice@example.com'),
    signUpApi(server.url, 'Bob Chen', 'bob@example.com'),
  ]);
  const ws = await createWorkspace(server.url, alice.accessToken, 'Product team');
  const add = await call(server.url, 'POST', `/api/v1/workspaces/${ws.id}/members`, {
    token: alice.accessToken,
    body: { email: bob.user.email, role: 'member' },
  });
  if (add.status !== 202) throw new Error(`invite member: ${add.status} ${JSON.stringify(add.body)}`);
  const joined = await call(server.url, 'POST', '/api/v1/invitations/accept', {
    token: bob.accessToken,
    body: { token: new URL(add.body.link).hash.slice('#token='.length) },
  });
  if (joined.status !== 200) throw new Error(`accept invitation: ${joined.status} ${JSON.stringify(joined.body)}`);
  const plan = await createDocument(server.url, alice.accessToken, ws.id, 'Launch plan');
  await createDocument(server.url, alice.accessToken, ws.id, 'Release notes 2.4');
  await createDocument(server.url, alice.accessToken, ws.id, 'Weekly meeting notes');
  await createDocument(server.url, alice.accessToken, ws.id, 'Hiring: launch support engineer');

  // Login screen.
  const visitor = await openPage(browser);
  pages.push(visitor);
  await visitor.page.goto(`${server.url}/login`);
  await visitor.page.getByLabel('Email').fill(alice.user.email);
  await visitor.page.getByLabel('Password').fill(PASSWORD);
  await shot(visitor, 'login');

  // Two people in the editor.
  const a = await openPage(browser);
  const b = await openPage(browser);
  pages.push(a, b);
  await signInWithSession(a.page, server.url, alice);
  await signInWithSession(b.page, server.url, bob);
  await openEditor(a.page, server.url, plan.id);
  await openEditor(b.page, server.url, plan.id);
  await typeAtEnd(a.page, '## Goals\n');
  await a.page.keyboard.type('Ship the collaborative editor to every workspace before the launch review. ');
  await a.page.keyboard.type('Keep the initial bundle small and the editor usable offline.\n');
  await a.page.keyboard.type('## Checklist\n- Invite the beta customers\nPublish the release notes\n');
  await waitForEditorText(b.page, 'Publish the release notes', 5_000);
  await typeAtEnd(b.page, 'Bob: I will draft the launch announcement');
  await waitForEditorText(a.page, 'launch announcement', 5_000);
  // A table, a task list and an image, pasted as HTML (the image is uploaded like any other).
  const chart = png(240, 60, [64, 132, 214]).toString('base64');
  // Out of the checklist first: Enter on its new empty item ends the list.
  await a.page.keyboard.press('ControlOrMeta+End');
  // ProseMirror hears the caret move in a 'selectionchange' task; on a busy machine the Enters
  // below were handled before it, at Alice's last caret (before Bob's line), nesting the pasted
  // blocks into the list. Wait until the caret is after Bob's line and that task has run.
  await a.page.waitForFunction(() => {
    const s = getSelection();
    const text = s?.focusNode?.textContent ?? '';
    return text.endsWith('launch announcement') && s?.focusOffset === text.length;
  });
  await a.page.evaluate(() => new Promise((done) => setTimeout(done, 0)));
  await a.page.keyboard.press('Enter');
  await a.page.keyboard.press('Enter');
  await a.page.evaluate(
    ([selector, html]) => {
      const transfer = new DataTransfer();
      transfer.setData('text/html', html as string);
      transfer.setData('text/plain', 'x');
      const event = new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true });
      document.querySelector(selector as string)!.dispatchEvent(event);
    },
    [
      '[data-testid="editor"]',
      '<h2>Owners</h2><table><tr><th>Task</th><th>Owner</th><th>Due</th></tr>' +
        '<tr><td>Launch announcement</td><td>Bob</td><td>May 12</td></tr>' +
        '<tr><td>Beta feedback review</td><td>Alice</td><td>May 14</td></tr></table>' +
        '<ul data-type="taskList"><li data-type="taskItem" data-checked="true"><p>Freeze the scope</p></li>' +
        '<li data-type="taskItem" data-checked="false"><p>Book the launch review</p></li></ul>' +
        `<p><img src="data:image/png;base64,${chart}" alt="Sign-ups per week"></p>`,
    ] as const,
  );
  await a.page.locator('[data-testid="editor"] figure.ed-image img[src^="blob:"]').waitFor({ timeout: 15_000 });
  await a.page.keyboard.press('ControlOrMeta+Home');
  await a.page.keyboard.press('ArrowDown');
  await a.page.keyboard.press('End');
  await waitForStatus(a.page, 'Saved', 15_000);
  await waitForStatus(b.page, 'Saved', 15_000);
  await a.page.waitForSelector('.collaboration-carets__label', { timeout: 5_000 });
  // The find bar, with its matches highlighted.
  await a.page.keyboard.press('ControlOrMeta+f');
  await a.page.getByRole('textbox', { name: 'Find in document' }).fill('launch');
  await a.page.locator('[data-testid="find-count"]').getByText(/ of /).waitFor({ timeout: 5_000 });
  // Tall enough to show the table, the checklist and the image under the find bar.
  await a.page.setViewportSize({ width: 1280, height: 1180 });
  await shot(a, 'editor');
  await a.page.setViewportSize({ width: 1280, height: 800 });
  await a.page.keyboard.press('Escape');

  // Share dialog.
  await a.page.getByRole('button', { name: 'Share' }).click();
  const dialog = a.page.getByRole('dialog', { name: 'Share' });
  await dialog.waitFor();
  await dialog.getByLabel('Email').fill(bob.user.email);
  await dialog.getByLabel('Role').selectOption('editor');
  await dialog.getByRole('button', { name: 'Add' }).click();
  await dialog
    .getByText(/Bob Chen/)
    .first()
    .waitFor({ timeout: 5_000 });
  await shot(a, 'share-dialog');
  await a.page.keyboard.press('Escape');

  // Phone-sized editor.
  const phone = await openPage(browser, { viewport: { width: 375, height: 740 }, isMobile: true });
  pages.push(phone);
  await signInWithSession(phone.page, server.url, bob);
  await openEditor(phone.page, server.url, plan.id);
  await shot(phone, 'mobile-editor');

  // Document list with search results. Bodies reach the search index when a room is left and
  // compacted (after its grace period), so everyone leaves the document first.
  await phone.context.close();
  await b.page.goto(`${server.url}/w/${ws.id}`);
  await a.page.goto(`${server.url}/w/${ws.id}`);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const found = await call(server.url, 'GET', '/api/v1/search?q=announcement', { token: alice.accessToken });
    if (found.body.items?.length > 0) break;
    if (Date.now() > deadline) throw new Error('the document body never reached the search index');
    await new Promise((r) => setTimeout(r, 500));
  }
  await a.page.locator('[data-testid="document-list"] a').first().waitFor();
  const search = a.page.getByLabel('Search documents');
  await search.fill('launch');
  await search.press('Enter');
  await a.page.locator('[data-testid="search-results"] mark').first().waitFor({ timeout: 15_000 });
  await shot(a, 'documents-search');

  // Members.
  await a.page.getByRole('link', { name: 'Members' }).click();
  await a.page.getByText('Bob Chen').first().waitFor({ timeout: 15_000 });
  await shot(a, 'members');

  const problems = pages.filter((p) => p !== phone).flatMap((p) => p.unexpected());
  problems.push(...phone.unexpected());
  if (problems.length > 0) throw new Error(`the pages reported problems:\n${problems.join('\n')}`);
} finally {
  await browser.close();
  await server.stop();
}
