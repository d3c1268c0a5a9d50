/// <reference lib="dom" />
/**
 * Browser test harness: Debian's Chromium driven by playwright-core against the real server
 * process, pages that record every console error, page error and CSP violation, and helpers to
 * get signed-in people (through the UI, or through the API with the session put where
 * web/src/api.ts keeps it). Waits are on conditions with deadlines, never fixed sleeps.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import type { Backend } from './backends.ts';
import { call, type ServerProcess, startServerProcess } from './server-process.ts';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Where web/src/api.ts keeps the session (shared by every tab of the origin). */
export const SESSION_KEY = 'collab-docs.session';

export const PASSWORD = 'correct horse battery staple';

/** Fails (never skips) when the browser is missing: CI installs it, and so must a developer. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}: the browser tests need Debian's Chromium ` +
        '(apt-get install chromium) or CHROMIUM_PATH pointing at a Chromium binary.',
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

/** Fails with the build's own message when the global setup could not build the web app. */
export function assertWebBuilt(webBuildError: string): void {
  if (webBuildError) throw new Error(`the web app did not build, so no browser test can run:\n${webBuildError}`);
}

// ---------------------------------------------------------------------------------------------
// Server

/** `dataDir`: the server's DATA_DIR, where the embedded mailer writes `.eml` files (mail/). */
export type E2eServer = { url: string; process: ServerProcess; dataDir: string; stop(): Promise<void> };

/**
 * The real `collab-docs serve` on a backend: the embedded default gets a fresh DATA_DIR (and no
 * DATABASE_URL/REDIS_URL even when CI sets them); the real backend gets its own database.
 */
