/**
 * Export jobs end to end on every backend, with the worker running in the test app: 202 +
 * Location, status transitions, the files themselves, the pinned version, quotas, authorization,
 * the dead-letter queue, signed webhooks and retention. Rules: docs/spec/export.md.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type OutgoingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { LocalDirectoryStorage } from '../src/adapters/storage/local.ts';
import { ExpiryCleaner } from '../src/export/cleanup.ts';
import { JobQueue } from '../src/export/job-queue.ts';
import { withExportTables } from '../src/export/job-schema.ts';
import { DELIVERY_HEADER, SIGNATURE_HEADER, verifyWebhookSignature } from '../src/export/webhook.ts';
import { backends } from './support/backends.ts';
import { SyncPeer } from './support/sync-peer.ts';
import { startTestApp, type TestApp, type TestSession } from './support/test-app.ts';

const API = '/api/v1';
const FREE_QUOTA = 3;
const WAIT_MS = 15_000;

type Received = { headers: IncomingHttpHeaders; body: string };

/** A webhook receiver on 127.0.0.1 that answers with the given statuses in turn (then 200). */
async function startReceiver(statuses: number[] = []): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.statusCode = statuses[received.length - 1] ?? 200;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/hooks/export`, received, server };
}

async function until<T>(
  read: () => Promise<T>,
  done: (v: T) => boolean,
  what: string,
  timeoutMs = WAIT_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A ProseMirror-shaped Y.Doc update: a heading and paragraphs, as the editor writes them. */
function documentUpdate(heading: string, paragraphs: string[]): Uint8Array {
  const doc = new Y.Doc();
  const frag = doc.getXmlFragment('default');
  const h = new Y.XmlElement('heading');
  h.setAttribute('level', 1 as unknown as string);
  h.insert(0, [new Y.XmlText(heading)]);
  const ps = paragraphs.map((text) => {
    const p = new Y.XmlElement('paragraph');
    p.insert(0, [new Y.XmlText(text)]);
    return p;
  });
  frag.insert(0, [h, ...ps]);
  return Y.encodeStateAsUpdate(doc);
}

describe.each(backends)('export jobs [$name]', (backend) => {
  let t: TestApp;
  let base: string;
  let storageDir: string;
  let owner: TestSession;
  let viewer: TestSession;
  let outsider: TestSession;
  let member: TestSession;
  let workspaceId: string;
  const peers: SyncPeer[] = [];

  beforeAll(async () => {
    storageDir = mkdtempSync(join(tmpdir(), 'collab-docs-exports-'));
    t = await startTestApp(backend, {
      PORT: '0',
      HOST: '127.0.0.1',
      EXPORT_STORAGE_DIR: storageDir,
      EXPORT_POLL_INTERVAL_MS: '25',
      EXPORT_BACKOFF_BASE_MS: '25',
      EXPORT_LEASE_MS: '5000',
      EXPORT_WEBHOOK_ALLOW_PRIVATE: 'true',
      EXPORT_WEBHOOK_TIMEOUT_MS: '2000',
      EXPORT_QUOTA_FREE: String(FREE_QUOTA),
      EXPORT_WORKSPACE_RUNNING_MAX: '4',
      EXPORT_WORKER_CONCURRENCY: '4',
      DB_POOL_WORKER_MAX: '2',
    });
    base = await t.app.listen();
    [owner, viewer, outsider, member] = await Promise.all([
      t.signUp('owner'),
      t.signUp('viewer'),
      t.signUp('outsider'),
      t.signUp('member'),
    ]);
    // Enterprise: unlimited exports, so only the quota test's own workspace meets the quota.
    const ws = await t.request('POST', `${API}/workspaces`, { token: owner.token, body: { name: 'Exports' } });
    workspaceId = ws.json().id;
    await t.setPlan(workspaceId, 'enterprise');
    await t.addMember(owner, workspaceId, member, 'member');
  });
  afterAll(async () => {
    for (const p of peers) p.close();
    await t?.close();
    rmSync(storageDir, { recursive: true, force: true });
  });

  const createDoc = async (title = 'Quarterly plan', inWorkspace = workspaceId): Promise<string> => {
    const res = await t.request('POST', `${API}/workspaces/${inWorkspace}/documents`, {
      token: owner.token,
      body: { title },
    });
    expect(res.statusCode).toBe(201);
    return res.json().id;
  };

  /** Writes the document through the sync path (what SAVED acknowledges is stored). */
  const writeThroughSync = async (documentId: string, update: Uint8Array): Promise<void> => {
    const p = await SyncPeer.connect(base, documentId, owner.token);
    peers.push(p);
    await p.untilSynced();
    Y.applyUpdate(p.doc, update);
    await p.untilSaved();
    p.close();
  };

  const requestExport = (documentId: string, body: Record<string, unknown>, who = owner) =>
    t.request('POST', `${API}/documents/${documentId}/export`, { token: who.token, body });

  const status = (jobId: string, who = owner) => t.request('GET', `${API}/exports/${jobId}`, { token: who.token });

  const finished = (jobId: string, statuses = ['succeeded', 'failed', 'dead']) =>
    until(
      async () => (await status(jobId)).json(),
      (b) => statuses.includes(b.status),
      `export ${jobId} to reach ${statuses.join('/')}`,
    );

  /** Jobs requested while the worker is stopped stay queued until it starts again. */
  const withWorkerStopped = async <T>(fn: () => Promise<T>): Promise<T> => {
    const worker = t.app.exportWorker;
    if (!worker) throw new Error('the test app runs no export worker');
    await worker.stop(5_000);
    try {
      return await fn();
    } finally {
      worker.start();
    }
  };

  it('[E1.1] [E5.1] answers 202 with the job and its Location, then the job runs to succeeded with a download URL', async () => {
    const id = await createDoc();
    await writeThroughSync(id, documentUpdate('Plan', ['First paragraph']));
    const res = await requestExport(id, { format: 'markdown' });
    expect(res.statusCode, res.body).toBe(202);
    const job = res.json();
    expect(res.headers.location).toBe(`${API}/exports/${job.id}`);
    expect(job).toMatchObject({ documentId: id, workspaceId, format: 'markdown', status: 'queued', attempts: 0 });
    expect(job.error).toBeNull();
    expect(job.finishedAt).toBeNull();
    const done = await finished(job.id);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 1, error: null });
    expect(done.downloadUrl).toBe(`${API}/exports/${job.id}/download`);
    expect(Date.parse(done.finishedAt)).toBeGreaterThanOrEqual(Date.parse(done.createdAt));
    expect(Date.parse(done.expiresAt)).toBeGreaterThan(Date.now());
  });

  it('[E5.2] serves each format as a real file: %PDF, a DOCX zip (PK), and Markdown/HTML with the content', async () => {
    const id = await createDoc('Rapport été');
    await writeThroughSync(id, documentUpdate('Résumé', ['Alpha line', 'Beta line']));
    const jobs = await Promise.all(
      (['pdf', 'docx', 'markdown', 'html'] as const).map(async (format) => {
        const res = await requestExport(id, { format });
        expect(res.statusCode, res.body).toBe(202);
        return { format, id: res.json().id as string };
      }),
    );
    const files: Record<string, { body: Buffer; headers: OutgoingHttpHeaders }> = {};
    for (const j of jobs) {
      expect((await finished(j.id)).status).toBe('succeeded');
      const dl = await t.request('GET', `${API}/exports/${j.id}/download`, { token: owner.token });
      expect(dl.statusCode, dl.body).toBe(200);
      files[j.format] = { body: dl.rawPayload, headers: dl.headers };
    }
    expect(files.pdf?.body.subarray(0, 4).toString('latin1')).toBe('%PDF');
    expect(files.pdf?.headers['content-type']).toBe('application/pdf');
    expect(files.docx?.body.subarray(0, 2).toString('latin1')).toBe('PK');
    expect(files.docx?.headers['content-type']).toMatch(/wordprocessingml/);
    const md = files.markdown?.body.toString('utf8') ?? '';
    expect(md).toContain('Résumé');
    expect(md).toContain('Alpha line');
    expect(files.markdown?.headers['content-type']).toMatch(/^text\/markdown/);
    const html = files.html?.body.toString('utf8') ?? '';
    expect(html).toContain('Beta line');
    expect(files.html?.headers['content-type']).toMatch(/^text\/html/);
    // RFC 6266 / 5987: an ASCII fallback and the real name, percent-encoded UTF-8.
    expect(files.pdf?.headers['content-disposition']).toBe(
      `attachment; filename="Rapport _t_.pdf"; filename*=UTF-8''Rapport%20%C3%A9t%C3%A9.pdf`,
    );
    expect(files.markdown?.headers['content-disposition']).toContain('.md');
    expect(Number(files.pdf?.headers['content-length'])).toBe(files.pdf?.body.length);
  });

  it('[E2.1] exports the version pinned at request time: edits saved after the 202 are not in the file', async () => {
    const id = await createDoc('Pinned');
    await writeThroughSync(id, documentUpdate('Pinned heading', ['before the request']));
    const jobId = await withWorkerStopped(async () => {
      const res = await requestExport(id, { format: 'markdown' });
      expect(res.statusCode).toBe(202);
      // Saved and acknowledged after the request, while the job waits in the queue.
      const p = await SyncPeer.connect(base, id, owner.token);
      peers.push(p);
      await p.untilSynced();
      const para = new Y.XmlElement('paragraph');
      para.insert(0, [new Y.XmlText('written after the request')]);
      p.doc.getXmlFragment('default').push([para]);
      await p.untilSaved();
      p.close();
      return res.json().id as string;
    });
    expect((await finished(jobId)).status).toBe('succeeded');
    const md = (await t.request('GET', `${API}/exports/${jobId}/download`, { token: owner.token })).body;
    expect(md).toContain('before the request');
    expect(md).not.toContain('written after the request');
    const later = await requestExport(id, { format: 'markdown' });
    expect((await finished(later.json().id)).status).toBe('succeeded');
    const md2 = (await t.request('GET', `${API}/exports/${later.json().id}/download`, { token: owner.token })).body;
    expect(md2).toContain('written after the request');
  });

  it('[E2.1] a document never edited exports as an empty document, not an error', async () => {
    const id = await createDoc('Empty');
    const res = await requestExport(id, { format: 'html' });
    expect((await finished(res.json().id)).status).toBe('succeeded');
  });

  it('[E1.2] [E5.1] only readers may export or see a job; revoking the share hides it on the next request', async () => {
    const id = await createDoc('Shared');
    expect((await requestExport(id, { format: 'markdown' }, outsider)).statusCode).toBe(404);
    await t.request('PUT', `${API}/documents/${id}/shares/${viewer.userId}`, {
      token: owner.token,
      body: { role: 'viewer' },
    });
    const res = await requestExport(id, { format: 'markdown' }, viewer);
    expect(res.statusCode).toBe(202);
    const jobId = res.json().id;
    await finished(jobId);
    expect((await status(jobId, viewer)).statusCode).toBe(200);
    expect((await status(jobId, outsider)).statusCode).toBe(404);
    expect((await t.request('GET', `${API}/exports/${jobId}/download`, { token: outsider.token })).statusCode).toBe(
      404,
    );
    await t.request('DELETE', `${API}/documents/${id}/shares/${viewer.userId}`, { token: owner.token });
    const hidden = await status(jobId, viewer);
    expect(hidden.statusCode).toBe(404);
    expect(hidden.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((await t.request('GET', `${API}/exports/${jobId}/download`, { token: viewer.token })).statusCode).toBe(404);
  });

  it('[E1.3] refuses an unknown format (400 /format), a missing document (404) and bad webhook URLs (400 /webhookUrl)', async () => {
    const id = await createDoc();
    const bad = await requestExport(id, { format: 'odt' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors.map((e: { field: string }) => e.field)).toContain('/format');
    expect((await requestExport('0190a8f4-9d1c-7c3e-8a5b-2f1e3d4c5b6a', { format: 'pdf' })).statusCode).toBe(404);
    for (const webhookUrl of ['ftp://example.com/x', 'not a url', 'https://user:pw@example.com/hook']) {
      const res = await requestExport(id, { format: 'pdf', webhookUrl });
      expect(res.statusCode, webhookUrl).toBe(400);
      expect(res.json().errors.map((e: { field: string }) => e.field)).toContain('/webhookUrl');
    }
  });

  it('[E4.4] a document deleted for good while its export waits ends the job failed with a clear error, once', async () => {
    const id = await createDoc('Doomed');
    const jobId = await withWorkerStopped(async () => {
      const res = await requestExport(id, { format: 'pdf' });
      expect(res.statusCode).toBe(202);
      expect((await t.request('DELETE', `${API}/documents/${id}`, { token: owner.token })).statusCode).toBe(204);
      expect((await t.request('DELETE', `${API}/trash/${id}`, { token: owner.token })).statusCode).toBe(204);
      return res.json().id as string;
    });
    const done = await finished(jobId);
    expect(done.status).toBe('failed');
    expect(done.attempts).toBe(1);
    expect(done.error).toMatch(/document was deleted/);
    // The requester still sees why; nobody else sees the job of a deleted document.
    expect((await status(jobId, member)).statusCode).toBe(404);
  });

  it('[E4.4] [E8.1] [E8.2] a document too large to render is dead-lettered at once; admins list and retry it', async () => {
    const id = await createDoc('Huge');
    // Stored state written directly (the REST/stored path): one paragraph over the renderers' text limit.
    const doc = new Y.Doc();
    const p = new Y.XmlElement('paragraph');
    p.insert(0, [new Y.XmlText('x'.repeat(4_100_000))]);
    doc.getXmlFragment('default').insert(0, [p]);
    await t.app.database
      .pool('api')
      .updateTable('documents')
      .set({ state: Y.encodeStateAsUpdate(doc) })
      .where('id', '=', id)
      .execute();
    const res = await requestExport(id, { format: 'docx' });
    const dead = await finished(res.json().id);
    expect(dead.status).toBe('dead');
    expect(dead.attempts).toBe(1);
    expect(dead.error).toMatch(/\S/);

    const list = await t.request('GET', `${API}/admin/exports/dead?workspaceId=${workspaceId}`, { token: owner.token });
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((j: { id: string }) => j.id)).toContain(dead.id);
    expect(
      (await t.request('GET', `${API}/admin/exports/dead?workspaceId=${workspaceId}`, { token: member.token }))
        .statusCode,
    ).toBe(403);
    expect(
      (await t.request('GET', `${API}/admin/exports/dead?workspaceId=${workspaceId}`, { token: outsider.token }))
        .statusCode,
    ).toBe(404);
    expect((await t.request('POST', `${API}/admin/exports/${dead.id}/retry`, { token: member.token })).statusCode).toBe(
      403,
    );

    const retried = await t.request('POST', `${API}/admin/exports/${dead.id}/retry`, { token: owner.token });
    expect(retried.statusCode, retried.body).toBe(202);
    expect(retried.headers.location).toBe(`${API}/exports/${dead.id}`);
    expect(retried.json()).toMatchObject({ status: 'queued', attempts: 0 });
    // The pinned version is kept for the retry, so it fails the same way, with fresh attempts.
    const again = await finished(dead.id);
    expect(again).toMatchObject({ status: 'dead', attempts: 1 });
    const notDead = await requestExport(await createDoc('Small'), { format: 'markdown' });
    await finished(notDead.json().id);
    expect(
      (await t.request('POST', `${API}/admin/exports/${notDead.json().id}/retry`, { token: owner.token })).statusCode,
    ).toBe(409);
    const metrics = (await t.request('GET', '/metrics')).body;
    expect(metrics).toMatch(/^export_jobs_dead_lettered_total\{reason="permanent_error"[^}]*\} [2-9]/m);
  });

  it('[E3.1] [E3.2] over the monthly quota → 429 problem+json with Retry-After until the month resets; nothing is queued', async () => {
    const ws = (await t.request('POST', `${API}/workspaces`, { token: owner.token, body: { name: 'Free' } })).json().id;
    const id = await createDoc('Quota', ws);
    for (let i = 0; i < FREE_QUOTA; i++) expect((await requestExport(id, { format: 'markdown' })).statusCode).toBe(202);
    const before = await t.app.database
      .pool('api')
      .withTables<{ export_jobs: { workspace_id: string } }>()
      .selectFrom('export_jobs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('workspace_id', '=', ws)
      .executeTakeFirstOrThrow();
    const res = await requestExport(id, { format: 'markdown' });
    expect(res.statusCode).toBe(429);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const now = new Date();
    const reset = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
    const retryAfter = Number(res.headers['retry-after']);
    expect(Math.abs(retryAfter - (reset.getTime() - now.getTime()) / 1000)).toBeLessThan(60);
    expect(res.json().detail).toContain(reset.toISOString());
    expect(res.json().detail).toMatch(/free plan allows 3 exports/);
    const after = await t.app.database
      .pool('api')
      .withTables<{ export_jobs: { workspace_id: string } }>()
      .selectFrom('export_jobs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('workspace_id', '=', ws)
      .executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
    expect((await t.request('GET', '/metrics')).body).toMatch(/^export_quota_rejections_total\{plan="free"[^}]*\} 1/m);
  });

  it('[E7.1] [E7.2] POSTs one signed webhook per outcome, retried after a failure, recorded as delivered', async () => {
    const receiver = await startReceiver([500]);
    try {
      const id = await createDoc('Hooked');
      const res = await requestExport(id, { format: 'html', webhookUrl: receiver.url });
      expect(res.statusCode).toBe(202);
      const { id: jobId, webhookSecret } = res.json();
      expect(webhookSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      await finished(jobId);
      await until(
        async () => receiver.received.length,
        (n) => n >= 2,
        'the webhook to be retried after the 500',
      );
      const db = withExportTables(t.app.database.pool('api'));
      await until(
        async () =>
          (await db.selectFrom('export_jobs').select('webhook_state').where('id', '=', jobId).executeTakeFirstOrThrow())
            .webhook_state,
        (s) => s === 'delivered',
        'delivery to be recorded',
      );
      // Several more polls: nothing else is sent once delivered.
      await new Promise((r) => setTimeout(r, 300));
      expect(receiver.received).toHaveLength(2);
      const [first, second] = receiver.received as [Received, Received];
      expect(first.headers[DELIVERY_HEADER]).toBe(`${jobId}.1`);
      expect(second.headers[DELIVERY_HEADER]).toBe(`${jobId}.1`);
      const header = second.headers[SIGNATURE_HEADER] as string;
      expect(verifyWebhookSignature(webhookSecret, header, second.body)).toBe(true);
      expect(verifyWebhookSignature(webhookSecret, header, `${second.body} `)).toBe(false);
      expect(verifyWebhookSignature('another secret', header, second.body)).toBe(false);
      // Replay protection: the signed timestamp is too old ten minutes later.
      expect(
        verifyWebhookSignature(webhookSecret, header, second.body, { nowSeconds: Math.floor(Date.now() / 1000) + 600 }),
      ).toBe(false);
      const payload = JSON.parse(second.body);
      expect(payload).toMatchObject({
        id: `${jobId}.1`,
        type: 'export.succeeded',
        data: { id: jobId, documentId: id, status: 'succeeded', format: 'html' },
      });
      expect(payload.data.downloadUrl).toMatch(new RegExp(`/api/v1/exports/${jobId}/download$`));
    } finally {
      receiver.server.close();
    }
  });

  it('[E6.1] expired files are deleted by the cleanup and their download answers 410', async () => {
    const id = await createDoc('Short-lived');
    const res = await requestExport(id, { format: 'markdown' });
    const jobId = res.json().id;
    expect((await finished(jobId)).status).toBe('succeeded');
    expect(readdirSync(storageDir).some((f) => f.startsWith(jobId))).toBe(true);
    const db = withExportTables(t.app.database.pool('api'));
    // Its retention time has passed.
    await db
      .updateTable('export_jobs')
      .set({ result_expires_at: sql<Date>`now() - interval '1 second'` })
      .where('id', '=', jobId)
      .execute();
    const gone = await t.request('GET', `${API}/exports/${jobId}/download`, { token: owner.token });
    expect(gone.statusCode).toBe(410);
    const cleaner = new ExpiryCleaner(
      db,
      new LocalDirectoryStorage(storageDir),
      { logger: t.app.logger, onExpired: () => undefined },
      { retentionMs: 60_000 },
    );
    expect(await cleaner.runOnce()).toBeGreaterThanOrEqual(1);
    expect(readdirSync(storageDir).some((f) => f.startsWith(jobId))).toBe(false);
    expect((await t.request('GET', `${API}/exports/${jobId}/download`, { token: owner.token })).statusCode).toBe(410);
    const view = (await status(jobId)).json();
    expect(view.status).toBe('succeeded');
    expect(view.downloadUrl).toBeUndefined();
    // Long after that, the job itself is forgotten.
    await db
      .updateTable('export_jobs')
      .set({ finished_at: sql<Date>`now() - interval '31 days' - interval '1 minute'` })
      .where('id', '=', jobId)
      .execute();
    await cleaner.runOnce();
    expect((await status(jobId)).statusCode).toBe(404);
  });

  it('[E5.2] download before the job succeeded → 409', async () => {
    const id = await createDoc('Waiting');
    await withWorkerStopped(async () => {
      const res = await requestExport(id, { format: 'pdf' });
      const dl = await t.request('GET', `${API}/exports/${res.json().id}/download`, { token: owner.token });
      expect(dl.statusCode).toBe(409);
      expect(dl.json().detail).toMatch(/queued/);
    });
  });

  it('[E4.2] [E4.5] claims are fenced by lease and attempt, and one workspace never runs more than its cap', async () => {
    const queue = (name: string) => new JobQueue(withExportTables(t.app.database.pool('worker')), name);
    const wsA = (await t.request('POST', `${API}/workspaces`, { token: owner.token, body: { name: 'A' } })).json().id;
    const wsB = (await t.request('POST', `${API}/workspaces`, { token: owner.token, body: { name: 'B' } })).json().id;
    await Promise.all([t.setPlan(wsA, 'enterprise'), t.setPlan(wsB, 'enterprise')]);
    await withWorkerStopped(async () => {
      const [a, b] = [await createDoc('A', wsA), await createDoc('B', wsB)];
      const jobsA = [];
      for (let i = 0; i < 3; i++) jobsA.push((await requestExport(a, { format: 'markdown' })).json().id);
      const jobB = (await requestExport(b, { format: 'markdown' })).json().id;
      // Long enough that the cap holds on a loaded machine, short enough to wait out below.
      const opts = { leaseMs: 1_500, maxAttempts: 4, perWorkspaceRunningMax: 1 };
      const w1 = queue('test-w1');
      const w2 = queue('test-w2');
      // Other workspaces' jobs may be queued too; take only ours into account.
      const ours = new Set([...jobsA, jobB]);
      const claimedA = [];
      let claimedB = null;
      for (let i = 0; i < 20 && (claimedA.length === 0 || !claimedB); i++) {
        const j = await w1.claim(opts);
        if (!j) break;
        if (!ours.has(j.id)) continue;
        if (j.workspaceId === wsA) claimedA.push(j);
        else claimedB = j;
      }
      expect(claimedA).toHaveLength(1);
      expect(claimedB?.id).toBe(jobB);
      // Workspace A is at its cap of 1: its other jobs wait.
      for (let i = 0; i < 10; i++) {
        const j = await w2.claim(opts);
        if (!j) break;
        expect(j.workspaceId).not.toBe(wsA);
      }
      // w1 stops renewing; after the lease, w2 takes A's job over as attempt 2 and w1's writes are refused.
      const stale = claimedA[0]!;
      await new Promise((r) => setTimeout(r, 1_600));
      let taken = null;
      for (let i = 0; i < 20 && !taken; i++) {
        const j = await w2.claim(opts);
        if (!j) break;
        if (j.id === stale.id) taken = j;
      }
      expect(taken?.attempt).toBe(stale.attempt + 1);
      expect(await w1.renew(stale, 1000)).toBe(false);
      expect(await w1.succeed(stale, { key: `${stale.id}-1.md`, contentType: 'text/markdown', bytes: 1 }, 1000)).toBe(
        false,
      );
      expect(await w2.release(taken!)).toBe(true);
      expect(await w1.release(claimedB!)).toBe(true);
    });
    // Released jobs go back to the queue and the running worker finishes them.
    const db = withExportTables(t.app.database.pool('api'));
    await until(
      async () => db.selectFrom('export_jobs').select('status').where('workspace_id', 'in', [wsA, wsB]).execute(),
      (rows) => rows.every((r) => r.status === 'succeeded'),
      'every job of A and B to succeed',
    );
  });

  it('[E4.3] a job whose worker died during its last allowed attempt is dead-lettered, not run again', async () => {
    const id = await createDoc('Abandoned');
    const jobId = await withWorkerStopped(async () => {
      const requested = (await requestExport(id, { format: 'markdown' })).json().id as string;
      const q = new JobQueue(withExportTables(t.app.database.pool('worker')), 'test-dying-worker');
      const opts = { leaseMs: 50, maxAttempts: 1, perWorkspaceRunningMax: 10 };
      let mine = null;
      for (let i = 0; i < 50 && !mine; i++) {
        const j = await q.claim(opts);
        if (!j) break;
        if (j.id === requested) mine = j;
        else await q.release(j);
      }
      expect(mine?.id).toBe(requested);
      // This worker "dies": no renewal, no result. Its lease runs out.
      await new Promise((r) => setTimeout(r, 150));
      const again = await q.claim(opts);
      expect(again?.id).not.toBe(requested);
      if (again) await q.release(again);
      expect(await q.reapAbandoned(opts.maxAttempts)).toContain(requested);
      return requested;
    });
    const dead = (await status(jobId)).json();
    expect(dead).toMatchObject({ status: 'dead', attempts: 1 });
    expect(dead.error).toMatch(/stopped responding/);
  });

  it('[E9.1] exports its metrics: queue depth for the autoscaler, outcomes, attempt durations, webhooks', async () => {
    const body = (await t.request('GET', '/metrics')).body;
    expect(body).toMatch(/^export_jobs_queued(\{[^}]*\})? \d+/m);
    expect(body).toMatch(/^export_jobs_running(\{[^}]*\})? \d+/m);
    expect(body).toMatch(/^export_jobs_requested_total\{format="markdown"[^}]*\} \d+/m);
    expect(body).toMatch(/^export_job_attempts_total\{outcome="succeeded",format="pdf"[^}]*\} \d+/m);
    expect(body).toMatch(/^export_attempt_duration_seconds_bucket\{/m);
    expect(body).toMatch(/^export_webhook_deliveries_total\{result="delivered"[^}]*\} [1-9]/m);
    expect(body).toMatch(/^export_worker_jobs_in_flight(\{[^}]*\})? \d+/m);
  });
});

/**
 * Retries through the external renderer (a third party, so a real HTTP server on 127.0.0.1 that
 * answers from a script): failures are retried with backoff until an attempt succeeds, or the
 * job is dead-lettered once the attempts are used up.
 */
describe.each(backends)('export retries through the external renderer [$name]', (backend) => {
  let t: TestApp;
  let service: Server;
  let storageDir: string;
  let owner: TestSession;
  let workspaceId: string;
  /** Statuses the service answers in turn; 200 (a PDF) once the script runs out. */
  let script: number[] = [];
  let calls = 0;

  beforeAll(async () => {
    service = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const status = script[calls++] ?? 200;
        // -1: never answer (a hung service); the connection closes when the caller gives up.
        if (status === -1) return;
        res.statusCode = status;
        if (status === 200) {
          res.setHeader('content-type', 'application/pdf');
          res.end('%PDF-1.4\n% from the external service\n%%EOF\n');
        } else res.end('internal error');
      });
    });
    await new Promise<void>((r) => service.listen(0, '127.0.0.1', r));
    storageDir = mkdtempSync(join(tmpdir(), 'collab-docs-exports-'));
    t = await startTestApp(backend, {
      EXPORT_STORAGE_DIR: storageDir,
      EXPORT_EXTERNAL_RENDERER_URL: `http://127.0.0.1:${(service.address() as { port: number }).port}`,
      EXPORT_POLL_INTERVAL_MS: '25',
      EXPORT_BACKOFF_BASE_MS: '20',
      EXPORT_MAX_RETRIES: '3',
      // These tests script the service's answers to check retries; the breaker has its own tests
      // (src/export/external-renderer.test.ts, test/export-faults.integration.test.ts).
      EXPORT_BREAKER_MIN_CALLS: '1000',
      // The bulkhead under test: one worker connection, four renders at once.
      DB_POOL_WORKER_MAX: '1',
      EXPORT_WORKER_CONCURRENCY: '4',
      EXPORT_WORKSPACE_RUNNING_MAX: '4',
    });
    owner = await t.signUp('owner');
    workspaceId = (
      await t.request('POST', `${API}/workspaces`, { token: owner.token, body: { name: 'Retries' } })
    ).json().id;
    await t.setPlan(workspaceId, 'business');
  });
  afterAll(async () => {
    await t?.close();
    service?.closeAllConnections();
    service?.close();
    rmSync(storageDir, { recursive: true, force: true });
  });

  const exportPdf = async (): Promise<string> => {
    const doc = await t.request('POST', `${API}/workspaces/${workspaceId}/documents`, {
      token: owner.token,
      body: { title: 'Retried' },
    });
    const res = await t.request('POST', `${API}/documents/${doc.json().id}/export`, {
      token: owner.token,
      body: { format: 'pdf' },
    });
    expect(res.statusCode).toBe(202);
    return res.json().id;
  };
  const finalState = (jobId: string) =>
    until(
      async () => (await t.request('GET', `${API}/exports/${jobId}`, { token: owner.token })).json(),
      (b) => ['succeeded', 'failed', 'dead'].includes(b.status),
      `export ${jobId} to finish`,
    );

  it('[E4.3] two failed attempts are retried and the third succeeds with the service’s PDF', async () => {
    script = [500, 500];
    calls = 0;
    const jobId = await exportPdf();
    const done = await finalState(jobId);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 3, error: null });
    expect(calls).toBe(3);
    const file = await t.request('GET', `${API}/exports/${jobId}/download`, { token: owner.token });
    expect(file.body).toContain('from the external service');
  });

  it('[E4.6] stopping the worker hands a running job back (attempt not counted); a worker started later finishes it', async () => {
    script = [-1];
    calls = 0;
    const jobId = await exportPdf();
    const read = async () => (await t.request('GET', `${API}/exports/${jobId}`, { token: owner.token })).json();
    await until(read, (b) => b.status === 'running' && calls === 1, 'the job to be running against the hung service');
    const worker = t.app.exportWorker;
    if (!worker) throw new Error('no export worker');
    await worker.stop(0);
    expect(await read()).toMatchObject({ status: 'queued', attempts: 0 });
    worker.start();
    const done = await finalState(jobId);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect((await t.request('GET', '/metrics')).body).toMatch(
      /^export_job_attempts_total\{outcome="released",format="pdf"[^}]*\} 1$/m,
    );
  });

  it('[E4.1] four renders hang at once on a one-connection worker pool: none holds it, and API writes go on', async () => {
    script = [-1, -1, -1, -1];
    calls = 0;
    const jobIds = await Promise.all([exportPdf(), exportPdf(), exportPdf(), exportPdf()]);
    const read = async () =>
      Promise.all(
        jobIds.map(async (id) => (await t.request('GET', `${API}/exports/${id}`, { token: owner.token })).json()),
      );
    // Had a render kept its connection, the second claim could not have happened.
    await until(read, (jobs) => jobs.every((j) => j.status === 'running') && calls === 4, 'four hung renders');
    const doc = await t.request('POST', `${API}/workspaces/${workspaceId}/documents`, {
      token: owner.token,
      body: { title: 'written while exports hang' },
    });
    expect(doc.statusCode).toBe(201);
    expect((await t.request('GET', `${API}/exports/${jobIds[0]}`, { token: owner.token })).json().status).toBe(
      'running',
    );
    const worker = t.app.exportWorker;
    if (!worker) throw new Error('no export worker');
    await worker.stop(0);
    worker.start();
    for (const id of jobIds) expect(await finalState(id)).toMatchObject({ status: 'succeeded', attempts: 1 });
  });

  it('[E4.3] when every attempt fails the job is dead after 1 + EXPORT_MAX_RETRIES attempts, with the last error and a metric', async () => {
    script = Array(20).fill(500);
    calls = 0;
    const jobId = await exportPdf();
    const dead = await finalState(jobId);
    expect(dead.status).toBe('dead');
    expect(dead.attempts).toBe(4);
    expect(dead.error).toMatch(/gave up after 4 attempts/);
    // Failures were counted by the breaker too: at most one call per attempt reached the service.
    expect(calls).toBeLessThanOrEqual(4);
    const list = await t.request('GET', `${API}/admin/exports/dead?workspaceId=${workspaceId}`, { token: owner.token });
    expect(list.json().items.map((j: { id: string }) => j.id)).toEqual([jobId]);
    const metrics = (await t.request('GET', '/metrics')).body;
    expect(metrics).toMatch(/^export_jobs_dead_lettered_total\{reason="retries_exhausted"[^}]*\} 1$/m);
    expect(metrics).toMatch(/^export_job_attempts_total\{outcome="retry",format="pdf"[^}]*\} [3-9]/m);
    expect(metrics).toMatch(/^export_renderer_breaker_state(\{[^}]*\})? [0-2]$/m);
  });
});
