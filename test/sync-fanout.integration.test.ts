/**
 * Fan-out between two real server processes on one PostgreSQL and one private Redis (started on
 * a free port by this suite, so it can be killed and restarted without touching the shared one):
 * editors on different instances converge, presence and revocations cross instances, an outage
 * of Redis heals by catching up from the log, and instances subscribe only to open documents.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode } from '../src/sync/close-codes.ts';
import { createTestDatabase } from './support/backends.ts';
import { type PrivateRedis, redisServerAvailable, startPrivateRedis } from './support/private-redis.ts';
import { call, type ServerProcess, startServerProcess } from './support/server-process.ts';
import { duplicatedStructs, readStoredUpdates, storedText } from './support/stored-updates.ts';
import { type PeerOptions, SyncPeer } from './support/sync-peer.ts';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.ts';
import { waitFor } from './support/wait.ts';

const REDIS_PREFIX = 'fanout:';
const ROOM_GRACE_MS = 200;
/** S2.4 says 100 ms; asserted with headroom against scheduler noise, the measured values are printed. */
const REVOCATION_BOUND_MS = 250;
const CONVERGENCE_TIMEOUT_MS = 10_000;

/** The edits a text holds (every edit inserts one `;`-terminated token). */
const editsIn = (text: string): string[] => text.split(';').filter((t) => t.length > 0);
const hasAll = (text: string, edits: string[]): boolean => {
  const present = new Set(editsIn(text));
  return edits.every((e) => present.has(e));
};
const range = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const yieldToNetwork = () => new Promise((r) => setImmediate(r));
const readyStatus = async (base: string): Promise<number> => (await fetch(`${base}/readyz`)).status;
const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;

