/**
 * General access and ownership end to end, on every backend (docs/spec/auth.md [P7] [P8]): every
 * caller × every general-access setting × every operation over REST and the sync socket, lists and
 * search, changes reaching open sockets at once, and ownership transfer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode } from '../src/sync/close-codes.ts';
import { backends } from './support/backends.ts';
import { SyncPeer } from './support/sync-peer.ts';
import { startTestApp, type TestApp, type TestSession } from './support/test-app.ts';

const LEVELS = ['restricted', 'view', 'comment', 'edit'] as const;
type Level = (typeof LEVELS)[number];
const CALLERS = ['none', 'guest', 'viewer', 'commenter', 'editor', 'member', 'admin', 'owner', 'author'] as const;
type Caller = (typeof CALLERS)[number];
type Access = 'none' | 'viewer' | 'commenter' | 'editor' | 'admin' | 'owner';

/**
 * The caller's access to D (shared with the guests viewer/commenter/editor; created and owned by
 * author, a member) at each setting. Written out, not derived from the policy.
 */
// biome-ignore format: one row per setting reads best.
const ACCESS: Record<Level, Record<Caller, Access>> = {
  //           none    guest   viewer    commenter    editor    member       admin    owner    author
  restricted: { none: 'none', guest: 'none', viewer: 'viewer', commenter: 'commenter', editor: 'editor', member: 'none',      admin: 'admin', owner: 'owner', author: 'editor' },
  view:       { none: 'none', guest: 'none', viewer: 'viewer', commenter: 'commenter', editor: 'editor', member: 'viewer',    admin: 'admin', owner: 'owner', author: 'editor' },
  comment:    { none: 'none', guest: 'none', viewer: 'viewer', commenter: 'commenter', editor: 'editor', member: 'commenter', admin: 'admin', owner: 'owner', author: 'editor' },
  edit:       { none: 'none', guest: 'none', viewer: 'viewer', commenter: 'commenter', editor: 'editor', member: 'editor',    admin: 'admin', owner: 'owner', author: 'editor' },
};
/** Who manages D (shares, general access, ownership, trash) whatever the setting. */
const MANAGES: ReadonlySet<Caller> = new Set(['admin', 'owner', 'author']);
/** P: a second document of the author's with no shares. */
const sharedOnlyD = (c: Caller) => c === 'viewer' || c === 'commenter' || c === 'editor';
const RANK: Access[] = ['none', 'viewer', 'commenter', 'editor', 'admin', 'owner'];
const atLeast = (a: Access, b: Access) => RANK.indexOf(a) >= RANK.indexOf(b);

const SYNC_ENV = { PORT: '0', HOST: '127.0.0.1', SYNC_ROOM_GRACE_MS: '50' };

