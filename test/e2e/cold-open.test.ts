/// <reference lib="dom" />
/**
 * Opening a document by its address (docs/spec/editor.md ED5), in real Chromium against the real
 * server: the entry script dials the document's socket and starts its session before the editor
 * page's code has loaded, the session and the page take them over (one WebSocket to /sync, its
 * first frames sent once, one presence entry), and what is typed then saves; the comments panel's code is fetched only after the first sync.
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
    /** What the tab sent on /sync: the TOKEN frames and the sync step 1 frames. */
    const sent = { token: 0, step1: 0 };
    page.on('websocket', (socket) => {
      sockets.push(socket.url());
      socket.on('framesent', ({ payload }) => {
        if (typeof payload === 'string') return;
        if (payload[0] === 100) sent.token++;
        if (payload[0] === 0 && payload[1] === 0) sent.step1++;
      });
    });
    await signInWithSession(page, base, person);
    await openEditor(page, base, doc.id);
    await typeAtEnd(page, 'typed after a cold open');
    await waitForStatus(page, 'Saved', 15_000);
    await expect.poll(() => documentText(base, person.accessToken, doc.id)).toContain('typed after a cold open');

    expect(sockets.filter((url) => new URL(url).pathname.startsWith('/sync'))).toHaveLength(1);
    // The entry dialled it and sent the first frames; the session took it over without repeating them.
    expect(sent).toEqual({ token: 1, step1: 1 });
    // Marks in the order they happened: the session started before the editor was built.
    const marks = await page.evaluate(() =>
      performance
        .getEntriesByType('mark')
        .map((m) => m.name)
        .filter((name) => name.startsWith('collab-docs:')),
    );
    expect(marks).toContain('collab-docs:session-prestarted');
    expect(marks.indexOf('collab-docs:session-prestarted')).toBeLessThan(marks.indexOf('collab-docs:editor-created'));
    // The socket was dialled by the entry, before the editor page's code had even been evaluated.
    expect(marks).toContain('collab-docs:sync-socket-dialled');
    expect(marks.indexOf('collab-docs:sync-socket-dialled')).toBeLessThan(
      marks.indexOf('collab-docs:editor-module-ready'),
    );
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
