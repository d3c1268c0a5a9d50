/**
 * The document row cache [P4.1] with real use cases, a real database and the in-process bus: two
 * "instances" (each its own caches and domain events) share one bus and one database, so every
 * write path is shown to reach the instance that made it at once and the other through the bus.
 */
import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  UnknownRow,
} from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwitchableBus } from '../../test/support/switchable-bus.ts';
import { openTestDatabase } from '../../test/support/test-database.ts';
import { SqlUpdateLog } from '../adapters/sql/update-log.ts';
import { DocumentAccessSettings } from './document-access.ts';
import { DocumentCache, documentChanged } from './document-cache.ts';
import { Documents } from './documents.ts';
import { DOCUMENTS_CHANNEL, DomainEvents, PERMISSIONS_CHANNEL } from './events.ts';
import { PermissionCache } from './permissions.ts';
import type { EventBus, Sql } from './ports.ts';
import { Trash, TrashPurger } from './trash.ts';
import { Workspaces } from './workspaces.ts';

/** Counts the statements an instance sends, and can hold their results back (to stage races). */
class QueryProbe implements KyselyPlugin {
  queries = 0;
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;
  private sent: (() => void) | undefined;

  transformQuery(args: PluginTransformQueryArgs) {
    this.queries++;
    this.sent?.();
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    if (this.gate) await this.gate;
    return args.result;
  }

  /** Holds results until the returned `release`; `sent` resolves when the next statement goes out. */
  hold(): { sent: Promise<void>; release: () => void } {
    this.gate = new Promise((r) => {
      this.open = r;
    });
    const sent = new Promise<void>((r) => {
      this.sent = r;
    });
    return {
      sent,
      release: () => {
        this.gate = undefined;
        this.sent = undefined;
        this.open?.();
      },
    };
  }
}