describe.each(backends)('general access and ownership [$name]', (backend) => {
  let t: TestApp;
  let base: string;
  let cast: Record<Caller, TestSession>;
  const peers: SyncPeer[] = [];
  type Fixture = { workspaceId: string; d: string; p: string };

  const call = (who: TestSession, method: 'GET' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown) =>
    t.request(method, `/api/v1${url}`, { token: who.token, body });
  const ok = async (res: Promise<{ statusCode: number; body: string }>, status = 200) => {
    const r = await res;
    if (r.statusCode !== status) throw new Error(`fixture step: ${r.statusCode} ${r.body}`);
    return r.body ? JSON.parse(r.body) : undefined;
  };
  const connect = async (documentId: string, who: TestSession) => {
    const p = await SyncPeer.connect(base, documentId, who.token);
    peers.push(p);
    return p;
  };
  const socketAccess = (p: SyncPeer) =>
    [...p.messages].reverse().find((m) => m.type === 'room-status')?.status.access as string | undefined;
  const listIds = async (who: TestSession, workspaceId: string) =>
    (await ok(call(who, 'GET', `/workspaces/${workspaceId}/documents?limit=100`))).items.map(
      (d: { id: string }) => d.id,
    ) as string[];

  /** W: owner, admin, member, author (member), guests; D shared with viewer/commenter/editor; P unshared. */
  async function fixture(level: Level): Promise<Fixture> {
    const created = await t.request('POST', '/api/v1/workspaces', { token: cast.owner.token, body: { name: 'GA' } });
    const workspaceId = created.json().id as string;
    const roles: [Caller, string][] = [
      ['admin', 'admin'],
      ['member', 'member'],
      ['author', 'member'],
      ['guest', 'guest'],
      ['viewer', 'guest'],
      ['commenter', 'guest'],
      ['editor', 'guest'],
    ];
    await Promise.all(roles.map(([c, role]) => t.addMember(cast.owner, workspaceId, cast[c], role)));
    const make = async (title: string) =>
      (
        await t.request('POST', `/api/v1/workspaces/${workspaceId}/documents`, {
          token: cast.author.token,
          body: { title },
        })
      ).json().id as string;
    const [d, p] = await Promise.all([make('galevel shared'), make('galevel private')]);
    for (const c of ['viewer', 'commenter', 'editor'] as const) {
      await ok(call(cast.author, 'PUT', `/documents/${d}/shares/${cast[c].userId}`, { role: c }));
    }
    for (const id of [d, p]) {
      const doc = await ok(call(cast.author, 'PUT', `/documents/${id}/general-access`, { generalAccess: level }));
      expect(doc.generalAccess).toBe(level);
    }
    return { workspaceId, d, p };
  }

  beforeAll(async () => {
    t = await startTestApp(backend, SYNC_ENV);
    base = await t.app.listen();
    const sessions = await Promise.all(CALLERS.map((c) => t.signUp(c)));
    cast = Object.fromEntries(CALLERS.map((c, i) => [c, sessions[i]])) as Record<Caller, TestSession>;
  }, 60_000);
  afterAll(async () => {
    for (const p of peers) p.close();
    await t?.close();
  });

  for (const level of LEVELS) {
    describe(`general access ${level} [P7]`, () => {
      let f: Fixture;
      beforeAll(async () => {
        f = await fixture(level);
      }, 60_000);

      for (const caller of CALLERS) {
        const access = ACCESS[level][caller];
        it(`[P7] ${caller}: GET, content, rename, share, general access, export of D follow access ${access}`, async () => {
          const me = cast[caller];
          const read = await call(me, 'GET', `/documents/${f.d}`);
          if (access === 'none') {
            for (const res of [
              read,
              await call(me, 'GET', `/documents/${f.d}/content?format=text`),
              await call(me, 'PATCH', `/documents/${f.d}`, { title: 'x' }),
              await call(me, 'PUT', `/documents/${f.d}/general-access`, { generalAccess: level }),
            ]) {
              expect(res.statusCode, res.body).toBe(404);
            }
            return;
          }
          expect(read.statusCode).toBe(200);
          expect(read.json()).toMatchObject({ access, generalAccess: level, ownerId: cast.author.userId });
          expect((await call(me, 'GET', `/documents/${f.d}/content?format=text`)).statusCode).toBe(200);
          const rename = await call(me, 'PATCH', `/documents/${f.d}`, { title: 'galevel shared' });
          expect(rename.statusCode, rename.body).toBe(atLeast(access, 'editor') ? 200 : 403);
          const manage = MANAGES.has(caller) ? 200 : 403;
          const share = await call(me, 'PUT', `/documents/${f.d}/shares/${cast.viewer.userId}`, { role: 'viewer' });
          expect(share.statusCode, share.body).toBe(manage);
          const setting = await call(me, 'PUT', `/documents/${f.d}/general-access`, { generalAccess: level });
          expect(setting.statusCode, setting.body).toBe(manage);
          expect(read.json().canDelete).toBe(MANAGES.has(caller));
        });

        it(`[P7] ${caller}: the sync socket of D ${access === 'none' ? 'is refused 4404' : `opens ${atLeast(access, 'editor') ? 'for editing' : 'read-only'}`}`, async () => {
          const peer = await connect(f.d, cast[caller]);
          if (access === 'none') {
            expect((await peer.untilClosed(2000)).code).toBe(CloseCode.NOT_FOUND);
            return;
          }
          await peer.untilSynced();
          await peer.until(() => socketAccess(peer) !== undefined, 2000, 'room status');
          expect(socketAccess(peer)).toBe(atLeast(access, 'editor') ? 'edit' : 'read');
          peer.close();
        });

        if (caller !== 'none') {
          const pAccess = sharedOnlyD(caller) ? 'none' : access;
          it(`[P7] ${caller}: lists and search ${pAccess === 'none' ? 'leave out' : 'include'} the unshared document`, async () => {
            const me = cast[caller];
            expect((await listIds(me, f.workspaceId)).includes(f.p)).toBe(pAccess !== 'none');
            const everywhere = await ok(call(me, 'GET', '/documents?limit=100&order=created'));
            expect(everywhere.items.some((d: { id: string }) => d.id === f.p)).toBe(pAccess !== 'none');
            const titles = await ok(call(me, 'GET', `/search/titles?q=galevel&workspaceId=${f.workspaceId}`));
            expect(titles.items.some((d: { id: string }) => d.id === f.p)).toBe(pAccess !== 'none');
            const hits = await ok(call(me, 'GET', `/search?q=galevel&workspaceId=${f.workspaceId}`));
            expect(hits.items.some((d: { id: string }) => d.id === f.p)).toBe(pAccess !== 'none');
          });
        }
      }
    });
  }

  describe('changes reach open sockets and the next request [P7] [P3]', () => {
    it('[P7] a member editing live: edit → view turns read-only, view → edit allows editing, → restricted closes 4403', async () => {
      const f = await fixture('edit');
      const m = await connect(f.d, cast.member);
      await m.untilSynced();
      await m.until(() => socketAccess(m) === 'edit', 2000, 'edit access');
      await ok(call(cast.author, 'PUT', `/documents/${f.d}/general-access`, { generalAccess: 'view' }));
      await m.until(() => m.messages.some((x) => x.type === 'access-changed'), 2000, 'ACCESS_CHANGED');
      expect(m.messages.find((x) => x.type === 'access-changed')).toMatchObject({ change: { access: 'read' } });
      m.type('not allowed');
      await m.until(() => m.messages.some((x) => x.type === 'rejected'), 2000, 'REJECTED after downgrade');
      await ok(call(cast.author, 'PUT', `/documents/${f.d}/general-access`, { generalAccess: 'edit' }));
      await m.until(() => socketAccess(m) === 'edit', 2000, 'edit again');
      await ok(call(cast.admin, 'PUT', `/documents/${f.d}/general-access`, { generalAccess: 'restricted' }));
      expect((await m.untilClosed(2000)).code).toBe(CloseCode.FORBIDDEN);
      // A guest's person share is untouched by the setting.
      const g = await connect(f.d, cast.editor);
      await g.untilSynced();
      await g.until(() => socketAccess(g) === 'edit', 2000, 'guest editor');
      g.close();
    });

    it('[P7] [H1] restricting a document takes it out of a member’s lists and search on the next request', async () => {
      const f = await fixture('edit');
      expect(await listIds(cast.member, f.workspaceId)).toContain(f.p);
      expect((await call(cast.member, 'GET', `/documents/${f.p}`)).statusCode).toBe(200);
      await ok(call(cast.owner, 'PUT', `/documents/${f.p}/general-access`, { generalAccess: 'restricted' }));
      expect(await listIds(cast.member, f.workspaceId)).not.toContain(f.p);
      expect((await call(cast.member, 'GET', `/documents/${f.p}`)).statusCode).toBe(404);
      const titles = await ok(call(cast.member, 'GET', `/search/titles?q=galevel&workspaceId=${f.workspaceId}`));
      expect(titles.items.map((d: { id: string }) => d.id)).not.toContain(f.p);
    });

    it('[P7] a member with a person share on a restricted document finds it under "shared with me"', async () => {
      const f = await fixture('restricted');
      await ok(call(cast.author, 'PUT', `/documents/${f.p}/shares/${cast.member.userId}`, { role: 'commenter' }));
      const shared = await ok(call(cast.member, 'GET', '/documents?sharedWithMe=true&limit=100'));
      expect(shared.items.map((d: { id: string }) => d.id)).toContain(f.p);
      expect((await call(cast.member, 'GET', `/documents/${f.p}`)).json().access).toBe('commenter');
    });
  });

  it('[P10] readers see who has access by name; only those who manage access see emails', async () => {
    const f = await fixture('view');
    for (const who of [cast.viewer, cast.member, cast.editor]) {
      const items = (await ok(call(who, 'GET', `/documents/${f.d}/shares`))).items as Record<string, unknown>[];
      expect(items.length).toBe(3);
      for (const s of items) {
        expect(s.displayName).toEqual(expect.any(String));
        expect(s).not.toHaveProperty('email');
      }
    }
    for (const who of [cast.author, cast.admin]) {
      const items = (await ok(call(who, 'GET', `/documents/${f.d}/shares`))).items as Record<string, unknown>[];
      expect(items.map((s) => s.email).sort()).toEqual(
        [cast.viewer.email, cast.commenter.email, cast.editor.email].sort(),
      );
    }
  });

  describe('ownership [P8]', () => {
    it('[P8] the owner keeps a restricted document after being made a guest, and loses it by leaving', async () => {
      const f = await fixture('restricted');
      await ok(
        call(cast.owner, 'PATCH', `/workspaces/${f.workspaceId}/members/${cast.author.userId}`, { role: 'guest' }),
      );
      const doc = await ok(call(cast.author, 'GET', `/documents/${f.p}`));
      expect(doc).toMatchObject({ access: 'editor', canDelete: true });
      expect(await listIds(cast.author, f.workspaceId)).toEqual(expect.arrayContaining([f.d, f.p]));
      const mine = await ok(call(cast.author, 'GET', '/documents?limit=100&order=title'));
      expect(mine.items.map((d: { id: string }) => d.id)).toContain(f.p);
      await ok(call(cast.author, 'DELETE', `/workspaces/${f.workspaceId}/members/${cast.author.userId}`), 204);
      expect((await call(cast.author, 'GET', `/documents/${f.p}`)).statusCode).toBe(404);
      // Its workspace's admins still manage it.
      expect(
        (await call(cast.admin, 'PUT', `/documents/${f.p}/general-access`, { generalAccess: 'view' })).statusCode,
      ).toBe(200);
    });

    it('[P8] transferring hands over management; the previous owner keeps an editor share', async () => {
      const f = await fixture('restricted');
      expect((await call(cast.member, 'GET', `/documents/${f.p}`)).statusCode).toBe(404);
      const moved = await ok(call(cast.author, 'PUT', `/documents/${f.p}/owner`, { userId: cast.member.userId }));
      expect(moved.ownerId).toBe(cast.member.userId);
      expect(moved.access).toBe('editor');
      expect(moved.canDelete).toBe(false);
      const asNewOwner = await ok(call(cast.member, 'GET', `/documents/${f.p}`));
      expect(asNewOwner).toMatchObject({ access: 'editor', canDelete: true, ownerId: cast.member.userId });
      expect(
        (await call(cast.author, 'PUT', `/documents/${f.p}/general-access`, { generalAccess: 'edit' })).statusCode,
      ).toBe(403);
      expect(
        (await call(cast.member, 'PUT', `/documents/${f.p}/general-access`, { generalAccess: 'view' })).statusCode,
      ).toBe(200);
      const shares = await ok(call(cast.member, 'GET', `/documents/${f.p}/shares`));
      expect(shares.items).toEqual([expect.objectContaining({ userId: cast.author.userId, role: 'editor' })]);
    });

    it('[P8] the new owner must be a member, admin or owner of the workspace (422); others may not transfer (403)', async () => {
      const f = await fixture('edit');
      for (const target of [cast.guest, cast.none]) {
        const res = await call(cast.author, 'PUT', `/documents/${f.d}/owner`, { userId: target.userId });
        expect(res.statusCode, res.body).toBe(422);
        expect(res.json().type).toMatch(/owner_not_member$/);
      }
      expect(
        (await call(cast.member, 'PUT', `/documents/${f.d}/owner`, { userId: cast.member.userId })).statusCode,
      ).toBe(403);
      expect(
        (await call(cast.editor, 'PUT', `/documents/${f.d}/owner`, { userId: cast.editor.userId })).statusCode,
      ).toBe(403);
      expect((await call(cast.admin, 'PUT', `/documents/${f.d}/owner`, { userId: cast.owner.userId })).statusCode).toBe(
        200,
      );
    });

    it('[P8] a transfer re-checks the open sockets: a restricted document’s new owner may edit at once', async () => {
      const f = await fixture('view');
      const m = await connect(f.p, cast.member);
      await m.untilSynced();
      await m.until(() => socketAccess(m) === 'read', 2000, 'read access');
      await ok(call(cast.author, 'PUT', `/documents/${f.p}/owner`, { userId: cast.member.userId }));
      await m.until(() => socketAccess(m) === 'edit', 2000, 'edit access after the transfer');
    });
  });
});