export async function startE2eServer(backend: Backend, extraEnv: Record<string, string> = {}): Promise<E2eServer> {
  const provisioned = await backend.provision();
  const dataDir = mkdtempSync(join(tmpdir(), 'collab-docs-e2e-'));
  const env = {
    DATA_DIR: dataDir,
    ...(backend.name === 'embedded' && { DATABASE_URL: '', REDIS_URL: '' }),
    LOG_LEVEL: 'warn',
    // pg's connection timeout includes opening a new connection: with two Chromiums and the
    // servers sharing two cores, a cold pool's first connect can pass the 100 ms default and
    // the API answers 503. These tests are about the browser, not pool sizing.
    ...(backend.name !== 'embedded' && { DB_POOL_ACQUIRE_TIMEOUT_MS: '2000' }),
    ...provisioned.env,
    ...extraEnv,
  };
  let proc: Awaited<ReturnType<typeof startServerProcess>>;
  try {
    proc = await startServerProcess(env, 120_000); // two Chromiums and servers share the cores
  } catch (error) {
    // A server that never became ready was killed by startServerProcess; its database and files go too.
    await provisioned.cleanup().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: proc.url,
    process: proc,
    dataDir,
    async stop() {
      await proc.stop();
      await provisioned.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Pages that record what went wrong

export type Problems = {
  consoleErrors: string[];
  pageErrors: string[];
  cspViolations: string[];
};

export type TrackedPage = {
  page: Page;
  context: BrowserContext;
  problems: Problems;
  /** Browser-generated console errors matching these are expected by the test (e.g. a 401 it provoked). */
  allow(pattern: RegExp): void;
  /** Everything unexpected, as one list (a test asserts it is empty). */
  unexpected(): string[];
};

export type PageOptions = { viewport?: { width: number; height: number }; isMobile?: boolean };

const CSP_REPORTER = `(() => {
  document.addEventListener('securitypolicyviolation', (e) => {
    const report = globalThis.__collabDocsReportCsp;
    if (typeof report === 'function') {
      report(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + (e.sourceFile || '?') + ':' + e.lineNumber + ' ' + (e.sample || ''));
    }
  });
})();`;

/** A page in a NEW browser context (its own storage: one person), recording every problem. */
export async function openPage(browser: Browser, opts: PageOptions = {}): Promise<TrackedPage> {
  const context = await browser.newContext({
    viewport: opts.viewport ?? { width: 1280, height: 800 },
    isMobile: opts.isMobile ?? false,
    hasTouch: opts.isMobile ?? false,
    deviceScaleFactor: 1,
  });
  const problems: Problems = { consoleErrors: [], pageErrors: [], cspViolations: [] };
  const allowed: RegExp[] = [];
  await context.exposeFunction('__collabDocsReportCsp', (text: string) => {
    problems.cspViolations.push(text);
  });
  await context.addInitScript({ content: CSP_REPORTER });
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const loc = msg.location();
    problems.consoleErrors.push(`${msg.text()}${loc.url ? ` (${loc.url}:${loc.lineNumber})` : ''}`);
  });
  page.on('pageerror', (err) => {
    problems.pageErrors.push(err.stack ?? err.message);
  });
  return {
    page,
    context,
    problems,
    allow: (pattern) => {
      allowed.push(pattern);
    },
    unexpected: () => [
      ...problems.consoleErrors.filter((e) => !allowed.some((p) => p.test(e))).map((e) => `console.error: ${e}`),
      ...problems.pageErrors.map((e) => `page error: ${e}`),
      ...problems.cspViolations.map((e) => `CSP violation: ${e}`),
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// People

export type Session = {
  user: { id: string; email: string; displayName: string; createdAt: string };
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
};

let counter = 0;
/** A unique email for this run (several test files share nothing but the name space). */
export function uniqueEmail(name: string): string {
  counter += 1;
  return `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${process.pid}-${Date.now().toString(36)}-${counter}@example.test`;
}

/** Signs a person up through the API (fast test setup). */
export async function signUpApi(base: string, displayName: string, email = uniqueEmail(displayName)): Promise<Session> {
  const res = await call(base, 'POST', '/api/v1/auth/signup', { body: { email, password: PASSWORD, displayName } });
  if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as Session;
}

/**
 * Puts an API-made session where the web app keeps it before the app's first script runs, then
 * opens `path` (if given). Once per tab (a sessionStorage flag), so reloads keep whatever the app stored since
 * (a rotated refresh token, a log-out).
 */
export async function signInWithSession(page: Page, base: string, session: Session, path?: string): Promise<void> {
  const stored = JSON.stringify({ ...session, expiresAtMs: Date.now() + session.expiresIn * 1000 });
  await page.addInitScript(
    ([origin, key, value]) => {
      if (location.origin !== origin || sessionStorage.getItem('e2e.session-injected')) return;
      localStorage.setItem(key as string, value as string);
      sessionStorage.setItem('e2e.session-injected', '1');
    },
    [new URL(base).origin, SESSION_KEY, stored],
  );
  if (path !== undefined) await page.goto(`${base}${path}`);
}

/** Signs up through the form on /signup; resolves when the app has left the signup screen. */
export async function signUpViaUi(
  page: Page,
  base: string,
  displayName: string,
  email = uniqueEmail(displayName),
): Promise<string> {
  await page.goto(`${base}/signup`);
  await page.getByLabel('Display name').fill(displayName);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/signup'), { timeout: 10_000 });
  return email;
}

export async function logInViaUi(page: Page, base: string, email: string, password = PASSWORD): Promise<void> {
  if (!new URL(page.url()).pathname.startsWith('/login')) await page.goto(`${base}/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

// ---------------------------------------------------------------------------------------------
// Workspaces and documents through the API (setup only: the behaviour under test is in the UI)

export async function createWorkspace(base: string, token: string, name: string): Promise<{ id: string }> {
  const res = await call(base, 'POST', '/api/v1/workspaces', { token, body: { name } });
  if (res.status !== 201) throw new Error(`create workspace failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function createDocument(base: string, token: string, workspaceId: string, title: string) {
  const res = await call(base, 'POST', `/api/v1/workspaces/${workspaceId}/documents`, { token, body: { title } });
  if (res.status !== 201) throw new Error(`create document failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; title: string };
}

export async function shareDocument(
  base: string,
  token: string,
  documentId: string,
  email: string,
  role: 'viewer' | 'commenter' | 'editor',
): Promise<void> {
  const res = await call(base, 'POST', `/api/v1/documents/${documentId}/shares`, { token, body: { email, role } });
  if (res.status !== 202) throw new Error(`share failed: ${res.status} ${JSON.stringify(res.body)}`);
}

/** The stored plain text of a document, as the content API returns it. */
export async function documentText(base: string, token: string, documentId: string): Promise<string> {
  const res = await fetch(`${base}/api/v1/documents/${documentId}/content?format=text`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (res.status !== 200) throw new Error(`content failed: ${res.status} ${await res.text()}`);
  return res.text();
}

// ---------------------------------------------------------------------------------------------
// Editor

export const EDITOR = '[data-testid="editor"]';
export const STATUS = '[data-testid="sync-status"]';
export const PRESENCE = '[data-testid="presence"]';

/** Opens /d/:id and waits until the editor is on the page and the status says "Saved". */
export async function openEditor(page: Page, base: string, documentId: string, timeoutMs = 15_000): Promise<void> {
  await page.goto(`${base}/d/${documentId}`);
  await page.waitForSelector(EDITOR, { timeout: timeoutMs });
  await waitForStatus(page, 'Saved', timeoutMs);
  await waitForDeferredEditing(page, timeoutMs);
}

/**
 * The editing chunks loaded after the first render (web/src/editor/deferred-plugins.ts: table
 * editing, linkify) are in, so nothing the editor uses is fetched later, when a test may have
 * cut the network.
 */
export async function waitForDeferredEditing(page: Page, timeoutMs: number): Promise<void> {
  await page.waitForFunction(
    () => ['table', 'link'].every((name) => performance.getEntriesByName(`collab-docs:deferred-${name}`).length > 0),
    undefined,
    { timeout: timeoutMs },
  );
}

export async function waitForStatus(page: Page, text: string | RegExp, timeoutMs: number): Promise<void> {
  const pattern = typeof text === 'string' ? `^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$` : text.source;
  await page.waitForFunction(
    ([sel, src]) => new RegExp(src as string).test(document.querySelector(sel as string)?.textContent?.trim() ?? ''),
    [STATUS, pattern],
    { timeout: timeoutMs, polling: 'raf' },
  );
}

/**
 * The document's text as the person reads it: one line per top-level block, without the remote
 * carets' name labels (which live inside the contenteditable as widgets).
 */
export async function editorText(page: Page): Promise<string> {
  return page.evaluate(readEditorText, EDITOR);
}

function readEditorText(selector: string): string {
  const el = document.querySelector(selector);
  if (!el) return '';
  const copy = el.cloneNode(true) as Element;
  for (const widget of copy.querySelectorAll('.collaboration-carets__caret')) widget.remove();
  return [...copy.children].map((block) => block.textContent ?? '').join('\n');
}

/** Waits until the editor's text (carets' labels excluded) contains `text`. */
export async function waitForEditorText(page: Page, text: string, timeoutMs: number): Promise<void> {
  await page.waitForFunction(
    ([sel, t]) => {
      const el = document.querySelector(sel as string);
      if (!el) return false;
      const copy = el.cloneNode(true) as Element;
      for (const widget of copy.querySelectorAll('.collaboration-carets__caret')) widget.remove();
      return (copy.textContent ?? '').includes(t as string);
    },
    [EDITOR, text],
    { timeout: timeoutMs, polling: 'raf' },
  );
}

/** Puts the caret at the end of the document and types. */
export async function typeAtEnd(page: Page, text: string): Promise<void> {
  const editor = page.locator(EDITOR);
  await editor.click();
  await page.keyboard.press('ControlOrMeta+End');
  await page.keyboard.type(text);
}

/** Polls a Node-side condition until it holds (for API checks), failing with the last value. */
export async function until<T>(
  what: string,
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await read();
      if (ok(last)) return last;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(last)}${lastError ? `; last error: ${lastError}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Dispatches a paste with the given clipboard contents into the editor, as the browser does. */
export async function pasteClipboard(page: Page, data: Record<string, string>): Promise<void> {
  await page.locator(EDITOR).focus();
  await page.evaluate(
    ([selector, items]) => {
      const transfer = new DataTransfer();
      for (const [type, value] of Object.entries(items as Record<string, string>)) transfer.setData(type, value);
      const event = new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true });
      document.querySelector(selector as string)!.dispatchEvent(event);
    },
    [EDITOR, data] as const,
  );
}

/** Pastes HTML (with a placeholder plain-text flavour) into the editor. */
export const pasteHtml = (page: Page, html: string) => pasteClipboard(page, { 'text/html': html, 'text/plain': 'x' });
