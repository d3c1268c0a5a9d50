/**
 * The sync tier's tenant limits over real sockets, on every backend: socket caps per user, per
 * user and document and per address, the workspace's frame budget, the pre-authentication payload
 * limit, presence stamping and its size cap, presence coalescing, the cool-down after a flood, and
 * viewers never demoting an owner.
 */
import { once } from 'node:events';
import * as encoding from 'lib0/encoding';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CloseCode } from '../src/sync/close-codes.ts';
import { encodeAwareness, MessageType } from '../src/sync/protocol.ts';
import { backends } from './support/backends.ts';
import { SyncPeer } from './support/sync-peer.ts';
import { startTestApp, type TestApp, type TestSession } from './support/test-app.ts';

const LIMITS_ENV = {
  PORT: '0',
  HOST: '127.0.0.1',
  SYNC_ROOM_GRACE_MS: '50',
  SYNC_MAX_MESSAGE_BYTES: '65536',
  SYNC_PREAUTH_MAX_MESSAGE_BYTES: '1024',
  SYNC_MAX_SOCKETS_PER_USER_PER_DOC: '2',
  SYNC_MAX_SOCKETS_PER_USER: '3',
  SYNC_MAX_SOCKETS_PER_IP: '20',
  SYNC_WORKSPACE_FRAMES_PER_SECOND: '10',
  SYNC_WORKSPACE_BURST_SECONDS: '3',
  SYNC_MAX_AWARENESS_BYTES: '512',
  SYNC_VIEW_ONLY_ABOVE: '2',
  SYNC_PRESENCE_MIN_INTERVAL_MS: '50',
  SYNC_LIMITED_COOLDOWN_MS: '1500',
};

/** A raw awareness update for one client id carrying `state` (what y-protocols encodes). */
function awarenessUpdate(clientId: number, clock: number, state: unknown): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, 1);
  encoding.writeVarUint(e, clientId);
  encoding.writeVarUint(e, clock);
  encoding.writeVarString(e, JSON.stringify(state));
  return encodeAwareness(encoding.toUint8Array(e));
}

