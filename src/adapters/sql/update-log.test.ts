/**
 * What only the SQL log does, on PGlite and (when DATABASE_URL is set) real PostgreSQL: storing
 * projections PostgreSQL could refuse. The rules every UpdateLog follows are in
 * update-log.contract.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createTestDatabase } from '../../../test/support/backends.ts';
import { loadConfig } from '../../config/config.ts';
import { projectDocument, tiptapFragmentName } from '../../content/projection.ts';
import { Metrics } from '../../observability/metrics.ts';
import { type Database, openDatabase } from './database.ts';
import { migrateToLatest } from './migrator.ts';
import { SqlUpdateLog } from './update-log.ts';

type Harness = { database: Database; close(): Promise<void> };

async function embedded(): Promise<Harness> {
  const metrics = new Metrics();
  const database = await openDatabase(loadConfig({}), { metrics, logError: () => undefined, inMemory: true });
  await migrateToLatest(database.admin);
  return {
    database,
    close: async () => {
      await database.close();
      metrics.close();
    },
  };
}

async function postgres(): Promise<Harness> {
  const created = await createTestDatabase();
  const metrics = new Metrics();
  const database = await openDatabase(loadConfig({ DATABASE_URL: created.url, DB_POOL_ACQUIRE_TIMEOUT_MS: '2000' }), {
    metrics,
    logError: () => undefined,
  });
  await migrateToLatest(database.admin);
  return {
    database,
    close: async () => {
      await database.close();
      metrics.close();
      await created.drop();
    },
  };
}

const backends: Array<[string, () => Promise<Harness>]> = [['pglite', embedded]];
if (process.env.DATABASE_URL) backends.push(['postgres', postgres]);

function textUpdate(text: string, clientID: number): Uint8Array {
  const doc = new Y.Doc();
  doc.clientID = clientID;
  doc.getText('t').insert(0, text);
  return Y.encodeStateAsUpdate(doc);
}

describe.each(backends)('SqlUpdateLog on %s', (_name, open) => {
  let h: Harness;
  let log: SqlUpdateLog;

  beforeAll(async () => {
    h = await open();
    log = new SqlUpdateLog(h.database.pool('sync'));
  });
  afterAll(async () => h?.close());

  async function newDocument(): Promise<{ id: string; workspaceId: string }> {
    const db = h.database.pool('api');
    const userId = randomUUID();
    const workspaceId = randomUUID();
    const id = randomUUID();
    await db
      .insertInto('users')
      .values({
        id: userId,
        email: `${userId}@example.test`,
        display_name: 'u',
        password_hash: null,
        external_subject: null,
      })
      .execute();
    await db
      .insertInto('workspaces')
      .values({ id: workspaceId, name: 'w', created_by: userId, rate_limit_per_second: null })
      .execute();
    await db
      .insertInto('documents')
      .values({ id, workspace_id: workspaceId, title: 'd', created_by: userId })
      .execute();
    return { id, workspaceId };
  }

  /** A TipTap-shaped document whose paragraph holds `text`. */
  function paragraphUpdate(text: string): Uint8Array {
    const doc = new Y.Doc();
    const paragraph = new Y.XmlElement('paragraph');
    doc.getXmlFragment(tiptapFragmentName).insert(0, [paragraph]);
    paragraph.insert(0, [new Y.XmlText(text)]);
    return Y.encodeStateAsUpdate(doc);
  }

  const mergeAndProject = (stored: { state: Uint8Array | null; updates: Uint8Array[] }) => {
    const doc = new Y.Doc();
    if (stored.state) Y.applyUpdate(doc, stored.state);
    for (const u of stored.updates) Y.applyUpdate(doc, u);
    return { state: Y.encodeStateAsUpdate(doc), ...projectDocument(doc) };
  };

  const storedRow = (id: string) =>
    h.database
      .pool('api')
      .selectFrom('documents as d')
      // The body's search vector lives beside the document (migration 0008).
      .leftJoin('document_search as s', 's.document_id', 'd.id')
      .select(['d.content', 'd.content_text', 'd.state_clock', 's.body as search'])
      .where('d.id', '=', id)
      .executeTakeFirstOrThrow();

  it('[S4.2] a document holding NUL and lone surrogates compacts, and its text is stored and searchable', async () => {
    const { id } = await newDocument();
    await log.append(id, paragraphUpdate('before\u0000after \ud800 lone searchable'));
    expect(await log.compact(id, mergeAndProject)).toBe(1);
    const row = await storedRow(id);
    expect(row.content_text).toBe('before\ufffdafter \ufffd lone searchable');
    expect(JSON.stringify(row.content)).toContain('before\ufffdafter');
    expect(String(row.search)).toContain('searchabl');
    expect(await log.pendingRows(id)).toBe(0);
    // The stored state still holds what was typed: only the projections are sanitized.
    const doc = new Y.Doc();
    Y.applyUpdate(doc, (await log.load(id))!.state!);
    expect(doc.getXmlFragment(tiptapFragmentName).toJSON()).toContain('\u0000');
  });

  it('[S4.2] projections PostgreSQL refuses are written empty and the merge still commits', async () => {
    const { id } = await newDocument();
    await log.append(id, textUpdate('kept', 1));
    const refused: string[] = [];
    const strict = new SqlUpdateLog(h.database.pool('sync'), 1, {
      onProjectionRejected: (documentId) => refused.push(documentId),
    });
    const merged = await strict.compact(id, (stored) => ({
      ...mergeAndProject(stored),
      // What an unsanitized projection would hand over.
      content: { type: 'doc', text: 'nul\u0000' },
      text: 'nul\u0000',
    }));
    expect(merged).toBe(1);
    expect(refused).toEqual([id]);
    const row = await storedRow(id);
    expect(row.content).toBeNull();
    expect(row.content_text).toBe('');
    expect(Number(row.state_clock)).toBe(1);
    expect(await log.pendingRows(id)).toBe(0);
  });
});