// Two processes cannot share the embedded database: this needs PostgreSQL and a redis-server binary.
describe.skipIf(!process.env.DATABASE_URL || !process.env.REDIS_URL || !redisServerAvailable())(
  'sync fan-out across two processes [postgres+redis]',
  () => {
    let redis: PrivateRedis;
    /** B reaches Redis through this, so a test can cut B off alone. */
    let bToRedis: TcpProxy;
    let databaseUrl: string;
    let dropDatabase: (() => Promise<void>) | undefined;
    let dataDir: string;
    let a: ServerProcess;
    let b: ServerProcess;
    let owner: { token: string; userId: string };
    let workspaceId: string;
    const peers: SyncPeer[] = [];

    beforeAll(async () => {
      redis = await startPrivateRedis();
      bToRedis = await startTcpProxy(redis.port);
      const db = await createTestDatabase();
      databaseUrl = db.url;
      dropDatabase = db.drop;
      dataDir = mkdtempSync(join(tmpdir(), 'collab-docs-fanout-'));
      const env = {
        DATABASE_URL: db.url,
        REDIS_URL: redis.url,
        REDIS_PREFIX,
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        DB_POOL_ACQUIRE_TIMEOUT_MS: '2000',
        SYNC_ROOM_GRACE_MS: String(ROOM_GRACE_MS),
        SYNC_MESSAGES_PER_SECOND: '100000',
        SYNC_MESSAGE_BURST: '100000',
      };
      // One first, so migrations and the signing key are created once; tokens then work on both.
      a = await startServerProcess(env);
      b = await startServerProcess({ ...env, REDIS_URL: `redis://127.0.0.1:${bToRedis.port}` });
      owner = await signUp(a.url, 'owner');
      const ws = await call(a.url, 'POST', '/api/v1/workspaces', { token: owner.token, body: { name: 'Fan-out' } });
      expect(ws.status).toBe(201);
      workspaceId = ws.body.id;
    }, 90_000);

    afterEach(() => {
      for (const p of peers.splice(0)) p.close();
    });

    afterAll(async () => {
      await Promise.all([a?.stop(), b?.stop()]);
      await bToRedis?.close();
      await redis?.kill();
      await dropDatabase?.();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    async function signUp(base: string, name: string): Promise<{ token: string; userId: string }> {
      const r = await call(base, 'POST', '/api/v1/auth/signup', {
        body: {
          email: `${name}-${randomBytes(4).toString('hex')}@example.test`,
          password: 'correct horse battery staple',
          displayName: name,
        },
      });
      expect(r.status).toBe(201);
      return { token: r.body.accessToken, userId: r.body.user.id };
    }

    const createDocument = async (): Promise<string> => {
      const r = await call(a.url, 'POST', `/api/v1/workspaces/${workspaceId}/documents`, {
        token: owner.token,
        body: { title: 'shared' },
      });
      expect(r.status).toBe(201);
      return r.body.id;
    };

    const connect = async (base: string, documentId: string, token: string, opts: PeerOptions = {}) => {
      const p = await SyncPeer.connect(base, documentId, token, opts);
      peers.push(p);
      await p.untilSynced();
      return p;
    };

    it('[S6.1] editors on two instances typing concurrently converge; presence crosses instances', async () => {
      const documentId = await createDocument();
      const pa = await connect(a.url, documentId, owner.token, { awareness: true });
      const pb = await connect(b.url, documentId, owner.token, { awareness: true });
      const started = performance.now();
      for (let round = 0; round < 10; round++) {
        for (let i = 0; i < 10; i++) {
          pa.type(`a${round * 10 + i};`);
          pb.type(`b${round * 10 + i};`);
        }
        await yieldToNetwork();
      }
      const all = [...range('a', 100), ...range('b', 100)];
      await Promise.all([
        pa.until(() => hasAll(pa.text(), all), 5_000, 'every edit at A'),
        pb.until(() => hasAll(pb.text(), all), 5_000, 'every edit at B'),
      ]);
      const convergedMs = performance.now() - started;
      expect(pa.text()).toBe(pb.text());
      expect(editsIn(pa.text())).toHaveLength(200);
      await Promise.all([pa.untilSaved(), pb.untilSaved()]);
      // Each update was persisted by the instance that received it from its client, and only there.
      const stored = await readStoredUpdates(databaseUrl, documentId);
      expect(duplicatedStructs(stored)).toBe(0);
      expect(storedText(stored)).toBe(pa.text());
      // A newcomer on either instance reads the same document.
      const late = await connect(b.url, documentId, owner.token);
      expect(late.text()).toBe(pa.text());

      // [S2.7] The server stamps `user` with the account (one owner here): the peers tell apart by cursor.
      pa.awareness.setLocalState({ cursor: 'Ada' });
      pb.awareness.setLocalState({ cursor: 'Bo' });
      const names = (p: SyncPeer) => [...p.awareness.getStates().values()].map((s) => s.cursor);
      await pb.until(() => names(pb).includes('Ada'), 2_000, "A's presence at B");
      await pa.until(() => names(pa).includes('Bo'), 2_000, "B's presence at A");
      pa.close();
      await pb.until(() => !names(pb).includes('Ada'), 2_000, "A's presence removed at B");
      console.info(`[S6.1] 200 concurrent edits on two instances converged in ${convergedMs.toFixed(0)} ms`);
    });

    it('[S2.4] a share removed through instance A closes the socket on instance B with 4403 at once', async () => {
      const documentId = await createDocument();
      const latencies: number[] = [];
      for (let round = 0; round < 5; round++) {
        const guest = await signUp(a.url, `guest${round}`);
        const shared = await call(a.url, 'PUT', `/api/v1/documents/${documentId}/shares/${guest.userId}`, {
          token: owner.token,
          body: { role: 'editor' },
        });
        expect(shared.status).toBe(200);
        const g = await connect(b.url, documentId, guest.token);
        g.type(`g${round};`);
        await g.untilSaved();
        let closedAt = 0;
        g.ws.once('close', () => {
          closedAt = performance.now();
        });
        const revoked = await call(a.url, 'DELETE', `/api/v1/documents/${documentId}/shares/${guest.userId}`, {
          token: owner.token,
        });
        const answeredAt = performance.now();
        expect(revoked.status).toBe(204);
        expect((await g.untilClosed(2_000)).code).toBe(CloseCode.FORBIDDEN);
        latencies.push(Math.max(0, closedAt - answeredAt));
      }
      console.info(
        `[S2.4] cross-instance revocation → 4403 after the API response: ${latencies.map((l) => l.toFixed(1)).join(', ')} ms (median ${median(latencies).toFixed(1)})`,
      );
      for (const l of latencies) expect(l).toBeLessThan(REVOCATION_BOUND_MS);
    });

    it('[S6.2] an instance subscribes only to documents it has open', async () => {
      const documentId = await createDocument();
      const channel = `${REDIS_PREFIX}doc:${documentId}`;
      const subscribers = async () => Number((await redis.cli('PUBSUB', 'NUMSUB', channel))[1] ?? 0);
      const channels = () => redis.cli('PUBSUB', 'CHANNELS', '*doc:*');
      expect(await channels()).not.toContain(channel);

      const pa = await connect(a.url, documentId, owner.token);
      const pb = await connect(b.url, documentId, owner.token);
      expect(await subscribers()).toBe(2);

      pa.close();
      await pa.untilClosed();
      // A unloads the room after the grace period and leaves the channel; B still has it open.
      await waitFor('A to unsubscribe', async () => (await subscribers()) === 1, ROOM_GRACE_MS + 5_000);
      pb.type('still here;');
      await pb.untilSaved();
      expect(await subscribers()).toBe(1);

      pb.close();
      await pb.untilClosed();
      const goneMs = await waitFor(
        'the channel to disappear',
        async () => !(await channels()).includes(channel),
        ROOM_GRACE_MS + 5_000,
      );
      console.info(
        `[S6.2] channel gone ${goneMs.toFixed(0)} ms after the last socket closed (grace ${ROOM_GRACE_MS} ms)`,
      );
    });

    it('[S2.4] a share revoked while an instance was cut off from Redis closes its socket once the link is back', async () => {
      const documentId = await createDocument();
      const bob = await signUp(a.url, 'bob');
      const shared = await call(a.url, 'PUT', `/api/v1/documents/${documentId}/shares/${bob.userId}`, {
        token: owner.token,
        body: { role: 'editor' },
      });
      expect(shared.status).toBe(200);
      const pb = await connect(b.url, documentId, bob.token);
      bToRedis.cut();
      await waitFor('B to report Redis down', async () => (await readyStatus(b.url)) === 503);
      const removed = await call(a.url, 'DELETE', `/api/v1/documents/${documentId}/shares/${bob.userId}`, {
        token: owner.token,
      });
      expect(removed.status).toBe(204);
      bToRedis.restore();
      const restoredAt = performance.now();
      expect((await pb.untilClosed(CONVERGENCE_TIMEOUT_MS)).code).toBe(CloseCode.FORBIDDEN);
      console.info(
        `[S2.4] missed revocation applied ${(performance.now() - restoredAt).toFixed(0)} ms after the link returned`,
      );
    });

    it('[S6.3] edits an instance saved while it could not publish reach the other instance once it can', async () => {
      const documentId = await createDocument();
      const pa = await connect(a.url, documentId, owner.token);
      const pb = await connect(b.url, documentId, owner.token);
      bToRedis.cut();
      await waitFor('B to report Redis down', async () => (await readyStatus(b.url)) === 503);
      const unpublished = range('unpublished', 10);
      for (const e of unpublished) pb.type(`${e};`);
      await pb.untilSaved();
      expect(editsIn(pa.text())).toHaveLength(0);
      bToRedis.restore();
      const restoredAt = performance.now();
      // Nobody types again: only B's "read the log" hint can bring these to A.
      await pa.until(() => hasAll(pa.text(), unpublished), CONVERGENCE_TIMEOUT_MS, 'edits from B at A');
      console.info(
        `[S6.3] A received B's unpublished edits ${(performance.now() - restoredAt).toFixed(0)} ms after B's link returned`,
      );
      expect(pa.text()).toBe(pb.text());
      await waitFor('B ready again', async () => (await readyStatus(b.url)) === 200);
    });

    it('[S6.3] an instance cut off from Redis alone catches up from the log when it reconnects', async () => {
      const documentId = await createDocument();
      const pa = await connect(a.url, documentId, owner.token);
      const pb = await connect(b.url, documentId, owner.token);
      bToRedis.cut();
      await waitFor('B to report Redis down', async () => (await readyStatus(b.url)) === 503);
      // Published by A while B is not listening: B can only learn of it from the log.
      const missed = range('missed', 10);
      for (const e of missed) pa.type(`${e};`);
      await pa.untilSaved();
      expect(editsIn(pb.text())).toHaveLength(0);

      bToRedis.restore();
      const restoredAt = performance.now();
      await pb.until(() => hasAll(pb.text(), missed), CONVERGENCE_TIMEOUT_MS, 'catch-up at B');
      console.info(
        `[S6.3] B caught up ${(performance.now() - restoredAt).toFixed(0)} ms after its link to Redis was restored`,
      );
      expect(pb.text()).toBe(pa.text());
      await waitFor('B ready again', async () => (await readyStatus(b.url)) === 200);
    });

    it('[S6.3] Redis killed mid-session: both instances keep persisting; after it returns everyone converges from the log', async () => {
      const documentId = await createDocument();
      const pa = await connect(a.url, documentId, owner.token);
      const pb = await connect(b.url, documentId, owner.token);
      pa.type('before-a;');
      pb.type('before-b;');
      await Promise.all([
        pa.until(() => hasAll(pa.text(), ['before-a', 'before-b']), 2_000, 'live fan-out before the outage'),
        pb.until(() => hasAll(pb.text(), ['before-a', 'before-b']), 2_000, 'live fan-out before the outage'),
      ]);

      await redis.kill();
      // Both instances have noticed (readiness reports Redis) before anyone types.
      await waitFor('A and B to report Redis down', async () => {
        const [sa, sb] = await Promise.all([readyStatus(a.url), readyStatus(b.url)]);
        return sa === 503 && sb === 503;
      });
      const fromA = range('outage-a', 20);
      const fromB = range('outage-b', 20);
      for (const e of fromA) pa.type(`${e};`);
      for (const e of fromB) pb.type(`${e};`);
      // Each instance persists its own clients' edits: SAVED arrives although the bus is gone.
      await Promise.all([pa.untilSaved(5_000), pb.untilSaved(5_000)]);
      // A real partition: neither side has seen the other's outage edits.
      expect(editsIn(pa.text())).not.toContain('outage-b0');
      expect(editsIn(pb.text())).not.toContain('outage-a0');

      await redis.start();
      const restartedAt = performance.now();
      await Promise.all([
        pa.until(() => hasAll(pa.text(), fromB), CONVERGENCE_TIMEOUT_MS, "B's outage edits at A"),
        pb.until(() => hasAll(pb.text(), fromA), CONVERGENCE_TIMEOUT_MS, "A's outage edits at B"),
      ]);
      const convergedMs = performance.now() - restartedAt;
      expect(pa.text()).toBe(pb.text());
      expect(editsIn(pa.text())).toHaveLength(42);
      console.info(`[S6.3] converged ${convergedMs.toFixed(0)} ms after Redis answered PING again`);

      // Once both report Redis healthy (their publishers are back too), edits cross live again.
      // Typed before A's publisher reconnects, this edit would be lost for B (gap (2) above).
      await waitFor(
        'A and B ready again',
        async () => (await readyStatus(a.url)) === 200 && (await readyStatus(b.url)) === 200,
      );
      pa.type('after-a;');
      await pb.until(() => editsIn(pb.text()).includes('after-a'), 2_000, 'live fan-out after the outage');
    });
  },
);
