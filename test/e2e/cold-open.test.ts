/// <reference lib="dom" />
/**
 * Opening a document by its address (docs/spec/editor.md ED5), in real Chromium against the real
 * server: the entry script starts the document's session before the editor page's code has
 * loaded, the page takes it over (one WebSocket to /sync, one presence entry), and what is typed
 * then saves; the comments panel's code is fetched only after the first sync.
 */
import { describe, expect, it } from 'vitest';
import { browserBackends } from '../support/backends.ts';
import {
  createDocument,
  createWorkspace,
  documentText,
  openEditor,
  openPage,
  signInWithSession,
  signUpApi,
  typeAtEnd,
  waitForStatus,
} from '../support/browser.ts';
import { useBrowserSuite } from '../support/browser-suite.ts';

/** One backend for this browser suite (see browserBackends). */
const backends = browserBackends('embedded');

describe.each(backends)('opening a document by its address [$name]', (backend) => {
  const suite = useBrowserSuite(backend);

  it('[ED5.1] syncs over the one session the entry started before the editor page loaded', {
    timeout: 90_000,
  }, async () => {
    const base = suite.server.url;
    const person = await signUpApi(base, 'Cora Cold');
    const ws = await createWorkspace(base, person.accessToken, 'Cold opens');
    const doc = await createDocument(base, person.accessToken, ws.id, 'Opened by address');
    const tracked = await openPage(suite.browser);
    suite.pages.push(tracked);
    const { page } = tracked;
    const sockets: string[] = [];
    page.on('websocket', (socket) => sockets.push(socket.url()));
    await signInWithSession(page, base, person);
    await openEditor(page, base, doc.id);
    await typeAtEnd(page, 'typed after a cold open');
    await waitForStatus(page, 'Saved', 15_000);
    await expect.poll(() => documentText(base, person.accessToken, doc.id)).toContain('typed after a cold open');

    expect(sockets.filter((url) => new URL(url).pathname.startsWith('/sync'))).toHaveLength(1);
    // Marks in the order they happened: the session started before the editor was built.
    const marks = await page.evaluate(() =>
      performance
        .getEntriesByType('mark')
        .map((m) => m.name)
        .filter((name) => name.startsWith('collab-docs:')),
    );
    expect(marks).toContain('collab-docs:session-prestarted');
    expect(marks.indexOf('collab-docs:session-prestarted')).toBeLessThan(marks.indexOf('collab-docs:editor-created'));
    // The comments panel's chunk was requested after the document had synced.
    const timing = () =>
      page.evaluate(() => ({
        synced: performance.getEntriesByName('collab-docs:synced')[0]?.startTime ?? -1,
        panel:
          performance.getEntriesByType('resource').find((r) => /\/assets\/comments-panel-[^/]*\.js$/.test(r.name))
            ?.startTime ?? -1,
      }));
    await expect.poll(async () => (await timing()).panel).toBeGreaterThan(0);
    const { synced, panel } = await timing();
    expect(synced).toBeGreaterThan(0);
    expect(panel).toBeGreaterThan(synced);
  });
});
