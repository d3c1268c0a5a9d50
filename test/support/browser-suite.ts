/**
 * The setup every browser suite repeats, once: per backend a real server and one Chromium, started
 * with a setup timeout a loaded machine needs (both start slowly while other suites run), stopped
 * afterwards even when the other failed to start; pages opened through the suite are closed after
 * each test, and any console error, page error or CSP violation they saw fails that test.
 *
 *   const suite = useBrowserSuite(backend);
 *   it('...', async () => { const { page } = await suite.openPage(); await page.goto(suite.server.url); });
 */
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, inject } from 'vitest';
import type { Backend } from './backends.ts';
import {
  assertWebBuilt,
  type E2eServer,
  launchBrowser,
  openPage,
  type PageOptions,
  startE2eServer,
  type TrackedPage,
} from './browser.ts';

export type BrowserSuiteOptions = {
  /** Extra server environment (e.g. a lower limit the suite provokes). */
  env?: Record<string, string>;
  /** For beforeAll: 240 s unless said (120–300 s is what a loaded two-core machine needs). */
  setupTimeoutMs?: number;
  /** After a test with unexpected problems, print the tail of the server's output too. */
  printServerOutputOnProblems?: boolean;
};

export type BrowserSuite = {
  readonly browser: Browser;
  readonly server: E2eServer;
  /** Pages closed and checked after each test; `openPage` adds to it. */
  readonly pages: TrackedPage[];
  openPage(options?: PageOptions): Promise<TrackedPage>;
};

export function useBrowserSuite(backend: Backend, options: BrowserSuiteOptions = {}): BrowserSuite {
  let browser: Browser | undefined;
  let server: E2eServer | undefined;
  const pages: TrackedPage[] = [];

  beforeAll(async () => {
    assertWebBuilt(inject('webBuildError'));
    // Both at once: each is seconds on a loaded machine. If one fails, afterAll stops the other.
    const [b, s] = await Promise.allSettled([launchBrowser(), startE2eServer(backend, options.env)]);
    if (b.status === 'fulfilled') browser = b.value;
    if (s.status === 'fulfilled') server = s.value;
    if (b.status === 'rejected') throw b.reason;
    if (s.status === 'rejected') throw s.reason;
  }, options.setupTimeoutMs ?? 240_000);

  afterAll(async () => {
    await Promise.allSettled(pages.splice(0).map((p) => p.context.close()));
    await browser?.close();
    await server?.stop();
  }, 120_000);

  afterEach(async () => {
    const problems = pages.flatMap((p) => p.unexpected());
    await Promise.all(pages.splice(0).map((p) => p.context.close()));
    if (problems.length > 0 && options.printServerOutputOnProblems && server) {
      console.error(`server warnings and errors:\n${server.process.output().slice(-5_000)}`);
    }
    expect(problems).toEqual([]);
  });

  return {
    get browser() {
      if (!browser) throw new Error('the browser suite has not started (see beforeAll)');
      return browser;
    },
    get server() {
      if (!server) throw new Error('the browser suite has not started (see beforeAll)');
      return server;
    },
    pages,
    async openPage(pageOptions?: PageOptions) {
      if (!browser) throw new Error('the browser suite has not started (see beforeAll)');
      const tracked = await openPage(browser, pageOptions);
      pages.push(tracked);
      return tracked;
    },
  };
}