describe('DocumentCache [P4.1]', () => {
  let close: () => Promise<void>;
  let base: Sql;
  const owner = crypto.randomUUID();
  const member = crypto.randomUUID();
  let ws: string;

  beforeAll(async () => {
    const t = await openTestDatabase();
    close = t.close;
    base = t.database.pool('api');
    await base
      .insertInto('users')
      .values([
        { id: owner, email: 'owner@example.test', display_name: 'Owner', password_hash: null },
        { id: member, email: 'member@example.test', display_name: 'Member', password_hash: null },
      ])
      .execute();
    ws = await newWorkspace();
  });
  afterAll(async () => {
    await close?.();
  });

  async function newWorkspace(): Promise<string> {
    const id = crypto.randomUUID();
    await base.insertInto('workspaces').values({ id, name: 'W', created_by: owner }).execute();
    await base
      .insertInto('workspace_members')
      .values([
        { workspace_id: id, user_id: owner, role: 'owner' },
        { workspace_id: id, user_id: member, role: 'member' },
      ])
      .execute();
    return id;
  }

  async function newDocument(title = 'D', workspaceId = ws): Promise<string> {
    const id = crypto.randomUUID();
    await base
      .insertInto('documents')
      .values({ id, workspace_id: workspaceId, title, created_by: owner, owner_id: owner })
      .execute();
    return id;
  }

  /** One instance: its caches, domain events and use cases, on the shared bus and database. */
  async function instance(bus: EventBus, opts: { ttlMs?: number } = {}) {
    const probe = new QueryProbe();
    const db = base.withPlugin(probe);
    const lookups: boolean[] = [];
    const events = new DomainEvents(bus, (err) => {
      throw err;
    });
    const permissions = new PermissionCache(db, bus, { ttlMs: 60_000, max: 1000 });
    events.onLocal(PERMISSIONS_CHANNEL, (m) => permissions.apply(m));
    await permissions.start();
    const rows = new DocumentCache(db, bus, {
      ttlMs: opts.ttlMs ?? 60_000,
      max: 1000,
      onLookup: (hit) => lookups.push(hit),
    });
    await rows.start(events);
    return {
      probe,
      rows,
      lookups,
      events,
      documents: new Documents(db, permissions, rows, events),
      access: new DocumentAccessSettings(db, permissions, events),
      trash: new Trash(db, permissions, events, { retentionMs: 86_400_000 }),
      purger: new TrashPurger(db, events, { retentionMs: 0 }),
      workspaces: new Workspaces(db, permissions, events),
      log: new SqlUpdateLog(db, Number.POSITIVE_INFINITY, {
        onCompacted: (documentId) => events.announce(DOCUMENTS_CHANNEL, documentChanged(documentId)),
      }),
    };
  }

  async function pair() {
    const bus = new SwitchableBus();
    return { bus, a: await instance(bus), b: await instance(bus) };
  }

  it('[P4.1] a warm read makes no database query at all', async () => {
    const { a } = await pair();
    const doc = await newDocument('Warm');
    expect((await a.documents.get(member, doc)).title).toBe('Warm');
    const before = a.probe.queries;
    for (let i = 0; i < 5; i++) expect((await a.documents.get(member, doc)).title).toBe('Warm');
    expect(a.probe.queries).toBe(before);
    expect(a.lookups).toEqual([false, true, true, true, true, true]);
  });

  it('[P4.1] a rename is read back at once where it was made and on the other instance through the bus', async () => {
    const { a, b } = await pair();
    const doc = await newDocument('Old');
    await a.documents.get(member, doc);
    await b.documents.get(member, doc);
    await a.documents.rename(owner, doc, 'New');
    expect((await a.documents.get(member, doc)).title).toBe('New');
    expect((await b.documents.get(member, doc)).title).toBe('New');
  });

  it('[P4.1] a rename whose announcement is lost elsewhere is still read back where it was made', async () => {
    const bus = new SwitchableBus();
    const a = await instance(bus);
    const b = await instance(bus);
    const doc = await newDocument('Before');
    await a.documents.get(member, doc);
    await b.documents.get(member, doc);
    // The publish fails (Redis unreachable for this one instance): the local handler already ran.
    bus.publish = () => Promise.reject(new Error('unreachable'));
    const quiet = new DomainEvents(bus, () => undefined);
    quiet.onLocal(DOCUMENTS_CHANNEL, (m) => a.rows.apply(m));
    quiet.announce(DOCUMENTS_CHANNEL, documentChanged(doc));
    await base.updateTable('documents').set({ title: 'After' }).where('id', '=', doc).execute();
    expect((await a.documents.get(member, doc)).title).toBe('After');
    // B keeps the old row until its TTL (DOCUMENT_CACHE_TTL_MS) ends: what the rule bounds.
    expect((await b.documents.get(member, doc)).title).toBe('Before');
  });

  it('[P4.1] general access and owner changes reach both instances', async () => {
    const { a, b } = await pair();
    const doc = await newDocument();
    await a.documents.get(owner, doc);
    await b.documents.get(owner, doc);
    await a.access.setGeneralAccess(owner, doc, 'view');
    expect((await a.documents.get(owner, doc)).generalAccess).toBe('view');
    expect((await b.documents.get(owner, doc)).generalAccess).toBe('view');
    await b.access.transferOwnership(owner, doc, member);
    expect((await a.documents.get(member, doc)).ownerId).toBe(member);
    expect((await b.documents.get(member, doc)).ownerId).toBe(member);
  });

  it('[P4.1] [T1] [T4] trash and restore reach both instances', async () => {
    const { a, b } = await pair();
    const doc = await newDocument();
    await a.documents.get(owner, doc);
    await b.documents.get(owner, doc);
    await a.trash.moveToTrash(owner, doc);
    expect((await a.documents.get(owner, doc)).trashedAt).not.toBeNull();
    expect((await b.documents.get(owner, doc)).trashedAt).not.toBeNull();
    await b.trash.restore(owner, doc);
    expect((await a.documents.get(owner, doc)).trashedAt).toBeNull();
    expect((await b.documents.get(owner, doc)).trashedAt).toBeNull();
  });

  it('[P4.1] [T3] deleting forever and the purge drop the row on both instances', async () => {
    const { a, b } = await pair();
    const forever = await newDocument();
    const purged = await newDocument();
    for (const doc of [forever, purged]) {
      await a.trash.moveToTrash(owner, doc);
      await a.documents.get(owner, doc);
      await b.documents.get(owner, doc);
    }
    expect(a.rows.size).toBe(2);
    expect(b.rows.size).toBe(2);
    await a.trash.deleteForever(owner, forever);
    await a.purger.runOnce();
    expect(a.rows.size).toBe(0);
    expect(b.rows.size).toBe(0);
    await expect(b.documents.get(owner, purged)).rejects.toThrow('not found');
  });

  it('[P4.1] deleting a workspace drops its rows and no others', async () => {
    const { a, b } = await pair();
    const doomed = await newWorkspace();
    const gone = await newDocument('gone', doomed);
    const kept = await newDocument('kept');
    for (const i of [a, b]) {
      await i.documents.get(owner, gone);
      await i.documents.get(owner, kept);
    }
    await a.workspaces.remove(owner, doomed);
    for (const i of [a, b]) {
      expect(i.rows.size).toBe(1);
      expect((await i.rows.get(kept))?.title).toBe('kept');
    }
  });

  it('[P4.1] a compaction (updated_at) is announced by the update log and reaches both instances', async () => {
    const { a, b } = await pair();
    const doc = await newDocument();
    const before = (await b.documents.get(member, doc)).updatedAt;
    await a.documents.get(member, doc);
    await new Promise((r) => setTimeout(r, 5));
    await a.log.compact(doc, () => ({ state: new Uint8Array([0, 0]), content: null, text: '' }));
    const after = (await b.documents.get(member, doc)).updatedAt;
    expect(after > before).toBe(true);
    expect((await a.documents.get(member, doc)).updatedAt).toBe(after);
  });

  it('[P4.1] [A12] an account deletion drops every row naming the account, as creator or owner', async () => {
    const { a } = await pair();
    const created = await newDocument('created');
    const other = await newDocument('other');
    await base.updateTable('documents').set({ owner_id: member }).where('id', '=', created).execute();
    await base.updateTable('documents').set({ created_by: member, owner_id: owner }).where('id', '=', other).execute();
    await a.documents.get(owner, created);
    await a.documents.get(owner, other);
    await a.events.transaction(base, async (_tx, emit) =>
      emit(DOCUMENTS_CHANNEL, { v: 1, type: 'account-deleted', userId: member }),
    );
    expect(a.rows.size).toBe(0);
  });

  it('[P4.1] a load that raced an invalidation is not stored', async () => {
    const { a } = await pair();
    const doc = await newDocument('Raced');
    const held = a.probe.hold();
    const reading = a.rows.get(doc);
    await held.sent;
    // A rename's notice arrives while the load (which may have read the old title) is in flight.
    a.rows.apply(documentChanged(doc));
    held.release();
    expect((await reading)?.title).toBe('Raced');
    expect(a.rows.size).toBe(0);
    await base.updateTable('documents').set({ title: 'Renamed' }).where('id', '=', doc).execute();
    expect((await a.rows.get(doc))?.title).toBe('Renamed');
  });

  it('[P4.1] a load under way is kept when another document changes, dropped when many may have', async () => {
    const { a } = await pair();
    const doc = await newDocument();
    let held = a.probe.hold();
    let reading = a.rows.get(doc);
    await held.sent;
    a.rows.apply(documentChanged(crypto.randomUUID()));
    held.release();
    await reading;
    expect(a.rows.size).toBe(1);

    a.rows.clear();
    held = a.probe.hold();
    reading = a.rows.get(doc);
    await held.sent;
    a.rows.apply({ v: 1, type: 'account-deleted', userId: crypto.randomUUID() });
    held.release();
    await reading;
    expect(a.rows.size).toBe(0);
  });

  it('[P4.1] concurrent misses share one load; "not found" is not cached', async () => {
    const { a } = await pair();
    const doc = await newDocument();
    const before = a.probe.queries;
    await Promise.all(Array.from({ length: 10 }, () => a.rows.get(doc)));
    expect(a.probe.queries - before).toBe(1);
    const missing = crypto.randomUUID();
    expect(await a.rows.get(missing)).toBeUndefined();
    expect(await a.rows.get(missing)).toBeUndefined();
    expect(a.rows.size).toBe(1);
  });

  it('[P4] [P4.1] bypassed while the bus cannot promise delivery, and dropped when it resumes', async () => {
    const { bus, a } = await pair();
    const doc = await newDocument('Seen');
    await a.rows.get(doc);
    bus.up = false;
    await base.updateTable('documents').set({ title: 'Missed' }).where('id', '=', doc).execute();
    const before = a.probe.queries;
    expect((await a.rows.get(doc))?.title).toBe('Missed');
    expect((await a.rows.get(doc))?.title).toBe('Missed');
    expect(a.probe.queries - before).toBe(2);
    bus.reconnect();
    expect(a.rows.size).toBe(0);
    expect((await a.rows.get(doc))?.title).toBe('Missed');
  });

  it('[P4.1] unknown event types drop every row; membership events drop none', async () => {
    const { bus, a } = await pair();
    const doc = await newDocument();
    await a.rows.get(doc);
    await bus.publish(PERMISSIONS_CHANNEL, { v: 1, type: 'member-changed', workspaceId: ws, userId: member });
    await bus.publish(PERMISSIONS_CHANNEL, { v: 1, type: 'share-changed', documentId: doc, userId: member });
    expect(a.rows.size).toBe(1);
    await bus.publish(DOCUMENTS_CHANNEL, { v: 1, type: 'from-a-newer-version' });
    expect(a.rows.size).toBe(0);
  });

  it('[P4.1] DOCUMENT_CACHE_TTL_MS=0 turns it off', async () => {
    const a = await instance(new SwitchableBus(), { ttlMs: 0 });
    const doc = await newDocument();
    await a.rows.get(doc);
    await a.rows.get(doc);
    expect(a.lookups).toEqual([false, false]);
    expect(a.rows.size).toBe(0);
  });
});
