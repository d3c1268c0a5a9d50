/**
 * The workspace setting on whether viewers browse comments and version history
 * (docs/spec/comments.md [C1], docs/spec/history.md [V6]), end to end on every backend: the REST
 * answers follow it at once, and live COMMENTS_CHANGED notices skip viewers' sockets while it is
 * off (commenters' read-only sockets still get them).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { anchorInType } from '../src/content/comment-anchors.ts';
import type { ServerMessage } from '../src/sync/protocol.ts';
import { backends } from './support/backends.ts';
import { SyncPeer } from './support/sync-peer.ts';
import { startTestApp, type TestApp, type TestSession } from './support/test-app.ts';

const TEXT = 'Viewers may or may not browse this';

describe.each(backends)('viewers browse if the workspace allows [$name]', (backend) => {
  let t: TestApp;
  let base: string;
  let owner: TestSession;
  let commenter: TestSession;
  let viewer: TestSession;
  let workspaceId: string;
  const peers: SyncPeer[] = [];

  beforeAll(async () => {
    t = await startTestApp(backend, { PORT: '0', HOST: '127.0.0.1' });
    base = await t.app.listen();
    [owner, commenter, viewer] = await Promise.all(['owner', 'commenter', 'viewer'].map((n) => t.signUp(n)));
    workspaceId = (await api(owner, 'POST', '/workspaces', { name: 'Browsing' })).json().id;
    await t.addMember(owner, workspaceId, commenter as TestSession, 'guest');
    await t.addMember(owner, workspaceId, viewer as TestSession, 'guest');
  }, 120_000);
  afterAll(async () => {
    for (const p of peers) p.close();
    await t?.close();
  });

  const api = (who: TestSession, method: 'GET' | 'POST' | 'PATCH' | 'PUT', url: string, body?: unknown) =>
    t.request(method, `/api/v1${url}`, { token: who.token, body });
  const setBrowsing = async (viewersBrowse: boolean) =>
    expect((await api(owner, 'PATCH', `/workspaces/${workspaceId}/settings`, { viewersBrowse })).statusCode).toBe(200);
  const notices = (peer: SyncPeer) =>
    peer.messages.filter(
      (m): m is Extract<ServerMessage, { type: 'comments-changed' }> => m.type === 'comments-changed',
    );
  const connect = async (who: TestSession, id: string) => {
    const peer = await SyncPeer.connect(base, id, who.token);
    peers.push(peer);
    await peer.untilSynced();
    return peer;
  };

  it('[C1] [C5] [V6] off: viewers get 403 on comments and history and no live notices; on again: both', async () => {
    const id = (await api(owner, 'POST', `/workspaces/${workspaceId}/documents`, { title: 'Browse' })).json().id;
    for (const [who, role] of [
      [commenter, 'commenter'],
      [viewer, 'viewer'],
    ] as const) {
      expect((await api(owner, 'PUT', `/documents/${id}/shares/${who.userId}`, { role })).statusCode).toBe(200);
    }
    const writer = await connect(owner, id);
    const text = new Y.XmlText(TEXT);
    const p = new Y.XmlElement('paragraph');
    p.insert(0, [text]);
    writer.doc.getXmlFragment('default').insert(0, [p]);
    await writer.untilSaved();
    expect((await api(owner, 'POST', `/documents/${id}/versions`, { name: 'v1' })).statusCode).toBe(201);

    await setBrowsing(false);
    expect((await api(viewer, 'GET', `/documents/${id}/comments`)).statusCode).toBe(403);
    expect((await api(viewer, 'GET', `/documents/${id}/versions`)).statusCode).toBe(403);
    expect((await api(viewer, 'GET', `/documents/${id}`)).json()).toMatchObject({ access: 'viewer', canBrowse: false });
    expect((await api(viewer, 'GET', `/documents/${id}/content`)).statusCode).toBe(200);
    expect((await api(commenter, 'GET', `/documents/${id}/comments`)).statusCode).toBe(200);
    expect((await api(commenter, 'GET', `/documents/${id}/versions`)).statusCode).toBe(200);

    const viewerSocket = await connect(viewer, id);
    const commenterSocket = await connect(commenter, id);
    const thread = (
      await api(commenter, 'POST', `/documents/${id}/comments`, {
        anchor: anchorInType(text, 0, 7),
        quote: 'Viewers',
        body: 'hidden from viewers',
      })
    ).json();
    await commenterSocket.until(() => notices(commenterSocket).length >= 1, 5_000, 'notice at the commenter');
    await writer.until(() => notices(writer).length >= 1, 5_000, 'notice at the owner');

    await setBrowsing(true);
    expect(
      (await api(viewer, 'GET', `/documents/${id}/comments`)).json().items.map((x: { id: string }) => x.id),
    ).toEqual([thread.id]);
    expect((await api(viewer, 'GET', `/documents/${id}/versions`)).statusCode).toBe(200);
    await api(commenter, 'POST', `/documents/${id}/comments/${thread.id}/replies`, { body: 'now visible' });
    await viewerSocket.until(() => notices(viewerSocket).length >= 1, 5_000, 'notice at the viewer');
    await commenterSocket.until(() => notices(commenterSocket).length >= 2, 5_000, 'second notice at the commenter');
    // The notice of the thread made while browsing was off never reached the viewer; the reply's did.
    expect(notices(viewerSocket).map((m) => m.change)).toEqual([{ threadId: thread.id, change: 'replied' }]);
  });
});
