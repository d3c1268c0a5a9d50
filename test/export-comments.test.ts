/**
 * Comments in exports end to end on every backend (docs/spec/export.md [E10]): threads made
 * through the API on text a real sync client wrote, exported by the app's worker as DOCX (Word
 * comments, read back from the file) and PDF (pdftotext), the threads pinned at request time,
 * resolved ones only on request, and the permission rule: people who may not read the comments
 * get a 403, not a file without them.
 */
import { execFileSync } from 'node:child_process';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { type Anchor, anchorInType } from '../src/content/comment-anchors.ts';
import { COMMENT_MAX_LENGTH } from '../src/domain/comment-limits.ts';
import { EXPORT_COMMENT_CHARS_MAX } from '../src/domain/export-policy.ts';
import { readZip } from '../src/export/render/test-support/zip-reader.ts';
import { backends } from './support/backends.ts';
import { SyncPeer } from './support/sync-peer.ts';
import { startTestApp, type TestApp, type TestSession } from './support/test-app.ts';

const API = '/api/v1';
const TEXT = 'The quarterly plan needs a budget review before Friday';
const WAIT_MS = 30_000;

type Cast = Record<'owner' | 'commenter' | 'viewer', TestSession>;

describe.each(backends)('comments in exports [$name]', (backend) => {
  let t: TestApp;
  let base: string;
  let cast: Cast;
  let workspaceId: string;
  const peers: SyncPeer[] = [];

  beforeAll(async () => {
    t = await startTestApp(backend, {
      PORT: '0',
      HOST: '127.0.0.1',
      EXPORT_POLL_INTERVAL_MS: '25',
      EXPORT_WORKER_CONCURRENCY: '2',
    });
    base = await t.app.listen();
    const names = ['owner', 'commenter', 'viewer'] as const;
    const sessions = await Promise.all(names.map((n) => t.signUp(n)));
    cast = Object.fromEntries(names.map((n, i) => [n, sessions[i]])) as Cast;
    workspaceId = (
      await t.request('POST', `${API}/workspaces`, { token: cast.owner.token, body: { name: 'Ex' } })
    ).json().id;
    await t.setPlan(workspaceId, 'enterprise');
    await t.addMember(cast.owner, workspaceId, cast.commenter, 'guest');
    await t.addMember(cast.owner, workspaceId, cast.viewer, 'guest');
  }, 180_000);
  afterAll(async () => {
    for (const p of peers) p.close();
    await t?.close();
  });

  const api = (who: TestSession, method: 'GET' | 'POST' | 'PATCH' | 'PUT', url: string, body?: unknown) =>
    t.request(method, `${API}${url}`, { token: who.token, body });

  /** A document holding TEXT written by the owner's sync client, shared with the commenter and the viewer. */
  async function documentWithText(): Promise<{ id: string; text: Y.XmlText }> {
    const id = (await api(cast.owner, 'POST', `/workspaces/${workspaceId}/documents`, { title: 'Plan' })).json().id;
    for (const role of ['commenter', 'viewer'] as const) {
      const shared = await api(cast.owner, 'PUT', `/documents/${id}/shares/${cast[role].userId}`, { role });
      expect(shared.statusCode).toBe(200);
    }
    const peer = await SyncPeer.connect(base, id, cast.owner.token);
    peers.push(peer);
    await peer.untilSynced();
    const p = new Y.XmlElement('paragraph');
    const text = new Y.XmlText(TEXT);
    p.insert(0, [text]);
    peer.doc.getXmlFragment('default').insert(0, [p]);
    await peer.untilSaved();
    return { id, text };
  }

  const rangeOf = (text: Y.XmlText, word: string): Anchor => {
    const from = TEXT.indexOf(word);
    return anchorInType(text, from, from + word.length);
  };

  async function thread(who: TestSession, documentId: string, anchor: Anchor, quote: string, body: string) {
    const res = await api(who, 'POST', `/documents/${documentId}/comments`, { anchor, quote, body });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().id as string;
  }

  /** Requests an export, waits for the worker to finish it and downloads the file. */
  async function exported(who: TestSession, documentId: string, body: Record<string, unknown>): Promise<Buffer> {
    const res = await api(who, 'POST', `/documents/${documentId}/export`, body);
    expect(res.statusCode, res.body).toBe(202);
    return download(who, res.json().id);
  }

  async function download(who: TestSession, jobId: string): Promise<Buffer> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const job = (await api(who, 'GET', `/exports/${jobId}`)).json();
      if (job.status === 'succeeded') break;
      if (['failed', 'dead'].includes(job.status)) throw new Error(`export ${job.status}: ${job.error}`);
      if (Date.now() > deadline) throw new Error(`export still ${job.status}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    const file = await api(who, 'GET', `/exports/${jobId}/download`);
    expect(file.statusCode).toBe(200);
    return file.rawPayload;
  }

  const pdftotext = (pdf: Uint8Array) =>
    execFileSync('pdftotext', ['-enc', 'UTF-8', '-', '-'], { input: pdf }).toString('utf8').replace(/\s+/g, ' ');

  it('[E10] DOCX: open threads become Word comments on their text with their replies; resolved ones are left out', async () => {
    const d = await documentWithText();
    const open = await thread(cast.commenter, d.id, rangeOf(d.text, 'budget review'), 'budget review', 'Which budget?');
    const reply = await api(cast.owner, 'POST', `/documents/${d.id}/comments/${open}/replies`, { body: 'The Q3 one.' });
    expect(reply.statusCode).toBe(201);
    const done = await thread(cast.owner, d.id, rangeOf(d.text, 'Friday'), 'Friday', 'Friday is fine');
    expect((await api(cast.owner, 'POST', `/documents/${d.id}/comments/${done}/resolve`)).statusCode).toBe(200);

    const res = await api(cast.owner, 'POST', `/documents/${d.id}/export`, { format: 'docx', comments: 'open' });
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json().comments).toBe('open');
    expect((await api(cast.owner, 'GET', `/exports/${res.json().id}`)).json().comments).toBe('open');
    const zip = readZip(await download(cast.owner, res.json().id));
    const comments = zip.get('word/comments.xml')!;
    expect(comments).toMatch(/w:author="commenter[^"]*"[^>]*>.*Which budget\?/s);
    expect(comments).toContain('The Q3 one.');
    expect(comments).not.toContain('Friday is fine');
    expect(zip.get('word/commentsExtended.xml')).toMatch(/w15:paraIdParent=/);
    const body = zip.get('word/document.xml')!.replace(/<w:t[^>]*>|<\/w:t>/g, '');
    expect(body).toMatch(
      /<w:commentRangeStart w:id="0"\/><w:commentRangeStart w:id="1"\/><w:r>budget review<\/w:r><w:commentRangeEnd w:id="0"\/>/,
    );

    // Without the option nothing of the comments is in the file.
    const plain = readZip(await exported(cast.owner, d.id, { format: 'docx' }));
    expect(plain.get('word/comments.xml') ?? '').not.toContain('Which budget?');
    expect(plain.get('word/document.xml')).not.toContain('commentRangeStart');
  });

  it('[E10] PDF with all threads: numbered markers after their text, the resolved one marked, a Comments section', async () => {
    const d = await documentWithText();
    const open = await thread(cast.commenter, d.id, rangeOf(d.text, 'budget review'), 'budget review', 'Which budget?');
    await api(cast.owner, 'POST', `/documents/${d.id}/comments/${open}/replies`, { body: 'The Q3 one.' });
    const done = await thread(cast.owner, d.id, rangeOf(d.text, 'Friday'), 'Friday', 'Friday is fine');
    await api(cast.owner, 'POST', `/documents/${d.id}/comments/${done}/resolve`);
    const text = pdftotext(await exported(cast.commenter, d.id, { format: 'pdf', comments: 'all' }));
    expect(text).toContain('budget review[1] before Friday[2]');
    expect(text).toContain('Comments [1] “budget review”');
    expect(text).toMatch(/commenter[^·]*· \d{4}-\d\d-\d\d \d\d:\d\d UTC: Which budget\?/);
    expect(text).toContain('The Q3 one.');
    expect(text).toContain('[2] “Friday” (resolved)');
    expect(text).toContain('Friday is fine');
  });

  it('[E10] the threads are those of the request: a comment made while the job waits is not in the file', async () => {
    const d = await documentWithText();
    await thread(cast.owner, d.id, rangeOf(d.text, 'plan'), 'plan', 'Before the request');
    const worker = t.app.exportWorker!;
    await worker.stop(5_000);
    let jobId: string;
    try {
      const res = await api(cast.owner, 'POST', `/documents/${d.id}/export`, { format: 'markdown', comments: 'open' });
      expect(res.statusCode).toBe(202);
      jobId = res.json().id;
      await thread(cast.owner, d.id, rangeOf(d.text, 'review'), 'review', 'After the request');
    } finally {
      worker.start();
    }
    const md = (await download(cast.owner, jobId)).toString('utf8');
    expect(md).toContain('plan[^1]');
    expect(md).toContain('Before the request');
    expect(md).not.toContain('After the request');
  });

  it('[E10] [C1] viewers get comments only while the workspace shows them comments; otherwise 403 and nothing queued', async () => {
    const d = await documentWithText();
    await thread(cast.owner, d.id, rangeOf(d.text, 'plan'), 'plan', 'Visible to viewers');
    const md = (await exported(cast.viewer, d.id, { format: 'markdown', comments: 'open' })).toString('utf8');
    expect(md).toContain('Visible to viewers');
    const settings = await api(cast.owner, 'PATCH', `/workspaces/${workspaceId}/settings`, { viewersBrowse: false });
    expect(settings.statusCode).toBe(200);
    try {
      const count = async () =>
        Number(
          (
            await sql<{ n: string }>`select count(*) as n from export_jobs where document_id = ${d.id}`.execute(
              t.app.database.pool('api'),
            )
          ).rows[0]!.n,
        );
      const before = await count();
      const refused = await api(cast.viewer, 'POST', `/documents/${d.id}/export`, { format: 'pdf', comments: 'open' });
      expect(refused.statusCode, refused.body).toBe(403);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.json().detail).toContain('without comments');
      expect(await count()).toBe(before);
      // The same viewer still exports the text; a commenter still gets the comments.
      expect((await api(cast.viewer, 'POST', `/documents/${d.id}/export`, { format: 'pdf' })).statusCode).toBe(202);
      const forCommenter = await exported(cast.commenter, d.id, { format: 'markdown', comments: 'all' });
      expect(forCommenter.toString('utf8')).toContain('Visible to viewers');
    } finally {
      await api(cast.owner, 'PATCH', `/workspaces/${workspaceId}/settings`, { viewersBrowse: true });
    }
  });

  it('[E10] bad input: an unknown comments value is a 400 naming /comments; comments past the size limit a 422', async () => {
    const d = await documentWithText();
    for (const comments of ['yes', true, ['open'], '']) {
      const res = await api(cast.owner, 'POST', `/documents/${d.id}/export`, { format: 'pdf', comments });
      expect(res.statusCode, JSON.stringify(comments)).toBe(400);
      expect(res.json().errors.map((e: { field: string }) => e.field)).toContain('/comments');
    }
    const first = await thread(cast.owner, d.id, rangeOf(d.text, 'plan'), 'plan', 'start');
    // Filled in SQL: a hundred 10,000-character requests would only measure the machine.
    const fillers = Math.ceil(EXPORT_COMMENT_CHARS_MAX / COMMENT_MAX_LENGTH);
    await sql`insert into comments (id, thread_id, author_id, body)
      select gen_random_uuid(), ${first}, ${cast.owner.userId}, repeat('x', ${COMMENT_MAX_LENGTH})
      from generate_series(1, ${fillers})`.execute(t.app.database.pool('api'));
    const big = await api(cast.owner, 'POST', `/documents/${d.id}/export`, { format: 'pdf', comments: 'open' });
    expect(big.statusCode, big.body).toBe(422);
    expect(big.json().detail).toContain(String(EXPORT_COMMENT_CHARS_MAX));
    expect((await api(cast.owner, 'POST', `/documents/${d.id}/export`, { format: 'pdf' })).statusCode).toBe(202);
  });
});
