/**
 * [S5.6] Fleet-wide tiers between two real server processes on one PostgreSQL and one Redis: the
 * editor cap holds across the instances (each alone would be under it), a seat freed on instance
 * A goes live to the first in line on instance B (not to a later waiter on A), and a kill -9'd
 * instance's seats free after SYNC_FLEET_TTL_MS for the next in line on the survivor.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RoomStatus } from '../src/sync/protocol.ts';
import { createTestDatabase } from './support/backends.ts';
import { call, type ServerProcess, startServerProcess } from './support/server-process.ts';
import { SyncPeer } from './support/sync-peer.ts';

const CAP = 2;
const FLEET_TTL_MS = 1_500;

const status = (p: SyncPeer): RoomStatus | undefined =>
  p.messages.flatMap((m) => (m.type === 'room-status' ? [m.status] : [])).at(-1);
const seated = (p: SyncPeer): boolean =>
  p.messages.some((m) => m.type === 'access-changed' && m.change.access === 'edit');

// Two processes cannot share the embedded database: this needs PostgreSQL and Redis.
describe.skipIf(!process.env.DATABASE_URL || !process.env.REDIS_URL)(
  'fleet-wide tiers across two processes [postgres+redis]',
  () => {
    let dropDatabase: (() => Promise<void>) | undefined;
    let dataDir: string;
    let a: ServerProcess;
    let b: ServerProcess;
    let owner: string;
    let workspaceId: string;
    const peers: SyncPeer[] = [];

    beforeAll(async () => {
      const db = await createTestDatabase();
      dropDatabase = db.drop;
      dataDir = mkdtempSync(join(tmpdir(), 'collab-docs-fleet-'));
      const env = {
        DATABASE_URL: db.url,
        REDIS_URL: process.env.REDIS_URL!,
        REDIS_PREFIX: `fleet:${randomBytes(4).toString('hex')}:`,
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        DB_POOL_ACQUIRE_TIMEOUT_MS: '2000',
        SYNC_VIEW_ONLY_ABOVE: String(CAP),
        SYNC_FLEET_TTL_MS: String(FLEET_TTL_MS),
        SYNC_FLEET_REPORT_MS: '200',
      };
      // One first, so migrations and the signing key are created once; tokens then work on both.
      // Generous start-up deadlines: a loaded CI machine takes tens of seconds to start a server.
      a = await startServerProcess(env, 120_000);
      b = await startServerProcess(env, 120_000);
      const r = await call(a.url, 'POST', '/api/v1/auth/signup', {
        body: {
          email: `owner-${randomBytes(4).toString('hex')}@example.test`,
          password: 'correct horse battery staple',
          displayName: 'owner',
        },
      });
      expect(r.status).toBe(201);
      owner = r.body.accessToken;
      const ws = await call(a.url, 'POST', '/api/v1/workspaces', { token: owner, body: { name: 'Fleet' } });
      expect(ws.status).toBe(201);
      workspaceId = ws.body.id;
    }, 300_000);

    afterEach(() => {
      for (const p of peers.splice(0)) p.close();
    });

    afterAll(async () => {
      await Promise.all([a?.stop(), b?.stop()]);
      await dropDatabase?.();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    const createDocument = async (): Promise<string> => {
      const r = await call(a.url, 'POST', `/api/v1/workspaces/${workspaceId}/documents`, {
        token: owner,
        body: { title: 'hot' },
      });
      expect(r.status).toBe(201);
      return r.body.id;
    };

    /** One socket of the owner (edit rights), synced, with its first ROOM_STATUS. */
    const connect = async (server: ServerProcess, documentId: string): Promise<SyncPeer> => {
      const p = await SyncPeer.connect(server.url, documentId, owner);
      peers.push(p);
      await p.untilSynced();
      await p.until(() => status(p) !== undefined, 5_000, 'a ROOM_STATUS');
      return p;
    };

    it('[S5.6] the editor cap holds across instances and a seat freed on A goes to the first in line on B', async () => {
      const documentId = await createDocument();
      const editorA = await connect(a, documentId);
      const editorB = await connect(b, documentId);
      expect([status(editorA)?.access, status(editorB)?.access]).toEqual(['edit', 'edit']);

      // One editor per instance: each instance alone is under the cap of 2, the document is not.
      const firstInLine = await connect(b, documentId);
      const secondInLine = await connect(a, documentId);
      for (const w of [firstInLine, secondInLine]) {
        expect(status(w)).toMatchObject({ access: 'read', waiting: true, mode: 'view-only', editors: CAP });
      }

      editorA.close(); // freed on A, where the second in line waits
      await firstInLine.until(
        () => seated(firstInLine) && status(firstInLine)?.access === 'edit',
        5_000,
        'the seat on B, then its ROOM_STATUS',
      );
      expect(status(firstInLine)).toMatchObject({ access: 'edit', waiting: false });
      expect(seated(secondInLine)).toBe(false);
      firstInLine.type('seated on B;');
      await firstInLine.untilSaved();
      await editorB.until(() => editorB.text().includes('seated on B;'), 5_000, 'the edit at B');
      await secondInLine.until(() => secondInLine.text().includes('seated on B;'), 5_000, 'the edit at A');
      // The second in line still waits, now first: the fleet holds 2 editors again.
      await secondInLine.until(() => status(secondInLine)?.waitlist === 1, 5_000, 'one waiter left in line');
      expect(status(secondInLine)).toMatchObject({ access: 'read', waiting: true, editors: CAP });
    });

    it('[S5.6] a kill -9 instance keeps no seats: after the TTL the first in line on the survivor gets one', async () => {
      const documentId = await createDocument();
      await connect(b, documentId);
      await connect(b, documentId);
      const waiter = await connect(a, documentId);
      expect(status(waiter)).toMatchObject({ access: 'read', waiting: true, editors: CAP });
      const killedAt = performance.now();
      await b.stop('SIGKILL');
      await waiter.until(
        () => seated(waiter) && status(waiter)?.access === 'edit',
        FLEET_TTL_MS + 10_000,
        'the seat once B expired',
      );
      const after = performance.now() - killedAt;
      expect(status(waiter)).toMatchObject({ access: 'edit', waiting: false, editors: 1 });
      console.info(`[S5.6] seat of a kill -9 instance reused after ${after.toFixed(0)} ms (TTL ${FLEET_TTL_MS} ms)`);
    });
  },
);
