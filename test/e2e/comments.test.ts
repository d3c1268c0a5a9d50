/// <reference lib="dom" />
/**
 * Comments in a real browser (docs/spec/comments.md): an owner writes, a commenter (who cannot
 * type) comments on a selected word; the thread, its highlight, a reply and the resolution reach
 * the other person live; the mention lights the bell. Every page must finish without a console
 * error, page error or CSP violation.
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
  shareDocument,
  signInWithSession,
  signUpApi,
  type TrackedPage,
  typeAtEnd,
  waitForEditorText,
  waitForStatus,
} from '../support/browser.ts';
import { useBrowserSuite } from '../support/browser-suite.ts';
import { call } from '../support/server-process.ts';
import { linkToken } from '../support/test-app.ts';

/** A change made by one person is on the other's screen within this, without a reload (the wait starts after the action; the latency itself is measured in test/comments.test.ts). */
const LIVE_MS = 5_000;

/** One backend for this browser suite (see browserBackends). */
const backends = browserBackends('postgres+redis');

describe.each(backends)('comments in a real browser [$name]', (backend) => {
  const suite = useBrowserSuite(backend, { setupTimeoutMs: 120_000 });
  const pages = suite.pages;

  const open = async (): Promise<TrackedPage> => {
    const p = await openPage(suite.browser);
    pages.push(p);
    return p;
  };

  /** Selects the first occurrence of `word` in the editor, as a person dragging over it would. */
  const selectWord = (page: Page, word: string) =>
    page.evaluate(
      ([sel, w]) => {
        const root = document.querySelector(sel as string) as HTMLElement;
        const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
        for (let n = walker.nextNode(); n; n = walker.nextNode()) {
          const i = (n.textContent ?? '').indexOf(w as string);
          if (i < 0) continue;
          window.getSelection()?.setBaseAndExtent(n, i, n, i + (w as string).length);
          return true;
        }
        return false;
      },
      [EDITOR, word] as const,
    );

  const panel = (page: Page) => page.getByTestId('comments-panel');
  const threadWith = (page: Page, text: string) => panel(page).getByTestId('comment-thread').filter({ hasText: text });

  it('[C1] [C3] [C5] [C6] a commenter comments on a word, the owner sees it live, replies; resolve moves it', {
    timeout: 120_000,
  }, async () => {
    const [alice, carol] = await Promise.all([
      signUpApi(suite.server.url, 'Alice Owner'),
      signUpApi(suite.server.url, 'Carol Reviewer'),
    ]);
    const ws = await createWorkspace(suite.server.url, alice.accessToken, 'Review team');
    const doc = await createDocument(suite.server.url, alice.accessToken, ws.id, 'Proposal');
    await shareDocument(suite.server.url, alice.accessToken, doc.id, carol.user.email, 'commenter');
    const [a, c] = await Promise.all([open(), open()]);
    await Promise.all([
      signInWithSession(a.page, suite.server.url, alice),
      signInWithSession(c.page, suite.server.url, carol),
    ]);

    await openEditor(a.page, suite.server.url, doc.id);
    await typeAtEnd(a.page, 'We ship the beta on Friday.');
    await waitForStatus(a.page, 'Saved', 15_000);
    await a.page.getByTestId('comments-toggle').click();
    await expect.poll(() => panel(a.page).isVisible()).toBe(true);

    await openEditor(c.page, suite.server.url, doc.id);
    await waitForEditorText(c.page, 'Friday', 15_000);
    // A commenter cannot change the text.
    expect(await c.page.locator(EDITOR).getAttribute('contenteditable')).toBe('false');
    await c.page.getByTestId('comments-toggle').click();
    expect(await selectWord(c.page, 'beta')).toBe(true);
    await panel(c.page).getByRole('button', { name: 'Comment on selection' }).click();
    const box = panel(c.page).getByLabel('New comment');
    await box.fill('Is the beta ready? @Ali');
    // Mention autocomplete: people who can open the document.
    await box.press('End');
    await box.type('c');
    await panel(c.page).getByRole('option', { name: 'Alice Owner' }).click();
    await panel(c.page).getByRole('button', { name: 'Comment', exact: true }).click();
    await threadWith(c.page, 'Is the beta ready?').waitFor({ timeout: LIVE_MS });

    // Alice: the thread, its highlight on "beta" and the bell's count, without reloading.
    await threadWith(a.page, 'Is the beta ready?').waitFor({ timeout: LIVE_MS });
    await a.page.waitForFunction(
      () => [...document.querySelectorAll('.cm-highlight')].map((e) => e.textContent).join('') === 'beta',
      undefined,
      { timeout: LIVE_MS },
    );
    await a.page.getByTestId('notification-count').waitFor({ timeout: LIVE_MS });
    await a.page.getByTestId('notification-bell').click();
    await a.page.getByRole('button', { name: /Carol Reviewer mentioned you in “Proposal”/ }).waitFor();
    await a.page.keyboard.press('Escape');

    // Alice replies; Carol sees it live.
    const thread = threadWith(a.page, 'Is the beta ready?');
    await thread.getByLabel('Reply').fill('Yes, since Tuesday.');
    await thread.getByRole('button', { name: 'Reply', exact: true }).click();
    await threadWith(c.page, 'Yes, since Tuesday.').waitFor({ timeout: LIVE_MS });

    // Carol resolves; it leaves Alice's open list and shows under Resolved.
    await threadWith(c.page, 'Yes, since Tuesday.').getByRole('button', { name: 'Resolve' }).click();
    await threadWith(a.page, 'Is the beta ready?').waitFor({ state: 'detached', timeout: LIVE_MS });
    await panel(a.page)
      .getByRole('button', { name: /Resolved \(1\)/ })
      .click();
    await threadWith(a.page, 'Is the beta ready?').waitFor({ timeout: LIVE_MS });
    await panel(a.page).getByRole('button', { name: 'Reopen' }).click();
    await panel(c.page)
      .getByRole('button', { name: /Open \(1\)/ })
      .waitFor({ timeout: LIVE_MS });
  });

  it('[C2] a thread follows its word through the other person\'s typing, and says "on deleted text" once it is gone', {
    timeout: 120_000,
  }, async () => {
    const alice = await signUpApi(suite.server.url, 'Alice Owner');
    const bob = await signUpApi(suite.server.url, 'Bob Editor');
    const ws = await createWorkspace(suite.server.url, alice.accessToken, 'Edit team');
    const doc = await createDocument(suite.server.url, alice.accessToken, ws.id, 'Notes');
    await shareDocument(suite.server.url, alice.accessToken, doc.id, bob.user.email, 'editor');
    const [a, b] = await Promise.all([open(), open()]);
    await Promise.all([
      signInWithSession(a.page, suite.server.url, alice),
      signInWithSession(b.page, suite.server.url, bob),
    ]);
    await openEditor(a.page, suite.server.url, doc.id);
    await typeAtEnd(a.page, 'alpha bravo charlie');
    await waitForStatus(a.page, 'Saved', 15_000);
    await a.page.getByTestId('comments-toggle').click();
    expect(await selectWord(a.page, 'bravo')).toBe(true);
    await panel(a.page).getByRole('button', { name: 'Comment on selection' }).click();
    await panel(a.page).getByLabel('New comment').fill('Check this word');
    await panel(a.page).getByRole('button', { name: 'Comment', exact: true }).click();
    await threadWith(a.page, 'Check this word').waitFor();

    // Bob types before the word: Alice's highlight still covers exactly "bravo".
    await openEditor(b.page, suite.server.url, doc.id);
    await b.page.locator(EDITOR).click();
    await b.page.keyboard.press('ControlOrMeta+Home');
    await b.page.keyboard.type('zulu ');
    const highlighted = () =>
      a.page.waitForFunction(
        (want) => [...document.querySelectorAll('.cm-highlight')].map((e) => e.textContent).join('') === want,
        'bravo',
        { timeout: LIVE_MS },
      );
    await waitForEditorText(a.page, 'zulu alpha', LIVE_MS);
    await highlighted();

    // Bob deletes the word: the thread stays, on deleted text.
    // (Bob's own highlight wraps the word in a span of its own: select the word alone.)
    expect(await selectWord(b.page, 'bravo')).toBe(true);
    await b.page.keyboard.press('Backspace');
    await a.page.waitForFunction(
      (sel) => !(document.querySelector(sel)?.textContent ?? 'bravo').includes('bravo'),
      EDITOR,
      { timeout: LIVE_MS },
    );
    await threadWith(a.page, 'Check this word').getByText('On deleted text').waitFor({ timeout: LIVE_MS });
    expect(await a.page.locator('.cm-highlight').count()).toBe(0);
  });

  it('[C4] mentioning someone without access: the owner is offered "Share with X and mention", which shares and mentions', {
    timeout: 120_000,
  }, async () => {
    const [alice, gus] = await Promise.all([
      signUpApi(suite.server.url, 'Alice Owner'),
      signUpApi(suite.server.url, 'Gus Guest'),
    ]);
    const ws = await createWorkspace(suite.server.url, alice.accessToken, 'Prompt team');
    // A guest of the workspace reads nothing that is not shared with them.
    const invited = await call(suite.server.url, 'POST', `/api/v1/workspaces/${ws.id}/members`, {
      token: alice.accessToken,
      body: { email: gus.user.email, role: 'guest' },
    });
    const accepted = await call(suite.server.url, 'POST', '/api/v1/invitations/accept', {
      token: gus.accessToken,
      body: { token: linkToken((invited.body as { link: string }).link) },
    });
    expect(accepted.status).toBe(200);
    const doc = await createDocument(suite.server.url, alice.accessToken, ws.id, 'Plan');
    const a = await open();
    await signInWithSession(a.page, suite.server.url, alice);
    await openEditor(a.page, suite.server.url, doc.id);
    await typeAtEnd(a.page, 'Budget for spring');
    await waitForStatus(a.page, 'Saved', 15_000);
    await a.page.getByTestId('comments-toggle').click();
    expect(await selectWord(a.page, 'spring')).toBe(true);
    await panel(a.page).getByRole('button', { name: 'Comment on selection' }).click();
    const box = panel(a.page).getByLabel('New comment');
    await box.fill('Can you check this @Gu');
    await box.press('End');
    await box.type('s');
    await panel(a.page)
      .getByRole('option', { name: /Gus Guest/ })
      .click();
    await panel(a.page).getByRole('button', { name: 'Share with Gus Guest and mention' }).click();
    await expect.poll(() => box.inputValue()).toContain('@Gus Guest');
    await panel(a.page).getByRole('button', { name: 'Comment', exact: true }).click();
    await threadWith(a.page, 'Can you check this').waitFor({ timeout: LIVE_MS });

    // Gus can now open it as a commenter, and was notified of the mention.
    const shares = await call(suite.server.url, 'GET', `/api/v1/documents/${doc.id}/shares`, {
      token: alice.accessToken,
    });
    expect((shares.body as { items: { userId: string; role: string }[] }).items).toContainEqual(
      expect.objectContaining({ userId: gus.user.id, role: 'commenter' }),
    );
    const unread = await call(suite.server.url, 'GET', '/api/v1/notifications/unread-count', {
      token: gus.accessToken,
    });
    expect((unread.body as { unread: number }).unread).toBe(1);
  });

  it('[C5] offline: a new thread and a reply wait as pending, go out once back online, and the other person sees each exactly once', {
    timeout: 120_000,
  }, async () => {
    const [alice, bob] = await Promise.all([
      signUpApi(suite.server.url, 'Alice Owner'),
      signUpApi(suite.server.url, 'Bob Editor'),
    ]);
    const ws = await createWorkspace(suite.server.url, alice.accessToken, 'Train team');
    const doc = await createDocument(suite.server.url, alice.accessToken, ws.id, 'Trip');
    await shareDocument(suite.server.url, alice.accessToken, doc.id, bob.user.email, 'editor');
    const [a, b] = await Promise.all([open(), open()]);
    await Promise.all([
      signInWithSession(a.page, suite.server.url, alice),
      signInWithSession(b.page, suite.server.url, bob),
    ]);
    await openEditor(a.page, suite.server.url, doc.id);
    await typeAtEnd(a.page, 'alpha bravo charlie');
    await waitForStatus(a.page, 'Saved', 15_000);
    await a.page.getByTestId('comments-toggle').click();
    expect(await selectWord(a.page, 'bravo')).toBe(true);
    await panel(a.page).getByRole('button', { name: 'Comment on selection' }).click();
    await panel(a.page).getByLabel('New comment').fill('Online first');
    await panel(a.page).getByRole('button', { name: 'Comment', exact: true }).click();
    await threadWith(a.page, 'Online first').waitFor({ timeout: LIVE_MS });
    await openEditor(b.page, suite.server.url, doc.id);
    await b.page.getByTestId('comments-toggle').click();
    await threadWith(b.page, 'Online first').waitFor({ timeout: LIVE_MS });

    // The browser's own log lines for requests and sockets that cannot connect while offline are expected.
    a.allow(/WebSocket connection to .* failed/);
    a.allow(/net::ERR_INTERNET_DISCONNECTED/);
    await a.context.setOffline(true);
    // Text typed offline, and a thread on it: its anchor names text the server does not have yet.
    await typeAtEnd(a.page, ' delta echo');
    await waitForStatus(a.page, /^Offline — [1-9]\d* changes? will sync$/, 5_000);
    expect(await selectWord(a.page, 'echo')).toBe(true);
    await panel(a.page).getByRole('button', { name: 'Comment on selection' }).click();
    await panel(a.page).getByLabel('New comment').fill('Written on the train');
    await panel(a.page).getByRole('button', { name: 'Comment', exact: true }).click();
    const queued = threadWith(a.page, 'Written on the train');
    await queued.getByTestId('comment-pending').waitFor();
    expect(await queued.getAttribute('data-pending')).toBe('true');
    const first = threadWith(a.page, 'Online first');
    await first.getByLabel('Reply').fill('Replied offline');
    await first.getByRole('button', { name: 'Reply', exact: true }).click();
    await first.getByTestId('comment').filter({ hasText: 'Replied offline' }).getByTestId('comment-pending').waitFor();
    // More typing before the word: the anchor (Yjs relative positions) follows "echo".
    await a.page.locator(EDITOR).click();
    await a.page.keyboard.press('ControlOrMeta+Home');
    await a.page.keyboard.type('zulu ');
    expect(await threadWith(b.page, 'Written on the train').count()).toBe(0);

    await a.context.setOffline(false);
    await threadWith(b.page, 'Written on the train').waitFor({ timeout: 30_000 });
    await threadWith(b.page, 'Replied offline').waitFor({ timeout: LIVE_MS });
    await b.page.waitForFunction(
      () => [...document.querySelectorAll('.cm-highlight')].map((e) => e.textContent).join('|') === 'bravo|echo',
      undefined,
      { timeout: LIVE_MS },
    );
    await a.page.getByTestId('comment-pending').waitFor({ state: 'detached', timeout: LIVE_MS });
    // Exactly once, on screen and on the suite.server.
    expect(await threadWith(b.page, 'Written on the train').count()).toBe(1);
    expect(await panel(b.page).getByTestId('comment').filter({ hasText: 'Replied offline' }).count()).toBe(1);
    const listed = await call(suite.server.url, 'GET', `/api/v1/documents/${doc.id}/comments?status=all`, {
      token: bob.accessToken,
    });
    const threads = (listed.body as { items: { quote: string; comments: { body: string }[] }[] }).items;
    expect(threads.map((t) => [t.quote, t.comments.map((c) => c.body)])).toEqual([
      ['bravo', ['Online first', 'Replied offline']],
      ['echo', ['Written on the train']],
    ]);
  });
});
