/**
 * The image is the product: the files deploy/Dockerfile's runtime stage contains (assembled by
 * test/support/image-layout.ts from the Dockerfile itself, no container engine needed) start the
 * server with the image's own environment (WEB_BUILD=never), as a non-root user when the test runs
 * as root, writing nowhere but DATA_DIR and the temp directory — and Chromium loads the app and
 * its editor from it. A missing web build, a runtime import of a build-only package or a write
 * into the application files fails here.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDocument,
  createWorkspace,
  EDITOR,
  launchBrowser,
  openPage,
  signInWithSession,
  signUpApi,
  type TrackedPage,
  waitForStatus,
} from './support/browser.ts';
import { type AssembledImage, assembleImage, snapshot } from './support/image-layout.ts';
import { freePort } from './support/server-process.ts';

/** Assembling hard-links ~400 MB of dependencies and runs a Vite build: minutes on a loaded machine. */
const SETUP_MS = 300_000;
const READY_MS = 120_000;
/** The image's non-root user (deploy/Dockerfile `USER 1000:1000`). */
const IMAGE_UID = 1000;

describe('the container image, assembled from deploy/Dockerfile', () => {
  let scratch: string;
  let image: AssembledImage;
  let before: Map<string, string>;
  let server: ChildProcess | undefined;
  let output = '';
  let url = '';
  let browser: Browser | undefined;
  const pages: TrackedPage[] = [];

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'collab-docs-image-'));
    chmodSync(scratch, 0o755);
    image = await assembleImage(join(scratch, 'app'), join(scratch, 'stages'));
    before = snapshot(image.root);
    // The only writable places, as the Kubernetes Deployments mount them (emptyDir volumes).
    const dataDir = join(scratch, 'data');
    const tmp = join(scratch, 'tmp');
    for (const dir of [dataDir, tmp]) mkdirSync(dir);
    const asRoot = process.getuid?.() === 0;
    if (asRoot) for (const dir of [dataDir, tmp]) chownSync(dir, IMAGE_UID, IMAGE_UID);
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    // The image's environment and nothing of this machine's (no DATABASE_URL, no WEB_BUILD override).
    server = spawn(process.execPath, ['bin/collab-docs.js', 'serve'], {
      cwd: image.root,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        ...image.env,
        HOME: tmp,
        TMPDIR: tmp,
        DATA_DIR: dataDir,
        HOST: '127.0.0.1',
        PORT: String(port),
        SCRYPT_COST: '1024',
        SIGNUP_MAX_PER_IP_PER_HOUR: '1000000',
      },
      ...(asRoot && { uid: IMAGE_UID, gid: IMAGE_UID }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    server.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const deadline = Date.now() + READY_MS;
    for (;;) {
      if (server.exitCode !== null) throw new Error(`the server exited before it was ready:\n${output}`);
      const ready = await fetch(`${url}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ready) break;
      if (Date.now() > deadline) throw new Error(`not ready after ${READY_MS} ms:\n${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    browser = await launchBrowser();
  }, SETUP_MS);

  afterAll(async () => {
    await Promise.all(pages.map((p) => p.context.close()));
    await browser?.close();
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server?.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }, SETUP_MS);

  it('is built the way deploy/README.md promises: non-root, WEB_BUILD=never, OCI labels, production dependencies only', () => {
    expect(image.user).toMatch(/^[1-9]\d*(:[1-9]\d*)?$/);
    expect(image.env).toMatchObject({ WEB_BUILD: 'never', NODE_ENV: 'production' });
    for (const label of ['title', 'description', 'licenses', 'source', 'version', 'revision', 'created']) {
      expect(image.labels, label).toHaveProperty(`org.opencontainers.image.${label}`);
    }
    expect(existsSync(join(image.root, 'dist/web/index.html'))).toBe(true);
    for (const buildOnly of ['vite', '@tiptap/core', 'preact', 'vitest', 'node']) {
      expect(existsSync(join(image.root, 'node_modules', buildOnly)), buildOnly).toBe(false);
    }
    for (const runtime of ['fastify', 'yjs', '@electric-sql/pglite', '@aws-sdk/client-s3']) {
      expect(existsSync(join(image.root, 'node_modules', runtime)), runtime).toBe(true);
    }
    expect(existsSync(join(image.root, 'test'))).toBe(false);
    // Our tests never ship (the dockerignore); dependencies' own test files are theirs.
    expect([...before.keys()].filter((f) => f.endsWith('.test.ts') && !f.startsWith('node_modules/'))).toEqual([]);
  });

  it('serves the web app at / and its hashed, precompressed assets', async () => {
    const index = await fetch(`${url}/`, { headers: { accept: 'text/html' } });
    expect(index.status).toBe(200);
    const html = await index.text();
    const script = /<script[^>]+src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${url}${script}`, { headers: { 'accept-encoding': 'br' } });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toMatch(/immutable/);
  });

  it('loads the app and a document in Chromium, with no errors or CSP violations', { timeout: 120_000 }, async () => {
    const tracked = await openPage(browser as Browser);
    pages.push(tracked);
    const session = await signUpApi(url, 'Image Tester');
    const ws = await createWorkspace(url, session.accessToken, 'From the image');
    const doc = await createDocument(url, session.accessToken, ws.id, 'Shipped');
    await signInWithSession(tracked.page, url, session, `/d/${doc.id}`);
    // The editor is a lazy chunk: it loads only if the build in the image is complete.
    await tracked.page.waitForSelector(EDITOR, { timeout: 60_000 });
    await waitForStatus(tracked.page, 'Saved', 60_000);
    expect(tracked.unexpected()).toEqual([]);
  });

  it('writes nothing into the application files and logs only JSON lines', async () => {
    const after = snapshot(image.root);
    const changed = [...after].filter(([path, stamp]) => before.get(path) !== stamp).map(([path]) => path);
    const removed = [...before.keys()].filter((path) => !after.has(path));
    expect({ changed, removed }).toEqual({ changed: [], removed: [] });
    const lines = output.split('\n').filter((l) => l.trim() !== '');
    expect(lines.length).toBeGreaterThan(0);
    const notJson = lines.filter((l) => {
      try {
        return typeof JSON.parse(l) !== 'object';
      } catch {
        return true;
      }
    });
    expect(notJson).toEqual([]);
  });
});
