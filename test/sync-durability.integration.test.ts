/**
 * Durability of the sync tier against a real process: what `SAVED` promised survives kill -9,
 * what it did not promise is re-sent by the client's sync step and stored once, and SIGTERM
 * writes and acknowledges every pending batch before closing sockets with 1012.
 * Runs on the embedded default (PGlite under a temp DATA_DIR) always, and on PostgreSQL when
 * DATABASE_URL is set.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type * as Y from 'yjs';
import { CloseCode } from '../src/sync/close-codes.ts';
import { createTestDatabase } from './support/backends.ts';
import { call, type ServerProcess, startServerProcess } from './support/server-process.ts';
import { duplicatedStructs, readStoredUpdates, storedText } from './support/stored-updates.ts';
import { SyncPeer } from './support/sync-peer.ts';
import { resumePeer } from './support/sync-resume.ts';

const READY_TIMEOUT_MS = 60_000;
const TEST_TIMEOUT_MS = 60_000;
const EXIT_TIMEOUT_MS = 15_000;

/** Where the server keeps its data: survives the process, read back directly when it can be. */
type Store = {
  env: Record<string, string>;
  /** The stored state and log rows of a document (PostgreSQL only: PGlite belongs to the server process). */
  readStored?: (documentId: string) => Promise<Uint8Array[]>;
  cleanup(): Promise<void>;
};

