/**
 * Serving the built web app: immutable hashed assets, revalidated index, precompressed
 * variants by Accept-Encoding, a strict CSP on pages, client routes answered with the index,
 * and API/unknown non-browser paths still answered as problem+json 404s.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../src/http/web-app.ts';
import { DEFAULT_WEB_DIR, staleReason } from '../src/web/web-build.ts';
import { backends } from './support/backends.ts';
import { startTestApp, type TestApp } from './support/test-app.ts';

const INDEX = '<!doctype html><html><head><script type="module" src="/assets/app-Ab12Cd34.js"></script></head></html>';
const SCRIPT = `console.log(${JSON.stringify('x'.repeat(4000))});`;
const HTML_ACCEPT = 'text/html,application/xhtml+xml,*/*;q=0.8';

describe.each(backends.slice(0, 1))('web app serving [$name]', (backend) => {
  let t: TestApp;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cd-web-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), INDEX);
    writeFileSync(join(dir, 'assets', 'app-Ab12Cd34.js'), SCRIPT);
    writeFileSync(join(dir, 'assets', 'app-Ab12Cd34.js.br'), brotliCompressSync(SCRIPT));
    writeFileSync(join(dir, 'assets', 'app-Ab12Cd34.js.gz'), gzipSync(SCRIPT));
    writeFileSync(join(dir, '.build-stamp'), String(Date.now()));
    t = await startTestApp(backend, { WEB_DIR: dir });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves hashed assets as immutable for a year', async () => {
    const res = await t.request('GET', '/assets/app-Ab12Cd34.js');
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(String(res.headers['content-type'])).toMatch(/javascript/);
    expect(res.body).toBe(SCRIPT);
  });

  it('serves the brotli variant to clients that accept it, gzip to the others', async () => {
    const br = await t.request('GET', '/assets/app-Ab12Cd34.js', { headers: { 'accept-encoding': 'gzip, br' } });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers.vary).toMatch(/accept-encoding/i);
    expect(brotliDecompressSync(br.rawPayload).toString()).toBe(SCRIPT);
    const gz = await t.request('GET', '/assets/app-Ab12Cd34.js', { headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.rawPayload.length).toBeLessThan(SCRIPT.length / 10);
  });

  it('revalidates index.html on every load and sends a strict CSP with it', async () => {
    for (const url of ['/', '/index.html']) {
      const res = await t.request('GET', url, { headers: { accept: HTML_ACCEPT } });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['cache-control'], url).toBe('no-cache');
      expect(res.headers['content-security-policy'], url).toBe(CONTENT_SECURITY_POLICY);
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.body).toBe(INDEX);
    }
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
  });

  it('answers client-side routes with the index for browser navigations', async () => {
    for (const url of ['/login', '/w/6f1c4a4e-9d1f-4a53-8f50-0c1d1b1e2f3a', '/d/x?y=1']) {
      const res = await t.request('GET', url, { headers: { accept: HTML_ACCEPT } });
      expect(res.statusCode, url).toBe(200);
      expect(res.body).toBe(INDEX);
    }
  });

  it('keeps API, probe and missing-asset paths as problem+json 404s', async () => {
    for (const [url, accept] of [
      ['/api/v1/nope', HTML_ACCEPT],
      ['/assets/missing-Zz99.js', HTML_ACCEPT],
      ['/some/page', 'application/json'],
    ] as const) {
      const res = await t.request('GET', url, { headers: { accept } });
      expect(res.statusCode, url).toBe(404);
      expect(String(res.headers['content-type'])).toMatch(/problem\+json/);
      expect(res.headers['cache-control']).toBe('no-store');
    }
  });

  it('does not expose the build stamp or compressed files by their own names', async () => {
    for (const url of ['/.build-stamp', '/assets/app-Ab12Cd34.js.br']) {
      const res = await t.request('GET', url);
      expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
    }
  });

  it('knows when the build is stale', () => {
    const empty = mkdtempSync(join(tmpdir(), 'cd-web-empty-'));
    try {
      expect(staleReason(empty)).toBe('no build');
      // The stamp is newer than every source: current.
      writeFileSync(join(empty, 'index.html'), INDEX);
      writeFileSync(join(empty, '.build-stamp'), String(Date.now() + 60_000));
      expect(staleReason(empty)).toBeUndefined();
      writeFileSync(join(empty, '.build-stamp'), '0');
      expect(staleReason(empty)).toBe('sources changed since the last build');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('the production build', () => {
  it('writes compressed siblings identical to their sources (no unreplaced placeholders)', () => {
    expect(inject('webBuildError')).toBe('');
    const assets = join(DEFAULT_WEB_DIR, 'assets');
    const files = readdirSync(assets).filter((f) => /\.(js|css)$/.test(f));
    expect(files.some((f) => f.endsWith('.js'))).toBe(true);
    for (const file of files) {
      const source = readFileSync(join(assets, file));
      if (source.length < 1024) continue;
      expect(existsSync(join(assets, `${file}.br`)), file).toBe(true);
      expect(brotliDecompressSync(readFileSync(join(assets, `${file}.br`))).equals(source), `${file}.br`).toBe(true);
      expect(gunzipSync(readFileSync(join(assets, `${file}.gz`))).equals(source), `${file}.gz`).toBe(true);
    }
  });
});
