/**
 * One contract, every FileStorage backend: the local directory, PostgreSQL through PGlite and
 * (when DATABASE_URL is set) a real server, and S3 over real HTTP against s3rver on loopback.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/backends.ts';
import { S3RVER_CREDENTIALS, startS3Server } from '../../../test/support/s3-server.ts';
import { loadConfig } from '../../config/config.ts';
import type { FileStorage } from '../../export/ports.ts';
import { Metrics } from '../../observability/metrics.ts';
import { type Database, openDatabase } from '../sql/database.ts';
import { migrateToLatest } from '../sql/migrator.ts';
import { LocalDirectoryStorage } from './local.ts';
import { PostgresStorage } from './postgres.ts';
import { S3Storage } from './s3.ts';

/** Small chunks, so the PostgreSQL store's chunking is exercised by a file of a few hundred KB. */
const PG_TEST_CHUNK_BYTES = 64 * 1024;

type Harness = {
  /** A store for one namespace; two namespaces of one harness must not see each other's files. */
  store(namespace: string): FileStorage;
  close(): Promise<void>;
};

async function sqlHarness(database: Database, cleanup: () => Promise<void>): Promise<Harness> {
  await migrateToLatest(database.admin);
  return {
    store: (namespace) => new PostgresStorage(database.pool('worker'), { namespace, chunkBytes: PG_TEST_CHUNK_BYTES }),
    close: cleanup,
  };
}

const harnesses: Array<[string, () => Promise<Harness>]> = [
  [
    'local',
    async () => {
      const root = mkdtempSync(join(tmpdir(), 'collab-docs-storage-'));
      return {
        store: (namespace) => new LocalDirectoryStorage(join(root, namespace)),
        close: async () => rmSync(root, { recursive: true, force: true }),
      };
    },
  ],
  [
    'pglite',
    async () => {
      const metrics = new Metrics();
      const database = await openDatabase(loadConfig({}), { metrics, logError: () => undefined, inMemory: true });
      return sqlHarness(database, async () => {
        await database.close();
        metrics.close();
      });
    },
  ],
  [
    's3',
    async () => {
      const s3 = await startS3Server();
      const stores: S3Storage[] = [];
      return {
        store: (namespace) => {
          const store = new S3Storage({
            bucket: s3.bucket,
            prefix: `test/${namespace}/`,
            region: 'us-east-1',
            endpoint: s3.endpoint,
            forcePathStyle: true,
            credentials: S3RVER_CREDENTIALS,
          });
          stores.push(store);
          return store;
        },
        close: async () => {
          for (const store of stores) await store.close();
          await s3.close();
        },
      };
    },
  ],
];
if (process.env.DATABASE_URL) {
  harnesses.push([
    'postgres',
    async () => {
      const created = await createTestDatabase();
      const metrics = new Metrics();
      const database = await openDatabase(
        loadConfig({ DATABASE_URL: created.url, DB_POOL_ACQUIRE_TIMEOUT_MS: '2000' }),
        {
          metrics,
          logError: () => undefined,
        },
      );
      return sqlHarness(database, async () => {
        await database.close();
        metrics.close();
        await created.drop();
      });
    },
  ]);
}

const keyOf = (attempt = 1, ext = 'pdf') => `${randomUUID()}-${attempt}.${ext}`;

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(Buffer.from(part as Uint8Array));
  return Buffer.concat(parts);
}

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** PGlite and migrations start slowly on a loaded two-core machine. */
const SETUP_MS = 180_000;

