/**
 * Shared file storage end to end (spec E6.1, E5.2): exports stored in S3 (s3rver over real HTTP)
 * and in PostgreSQL/PGlite are downloaded through the API with authorization, removed with their
 * document, and — with a real database — an API process serves the file a separate worker process
 * wrote, which is the point of shared storage in the scaled deployment.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStorage } from '../src/adapters/storage/postgres.ts';
import { S3Storage } from '../src/adapters/storage/s3.ts';
import { loadConfig } from '../src/config/config.ts';
import { withExportTables } from '../src/export/job-schema.ts';
import type { FileStorage } from '../src/export/ports.ts';
import { createApp, type RunningApp } from '../src/main.ts';
import { backends } from './support/backends.ts';
import { until } from './support/browser.ts';
import { S3RVER_CREDENTIALS, startS3Server, type TestS3 } from './support/s3-server.ts';
import { startTestApp, type TestApp, type TestSession } from './support/test-app.ts';

const API = '/api/v1';
const WAIT_MS = 60_000;
/** Two apps (and s3rver) start per backend; on a loaded two-core machine that can pass the 60 s default. */
const SETUP_MS = 180_000;
const storages = ['s3', 'postgres'] as const;

describe.each(backends)('shared export storage [$name]', (backend) => {
  describe.each(storages)('on %s', (kind) => {
    let s3: TestS3 | undefined;
    let t: TestApp;
    let owner: TestSession;
    let outsider: TestSession;
    let workspaceId: string;
    let direct: FileStorage;
    const storageEnv = (): Record<string, string> =>
      kind === 's3' ? { ...(s3 as TestS3).env, S3_PREFIX: 'cd/' } : { STORAGE_BACKEND: 'postgres' };

    beforeAll(async () => {
      if (kind === 's3') s3 = await startS3Server();
      t = await startTestApp(backend, {
        ...storageEnv(),
        EXPORT_POLL_INTERVAL_MS: '25',
        EXPORT_CLEANUP_INTERVAL_MS: '100',
      });
      [owner, outsider] = await Promise.all([t.signUp('owner'), t.signUp('outsider')]);
      const created = await t.request('POST', `${API}/workspaces`, { token: owner.token, body: { name: 'Files' } });
      expect(created.statusCode, created.body).toBe(201);
      workspaceId = created.json().id;
      // Plans are the operator's to set; enterprise lifts the export limits these tests do not measure.
      await t.setPlan(workspaceId, 'enterprise');
      // The same store seen from outside the app, to check what is (no longer) there.
      direct =
        kind === 's3'
          ? new S3Storage({
              bucket: (s3 as TestS3).bucket,
              prefix: 'cd/exports/',
              region: 'us-east-1',
              endpoint: (s3 as TestS3).endpoint,
              forcePathStyle: true,
              credentials: S3RVER_CREDENTIALS,
            })
          : new PostgresStorage(t.app.database.pool('api'), { namespace: 'exports' });
    }, SETUP_MS);
    afterAll(async () => {
      await direct?.close?.();
      await t?.close();
      await s3?.close();
    });

    const exportAndWait = async (app: TestApp['request'], title: string) => {
      const doc = await app('POST', `${API}/workspaces/${workspaceId}/documents`, {
        token: owner.token,
        body: { title },
      });
      expect(doc.statusCode, doc.body).toBe(201);
      const documentId = doc.json().id as string;
      const res = await app('POST', `${API}/documents/${documentId}/export`, {
        token: owner.token,
        body: { format: 'markdown' },
      });
      expect(res.statusCode, res.body).toBe(202);
      const jobId = res.json().id as string;
      const done = await until(
        `export ${jobId} to finish`,
        async () => (await app('GET', `${API}/exports/${jobId}`, { token: owner.token })).json(),
        (b) => ['succeeded', 'failed', 'dead'].includes(b.status),
        WAIT_MS,
      );
      expect(done.status, JSON.stringify(done)).toBe('succeeded');
      return { documentId, jobId };
    };

    const resultKey = async (app: RunningApp, jobId: string) =>
      (
        await withExportTables(app.database.pool('api'))
          .selectFrom('export_jobs')
          .select('result_key')
          .where('id', '=', jobId)
          .executeTakeFirstOrThrow()
      ).result_key;

    it(`[E5.2] [E6.1] streams the file from ${kind} through the API to whoever may read the document`, async () => {
      const { jobId } = await exportAndWait(t.request, 'Stored remotely');
      const key = await resultKey(t.app, jobId);
      expect(key).toMatch(new RegExp(`^${jobId}-1\\.md$`));
      expect(await direct.open(key as string)).not.toBeNull();
      const dl = await t.request('GET', `${API}/exports/${jobId}/download`, { token: owner.token });
      expect(dl.statusCode).toBe(200);
      expect(dl.headers['content-type']).toMatch(/^text\/markdown/);
      expect(Number(dl.headers['content-length'])).toBe(dl.rawPayload.byteLength);
      expect(dl.body).toContain('Stored remotely');
      expect((await t.request('GET', `${API}/exports/${jobId}/download`, { token: outsider.token })).statusCode).toBe(
        404,
      );
      expect((await t.request('GET', `${API}/exports/${jobId}/download`)).statusCode).toBe(401);
    });

    it(`[E6.1] a document deleted for good loses its export file in ${kind}, and its download answers 410`, async () => {
      const { documentId, jobId } = await exportAndWait(t.request, 'Short-lived');
      const key = (await resultKey(t.app, jobId)) as string;
      // Deleting moves the document to the trash [T1]; deleting it from the trash removes it for good.
      const del = await t.request('DELETE', `${API}/documents/${documentId}`, { token: owner.token });
      expect(del.statusCode, del.body).toBe(204);
      const forever = await t.request('DELETE', `${API}/trash/${documentId}`, { token: owner.token });
      expect(forever.statusCode, forever.body).toBe(204);
      // The cleanup runs every 100 ms here: it deletes the file, then forgets the key.
      await until(
        'the job to lose its file',
        () => resultKey(t.app, jobId),
        (k) => k === null,
        WAIT_MS,
      );
      expect(await direct.open(key)).toBeNull();
      const gone = await t.request('GET', `${API}/exports/${jobId}/download`, { token: owner.token });
      expect(gone.statusCode).toBe(410);
    });

    // Two processes need one database: only with a real PostgreSQL.
    if (backend.name !== 'postgres+redis') return;
    it(`[E6.1] an API process serves a file that a separate worker process wrote to ${kind}`, {
      timeout: SETUP_MS,
    }, async () => {
      // `t` plays the API pod (its own worker is stopped); this app is the worker pod.
      await t.app.exportWorker?.stop(5_000);
      let worker: RunningApp | undefined;
      try {
        const config = loadConfig({
          ...storageEnv(),
          DATABASE_URL: t.app.config.databaseUrl as string,
          REDIS_URL: t.app.config.redisUrl as string,
          REDIS_PREFIX: t.app.config.redisPrefix,
          ROLES: 'worker',
          PORT: '0',
          LOG_LEVEL: 'silent',
          DATA_DIR: `${t.app.config.dataDir}-worker`,
          EXPORT_POLL_INTERVAL_MS: '25',
          MIGRATE_ON_START: 'false',
          // As startTestApp: a loaded machine's first connections can pass the 100 ms default.
          DB_POOL_ACQUIRE_TIMEOUT_MS: '2000',
        });
        worker = await createApp(config, { logger: pino({ level: 'silent' }) });
        const { jobId } = await exportAndWait(t.request, 'Written by the worker pod');
        const dl = await t.request('GET', `${API}/exports/${jobId}/download`, { token: owner.token });
        expect(dl.statusCode).toBe(200);
        expect(dl.body).toContain('Written by the worker pod');
      } finally {
        await worker?.close();
        t.app.exportWorker?.start();
      }
    });
  });
});