const stores: Array<{ name: string; open(): Promise<Store> }> = [
  {
    name: 'embedded',
    async open() {
      const dataDir = mkdtempSync(join(tmpdir(), 'collab-docs-durability-'));
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
          async open(): Promise<Store> {
            const db = await createTestDatabase();
            const dataDir = mkdtempSync(join(tmpdir(), 'collab-docs-durability-'));
            return {
              // One instance: the in-process bus is enough, and the shared Redis stays out of it.
              env: { DATA_DIR: dataDir, DATABASE_URL: db.url, REDIS_URL: '' },
              readStored: (documentId) => readStoredUpdates(db.url, documentId),
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
  // The tests type faster than a person: keep the per-socket rate limit out of the way.
  SYNC_MESSAGES_PER_SECOND: '100000',
  SYNC_MESSAGE_BURST: '100000',
};

/** The edits a text holds, in order (every edit inserts one `;`-terminated token). */
const editsIn = (text: string): string[] => text.split(';').filter((t) => t.length > 0);

function expectEachOnce(edits: string[]): void {
  expect(new Set(edits).size).toBe(edits.length);
}

const yieldToNetwork = () => new Promise((r) => setImmediate(r));

describe.each(stores)('sync durability across process deaths [$name]', (store) => {
  let opened: Store | undefined;
  const servers: ServerProcess[] = [];
  const peers: SyncPeer[] = [];

  afterEach(async () => {
    for (const p of peers.splice(0)) p.close();
    await Promise.all(servers.splice(0).map((s) => s.stop('SIGKILL')));
    await opened?.cleanup();
    opened = undefined;
  });

  /** Starts (or restarts) the server on this test's store. */
  const start = async (): Promise<ServerProcess> => {
    opened ??= await store.open();
    const server = await startServerProcess({ ...SERVER_ENV, ...opened.env }, READY_TIMEOUT_MS);
    servers.push(server);
    return server;
  };

  const connect = async (base: string, documentId: string, token: string): Promise<SyncPeer> => {
    const p = await SyncPeer.connect(base, documentId, token);
    peers.push(p);
    await p.untilSynced();
    return p;
  };

  const resume = async (base: string, documentId: string, token: string, previous: Y.Doc): Promise<SyncPeer> => {
    const p = await resumePeer(base, documentId, token, previous);
    peers.push(p);
    await p.untilSynced();
    return p;
  };

  /** An owner with a workspace and one document, created through the API. */
  const createDocument = async (base: string): Promise<{ token: string; documentId: string }> => {
    const signup = await call(base, 'POST', '/api/v1/auth/signup', {
      body: {
        email: `writer-${randomBytes(4).toString('hex')}@example.test`,
        password: 'correct horse battery staple',
        displayName: 'Writer',
      },
    });
    expect(signup.status).toBe(201);
    const token = signup.body.accessToken as string;
    const ws = await call(base, 'POST', '/api/v1/workspaces', { token, body: { name: 'Durability' } });
    expect(ws.status).toBe(201);
    const doc = await call(base, 'POST', `/api/v1/workspaces/${ws.body.id}/documents`, {
      token,
      body: { title: 'durable' },
    });
    expect(doc.status).toBe(201);
    return { token, documentId: doc.body.id as string };
  };

  const killHard = async (server: ServerProcess): Promise<void> => {
    server.child.kill('SIGKILL');
    expect(await server.exited).toBe('SIGKILL');
  };

  it('[S3.5] kill -9 loses no acknowledged edit: 200 edits in bursts, SAVED, kill, restart', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const server = await start();
    const { token, documentId } = await createDocument(server.url);
    const writer = await connect(server.url, documentId, token);
    for (let burst = 0; burst < 10; burst++) {
      for (let i = 0; i < 20; i++) writer.type(`e${burst * 20 + i};`);
      await yieldToNetwork();
    }
    await writer.untilSaved(10_000);
    expect(writer.saved).toBe(writer.sentUpdateFrames);
    const acknowledged = writer.text();
    expect(editsIn(acknowledged)).toHaveLength(200);

    await killHard(server);
    if (opened?.readStored) expect(storedText(await opened.readStored(documentId))).toBe(acknowledged);
    const restarted = await start();
    const reader = await connect(restarted.url, documentId, token);
    expect(reader.text()).toBe(acknowledged);
    expectEachOnce(editsIn(reader.text()));
  });

  it('[S3.5] edits unacknowledged at kill -9 are re-sent by the sync step on reconnect and stored once', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const server = await start();
    const { token, documentId } = await createDocument(server.url);
    const writer = await connect(server.url, documentId, token);
    for (let i = 0; i < 50; i++) writer.type(`a${i};`);
    await writer.untilSaved();
    const framesBefore = writer.sentUpdateFrames;
    for (let i = 0; i < 100; i++) writer.type(`u${i};`);
    // Killed while the burst is on the wire: part of it may be committed (its SAVED unread), not all.
    server.child.kill('SIGKILL');
    const savedAtKill = writer.saved;
    expect(writer.sentUpdateFrames - framesBefore).toBe(100);
    expect(savedAtKill).toBeLessThan(writer.sentUpdateFrames);
    expect(await server.exited).toBe('SIGKILL');
    await writer.untilClosed();

    const restarted = await start();
    // Before the client comes back: everything acknowledged, and at most part of the burst.
    const probe = await connect(restarted.url, documentId, token);
    const storedBefore = editsIn(probe.text());
    for (let i = 0; i < 50; i++) expect(storedBefore).toContain(`a${i}`);
    expect(storedBefore.length).toBeLessThan(150);
    probe.close();
    console.info(
      `[S3.5] kill -9 with ${writer.sentUpdateFrames - savedAtKill} frames unacknowledged: ${storedBefore.length - 50} of the 100-edit burst stored before the client came back`,
    );

    const resumed = await resume(restarted.url, documentId, token, writer.doc);
    // The answer to the server's step 1 carried what the server lacked; nothing else was sent.
    expect(resumed.sentUpdateFrames).toBe(1);
    await resumed.untilSaved();

    const reader = await connect(restarted.url, documentId, token);
    expect(reader.text()).toBe(writer.text());
    const edits = editsIn(reader.text());
    expect(edits).toHaveLength(150);
    expectEachOnce(edits);

    if (opened?.readStored) {
      const stored = await opened.readStored(documentId);
      // The re-sent step 2 was a diff against what the server had: no struct is stored twice.
      expect(duplicatedStructs(stored)).toBe(0);
      expect(storedText(stored)).toBe(writer.text());
    }
  });

  it('[S8.1] SIGTERM with edits in flight: every acknowledged edit is stored, sockets close 1012, exit 0', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const server = await start();
    const { token, documentId } = await createDocument(server.url);
    const writer = await connect(server.url, documentId, token);
    const watcher = await connect(server.url, documentId, token);
    // Frames sent so far (the step 2 answering the server's step 1); edit i is frame base + i + 1.
    const base = writer.sentUpdateFrames;
    let typed = 0;
    const pump = setInterval(() => {
      if (writer.closed === undefined) writer.type(`t${typed++};`);
    }, 1);
    try {
      await writer.until(() => writer.saved >= base + 50, 5_000, '50 acknowledged edits');
      server.child.kill('SIGTERM');
      const closed = await writer.untilClosed(EXIT_TIMEOUT_MS);
      expect(closed.code).toBe(CloseCode.SERVICE_RESTART);
    } finally {
      clearInterval(pump);
    }
    expect((await watcher.untilClosed(EXIT_TIMEOUT_MS)).code).toBe(CloseCode.SERVICE_RESTART);
    // A newcomer is turned away while the process winds down: 503 on upgrade, or the listener is gone.
    await expect(SyncPeer.connect(server.url, documentId, token)).rejects.toThrow(/503|ECONNREFUSED|ECONNRESET/);
    const exit = await Promise.race([
      server.exited,
      new Promise((r) => setTimeout(() => r('still running'), EXIT_TIMEOUT_MS)),
    ]);
    if (exit !== 0) console.error(server.output());
    expect(exit).toBe(0);
    const acknowledged = writer.saved - base;
    expect(acknowledged).toBeGreaterThanOrEqual(50);

    const restarted = await start();
    const reader = await connect(restarted.url, documentId, token);
    const stored = editsIn(reader.text());
    expectEachOnce(stored);
    for (let i = 0; i < acknowledged; i++) expect(stored).toContain(`t${i}`);
    // Applied means written and acknowledged before the close: nothing stored that SAVED did not cover.
    expect(stored).toHaveLength(acknowledged);
    reader.close();

    // What arrived after the shutdown began was refused unacknowledged; the reconnect delivers it.
    const resumed = await resume(restarted.url, documentId, token, writer.doc);
    await resumed.untilSaved();
    const after = await connect(restarted.url, documentId, token);
    expect(after.text()).toBe(writer.text());
    expectEachOnce(editsIn(after.text()));
    console.info(
      `[S8.1] ${typed} edits typed, ${acknowledged} acknowledged before 1012, ${typed - acknowledged} re-sent after reconnect`,
    );
  });
});
