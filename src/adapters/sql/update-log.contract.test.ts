/**
 * One contract, every UpdateLog: the in-memory log the sync core's unit tests use
 * (test/support/memory-update-log.ts), SqlUpdateLog on PGlite and, when DATABASE_URL is set, on
 * real PostgreSQL. The memory log is only worth trusting because it passes the same suite.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createTestDatabase } from '../../../test/support/backends.ts';
import { MemoryUpdateLog } from '../../../test/support/memory-update-log.ts';
import { loadConfig } from '../../config/config.ts';
import { Metrics } from '../../observability/metrics.ts';
import type { CompactedDocument, StoredDocument, UpdateLog } from '../../sync/ports.ts';
import { type Database, openDatabase } from './database.ts';
import { migrateToLatest } from './migrator.ts';
import { SqlUpdateLog } from './update-log.ts';

/** What the contract needs around a log: documents to write to, and a look at the stored row. */
type Harness = {
  log: UpdateLog;
  createDocument(): Promise<{ id: string; workspaceId: string }>;
  deleteDocument(id: string): Promise<void>;
  stored(id: string): Promise<{ content: unknown; text: string; stateClock: number }>;
  close(): Promise<void>;
};

function memory(): Promise<Harness> {
  const log = new MemoryUpdateLog();
  return Promise.resolve({
    log,
    createDocument: async () => {
      const doc = { id: randomUUID(), workspaceId: randomUUID() };
      log.createDocument(doc.id, doc.workspaceId);
      return doc;
    },
    deleteDocument: async (id) => log.deleteDocument(id),
    stored: async (id) => {
      const d = log.document(id)!;
      return { content: d.content, text: d.text, stateClock: d.stateClock };
    },
    close: async () => undefined,
  });
}

