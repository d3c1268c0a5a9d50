/**
 * Images in documents (docs/spec/images.md [IM1]–[IM5]) through the HTTP API, on every backend
 * (and its file store): who uploads and fetches, content sniffing, the size limit and the
 * workspace quota, the caching and safety headers, the per-user rate limit, and the cleanup after
 * a document is deleted for good.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { withImageTables } from '../src/app/images.ts';
import { documentFromProsemirror } from '../src/content/from-prosemirror.ts';
import { backends } from './support/backends.ts';
import { GIF_1X1, JPEG_1X1, noisyPng, png, SVG_WITH_SCRIPT, WEBP_1X1 } from './support/image-fixtures.ts';
import { startTestApp, type TestApp, type TestSession } from './support/test-app.ts';

const MAX_BYTES = 4096;

describe.each(backends)('images [$name]', (backend) => {
  let t: TestApp;
  let owner: TestSession;
  let editor: TestSession;
  let viewer: TestSession;
  let stranger: TestSession;
  let ws: string;
  let doc: string;

  const upload = (who: TestSession, documentId: string, bytes: Buffer, type = 'image/png') =>
    t.request('POST', `/api/v1/documents/${documentId}/images`, {
      token: who.token,
      body: bytes,
      headers: { 'content-type': type },
    });
  const get = (who: TestSession, url: string, headers: Record<string, string> = {}) =>
    t.request('GET', url, { token: who.token, headers });

  beforeAll(async () => {
    t = await startTestApp(backend, {
      IMAGE_MAX_BYTES: String(MAX_BYTES),
      IMAGE_WORKSPACE_MAX_BYTES: String(MAX_BYTES * 3),
      RATE_LIMIT_IMAGE_PER_MINUTE: '600',
    });
    [owner, editor, viewer, stranger] = await Promise.all([
      t.signUp('owner'),
      t.signUp('editor'),
      t.signUp('viewer'),
      t.signUp('stranger'),
    ]);
    ws = (await t.request('POST', '/api/v1/workspaces', { token: owner.token, body: { name: 'Pictures' } })).json().id;
    await Promise.all([t.addMember(owner, ws, editor, 'guest'), t.addMember(owner, ws, viewer, 'guest')]);
    doc = (
      await t.request('POST', `/api/v1/workspaces/${ws}/documents`, { token: owner.token, body: { title: 'Album' } })
    ).json().id;
    for (const [who, role] of [
      [editor, 'editor'],
      [viewer, 'viewer'],
    ] as const) {
      const res = await t.request('PUT', `/api/v1/documents/${doc}/shares/${who.userId}`, {
        token: owner.token,
        body: { role },
      });
      expect(res.statusCode).toBe(200);
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  it('[IM1] [IM4] an editor uploads; every reader fetches the same bytes with caching and safety headers', async () => {
    const bytes = png(40, 30);
    const res = await upload(editor, doc, bytes);
    expect(res.statusCode, res.body).toBe(201);
    const image = res.json();
    expect(image).toMatchObject({
      documentId: doc,
      contentType: 'image/png',
      size: bytes.length,
      width: 40,
      height: 30,
    });
    expect(image.url).toBe(`/api/v1/documents/${doc}/images/${image.id}`);
    expect(res.headers.location).toBe(image.url);

    for (const who of [owner, editor, viewer]) {
      const got = await get(who, image.url);
      expect(got.statusCode).toBe(200);
      expect(got.rawPayload.equals(bytes)).toBe(true);
      expect(got.headers['content-type']).toBe('image/png');
      expect(got.headers['cache-control']).toBe('private, max-age=31536000, immutable');
      expect(got.headers['x-content-type-options']).toBe('nosniff');
      expect(got.headers['content-security-policy']).toMatch(/default-src 'none'.*sandbox/);
      expect(got.headers.etag).toMatch(/^"[0-9a-f]{64}"$/);
      const again = await get(who, image.url, { 'if-none-match': String(got.headers.etag) });
      expect(again.statusCode).toBe(304);
      expect(again.rawPayload.length).toBe(0);
    }
    const list = await get(viewer, `/api/v1/documents/${doc}/images`);
    expect(list.json().items.map((i: { id: string }) => i.id)).toContain(image.id);
  });

  it('[IM1] a viewer cannot upload (403); a stranger neither uploads nor fetches (404, as for nothing)', async () => {
    const image = (await upload(owner, doc, png(2, 2, [1, 2, 3]))).json();
    const refused = await upload(viewer, doc, png(3, 3));
    expect(refused.statusCode).toBe(403);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((await upload(stranger, doc, png(3, 3))).statusCode).toBe(404);
    const hidden = await get(stranger, image.url);
    expect(hidden.statusCode).toBe(404);
    expect(hidden.headers['cache-control']).toBe('no-store');
    // An image id of another document is not found through this one.
    const other = (
      await t.request('POST', `/api/v1/workspaces/${ws}/documents`, { token: owner.token, body: { title: 'Other' } })
    ).json().id;
    expect((await get(owner, `/api/v1/documents/${other}/images/${image.id}`)).statusCode).toBe(404);
  });

  it('[IM2] PNG, JPEG, GIF and WebP pass, by their bytes whatever the Content-Type says', async () => {
    for (const [bytes, type] of [
      [JPEG_1X1, 'image/jpeg'],
      [GIF_1X1, 'image/gif'],
      [WEBP_1X1, 'image/webp'],
    ] as const) {
      const res = await upload(editor, doc, bytes, 'application/octet-stream');
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json()).toMatchObject({ contentType: type, width: 1, height: 1 });
    }
  });

  it('[IM2] SVG (with script), HTML, text and JSON are refused with 415 problem+json and store nothing', async () => {
    const count = async () =>
      Number(
        (
          await withImageTables(t.app.database.pool('api'))
            .selectFrom('document_images')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await count();
    for (const [body, type] of [
      [SVG_WITH_SCRIPT, 'image/png'],
      [SVG_WITH_SCRIPT, 'image/svg+xml'],
      [Buffer.from('<html><script>alert(1)</script></html>'), 'image/jpeg'],
      [Buffer.from('just words'), 'application/octet-stream'],
      [Buffer.from('{"a":1}'), 'application/json'],
    ] as const) {
      const res = await upload(editor, doc, body, type);
      expect(res.statusCode, `${type}: ${res.body}`).toBe(415);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json().detail).toEqual(expect.any(String));
    }
    expect(await count()).toBe(before);
  });

  it('[IM3] past IMAGE_MAX_BYTES is 413; the same bytes twice are one image; the workspace quota is 409', async () => {
    const big = png(200, 200, [10, 20, 30], 7);
    // A solid colour compresses well: grow it past the limit with noise.
    const noisy = Buffer.concat([big, Buffer.alloc(MAX_BYTES)]);
    const tooLarge = await upload(editor, doc, noisy);
    expect(tooLarge.statusCode).toBe(413);
    expect(tooLarge.headers['content-type']).toMatch(/^application\/problem\+json/);

    const bytes = png(5, 5, [9, 9, 9], 1);
    const first = await upload(editor, doc, bytes);
    const second = await upload(owner, doc, bytes);
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(200);
    expect(second.json().id).toBe(first.json().id);

    // The quota (3 × MAX_BYTES) counts every image of the workspace: fill it in a second document.
    const filler = (
      await t.request('POST', `/api/v1/workspaces/${ws}/documents`, { token: owner.token, body: { title: 'Filler' } })
    ).json().id;
    let status = 201;
    for (let i = 0; status === 201 && i < 20; i++) {
      // ~3 KiB of incompressible pixels each.
      const res = await upload(owner, filler, noisyPng(32, 32, i + 1));
      status = res.statusCode;
      if (status !== 201) {
        expect(status, res.body).toBe(409);
        expect(res.json().detail).toMatch(/workspace's images/);
      }
    }
    expect(status).toBe(409);
  });

  it("[IM6.2] a PDF export embeds the document's image, read from the file store by the export worker", async () => {
    const pdfDoc = (
      await t.request('POST', `/api/v1/workspaces/${ws}/documents`, { token: owner.token, body: { title: 'Printed' } })
    ).json().id;
    const image = (await upload(owner, pdfDoc, png(48, 36, [90, 30, 160]))).json();
    const content = {
      type: 'doc',
      content: [
        { type: 'paragraph', content: [{ type: 'text', text: 'Above the picture' }] },
        { type: 'image', attrs: { src: image.url, alt: 'Purple box' } },
      ],
    };
    await t.app.database
      .pool('api')
      .insertInto('document_updates')
      .values({ document_id: pdfDoc, update: Y.encodeStateAsUpdate(documentFromProsemirror(content)) })
      .execute();
    const job = await t.request('POST', `/api/v1/documents/${pdfDoc}/export`, {
      token: owner.token,
      body: { format: 'pdf' },
    });
    expect(job.statusCode, job.body).toBe(202);
    const deadline = Date.now() + 60_000;
    let status = 'queued';
    while (status !== 'succeeded' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await get(owner, `/api/v1/exports/${job.json().id}`)).json().status;
      expect(['queued', 'running', 'succeeded']).toContain(status);
    }
    const pdf = await get(owner, `/api/v1/exports/${job.json().id}/download`);
    expect(pdf.statusCode).toBe(200);
    const list = execFileSync('pdfimages', ['-list', '-'], { input: pdf.rawPayload }).toString('utf8');
    expect(list).toMatch(/\bimage\s+48\s+36\b/);
  });

  it('[IM5] deleting a document for good deletes its images: rows and stored files', async () => {
    const gone = (
      await t.request('POST', `/api/v1/workspaces/${ws}/documents`, { token: owner.token, body: { title: 'Gone' } })
    ).json().id;
    const image = (await upload(owner, gone, png(4, 4, [50, 60, 70]))).json();
    const db = withImageTables(t.app.database.pool('api'));
    expect((await t.request('DELETE', `/api/v1/documents/${gone}`, { token: owner.token })).statusCode).toBe(204);
    // In the trash: no uploads, no reads (410).
    expect((await upload(owner, gone, png(5, 4))).statusCode).toBe(410);
    expect((await get(owner, image.url)).statusCode).toBe(410);
    expect((await get(owner, `/api/v1/documents/${gone}/images`)).statusCode).toBe(410);
    expect((await t.request('DELETE', `/api/v1/trash/${gone}`, { token: owner.token })).statusCode).toBe(204);
    const purge = t.app.trashPurge;
    if (!purge) throw new Error('the test app runs the worker role');
    await purge.runOnce();
    expect(await db.selectFrom('document_images').select('id').where('id', '=', image.id).execute()).toEqual([]);
    expect(await t.app.metrics.registry.metrics()).toMatch(/image_files_deleted_total\{[^}]*\} [1-9]/);
  });
});

describe.each(backends)('image upload rate limit [$name]', (backend) => {
  let t: TestApp;
  afterAll(async () => {
    await t?.close();
  });

  it('[IM3] uploads past RATE_LIMIT_IMAGE_PER_MINUTE per user are 429 with Retry-After', async () => {
    t = await startTestApp(backend, { RATE_LIMIT_IMAGE_PER_MINUTE: '1', RATE_LIMIT_BURST_SECONDS: '0' });
    const owner = await t.signUp('owner');
    const ws = (await t.request('POST', '/api/v1/workspaces', { token: owner.token, body: { name: 'W' } })).json().id;
    const doc = (
      await t.request('POST', `/api/v1/workspaces/${ws}/documents`, { token: owner.token, body: { title: 'D' } })
    ).json().id;
    const statuses: number[] = [];
    let retryAfter: string | undefined;
    for (let i = 0; i < 3; i++) {
      const res = await t.request('POST', `/api/v1/documents/${doc}/images`, {
        token: owner.token,
        body: png(2, 2, [i, i, i], i),
        headers: { 'content-type': 'image/png' },
      });
      statuses.push(res.statusCode);
      if (res.statusCode === 429) retryAfter = String(res.headers['retry-after']);
    }
    expect(statuses[0]).toBe(201);
    expect(statuses).toContain(429);
    expect(Number(retryAfter)).toBeGreaterThan(0);
  });
});
