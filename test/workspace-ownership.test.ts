/**
 * A workspace's primary owner and what leaving takes along, on every backend (docs/spec/auth.md
 * [P5] [P9] [P3]): only the primary owner demotes or removes owners and hands the role over; they
 * cannot leave or step down before; a member who leaves or is removed loses their person shares
 * in that workspace at once, open sockets included.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode } from '../src/sync/close-codes.ts';
import { backends } from './support/backends.ts';
import { SyncPeer } from './support/sync-peer.ts';
import { startTestApp, type TestApp, type TestSession } from './support/test-app.ts';

describe.each(backends)('workspace primary owner [$name]', (backend) => {
  let t: TestApp;
  let base: string;
  let creator: TestSession;
  let second: TestSession;
  let member: TestSession;
  const peers: SyncPeer[] = [];

  const call = (who: TestSession, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown) =>
    t.request(method, `/api/v1${url}`, { token: who.token, body });

  /** W created by `creator` with `second` as a second owner and `member` as a member. */
  async function workspace(): Promise<string> {
    const w = (await call(creator, 'POST', '/workspaces', { name: 'Owners' })).json();
    await t.addMember(creator, w.id, second, 'owner');
    await t.addMember(creator, w.id, member, 'member');
    expect(w.primaryOwnerId).toBe(creator.userId);
    return w.id;
  }

  beforeAll(async () => {
    t = await startTestApp(backend, { PORT: '0', HOST: '127.0.0.1' });
    base = await t.app.listen();
    [creator, second, member] = await Promise.all([t.signUp('creator'), t.signUp('second'), t.signUp('member')]);
  }, 60_000);
  afterAll(async () => {
    for (const p of peers) p.close();
    await t?.close();
  });

  it('[P9] another owner can neither demote nor remove the primary owner, nor another owner; they may step down', async () => {
    const id = await workspace();
    const third = await t.signUp('third');
    await t.addMember(creator, id, third, 'owner');
    expect(
      (await call(second, 'PATCH', `/workspaces/${id}/members/${creator.userId}`, { role: 'admin' })).statusCode,
    ).toBe(403);
    expect((await call(second, 'DELETE', `/workspaces/${id}/members/${creator.userId}`)).statusCode).toBe(403);
    const demote = await call(second, 'PATCH', `/workspaces/${id}/members/${third.userId}`, { role: 'member' });
    expect(demote.statusCode).toBe(403);
    expect(demote.json().detail).toMatch(/only the primary owner/);
    expect(
      (await call(second, 'PATCH', `/workspaces/${id}/members/${second.userId}`, { role: 'admin' })).statusCode,
    ).toBe(200);
    // The primary owner demotes and removes owners.
    expect((await call(creator, 'DELETE', `/workspaces/${id}/members/${third.userId}`)).statusCode).toBe(204);
  });

  it('[P9] the primary owner cannot leave or step down until they hand the role over; then they can', async () => {
    const id = await workspace();
    const leave = await call(creator, 'DELETE', `/workspaces/${id}/members/${creator.userId}`);
    expect(leave.statusCode).toBe(403);
    expect(leave.json().detail).toMatch(/primary owner cannot leave/);
    expect(
      (await call(creator, 'PATCH', `/workspaces/${id}/members/${creator.userId}`, { role: 'admin' })).statusCode,
    ).toBe(403);
    // Handed to a member: they become an owner and the primary owner.
    expect((await call(second, 'PUT', `/workspaces/${id}/primary-owner`, { userId: second.userId })).statusCode).toBe(
      403,
    );
    const handed = await call(creator, 'PUT', `/workspaces/${id}/primary-owner`, { userId: member.userId });
    expect(handed.statusCode, handed.body).toBe(200);
    expect(handed.json()).toMatchObject({ primaryOwnerId: member.userId, role: 'owner' });
    expect((await call(member, 'GET', `/workspaces/${id}`)).json()).toMatchObject({
      role: 'owner',
      primaryOwnerId: member.userId,
    });
    expect((await call(creator, 'PUT', `/workspaces/${id}/primary-owner`, { userId: creator.userId })).statusCode).toBe(
      403,
    );
    expect((await call(creator, 'DELETE', `/workspaces/${id}/members/${creator.userId}`)).statusCode).toBe(204);
  });

  it('[P9] the new primary owner must be a member (422)', async () => {
    const id = await workspace();
    const stranger = await t.signUp('stranger');
    const res = await call(creator, 'PUT', `/workspaces/${id}/primary-owner`, { userId: stranger.userId });
    expect(res.statusCode).toBe(422);
    expect(res.json().type).toMatch(/not_a_member$/);
  });

  it('[P3.1] a removed member loses their person shares in that workspace at once (socket closed 4403), not elsewhere', async () => {
    const id = await workspace();
    const other = (await call(creator, 'POST', '/workspaces', { name: 'Elsewhere' })).json().id as string;
    const doc = async (w: string) =>
      (await call(creator, 'POST', `/workspaces/${w}/documents`, { title: 'Shared' })).json().id as string;
    const [here, there] = await Promise.all([doc(id), doc(other)]);
    await call(creator, 'PUT', `/documents/${here}/general-access`, { generalAccess: 'restricted' });
    for (const d of [here, there]) {
      expect(
        (await call(creator, 'PUT', `/documents/${d}/shares/${member.userId}`, { role: 'editor' })).statusCode,
      ).toBe(200);
    }
    const peer = await SyncPeer.connect(base, here, member.token);
    peers.push(peer);
    await peer.untilSynced();
    expect((await call(creator, 'DELETE', `/workspaces/${id}/members/${member.userId}`)).statusCode).toBe(204);
    expect((await peer.untilClosed(2000)).code).toBe(CloseCode.FORBIDDEN);
    expect((await call(member, 'GET', `/documents/${here}`)).statusCode).toBe(404);
    // Invited back, the share does not come back with them.
    await t.addMember(creator, id, member, 'guest');
    expect((await call(member, 'GET', `/documents/${here}`)).statusCode).toBe(404);
    expect((await call(member, 'GET', `/documents/${there}`)).json().access).toBe('editor');
  });
});
