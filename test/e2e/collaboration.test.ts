/// <reference lib="dom" />
/**
 * Two people, two browser contexts, one document, the real server: co-editing with live carets and
 * presence, access removed while the document is open, edits made offline, and a viewer who
 * cannot type. "Within 1 s" is the deadline of the wait that starts after the triggering action.
 * Every page must finish without a console error, page error or CSP violation.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { backends } from '../support/backends.ts';
import {
  createDocument,
  createWorkspace,
  documentText,
  EDITOR,
  editorText,
  openEditor,
  openPage,
  PRESENCE,
  type Session,
  shareDocument,
  signInWithSession,
  signUpApi,
  type TrackedPage,
  typeAtEnd,
  until,
  waitForEditorText,
  waitForStatus,
} from '../support/browser.ts';
import { useBrowserSuite } from '../support/browser-suite.ts';
import { call } from '../support/server-process.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';

const LIVE_MS = 1_000;
const SETTLE_MS = 15_000;
/** The client's backoff after a few failed attempts (base 0.5 s, doubling, full jitter) plus the handshake. */
const RECONNECT_MS = 30_000;

const normalize = (s: string) => s.replace(/\s+/g, ' ').trim();

describe.each(backends)('editing together in a real browser [$name]', (backend) => {
  const suite = useBrowserSuite(backend, { printServerOutputOnProblems: true });
  const pages = suite.pages;

  const open = async (): Promise<TrackedPage> => {
    const p = await openPage(suite.browser);
    pages.push(p);
    return p;
  };

  type Setup = { alice: Session; bob: Session; documentId: string; a: TrackedPage; b: TrackedPage };

  /** Alice owns a document; Bob gets `role` through the API (unless `share` is false); both signed in. */
  const twoPeople = async (role: 'editor' | 'viewer', share = true): Promise<Setup> => {
    const [alice, bob] = await Promise.all([
      signUpApi(suite.server.url, 'Alice Owner'),
      signUpApi(suite.server.url, 'Bob Guest'),
    ]);
    const ws = await createWorkspace(suite.server.url, alice.accessToken, 'Alice team');
    const doc = await createDocument(suite.server.url, alice.accessToken, ws.id, 'Shared notes');
    if (share) await shareDocument(suite.server.url, alice.accessToken, doc.id, bob.user.email, role);
    const [a, b] = await Promise.all([open(), open()]);
    await Promise.all([
      signInWithSession(a.page, suite.server.url, alice),
      signInWithSession(b.page, suite.server.url, bob),
    ]);
    return { alice, bob, documentId: doc.id, a, b };
  };

  const caretLabelled = (page: Page, name: string, timeout: number) =>
    page.waitForFunction(
      (n) =>
        [...document.querySelectorAll('.collaboration-carets__caret .collaboration-carets__label')].some((l) =>
          (l.textContent ?? '').includes(n),
        ),
      name,
      { timeout, polling: 'raf' },
    );

  const presenceHas = (page: Page, names: string[], timeout: number) =>
    page.waitForFunction(
      ([sel, ns]) => {
        const text = document.querySelector(sel as string)?.textContent ?? '';
        return (ns as string[]).every((n) => text.includes(n));
      },
      [PRESENCE, names] as const,
      { timeout, polling: 'raf' },
    );

  it('two people co-edit: text, carets and presence within 1 s; identical and stored after reload', {
    timeout: 90_000,
  }, async () => {
    const { alice, bob, documentId, a, b } = await twoPeople('editor', false);

    // Alice shares through the share dialog.
    await openEditor(a.page, suite.server.url, documentId);
    await a.page.getByRole('button', { name: 'Share' }).click();
    const dialog = a.page.getByRole('dialog', { name: 'Share' });
    await dialog.getByLabel('Email').fill(bob.user.email);
    await dialog.getByLabel('Role').selectOption('editor');
    await dialog.getByRole('button', { name: 'Add' }).click();
    await dialog
      .getByText(/Bob Guest|bob-guest/)
      .first()
      .waitFor({ timeout: 5_000 });
    const shares = await fetch(`${suite.server.url}/api/v1/documents/${documentId}/shares`, {
      headers: { authorization: `Bearer ${alice.accessToken}` },
    }).then((r) => r.json());
    expect(shares.items).toEqual(
      expect.arrayContaining([expect.objectContaining({ userId: bob.user.id, role: 'editor' })]),
    );
    await dialog.getByRole('button', { name: 'Done' }).click();
    await dialog.waitFor({ state: 'hidden', timeout: 5_000 });

    await openEditor(b.page, suite.server.url, documentId);

    await typeAtEnd(a.page, 'Hello from Alice.');
    await waitForEditorText(b.page, 'Hello from Alice.', LIVE_MS);
    await caretLabelled(b.page, 'Alice Owner', LIVE_MS);

    await typeAtEnd(b.page, ' Bob was here.');
    await waitForEditorText(a.page, 'Bob was here.', LIVE_MS);
    await caretLabelled(a.page, 'Bob Guest', LIVE_MS);

    await presenceHas(a.page, ['Alice Owner', 'Bob Guest'], LIVE_MS);
    await presenceHas(b.page, ['Alice Owner', 'Bob Guest'], LIVE_MS);

    await Promise.all([waitForStatus(a.page, 'Saved', SETTLE_MS), waitForStatus(b.page, 'Saved', SETTLE_MS)]);
    await Promise.all([a.page.reload(), b.page.reload()]);
    await Promise.all([
      waitForStatus(a.page, 'Saved', SETTLE_MS).then(() => waitForEditorText(a.page, 'Bob was here.', SETTLE_MS)),
      waitForStatus(b.page, 'Saved', SETTLE_MS).then(() => waitForEditorText(b.page, 'Bob was here.', SETTLE_MS)),
    ]);
    const [textA, textB] = await Promise.all([editorText(a.page), editorText(b.page)]);
    expect(textA).toBe(textB);
    expect(normalize(textA)).toBe('Hello from Alice. Bob was here.');
    const stored = await documentText(suite.server.url, alice.accessToken, documentId);
    expect(normalize(stored)).toBe(normalize(textA));
  });

  it("removing a collaborator's share while they have the document open makes it read-only with a message within 1 s", {
    timeout: 60_000,
  }, async () => {
    const { alice, documentId, a, b } = await twoPeople('editor');
    await Promise.all([
      openEditor(a.page, suite.server.url, documentId),
      openEditor(b.page, suite.server.url, documentId),
    ]);
    await typeAtEnd(b.page, 'Bob can edit.');
    await waitForEditorText(a.page, 'Bob can edit.', LIVE_MS);
    await waitForStatus(b.page, 'Saved', SETTLE_MS);

    // Alice removes Bob in the share dialog; the clock starts when the server has answered.
    await a.page.getByRole('button', { name: 'Share' }).click();
    const dialog = a.page.getByRole('dialog', { name: 'Share' });
    const row = dialog
      .locator('li, tr, [role="row"], [role="listitem"]')
      .filter({ hasText: /Bob Guest|bob-guest/ })
      .filter({ has: a.page.getByRole('button', { name: 'Remove' }) })
      .last();
    const removed = a.page.waitForResponse(
      (r) => r.request().method() === 'DELETE' && r.url().includes(`/documents/${documentId}/shares/`),
      { timeout: 5_000 },
    );
    await row.getByRole('button', { name: 'Remove' }).click();
    expect((await removed).status()).toBe(204);

    await b.page.waitForFunction(
      (sel) => {
        const editor = document.querySelector(sel);
        const readOnly = !editor || editor.getAttribute('contenteditable') === 'false';
        const message = [
          ...document.querySelectorAll('[data-testid="access-banner"][role="alert"], [role="alert"]'),
        ].some((el) => (el.textContent ?? '').trim().length > 0);
        return readOnly && message;
      },
      EDITOR,
      { timeout: LIVE_MS, polling: 'raf' },
    );

    await dialog.getByRole('button', { name: 'Done' }).click();
    await dialog.waitFor({ state: 'hidden', timeout: 5_000 });

    // Keys pressed now change nothing anywhere.
    if ((await b.page.locator(EDITOR).count()) > 0) {
      await b.page.locator(EDITOR).click();
      await b.page.keyboard.type('sneaky');
    }
    await typeAtEnd(a.page, ' Alice continues.');
    await waitForStatus(a.page, 'Saved', SETTLE_MS);
    const stored = await documentText(suite.server.url, alice.accessToken, documentId);
    expect(normalize(stored)).toBe('Bob can edit. Alice continues.');
    expect(await editorText(a.page)).not.toContain('sneaky');
  });

  it('edits made offline are kept, counted, and sync when the network is back', { timeout: 60_000 }, async () => {
    const { alice, documentId, a, b } = await twoPeople('editor');
    await Promise.all([
      openEditor(a.page, suite.server.url, documentId),
      openEditor(b.page, suite.server.url, documentId),
    ]);
    // The browser's own log lines for sockets that cannot connect while offline are expected.
    a.allow(/WebSocket connection to .* failed/);
    a.allow(/net::ERR_INTERNET_DISCONNECTED/);

    await a.context.setOffline(true);
    await typeAtEnd(a.page, 'Written on a train.');
    await waitForStatus(a.page, /^Offline — [1-9]\d* changes? will sync$/, 5_000);
    expect(await editorText(b.page)).not.toContain('Written on a train.');

    await a.context.setOffline(false);
    await waitForEditorText(b.page, 'Written on a train.', SETTLE_MS);
    await waitForStatus(a.page, 'Saved', SETTLE_MS);
    const stored = await until(
      'the offline edit in storage',
      () => documentText(suite.server.url, alice.accessToken, documentId),
      (t) => t.includes('Written on a train.'),
      SETTLE_MS,
    );
    expect(normalize(stored)).toBe('Written on a train.');
  });

  it("undo takes back only your own change (the other person's stays); redo brings it back", {
    timeout: 60_000,
  }, async () => {
    const { documentId, a, b } = await twoPeople('editor');
    await Promise.all([
      openEditor(a.page, suite.server.url, documentId),
      openEditor(b.page, suite.server.url, documentId),
    ]);
    await a.page.locator(EDITOR).click();
    // One transaction each, so one undo step each.
    await a.page.keyboard.insertText('Alice line.');
    await waitForEditorText(b.page, 'Alice line.', LIVE_MS);
    await b.page.locator(EDITOR).click();
    await b.page.keyboard.press('ControlOrMeta+End');
    await b.page.keyboard.insertText(' Bob line.');
    await waitForEditorText(a.page, 'Bob line.', LIVE_MS);

    await a.page.keyboard.press('ControlOrMeta+z');
    await b.page.waitForFunction(
      (sel) => {
        const text = document.querySelector(sel)?.textContent ?? '';
        return !text.includes('Alice line.') && text.includes('Bob line.');
      },
      EDITOR,
      { timeout: LIVE_MS, polling: 'raf' },
    );
    expect(normalize(await editorText(a.page))).toBe('Bob line.');

    await a.page.keyboard.press('ControlOrMeta+Shift+z');
    await waitForEditorText(b.page, 'Alice line.', LIVE_MS);
    expect(normalize(await editorText(b.page))).toBe('Alice line. Bob line.');
  });

  it('an editor downgraded to viewer while the document is open becomes read-only with a message within 1 s', {
    timeout: 60_000,
  }, async () => {
    const { alice, bob, documentId, a, b } = await twoPeople('editor');
    await Promise.all([
      openEditor(a.page, suite.server.url, documentId),
      openEditor(b.page, suite.server.url, documentId),
    ]);
    expect(await b.page.locator(EDITOR).getAttribute('contenteditable')).toBe('true');
    const res = await call(suite.server.url, 'PUT', `/api/v1/documents/${documentId}/shares/${bob.user.id}`, {
      token: alice.accessToken,
      body: { role: 'viewer' },
    });
    expect(res.status).toBe(200);
    await b.page.waitForFunction(
      (sel) =>
        document.querySelector(sel)?.getAttribute('contenteditable') === 'false' &&
        (document.querySelector('[data-testid="access-banner"][role="alert"]')?.textContent ?? '').trim().length > 0,
      EDITOR,
      { timeout: LIVE_MS, polling: 'raf' },
    );
    // Still a reader: the owner's text keeps arriving live.
    await typeAtEnd(a.page, 'Still visible.');
    await waitForEditorText(b.page, 'Still visible.', LIVE_MS);
  });

  it('closing the tab with changes the server has not acknowledged asks first', { timeout: 60_000 }, async () => {
    const { documentId, a } = await twoPeople('editor');
    await openEditor(a.page, suite.server.url, documentId);
    a.allow(/WebSocket connection to .* failed/);
    a.allow(/net::ERR_INTERNET_DISCONNECTED/);
    await a.context.setOffline(true);
    await typeAtEnd(a.page, 'Not yet saved.');
    await waitForStatus(a.page, /^Offline — [1-9]\d* changes? will sync$/, 5_000);
    const asked = a.page.waitForEvent('dialog', { timeout: 5_000 });
    await a.page.close({ runBeforeUnload: true });
    const dialog = await asked;
    expect(dialog.type()).toBe('beforeunload');
    await dialog.dismiss();
    // Staying on the page keeps the edit, which syncs once the network is back.
    expect(a.page.isClosed()).toBe(false);
    await a.context.setOffline(false);
    await waitForStatus(a.page, 'Saved', SETTLE_MS);
  });

  it('edits typed offline by someone downgraded to viewer meanwhile are reported as not saved; closing does not ask', {
    timeout: 60_000,
  }, async () => {
    const { alice, bob, documentId, b } = await twoPeople('editor');
    await openEditor(b.page, suite.server.url, documentId);
    b.allow(/WebSocket connection to .* failed/);
    b.allow(/net::ERR_INTERNET_DISCONNECTED/);
    await b.context.setOffline(true);
    await typeAtEnd(b.page, 'Too late to keep.');
    await waitForStatus(b.page, /^Offline — [1-9]\d* changes? will sync$/, 5_000);
    const res = await call(suite.server.url, 'PUT', `/api/v1/documents/${documentId}/shares/${bob.user.id}`, {
      token: alice.accessToken,
      body: { role: 'viewer' },
    });
    expect(res.status).toBe(200);
    await b.context.setOffline(false);
    // Honest: not "Saving…" forever, and not "Saved".
    await waitForStatus(b.page, 'Not saved — you can no longer edit', SETTLE_MS);
    expect(await b.page.locator(EDITOR).getAttribute('contenteditable')).toBe('false');
    let asked = false;
    b.page.on('dialog', (d) => {
      asked = true;
      void d.dismiss();
    });
    await b.page.close({ runBeforeUnload: true });
    await until(
      'the tab to close',
      async () => b.page.isClosed(),
      (closed) => closed,
      5_000,
    );
    expect(asked).toBe(false);
    expect(await documentText(suite.server.url, alice.accessToken, documentId)).not.toContain('Too late to keep.');
  });

  it('a dropped connection shows "Reconnecting in Ns", then "Saved" with the edits made meanwhile', {
    timeout: 90_000,
  }, async () => {
    const { alice, documentId, a, b } = await twoPeople('editor');
    // Alice reaches the server through a proxy the test can cut (a network drop, not an offline event).
    const proxy = await startTcpProxy(Number(new URL(suite.server.url).port));
    try {
      const viaProxy = `http://127.0.0.1:${proxy.port}`;
      // Another origin, so its own localStorage.
      await signInWithSession(a.page, viaProxy, alice);
      await Promise.all([openEditor(a.page, viaProxy, documentId), openEditor(b.page, suite.server.url, documentId)]);
      // The browser's own log lines for reconnection attempts refused while cut are expected.
      a.allow(/WebSocket connection to .* failed/);
      a.allow(/net::ERR_CONNECTION_(REFUSED|RESET|CLOSED)/);

      proxy.cut();
      await waitForStatus(a.page, /^Reconnecting in \d+s$/, 5_000);
      await typeAtEnd(a.page, 'Typed during the outage.');
      expect(await editorText(b.page)).not.toContain('Typed during the outage.');

      proxy.restore();
      await waitForEditorText(b.page, 'Typed during the outage.', RECONNECT_MS);
      await waitForStatus(a.page, 'Saved', RECONNECT_MS);
      expect(normalize(await documentText(suite.server.url, alice.accessToken, documentId))).toBe(
        'Typed during the outage.',
      );
    } finally {
      await proxy.close();
    }
  });

  it('a viewer sees the text live but cannot change the body or the title', { timeout: 60_000 }, async () => {
    const { alice, documentId, a, b } = await twoPeople('viewer');
    await Promise.all([
      openEditor(a.page, suite.server.url, documentId),
      openEditor(b.page, suite.server.url, documentId),
    ]);

    expect(await b.page.locator(EDITOR).getAttribute('contenteditable')).toBe('false');
    expect(await b.page.getByLabel('Title').isEditable()).toBe(false);
    expect(await a.page.getByLabel('Title').isEditable()).toBe(true);

    await typeAtEnd(a.page, 'Owner writes.');
    await waitForEditorText(b.page, 'Owner writes.', LIVE_MS);

    await b.page.locator(EDITOR).click();
    await b.page.keyboard.press('ControlOrMeta+End');
    await b.page.keyboard.type('viewer was here');
    await b.page.keyboard.press('Enter');
    await b.page.keyboard.press('Backspace');
    // Alice types after Bob's keys: once Bob sees it, his keys have long been handled.
    await typeAtEnd(a.page, ' More from the owner.');
    await waitForEditorText(b.page, 'More from the owner.', LIVE_MS);
    expect(normalize(await editorText(b.page))).toBe('Owner writes. More from the owner.');
    await waitForStatus(a.page, 'Saved', SETTLE_MS);
    expect(normalize(await documentText(suite.server.url, alice.accessToken, documentId))).toBe(
      'Owner writes. More from the owner.',
    );
  });
});