describe.each(harnesses)('FileStorage contract [%s]', (_name, open) => {
  let h: Harness;
  let store: FileStorage;

  beforeAll(async () => {
    h = await open();
    store = h.store('exports');
  }, SETUP_MS);
  afterAll(async () => {
    await h?.close();
  });

  it('E6.1 returns what was put, with its size, and null for a key never written', async () => {
    const key = keyOf();
    const bytes = new TextEncoder().encode('%PDF-1.7 hello');
    await store.put(key, bytes);
    const file = await store.open(key);
    expect(file?.size).toBe(bytes.byteLength);
    expect(await readAll(file!.stream)).toEqual(Buffer.from(bytes));
    expect(await store.open(keyOf())).toBeNull();
  });

  it('E6.1 streams a file of several chunks intact, and stores an empty file', async () => {
    const key = keyOf(2, 'docx');
    const bytes = new Uint8Array(PG_TEST_CHUNK_BYTES * 3 + 12_345);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + (i >> 8)) & 0xff;
    await store.put(key, bytes);
    const file = await store.open(key);
    expect(file?.size).toBe(bytes.byteLength);
    expect(sha(await readAll(file!.stream))).toBe(sha(bytes));

    const empty = keyOf(1, 'md');
    await store.put(empty, new Uint8Array(0));
    const opened = await store.open(empty);
    expect(opened?.size).toBe(0);
    expect((await readAll(opened!.stream)).length).toBe(0);
  });

  it('E6.1 two readers of one file each get all of it', async () => {
    const key = keyOf();
    const bytes = new Uint8Array(PG_TEST_CHUNK_BYTES + 7).fill(7);
    await store.put(key, bytes);
    const [a, b] = await Promise.all([store.open(key), store.open(key)]);
    const [ra, rb] = await Promise.all([readAll(a!.stream), readAll(b!.stream)]);
    expect(sha(ra)).toBe(sha(bytes));
    expect(sha(rb)).toBe(sha(bytes));
  });

  it('E6.1 writing a key again replaces the file', async () => {
    const key = keyOf();
    await store.put(key, new Uint8Array(PG_TEST_CHUNK_BYTES * 2).fill(1));
    await store.put(key, new Uint8Array([9, 9]));
    const file = await store.open(key);
    expect(file?.size).toBe(2);
    expect(await readAll(file!.stream)).toEqual(Buffer.from([9, 9]));
  });

  it('E6.1 delete removes the file; deleting a missing file is not an error', async () => {
    const key = keyOf();
    await store.put(key, new Uint8Array([1]));
    await store.delete(key);
    expect(await store.open(key)).toBeNull();
    await expect(store.delete(key)).resolves.toBeUndefined();
  });

  it('E6.1 refuses keys that are not storage keys before touching the backend', async () => {
    for (const bad of ['../etc/passwd', 'a/b.pdf', '', 'x.pdf', `${randomUUID()}-1.pdf/../x`]) {
      await expect(store.put(bad, new Uint8Array([1]))).rejects.toThrow(/invalid storage key/);
      await expect(store.open(bad)).rejects.toThrow(/invalid storage key/);
      await expect(store.delete(bad)).rejects.toThrow(/invalid storage key/);
    }
  });

  it('E6.1 sweep deletes unclaimed files older than the cut-off, keeps claimed and newer ones', async () => {
    const sweepStore = h.store('sweep');
    const claimed = keyOf();
    const orphan = keyOf();
    await sweepStore.put(claimed, new Uint8Array([1]));
    await sweepStore.put(orphan, new Uint8Array([2]));
    // A cut-off in the past: both files are newer, nothing goes.
    expect(await sweepStore.sweep(new Date(Date.now() - 3_600_000), () => false)).toBe(0);
    expect(await sweepStore.open(orphan)).not.toBeNull();
    // A cut-off in the future: both are older; only the unclaimed one goes.
    const removed = await sweepStore.sweep(new Date(Date.now() + 60_000), (key) => key === claimed);
    expect(removed).toBe(1);
    expect(await sweepStore.open(orphan)).toBeNull();
    const kept = await sweepStore.open(claimed);
    expect(kept).not.toBeNull();
    await readAll(kept!.stream);
  });

  it('E6.1 namespaces are separate: one use never sees or sweeps the files of another', async () => {
    const images = h.store('images');
    const key = keyOf(1, 'png');
    await images.put(key, new Uint8Array([3]));
    expect(await store.open(key)).toBeNull();
    await store.sweep(new Date(Date.now() + 60_000), () => false);
    const still = await images.open(key);
    expect(still?.size).toBe(1);
    await readAll(still!.stream);
  });
});
