/**
 * Comments in search (docs/spec/comments.md [C8]) on every backend: a word of a comment finds its
 * document for everyone who may read the comments, with a snippet that says it came from a
 * comment; viewers find it only while their workspace lets them browse [C1]; a deleted comment or
 * thread is not found from the moment it is gone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { documentStartAnchor } from './support/comment-fixtures.ts';
import { startTestApp, type TestApp, type TestSession } from './support/test-app.ts';

type Hit = { id: string; snippet: { text: string; match: boolean }[]; snippetSource: 'content' | 'comment' };

describe.each(backends)('comments in search [$name]', (backend) => {
  let t: TestApp;
  let owner: TestSession;
  let commenter: TestSession;
  let viewer: TestSession;
  let member: TestSession;
  let stranger: TestSession;
  let workspaceId: string;

  const call = async (
    who: TestSession,
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    body?: unknown,
  ) => {
    const res = await t.request(method, `/api/v1${url}`, { token: who.token, body });
    if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
    return res.body ? res.json() : undefined;
  };
  const search = async (who: TestSession, q: string): Promise<Hit[]> =>
    (await call(who, 'GET', `/search?q=${encodeURIComponent(q)}&workspaceId=${workspaceId}`)).items;
  const ids = async (who: TestSession, q: string) => (await search(who, q)).map((h) => h.id);
  const comment = (who: TestSession, documentId: string, body: string) =>
    call(who, 'POST', `/documents/${documentId}/comments`, { anchor: documentStartAnchor(), quote: '', body });

  beforeAll(async () => {
    t = await startTestApp(backend);
    [owner, commenter, viewer, member, stranger] = await Promise.all(
      ['owner', 'commenter', 'viewer', 'member', 'stranger'].map((n) => t.signUp(n)),
    );
    workspaceId = (await call(owner as TestSession, 'POST', '/workspaces', { name: 'Search comments' })).id;
    await t.addMember(owner, workspaceId, member as TestSession, 'member');
    await t.addMember(owner, workspaceId, commenter as TestSession, 'guest');
    await t.addMember(owner, workspaceId, viewer as TestSession, 'guest');
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  async function sharedDocument(title: string): Promise<string> {
    const id = (await call(owner, 'POST', `/workspaces/${workspaceId}/documents`, { title })).id as string;
    await call(owner, 'PUT', `/documents/${id}/shares/${commenter.userId}`, { role: 'commenter' });
    await call(owner, 'PUT', `/documents/${id}/shares/${viewer.userId}`, { role: 'viewer' });
    return id;
  }

  it('[C8] a word of a comment finds the document, with a snippet from the comment, for every reader of it', async () => {
    const id = await sharedDocument('Roadmap');
    await comment(commenter, id, 'Is the zebracorn launch still on for spring?');
    for (const who of [owner, member, commenter, viewer]) {
      const hits = await search(who, 'zebracorn');
      expect(hits.map((h) => h.id)).toEqual([id]);
      expect(hits[0]?.snippetSource).toBe('comment');
      expect(hits[0]?.snippet.filter((s) => s.match).map((s) => s.text)).toEqual(['zebracorn']);
    }
    expect(await ids(stranger, 'zebracorn')).toEqual([]);
    // The title matches too: the snippet is the document's own.
    expect((await search(owner, 'roadmap'))[0]?.snippetSource).toBe('content');
  });

  it('[C8] [C1] viewers find comments only while the workspace lets them browse; commenters always', async () => {
    const id = await sharedDocument('Budget');
    await comment(owner, id, 'The marmalade line item needs a second look');
    await call(owner, 'PATCH', `/workspaces/${workspaceId}/settings`, { viewersBrowse: false });
    try {
      expect(await ids(viewer, 'marmalade')).toEqual([]);
      expect(await ids(commenter, 'marmalade')).toEqual([id]);
      expect(await ids(member, 'marmalade')).toEqual([id]);
      // A member of a document whose general access is "view" is a viewer of it.
      await call(owner, 'PUT', `/documents/${id}/general-access`, { generalAccess: 'view' });
      expect(await ids(member, 'marmalade')).toEqual([]);
      expect(await ids(owner, 'marmalade')).toEqual([id]);
    } finally {
      await call(owner, 'PATCH', `/workspaces/${workspaceId}/settings`, { viewersBrowse: true });
    }
    expect(await ids(viewer, 'marmalade')).toEqual([id]);
    expect(await ids(member, 'marmalade')).toEqual([id]);
  });

  it('[C8] a deleted reply, an edited comment and a deleted thread are no longer found', async () => {
    const id = await sharedDocument('Launch');
    const thread = await comment(commenter, id, 'Check the quokka numbers');
    const replied = await call(commenter, 'POST', `/documents/${id}/comments/${thread.id}/replies`, {
      body: 'and the wombat forecast',
    });
    const replyId = replied.comments[1].id as string;
    expect(await ids(owner, 'wombat')).toEqual([id]);
    await call(commenter, 'DELETE', `/documents/${id}/comments/${thread.id}/replies/${replyId}`);
    expect(await ids(owner, 'wombat')).toEqual([]);
    expect(await ids(owner, 'quokka')).toEqual([id]);
    await call(commenter, 'PATCH', `/documents/${id}/comments/${thread.id}/replies/${thread.comments[0].id}`, {
      body: 'Check the platypus numbers',
    });
    expect(await ids(owner, 'quokka')).toEqual([]);
    expect(await ids(owner, 'platypus')).toEqual([id]);
    await call(owner, 'DELETE', `/documents/${id}/comments/${thread.id}`);
    expect(await ids(owner, 'platypus')).toEqual([]);
  });

  it('[C8] a document in the trash is not found by its comments; deleting it forever takes them along', async () => {
    const id = await sharedDocument('Trashed');
    await comment(owner, id, 'narwhal');
    expect(await ids(owner, 'narwhal')).toEqual([id]);
    await call(owner, 'DELETE', `/documents/${id}`);
    expect(await ids(owner, 'narwhal')).toEqual([]);
    await call(owner, 'DELETE', `/trash/${id}`);
    const left = await t.app.database
      .pool('api')
      .selectFrom('comment_search')
      .select('document_id')
      .where('document_id', '=', id)
      .execute();
    expect(left).toEqual([]);
  });
});