function sql(database: Database, close: () => Promise<void>): Harness {
  const api = database.pool('api');
  return {
    log: new SqlUpdateLog(database.pool('sync')),
    async createDocument() {
      const userId = randomUUID();
      const workspaceId = randomUUID();
      const id = randomUUID();
      await api
        .insertInto('users')
        .values({
          id: userId,
          email: `${userId}@example.test`,
          display_name: 'u',
          password_hash: null,
          external_subject: null,
        })
        .execute();
      await api
        .insertInto('workspaces')
        .values({ id: workspaceId, name: 'w', created_by: userId, rate_limit_per_second: null })
        .execute();
      await api
        .insertInto('documents')
        .values({ id, workspace_id: workspaceId, title: 'd', created_by: userId })
        .execute();
      return { id, workspaceId };
    },
    async deleteDocument(id) {
      await api.deleteFrom('documents').where('id', '=', id).execute();
    },
    async stored(id) {
      const row = await api
        .selectFrom('documents')
        .select(['content', 'content_text', 'state_clock'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      return { content: row.content, text: row.content_text, stateClock: Number(row.state_clock) };
    },
    close,
  };
}

async function pglite(): Promise<Harness> {
  const metrics = new Metrics();
  const database = await openDatabase(loadConfig({}), { metrics, logError: () => undefined, inMemory: true });
  await migrateToLatest(database.admin);
  return sql(database, async () => {
    await database.close();
    metrics.close();
  });
}

async function postgres(): Promise<Harness> {
  const created = await createTestDatabase();
  const metrics = new Metrics();
  const database = await openDatabase(loadConfig({ DATABASE_URL: created.url, DB_POOL_ACQUIRE_TIMEOUT_MS: '2000' }), {
    metrics,
    logError: () => undefined,
  });
  await migrateToLatest(database.admin);
  return sql(database, async () => {
    await database.close();
    metrics.close();
    await created.drop();
  });
}

const factories: Array<[string, () => Promise<Harness>]> = [
  ['memory', memory],
  ['pglite', pglite],
];
if (process.env.DATABASE_URL) factories.push(['postgres', postgres]);

function textUpdate(text: string, clientID: number): Uint8Array {
  const doc = new Y.Doc();
  doc.clientID = clientID;
  doc.getText('t').insert(0, text);
  return Y.encodeStateAsUpdate(doc);
}

function textOf(state: Uint8Array | null, updates: Uint8Array[] = []): string {
  const doc = new Y.Doc();
  if (state) Y.applyUpdate(doc, state);
  for (const u of updates) Y.applyUpdate(doc, u);
  return doc.getText('t').toString();
}

/** Merges what was stored into one state; projections are the plain text. */
function merge(stored: StoredDocument): CompactedDocument {
  const doc = new Y.Doc();
  if (stored.state) Y.applyUpdate(doc, stored.state);
  for (const u of stored.updates) Y.applyUpdate(doc, u);
  return { state: Y.encodeStateAsUpdate(doc), content: { type: 'doc' }, text: doc.getText('t').toString() };
}

describe.each(factories)('UpdateLog contract: %s', (_name, open) => {
  let h: Harness;
  beforeAll(async () => {
    h = await open();
  });
  afterAll(async () => h?.close());

  it('returns null for a document that does not exist, and refuses appends to it', async () => {
    const missing = randomUUID();
    expect(await h.log.load(missing)).toBeNull();
    await expect(h.log.append(missing, textUpdate('x', 1))).rejects.toThrow();
    expect(await h.log.pendingRows(missing)).toBe(0);
  });

  it('[S3.1] appends rows with increasing seqs and loads them back with the workspace', async () => {
    const { id, workspaceId } = await h.createDocument();
    const buffer = textUpdate('a', 1);
    await h.log.append(id, buffer);
    buffer.fill(0); // the caller reusing its buffer must not change the stored row
    await h.log.append(id, textUpdate('b', 2));
    const stored = await h.log.load(id);
    expect(stored?.workspaceId).toBe(workspaceId);
    expect(stored?.state).toBeNull();
    expect(stored?.updates).toHaveLength(2);
    expect(stored!.seqs[0]!).toBeLessThan(stored!.seqs[1]!);
    expect(textOf(null, stored!.updates)).toHaveLength(2);
    expect(await h.log.pendingRows(id)).toBe(2);
  });

  it('[S4.1] compaction merges state and rows, writes projections and deletes exactly the rows it merged', async () => {
    const { id } = await h.createDocument();
    await h.log.append(id, textUpdate('hello ', 1));
    await h.log.append(id, textUpdate('world', 2));
    let late: Promise<void> | undefined;
    const merged = await h.log.compact(id, (stored) => {
      // A row appended while the compaction runs must survive it.
      late = h.log.append(id, textUpdate('!', 3));
      return merge(stored);
    });
    await late;
    expect(merged).toBe(2);
    const stored = await h.log.load(id);
    expect(stored?.updates).toHaveLength(1);
    expect(textOf(stored!.state, stored!.updates)).toHaveLength('hello world!'.length);
    const row = await h.stored(id);
    expect(row.content).toEqual({ type: 'doc' });
    expect(row.text).toHaveLength('hello world'.length);
    expect(row.stateClock).toBe(1);
  });

  it('[S4.1] serializes compactions of one document; a throwing merge changes nothing', async () => {
    const { id } = await h.createDocument();
    await h.log.append(id, textUpdate('a', 1));
    const seen: number[] = [];
    const counting = (stored: StoredDocument): CompactedDocument => {
      seen.push(stored.updates.length);
      return merge(stored);
    };
    const results = await Promise.all([h.log.compact(id, counting), h.log.compact(id, counting)]);
    // Either call may take the document's lock first; whichever runs second finds nothing to merge.
    expect([...results].sort()).toEqual([0, 1]);
    expect(seen).toEqual([1, 0]);
    await h.log.append(id, textUpdate('b', 2));
    await expect(
      h.log.compact(id, () => {
        throw new Error('merge failed');
      }),
    ).rejects.toThrow('merge failed');
    expect(await h.log.pendingRows(id)).toBe(1);
    expect((await h.stored(id)).stateClock).toBe(2);
    expect(await h.log.compact(id, merge)).toBe(1);
    expect(textOf((await h.log.load(id))!.state)).toHaveLength(2);
  });

  it('compaction of a missing document returns null; deleting a document removes its log', async () => {
    expect(await h.log.compact(randomUUID(), () => ({ state: new Uint8Array(), content: null, text: '' }))).toBeNull();
    const { id } = await h.createDocument();
    await h.log.append(id, textUpdate('x', 1));
    await h.deleteDocument(id);
    expect(await h.log.load(id)).toBeNull();
    expect(await h.log.pendingRows(id)).toBe(0);
  });
});
