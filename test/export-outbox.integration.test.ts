/**
 * The export outbox against real processes [E1.4]: the process that answered 202 is killed with
 * SIGKILL at once, before any worker could look at the job; a worker started afterwards finds
 * the job in the database and finishes it. Embedded (PGlite under a temp DATA_DIR) always; on
 * PostgreSQL too when DATABASE_URL is set, there with a worker-only process (ROLES=worker).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase } from './support/backends.ts';
import { call, type ServerProcess, startServerProcess } from './support/server-process.ts';

const READY_TIMEOUT_MS = 60_000;
const TEST_TIMEOUT_MS = 90_000;
const FINISH_TIMEOUT_MS = 30_000;

type Store = { env: Record<string, string>; cleanup(): Promise<void> };

const stores: Array<{ name: string; workerOnly: boolean; open(): Promise<Store> }> = [
  {
    name: 'embedded',
    // One process owns an embedded database: the restarted process serves every role.
    workerOnly: false,
    async open() {
      const dataDir = mkdtempSync(join(tmpdir(), 'collab-docs-outbox-'));
      return {
        env: { DATA_DIR: dataDir, DATABASE_URL: '', REDIS_URL: '' },
        async cleanup() {
          rmSync(dataDir, { recursive: true, force: true });
        },
      };
    },
  },
  ...(process.env.DATABASE_URL
    ? [
        {
          name: 'postgres',
          workerOnly: true,
          async open(): Promise<Store> {
            const db = await createTestDatabase();
            const dataDir = mkdtempSync(join(tmpdir(), 'collab-docs-outbox-'));
            return {
              env: { DATA_DIR: dataDir, DATABASE_URL: db.url, REDIS_URL: '' },
              async cleanup() {
                await db.drop();
                rmSync(dataDir, { recursive: true, force: true });
              },
            };
          },
        },
      ]
    : []),
];

const SERVER_ENV = {
  LOG_LEVEL: 'warn',
  DB_POOL_ACQUIRE_TIMEOUT_MS: '2000',
  EXPORT_POLL_INTERVAL_MS: '50',
  EXPORT_BACKOFF_BASE_MS: '50',
  // The web app is not what this test is about.
  WEB_BUILD: 'never',
};

describe.each(stores)('export outbox across a SIGKILL [$name]', (store) => {
  let opened: Store | undefined;
  const servers: ServerProcess[] = [];

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop('SIGKILL')));
    await opened?.cleanup();
    opened = undefined;
  });

  const start = async (env: Record<string, string>): Promise<ServerProcess> => {
    opened ??= await store.open();
    const server = await startServerProcess({ ...SERVER_ENV, ...opened.env, ...env }, READY_TIMEOUT_MS);
    servers.push(server);
    return server;
  };

  it(
    '[E1.4] a job answered 202 by a process killed right afterwards is completed by a worker started later',
    async () => {
      // No worker in the first process: nothing can touch the job before the kill.
      const api = await start({ ROLES: 'api,sync' });
      const signup = await call(api.url, 'POST', '/api/v1/auth/signup', {
        body: { email: 'outbox@example.test', password: 'correct horse battery staple', displayName: 'Outbox' },
      });
      expect(signup.status).toBe(201);
      const token = signup.body.accessToken as string;
      const ws = await call(api.url, 'POST', '/api/v1/workspaces', { token, body: { name: 'Outbox' } });
      const doc = await call(api.url, 'POST', `/api/v1/workspaces/${ws.body.id}/documents`, {
        token,
        body: { title: 'Survivor' },
      });
      const accepted = await call(api.url, 'POST', `/api/v1/documents/${doc.body.id}/export`, {
        token,
        body: { format: 'pdf' },
      });
      expect(accepted.status).toBe(202);
      api.child.kill('SIGKILL');
      expect(await api.exited).toBe('SIGKILL');
      servers.splice(servers.indexOf(api), 1);

      let reader: ServerProcess;
      if (store.workerOnly) {
        await start({ ROLES: 'worker' });
        reader = await start({ ROLES: 'api' });
      } else {
        reader = await start({});
      }
      const jobId = accepted.body.id as string;
      const deadline = Date.now() + FINISH_TIMEOUT_MS;
      let job = (await call(reader.url, 'GET', `/api/v1/exports/${jobId}`, { token })).body;
      while (job.status !== 'succeeded' && job.status !== 'dead' && job.status !== 'failed') {
        if (Date.now() > deadline) throw new Error(`export not finished: ${JSON.stringify(job)}`);
        await new Promise((r) => setTimeout(r, 50));
        job = (await call(reader.url, 'GET', `/api/v1/exports/${jobId}`, { token })).body;
      }
      expect(job).toMatchObject({ status: 'succeeded', attempts: 1 });
      const file = await fetch(`${reader.url}/api/v1/exports/${jobId}/download`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(file.status).toBe(200);
      expect(
        Buffer.from(await file.arrayBuffer())
          .subarray(0, 4)
          .toString('latin1'),
      ).toBe('%PDF');
    },
    TEST_TIMEOUT_MS,
  );
});
