/**
 * Idempotency-Key on document creation, export requests and comments (threads and replies, which
 * the editor retries after being offline [C5]), on both backends: a retried request
 * gets the first answer (status, body, Location) and creates nothing new; the same key for another
 * request is a 422; concurrent duplicates create one thing; failures are not kept; answers expire.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdempotencyKeys } from '../src/app/idempotency.ts';
import { backends } from './support/backends.ts';
import { documentStartAnchor } from './support/comment-fixtures.ts';
import { startTestApp, type TestApp, type TestSession } from './support/test-app.ts';

const API = '/api/v1';

describe.each(backends)('Idempotency-Key [$name]', (backend) => {
  let t: TestApp;
  let owner: TestSession;
  let other: TestSession;
  let workspaceId: string;
  let documentId: string;

  beforeAll(async () => {
    t = await startTestApp(backend, { DB_POOL_ACQUIRE_TIMEOUT_MS: '10000' });
    [owner, other] = await Promise.all([t.signUp('owner'), t.signUp('other')]);
    workspaceId = (await t.request('POST', `${API}/workspaces`, { token: owner.token, body: { name: 'Idem' } })).json()
      .id;
    documentId = (
      await t.request('POST', `${API}/workspaces/${workspaceId}/documents`, {
        token: owner.token,
        body: { title: 'D' },
      })
    ).json().id;
  }, 180_000);
  afterAll(async () => {
    await t?.close();
  });

  const createDoc = (key: string, title: string, who = owner) =>
    t.request('POST', `${API}/workspaces/${workspaceId}/documents`, {
      token: who.token,
      body: { title },
      headers: { 'idempotency-key': key },
    });
  const requestExport = (key: string, format = 'markdown', id = documentId, who = owner) =>
    t.request('POST', `${API}/documents/${id}/export`, {
      token: who.token,
      body: { format },
      headers: { 'idempotency-key': key },
    });
  const countDocs = async (title: string) =>
    (await t.app.database.pool('api').selectFrom('documents').select('id').where('title', '=', title).execute()).length;

  it('a retried document creation gets the first answer and creates one document', async () => {
    const first = await createDoc('create-1', 'Once');
    const again = await createDoc('create-1', 'Once');
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(201);
    expect(again.json()).toEqual(first.json());
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(await countDocs('Once')).toBe(1);
  });

  it('[C5] a comment and a reply retried with their keys are stored once; a key reused for another comment is a 422', async () => {
    const post = (url: string, body: unknown, key: string) =>
      t.request('POST', `${API}/documents/${documentId}${url}`, {
        token: owner.token,
        body,
        headers: { 'idempotency-key': key },
      });
    const thread = { anchor: documentStartAnchor(), quote: '', body: 'sent twice' };
    const first = await post('/comments', thread, 'comment-1');
    const again = await post('/comments', thread, 'comment-1');
    expect(first.statusCode).toBe(201);
    expect(again.json()).toEqual(first.json());
    expect(again.headers['idempotent-replayed']).toBe('true');
    const threadId = first.json().id as string;
    const reply = await post(`/comments/${threadId}/replies`, { body: 'reply twice' }, 'reply-1');
    const replyAgain = await post(`/comments/${threadId}/replies`, { body: 'reply twice' }, 'reply-1');
    expect(replyAgain.statusCode).toBe(reply.statusCode);
    expect((await post('/comments', { ...thread, body: 'another' }, 'comment-1')).statusCode).toBe(422);
    const rows = await t.app.database
      .pool('api')
      .selectFrom('comments')
      .innerJoin('comment_threads', 'comment_threads.id', 'comments.thread_id')
      .select('comments.body')
      .where('comment_threads.document_id', '=', documentId)
      .execute();
    expect(rows.map((r) => r.body).sort()).toEqual(['reply twice', 'sent twice']);
  });

  it('a retried export request gets the same job (status, body, Location) and counts once', async () => {
    const first = await requestExport('export-1');
    const again = await requestExport('export-1');
    expect(first.statusCode).toBe(202);
    expect(again.statusCode).toBe(202);
    expect(again.json()).toEqual(first.json());
    expect(again.headers.location).toBe(first.headers.location);
    const jobs = await t.app.database
      .pool('api')
      .selectFrom('export_quota_usage' as never)
      .select('used' as never)
      .where('workspace_id' as never, '=', workspaceId as never)
      .executeTakeFirstOrThrow();
    expect(Number((jobs as { used: number }).used)).toBe(1);
  });

  it('the same key with a different request is refused with 422 and changes nothing', async () => {
    expect((await createDoc('reuse-1', 'First')).statusCode).toBe(201);
    const other = await createDoc('reuse-1', 'Second');
    expect(other.statusCode).toBe(422);
    expect(other.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(other.json().type).toMatch(/idempotency_key_reused$/);
    expect(await countDocs('Second')).toBe(0);
    expect((await requestExport('reuse-1')).statusCode).toBe(422);
  });

  it('keys are per user: another user with the same key gets their own answer', async () => {
    await t.request('PUT', `${API}/documents/${documentId}/shares/${other.userId}`, {
      token: owner.token,
      body: { role: 'viewer' },
    });
    const mine = await requestExport('shared-key', 'html');
    const theirs = await requestExport('shared-key', 'html', documentId, other);
    expect(theirs.statusCode).toBe(202);
    expect(theirs.json().id).not.toBe(mine.json().id);
  });

  it('concurrent duplicates create one document and all get its answer', async () => {
    const answers = await Promise.all(Array.from({ length: 6 }, () => createDoc('race-1', 'Raced')));
    expect(answers.map((a) => a.statusCode)).toEqual(Array(6).fill(201));
    expect(new Set(answers.map((a) => a.json().id)).size).toBe(1);
    expect(await countDocs('Raced')).toBe(1);
  });

  it('a failed request is not kept: the retry with the same key runs again', async () => {
    const stranger = await t.signUp('stranger');
    const refused = await requestExport('after-share', 'markdown', documentId, stranger);
    expect(refused.statusCode).toBe(404);
    await t.request('PUT', `${API}/documents/${documentId}/shares/${stranger.userId}`, {
      token: owner.token,
      body: { role: 'viewer' },
    });
    expect((await requestExport('after-share', 'markdown', documentId, stranger)).statusCode).toBe(202);
  });

  it('answers expire after 24 hours and the cleanup deletes them', async () => {
    expect((await createDoc('old-1', 'Old')).statusCode).toBe(201);
    await t.app.database
      .pool('api')
      .updateTable('idempotency_keys' as never)
      .set({ created_at: new Date(Date.now() - 25 * 3600_000) } as never)
      .where('key' as never, '=', 'old-1' as never)
      .execute();
    expect(await new IdempotencyKeys(t.app.database.pool('api')).cleanup()).toBeGreaterThanOrEqual(1);
    expect((await createDoc('old-1', 'Old')).headers['idempotent-replayed']).toBeUndefined();
    expect(await countDocs('Old')).toBe(2);
  });

  it('a malformed key is a 400 naming the header', async () => {
    for (const key of ['', 'has space', 'x'.repeat(256)]) {
      const res = await createDoc(key, 'Bad key');
      expect(res.statusCode, key).toBe(400);
      expect(res.json().errors.map((e: { field: string }) => e.field)).toContain('headers:/idempotency-key');
    }
    expect(await countDocs('Bad key')).toBe(0);
  });
});
