/** The sync endpoint end to end over real sockets, on every backend: protocol, auth, durability, limits. */
import * as encoding from 'lib0/encoding';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { SigningKeys } from '../src/app/auth/signing-keys.ts';
import { CloseCode } from '../src/sync/close-codes.ts';
import { encodeSyncUpdate, encodeToken, MessageType } from '../src/sync/protocol.ts';
import { backends } from './support/backends.ts';
import { SyncPeer } from './support/sync-peer.ts';
import { startTestApp, type TestApp, type TestSession } from './support/test-app.ts';

const SYNC_ENV = {
  PORT: '0',
  HOST: '127.0.0.1',
  SYNC_ROOM_GRACE_MS: '50',
  SYNC_MESSAGES_PER_SECOND: '50',
  SYNC_MESSAGE_BURST: '100',
  SYNC_MAX_MESSAGE_BYTES: '65536',
  SYNC_AUTH_TIMEOUT_MS: '500',
};

describe.each(backends)('real-time sync [$name]', (backend) => {
  let t: TestApp;
  let base: string;
  let owner: TestSession;
  let workspaceId: string;
  const peers: SyncPeer[] = [];

  beforeAll(async () => {
    t = await startTestApp(backend, SYNC_ENV);
    base = await t.app.listen();
    owner = await t.signUp('owner');
    workspaceId = (await t.request('POST', '/api/v1/workspaces', { token: owner.token, body: { name: 'Sync' } })).json()
      .id;
  });
  afterAll(async () => {
    for (const p of peers) p.close();
    await t?.close();
  });

  const createDoc = async (): Promise<string> => {
    const res = await t.request('POST', `/api/v1/workspaces/${workspaceId}/documents`, {
      token: owner.token,
      body: { title: 'doc' },
    });
    expect(res.statusCode).toBe(201);
    return res.json().id;
  };
  const connect = async (documentId: string, token: string | undefined, opts = {}) => {
    const p = await SyncPeer.connect(base, documentId, token, opts);
    peers.push(p);
    return p;
  };
  const share = async (documentId: string, userId: string, role: 'viewer' | 'commenter' | 'editor') => {
    const res = await t.request('PUT', `/api/v1/documents/${documentId}/shares/${userId}`, {
      token: owner.token,
      body: { role },
    });
    expect(res.statusCode).toBe(200);
  };

  /** A token from the app's own keys that expires in `seconds` (the configured minimum is 30 s). */
  const shortLivedToken = async (user: TestSession, seconds: number): Promise<string> => {
    const keys = new SigningKeys(t.app.database.pool('api'), {
      issuer: t.app.config.auth.jwtIssuer,
      audience: t.app.config.auth.jwtAudience,
      accessTokenTtlSeconds: seconds,
    });
    return (await keys.signAccessToken({ sub: user.userId, email: user.email, name: 'short' })).token;
  };

  it('[S2.5] closes an open socket with 4401 when its token expires without a refresh', async () => {
    const id = await createDoc();
    const p = await connect(id, await shortLivedToken(owner, 2));
    await p.untilSynced();
    const closed = await p.untilClosed(4000);
    expect(closed.code).toBe(CloseCode.UNAUTHORIZED);
    expect(closed.reason).toMatch(/expired/);
  });

  it('[S2.5] a TOKEN frame for the same user extends the session; a token of another user closes it', async () => {
    const id = await createDoc();
    const short = await shortLivedToken(owner, 2);
    const p = await connect(id, short);
    // The same token on a socket that never refreshes: its close tells when that token expired
    // (an event to wait on instead of a sleep). `p` connected first, so its original expiry
    // timer would have fired before the control's.
    const control = await connect(id, short);
    await Promise.all([p.untilSynced(), control.untilSynced()]);
    p.ws.send(encodeToken(owner.token)); // 15 minutes
    expect((await control.untilClosed(4000)).code).toBe(CloseCode.UNAUTHORIZED);
    p.type('still here');
    await p.untilSaved();
    expect(p.closed).toBeUndefined();
    const other = await t.signUp('other');
    p.ws.send(encodeToken(other.token));
    expect((await p.untilClosed()).code).toBe(CloseCode.UNAUTHORIZED);
  });

  it('[S1.1] two editors converge and see each other within the same tick', async () => {
    const id = await createDoc();
    const a = await connect(id, owner.token);
    const b = await connect(id, owner.token);
    await Promise.all([a.untilSynced(), b.untilSynced()]);
    a.type('hello ');
    b.type('world');
    await a.until(() => a.text().length === 11, 2000, 'both edits at a');
    await b.until(() => b.text() === a.text(), 2000, 'convergence');
    expect(a.text()).toContain('hello');
  });

  it('[S1.3] sends step 1 and a room status on join, and answers step 1 with step 2', async () => {
    const id = await createDoc();
    const p = await connect(id, owner.token);
    await p.untilSynced();
    expect(p.received[0]![0]).toBe(MessageType.SYNC);
    expect(p.messages.find((m) => m.type === 'room-status')).toMatchObject({
      status: { mode: 'full', access: 'edit', connections: 1 },
    });
  });

  it('[S2.1] accepts the token as the first frame, keeping it out of the URL', async () => {
    const id = await createDoc();
    const p = await connect(id, owner.token, { tokenInFrame: true });
    await p.untilSynced();
    p.type('x');
    await p.untilSaved();
  });

  it('[S2.1] closes 4401 without a token or with a bad token; terminates a socket whose token never comes', async () => {
    const id = await createDoc();
    const bad = await connect(id, 'not-a-jwt');
    expect((await bad.untilClosed()).code).toBe(CloseCode.UNAUTHORIZED);
    const noToken = await connect(id, undefined); // sends sync step 1 first
    expect((await noToken.untilClosed()).code).toBe(CloseCode.UNAUTHORIZED);
    // [S7.7] No close handshake on an authentication timeout: the connection is cut (1006 here).
    const silent = await connect(id, undefined, { passive: true });
    expect((await silent.untilClosed()).code).toBe(1006);
  });

  it('[S2.2] refuses an outsider with 4404 before sending a single document byte', async () => {
    const id = await createDoc();
    const writer = await connect(id, owner.token);
    await writer.untilSynced();
    writer.type('secret plans');
    await writer.untilSaved();
    const outsider = await t.signUp('outsider');
    const p = await connect(id, outsider.token);
    expect((await p.untilClosed()).code).toBe(CloseCode.NOT_FOUND);
    expect(p.received.some((f) => f[0] === MessageType.SYNC || f[0] === MessageType.AWARENESS)).toBe(false);
    expect(p.text()).toBe('');
    const unknown = await connect('00000000-0000-4000-8000-000000000000', owner.token);
    expect((await unknown.untilClosed()).code).toBe(CloseCode.NOT_FOUND);
  });

  it('[S2.3] a viewer reads live but its updates are rejected, reported, acknowledged and never applied', async () => {
    const id = await createDoc();
    const viewer = await t.signUp('viewer');
    await share(id, viewer.userId, 'viewer');
    const editor = await connect(id, owner.token);
    await editor.untilSynced();
    editor.type('original');
    await editor.untilSaved();
    const v = await connect(id, viewer.token);
    await v.untilSynced();
    await v.until(() => v.text() === 'original');
    expect(v.messages.find((m) => m.type === 'room-status')).toMatchObject({ status: { access: 'read' } });
    v.type(' vandalized');
    await v.until(() => v.messages.some((m) => m.type === 'rejected'), 2000, 'REJECTED');
    await v.untilSaved();
    editor.type('!');
    await v.until(() => v.text().includes('!'));
    expect(editor.text()).toBe('original!');
    const content = await t.request('GET', `/api/v1/documents/${id}/content?format=text`, { token: owner.token });
    expect(content.body).not.toContain('vandalized');
  });

  it('[S2.4] downgrading a share switches the open socket to read-only; removing it closes 4403', async () => {
    const id = await createDoc();
    const guest = await t.signUp('guest');
    await share(id, guest.userId, 'editor');
    const g = await connect(id, guest.token);
    await g.untilSynced();
    g.type('by guest');
    await g.untilSaved();
    await share(id, guest.userId, 'viewer');
    await g.until(() => g.messages.some((m) => m.type === 'access-changed'), 1000, 'ACCESS_CHANGED');
    expect(g.messages.find((m) => m.type === 'access-changed')).toMatchObject({ change: { access: 'read' } });
    g.type(' more');
    await g.until(() => g.messages.some((m) => m.type === 'rejected'), 2000, 'REJECTED after downgrade');
    const res = await t.request('DELETE', `/api/v1/documents/${id}/shares/${guest.userId}`, { token: owner.token });
    expect(res.statusCode).toBe(204);
    expect((await g.untilClosed(1000)).code).toBe(CloseCode.FORBIDDEN);
  });

  it('[S2.4] [T1] moving the document to the trash closes every socket with 4410; a new socket gets 4410 too', async () => {
    const id = await createDoc();
    const a = await connect(id, owner.token);
    await a.untilSynced();
    expect((await t.request('DELETE', `/api/v1/documents/${id}`, { token: owner.token })).statusCode).toBe(204);
    expect((await a.untilClosed(1000)).code).toBe(CloseCode.IN_TRASH);
    const b = await connect(id, owner.token);
    expect((await b.untilClosed(1000)).code).toBe(CloseCode.IN_TRASH);
  });

  it('[S2.4] [T4] restoring opens it again; once deleted forever it answers 4404', async () => {
    const id = await createDoc();
    expect((await t.request('DELETE', `/api/v1/documents/${id}`, { token: owner.token })).statusCode).toBe(204);
    expect((await t.request('POST', `/api/v1/trash/${id}/restore`, { token: owner.token })).statusCode).toBe(200);
    const a = await connect(id, owner.token);
    await a.untilSynced();
    expect((await t.request('DELETE', `/api/v1/documents/${id}`, { token: owner.token })).statusCode).toBe(204);
    expect((await a.untilClosed(1000)).code).toBe(CloseCode.IN_TRASH);
    const b = await connect(id, owner.token);
    expect((await b.untilClosed(1000)).code).toBe(CloseCode.IN_TRASH);
    expect((await t.request('DELETE', `/api/v1/trash/${id}`, { token: owner.token })).statusCode).toBe(204);
    const c = await connect(id, owner.token);
    expect((await c.untilClosed(1000)).code).toBe(CloseCode.NOT_FOUND);
  });

  it('[S2.4] removing a workspace member closes their socket with 4403', async () => {
    const id = await createDoc();
    const member = await t.signUp('member');
    await t.addMember(owner, workspaceId, member, 'member');
    const m = await connect(id, member.token);
    await m.untilSynced();
    const removed = await t.request('DELETE', `/api/v1/workspaces/${workspaceId}/members/${member.userId}`, {
      token: owner.token,
    });
    expect(removed.statusCode).toBe(204);
    expect((await m.untilClosed(1000)).code).toBe(CloseCode.FORBIDDEN);
  });

  it('[S3.2] acknowledges every update frame only once it is stored, and stored content survives the room', async () => {
    const id = await createDoc();
    const p = await connect(id, owner.token);
    await p.untilSynced();
    for (let i = 0; i < 20; i++) p.type(`${i},`);
    await p.untilSaved();
    expect(p.saved).toBe(p.sentUpdateFrames);
    const expected = p.text();
    p.close();
    await p.untilClosed();
    // Wait for the room to unload (grace 50 ms), then read it back from storage.
    await expect.poll(() => t.app.rooms?.peek(id), { timeout: 3000 }).toBeUndefined();
    const again = await connect(id, owner.token);
    await again.untilSynced();
    expect(again.text()).toBe(expected);
  });

  it('[S5.1] concurrent first connections share one load and all see the stored document', async () => {
    const id = await createDoc();
    const writer = await connect(id, owner.token);
    await writer.untilSynced();
    writer.type('stored text');
    await writer.untilSaved();
    writer.close();
    await writer.untilClosed();
    await expect.poll(() => t.app.rooms?.peek(id), { timeout: 3000 }).toBeUndefined();
    const many = await Promise.all(Array.from({ length: 10 }, () => connect(id, owner.token)));
    await Promise.all(many.map((p) => p.untilSynced()));
    for (const p of many) expect(p.text()).toBe('stored text');
    for (const p of many) p.close();
  });

  it('[S1.4][S7.3] closes 4400 on text frames, garbage and malformed updates, leaving the document intact', async () => {
    const id = await createDoc();
    const good = await connect(id, owner.token);
    await good.untilSynced();
    good.type('intact');
    await good.untilSaved();
    const text = await connect(id, owner.token);
    await text.untilSynced();
    text.ws.send('hello');
    expect((await text.untilClosed()).code).toBe(CloseCode.BAD_MESSAGE);
    const garbage = await connect(id, owner.token);
    await garbage.untilSynced();
    garbage.ws.send(new Uint8Array([0x7f, 0xff, 0xff]));
    expect((await garbage.untilClosed()).code).toBe(CloseCode.BAD_MESSAGE);
    const malformed = await connect(id, owner.token);
    await malformed.untilSynced();
    const valid = (() => {
      const d = new Y.Doc();
      d.getText('text').insert(0, 'evil');
      return Y.encodeStateAsUpdate(d);
    })();
    malformed.ws.send(encodeSyncUpdate(valid.subarray(0, valid.length - 3)));
    expect((await malformed.untilClosed()).code).toBe(CloseCode.BAD_MESSAGE);
    good.type('!');
    await good.untilSaved();
    const fresh = await connect(id, owner.token);
    await fresh.untilSynced();
    expect(fresh.text()).toBe('intact!');
  });

  it('[S7.3] an update that decodes but fails to integrate closes 4400 and the room reloads clean from the log', async () => {
    const id = await createDoc();
    const good = await connect(id, owner.token);
    await good.untilSynced();
    good.type('kept');
    await good.untilSaved();
    const bad = await connect(id, owner.token);
    await bad.untilSynced();
    bad.ws.send(encodeSyncUpdate(Buffer.from('010201000401017400840100016200', 'hex')));
    expect((await bad.untilClosed()).code).toBe(CloseCode.BAD_MESSAGE);
    expect((await good.untilClosed()).code).toBe(CloseCode.UNAVAILABLE); // told to reconnect to a fresh room
    const fresh = await connect(id, owner.token);
    await fresh.untilSynced();
    expect(fresh.text()).toBe('kept');
    fresh.type('!');
    await fresh.untilSaved();
  });

  it('[S7.1] closes 1009 above the size limit and 4429 above the message rate', async () => {
    const id = await createDoc();
    const big = await connect(id, owner.token);
    await big.untilSynced();
    big.ws.send(new Uint8Array(70_000));
    expect((await big.untilClosed()).code).toBe(CloseCode.MESSAGE_TOO_BIG);
    const chatty = await connect(id, owner.token);
    await chatty.untilSynced();
    const q = encoding.createEncoder();
    encoding.writeVarUint(q, MessageType.QUERY_AWARENESS);
    const frame = encoding.toUint8Array(q);
    for (let i = 0; i < 300; i++) chatty.ws.send(frame);
    expect((await chatty.untilClosed()).code).toBe(CloseCode.RATE_LIMITED);
  });

  it('[S1.1][S2.7] presence from one editor reaches the others, stamped with who sent it, and is removed when it leaves', async () => {
    const id = await createDoc();
    const a = await connect(id, owner.token, { awareness: true });
    const b = await connect(id, owner.token, { awareness: true });
    await Promise.all([a.untilSynced(), b.untilSynced()]);
    // A name that is not the owner's: the server replaces it with the account's display name.
    a.awareness.setLocalState({ user: { id: 'someone-else', name: 'Ada', color: '#abcdef' }, cursor: 'a' });
    const fromA = () => [...b.awareness.getStates().values()].find((s) => s.cursor === 'a');
    await b.until(() => fromA() !== undefined, 2000, 'presence');
    expect(fromA()?.user).toEqual({ id: owner.userId, name: expect.stringMatching(/^owner \d+$/), color: '#abcdef' });
    a.close();
    await b.until(() => fromA() === undefined, 2000, 'removal');
  });

  it('[S9.1] serves content from the live room in every format, authorized like the API', async () => {
    const id = await createDoc();
    const p = await connect(id, owner.token);
    await p.untilSynced();
    const frag = p.doc.getXmlFragment('default');
    const heading = new Y.XmlElement('heading');
    heading.setAttribute('level', '1' as unknown as string);
    heading.insert(0, [new Y.XmlText('Title <b>')]);
    const para = new Y.XmlElement('paragraph');
    para.insert(0, [new Y.XmlText('Body text')]);
    frag.insert(0, [heading, para]);
    await p.untilSaved();
    const json = await t.request('GET', `/api/v1/documents/${id}/content?format=json`, { token: owner.token });
    expect(json.statusCode).toBe(200);
    expect(json.json().content.type).toBe('doc');
    const md = await t.request('GET', `/api/v1/documents/${id}/content?format=markdown`, { token: owner.token });
    expect(md.headers['content-type']).toMatch(/^text\/markdown/);
    expect(md.body).toContain('# Title');
    const html = await t.request('GET', `/api/v1/documents/${id}/content?format=html`, { token: owner.token });
    expect(html.body).toContain('&lt;b&gt;');
    const text = await t.request('GET', `/api/v1/documents/${id}/content?format=text`, { token: owner.token });
    expect(text.body).toContain('Body text');
    const outsider = await t.signUp('reader');
    expect((await t.request('GET', `/api/v1/documents/${id}/content`, { token: outsider.token })).statusCode).toBe(404);
    expect(
      (await t.request('GET', `/api/v1/documents/${id}/content?format=pdf`, { token: owner.token })).statusCode,
    ).toBe(400);
  });

  it('[S8.1] a plain WebSocket upgrade outside /sync is refused', async () => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/elsewhere`);
    const err = await new Promise<Error>((resolve) => ws.on('error', resolve));
    expect(err.message).toMatch(/404/);
  });
});
