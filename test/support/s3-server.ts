/**
 * A real S3-compatible HTTP server (the `s3rver` package) on 127.0.0.1 and a free port, with one
 * bucket, for the S3 file store's tests. It checks request signatures with its fixed credentials,
 * so a client that signs wrongly fails here as it would against S3 or MinIO.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export type TestS3 = {
  endpoint: string;
  bucket: string;
  /** The env a collab-docs process needs to store files there. */
  env: Record<string, string>;
  close(): Promise<void>;
};

export async function startS3Server(bucket = 'collab-docs-test'): Promise<TestS3> {
  const directory = mkdtempSync(join(tmpdir(), 'collab-docs-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket, configs: [] }],
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    env: {
      S3_BUCKET: bucket,
      S3_ENDPOINT: endpoint,
      S3_FORCE_PATH_STYLE: 'true',
      S3_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      S3_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    },
    async close() {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