describe.each(backends)('sync tenant limits [$name]', (backend) => {
  let t: TestApp;
  let base: string;
  let owner: TestSession;
  let viewer: TestSession;
  let noisy: TestSession;
  const peers: SyncPeer[] = [];

  beforeAll(async () => {
    t = await startTestApp(backend, LIMITS_ENV);
    base = await t.app.listen();
    owner = await t.signUp('owner');
    viewer = await t.signUp('viewer');
    noisy = await t.signUp('noisy');
  });
  afterEach(async () => {
    // Every test starts with no open socket, so the per-address and per-user counts are its own.
    const open = peers.splice(0);
    for (const p of open) p.close();
    await Promise.all(open.map((p) => p.untilClosed()));
    await expect.poll(openSockets, { timeout: 5_000 }).toBe(0);
  });
  afterAll(async () => {
    await t?.close();
  });

  const openSockets = async (): Promise<number> => {
    const text = (await t.request('GET', '/metrics')).body;
    return Number(/^sync_open_sockets(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? 'NaN');
  };
  const limitDecisions = async (limit: string): Promise<number> => {
    const text = (await t.request('GET', '/metrics')).body;
    const m = new RegExp(
      `^sync_limit_decisions_total\\{[^}]*limit="${limit}",outcome="limited"[^}]*\\} (\\d+)`,
      'm',
    ).exec(text);
    return Number(m?.[1] ?? 0);
  };
  /** A fresh workspace (fresh frame budget) with one document. */
  const createDoc = async (who: TestSession = owner): Promise<string> => {
    const ws = await t.request('POST', '/api/v1/workspaces', { token: who.token, body: { name: 'Limits' } });
    const res = await t.request('POST', `/api/v1/workspaces/${ws.json().id}/documents`, {
      token: who.token,
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

  it('[S7.4] a user gets a handful of sockets per document and a few overall; more are closed 4429', async () => {
    const [d1, d2] = [await createDoc(), await createDoc()];
    const a = await connect(d1, owner.token);
    const b = await connect(d1, owner.token);
    await Promise.all([a.untilSynced(), b.untilSynced()]);
    const third = await connect(d1, owner.token);
    expect(await third.untilClosed()).toEqual({
      code: CloseCode.RATE_LIMITED,
      reason: 'too many sockets for this user on this document',
    });
    const other = await connect(d2, owner.token);
    await other.untilSynced();
    const fourth = await connect(d2, owner.token);
    expect((await fourth.untilClosed()).reason).toBe('too many sockets for this user');
    expect(await limitDecisions('user_document_sockets')).toBeGreaterThanOrEqual(1);
    expect(await limitDecisions('user_sockets')).toBeGreaterThanOrEqual(1);
    // Closing one frees its place.
    a.close();
    await a.untilClosed();
    await expect.poll(openSockets).toBe(2);
    await (await connect(d1, owner.token)).untilSynced();
  });

  it('[S7.4] sockets from one address past the cap are refused with HTTP 429 before any WebSocket exists', async () => {
    const id = await createDoc();
    // Unauthenticated sockets count too: that is what the address cap is for.
    for (let i = 0; i < 20; i++) await connect(id, undefined, { passive: true });
    const refused = new WebSocket(`${base.replace(/^http/, 'ws')}/sync/${id}`);
    refused.on('error', () => undefined);
    const [, res] = (await once(refused, 'unexpected-response')) as [
      unknown,
      { statusCode: number; headers: Record<string, string> },
    ];
    expect(res.statusCode).toBe(429);
    expect(res.headers['retry-after']).toBe('30');
    expect(await limitDecisions('ip_sockets')).toBeGreaterThanOrEqual(1);
  });

  it('[S7.6][S7.11] a workspace past its frame budget is closed 4429 and its flooder cools down; another workspace syncs on', async () => {
    const [noisyDoc, quietDoc] = [await createDoc(noisy), await createDoc()];
    const flooder = await connect(noisyDoc, noisy.token);
    await flooder.untilSynced();
    // 10 frames/s with a 3 s bucket: 30 at once, then refused.
    for (let i = 0; i < 40; i++) flooder.type(`${i}`);
    expect(await flooder.untilClosed()).toEqual({
      code: CloseCode.RATE_LIMITED,
      reason: 'workspace sync rate exceeded: retry later',
    });
    expect(await limitDecisions('workspace_frames')).toBeGreaterThanOrEqual(1);
    // [S7.11] Reconnecting at once buys no fresh budget: refused before any lookup.
    const again = await connect(noisyDoc, noisy.token);
    expect(await again.untilClosed()).toEqual({
      code: CloseCode.RATE_LIMITED,
      reason: expect.stringMatching(/^sending too fast: retry in [12] s$/),
    });
    expect(await limitDecisions('user_cooldown')).toBeGreaterThanOrEqual(1);
    // Another tenant is untouched meanwhile.
    const quiet = await connect(quietDoc, owner.token);
    await quiet.untilSynced();
    quiet.type('unaffected');
    await quiet.untilSaved();
    // After the cool-down (1.5 s here) the flooder may come back.
    await expect
      .poll(
        async () => {
          const p = await connect(noisyDoc, noisy.token);
          await p.until(() => p.synced || p.closed !== undefined, 5_000, 'sync or close');
          return p.synced ? 'synced' : 'closed';
        },
        { timeout: 10_000, interval: 500 },
      )
      .toBe('synced');
  });

  it('[S7.10] presence frames faster than the interval are coalesced: the latest state wins, the budget is not spent', async () => {
    const id = await createDoc();
    const a = await connect(id, owner.token);
    const b = await connect(id, owner.token, { awareness: true });
    await Promise.all([a.untilSynced(), b.untilSynced()]);
    let seen = 0;
    b.awareness.on('change', ({ added, updated }: { added: number[]; updated: number[] }) => {
      if (added.includes(777) || updated.includes(777)) seen++;
    });
    // 100 frames at once: far over the workspace's 30-frame burst if each one counted.
    for (let i = 1; i <= 100; i++) a.send(awarenessUpdate(777, i, { cursor: i }));
    await b.until(
      () => (b.awareness.getStates().get(777) as { cursor?: number })?.cursor === 100,
      5_000,
      'last presence',
    );
    // The first frame is applied at once, the last after the interval; everything between is replaced.
    expect(seen).toBeLessThanOrEqual(3);
    expect(a.closed).toBeUndefined();
    const text = (await t.request('GET', '/metrics')).body;
    expect(Number(/^sync_presence_coalesced_total(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1])).toBeGreaterThanOrEqual(90);
  });

  it('[S7.7] before authentication a frame over the small limit closes 1009; after it, large frames are fine', async () => {
    const id = await createDoc();
    const early = await connect(id, undefined, { passive: true });
    early.send(new Uint8Array(2_048).fill(MessageType.SYNC, 0, 1));
    expect((await early.untilClosed()).code).toBe(CloseCode.MESSAGE_TOO_BIG);
    const authed = await connect(id, owner.token);
    await authed.untilSynced();
    authed.type('x'.repeat(20_000));
    await authed.untilSaved();
    expect(authed.closed).toBeUndefined();
  });

  it('[S2.7][S7.5] presence is stamped with the account; a state over the cap closes 4400 and is not relayed', async () => {
    const id = await createDoc();
    const a = await connect(id, owner.token);
    const b = await connect(id, owner.token, { awareness: true });
    await Promise.all([a.untilSynced(), b.untilSynced()]);
    a.send(awarenessUpdate(4242, 1, { user: { id: viewer.userId, name: 'Not Me', color: '#00ff00' } }));
    await b.until(() => b.awareness.getStates().has(4242), 2_000, 'presence');
    expect(b.awareness.getStates().get(4242)).toEqual({
      user: { id: owner.userId, name: expect.stringMatching(/^owner \d+$/), color: '#00ff00' },
    });
    a.send(awarenessUpdate(4243, 1, { blob: 'x'.repeat(600) }));
    expect(await a.untilClosed()).toMatchObject({ code: CloseCode.BAD_MESSAGE });
    expect(b.awareness.getStates().has(4243)).toBe(false);
    expect(await limitDecisions('presence_size')).toBeGreaterThanOrEqual(1);
  });

  it('[S5.4] viewer sockets never make the document read-only for its owner', async () => {
    const id = await createDoc();
    const shared = await t.request('PUT', `/api/v1/documents/${id}/shares/${viewer.userId}`, {
      token: owner.token,
      body: { role: 'viewer' },
    });
    expect(shared.statusCode).toBe(200);
    // Two viewer sockets reach SYNC_VIEW_ONLY_ABOVE (2), which used to count every socket; a
    // third is over the viewer's per-document cap.
    const viewers = [await connect(id, viewer.token), await connect(id, viewer.token)];
    await Promise.all(viewers.map((v) => v.untilSynced()));
    expect((await (await connect(id, viewer.token)).untilClosed()).code).toBe(CloseCode.RATE_LIMITED);
    const own = await connect(id, owner.token);
    await own.untilSynced();
    const status = own.messages.findLast((m) => m.type === 'room-status');
    expect(status).toMatchObject({ status: { access: 'edit', editors: 1, viewers: 2 } });
    own.type('still editable');
    await own.untilSaved();
    await viewers[0]!.until(() => viewers[0]!.text() === 'still editable', 2_000, 'the edit');
    expect(own.messages.some((m) => m.type === 'rejected')).toBe(false);
  });
});

describe('sync connect rate per address [embedded]', () => {
  let t: TestApp;
  let base: string;
  beforeAll(async () => {
    t = await startTestApp(backends[0]!, {
      ...LIMITS_ENV,
      SYNC_MAX_SOCKETS_PER_IP: '100',
      SYNC_CONNECTS_PER_SECOND_PER_IP: '1',
      SYNC_CONNECT_BURST_PER_IP: '3',
    });
    base = await t.app.listen();
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  it('[S7.12] a connect storm from one address is answered HTTP 429 with Retry-After at the upgrade', async () => {
    const url = `${base.replace(/^http/, 'ws')}/sync/${crypto.randomUUID()}`;
    const opened: WebSocket[] = [];
    for (let i = 0; i < 3; i++) {
      const ws = new WebSocket(url);
      await once(ws, 'open');
      opened.push(ws);
    }
    const refused = new WebSocket(url);
    refused.on('error', () => undefined);
    const [, res] = (await once(refused, 'unexpected-response')) as [
      unknown,
      { statusCode: number; headers: Record<string, string> },
    ];
    expect(res.statusCode).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    const text = (await t.request('GET', '/metrics')).body;
    expect(text).toMatch(/^sync_limit_decisions_total\{[^}]*limit="ip_connects",outcome="limited"[^}]*\} [1-9]/m);
    for (const ws of opened) ws.terminate();
  });
});
