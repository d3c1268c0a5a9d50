import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwitchableBus } from '../../test/support/switchable-bus.ts';
import { openTestDatabase } from '../../test/support/test-database.ts';
import { MemoryBus } from '../adapters/bus/memory-bus.ts';
import { DomainEvents, PERMISSIONS_CHANNEL } from './events.ts';
import { type CacheKind, PermissionCache } from './permissions.ts';
import type { Sql } from './ports.ts';

describe('PermissionCache', () => {
  let close: () => Promise<void>;
  let db: Sql;
  const ids = { user: crypto.randomUUID(), ws: crypto.randomUUID(), doc: crypto.randomUUID() };

  beforeAll(async () => {
    const t = await openTestDatabase();
    close = t.close;
    db = t.database.pool('api');
    await db
      .insertInto('users')
      .values({ id: ids.user, email: 'u@example.test', display_name: 'U', password_hash: null })
      .execute();
    await db.insertInto('workspaces').values({ id: ids.ws, name: 'W', created_by: ids.user }).execute();
    await db
      .insertInto('documents')
      .values({ id: ids.doc, workspace_id: ids.ws, title: 'D', created_by: ids.user })
      .execute();
  });
  afterAll(async () => {
    await close?.();
  });

  function setup() {
    const bus = new SwitchableBus();
    const lookups: Array<[CacheKind, boolean]> = [];
    const cache = new PermissionCache(db, bus, {
      ttlMs: 60_000,
      max: 1000,
      onLookup: (kind, hit) => lookups.push([kind, hit]),
    });
    return { bus, cache, lookups, hits: () => lookups.filter(([, h]) => h).length };
  }

  it('caches answers, including "no access"', async () => {
    const { cache, hits } = setup();
    expect(await cache.workspaceRole(ids.user, ids.ws)).toBeNull();
    expect(await cache.workspaceRole(ids.user, ids.ws)).toBeNull();
    expect(hits()).toBe(1);
  });

  it('drops exactly the entry an event names, so a grant is seen on the next lookup', async () => {
    const { cache, bus } = setup();
    await cache.start();
    const other = crypto.randomUUID();
    expect(await cache.workspaceRole(ids.user, ids.ws)).toBeNull();
    expect(await cache.workspaceRole(other, ids.ws)).toBeNull();
    await db
      .insertInto('workspace_members')
      .values({ workspace_id: ids.ws, user_id: ids.user, role: 'member' })
      .execute();
    await bus.publish(PERMISSIONS_CHANNEL, { v: 1, type: 'member-changed', workspaceId: ids.ws, userId: ids.user });
    expect(await cache.workspaceRole(ids.user, ids.ws)).toBe('member');
    const info = await cache.documentAccess(ids.user, ids.doc);
    expect(info?.access).toBe('editor');
    await db.deleteFrom('workspace_members').where('user_id', '=', ids.user).execute();
  });

  it('[P4] bypasses the cache while the bus cannot promise delivery, and clears it on reconnect', async () => {
    const { cache, bus, hits } = setup();
    await cache.workspaceRole(ids.user, ids.ws);
    bus.up = false;
    await cache.workspaceRole(ids.user, ids.ws);
    await cache.workspaceRole(ids.user, ids.ws);
    expect(hits()).toBe(0);
    // A change missed while the bus was down...
    await db
      .insertInto('workspace_members')
      .values({ workspace_id: ids.ws, user_id: ids.user, role: 'admin' })
      .execute();
    bus.reconnect();
    // ...is not served from a stale entry afterwards.
    expect(await cache.workspaceRole(ids.user, ids.ws)).toBe('admin');
    await db.deleteFrom('workspace_members').where('user_id', '=', ids.user).execute();
  });

  it('shares one database load among concurrent misses (single flight)', async () => {
    const { cache, lookups } = setup();
    await Promise.all(Array.from({ length: 20 }, () => cache.workspaceRole(ids.user, ids.ws)));
    expect(lookups).toHaveLength(20);
    expect(await cache.workspaceRole(ids.user, ids.ws)).toBeNull();
  });

  it('does not store a load that raced an invalidation', async () => {
    const { cache } = setup();
    const loading = cache.workspaceRole(ids.user, ids.ws);
    cache.apply({ v: 1, type: 'member-changed', workspaceId: ids.ws, userId: ids.user });
    await loading;
    await db
      .insertInto('workspace_members')
      .values({ workspace_id: ids.ws, user_id: ids.user, role: 'guest' })
      .execute();
    expect(await cache.workspaceRole(ids.user, ids.ws)).toBe('guest');
    await db.deleteFrom('workspace_members').where('user_id', '=', ids.user).execute();
  });

  it('forgets a deleted document and every share on it', async () => {
    const { cache } = setup();
    expect((await cache.documentAccess(ids.user, ids.doc))?.document.workspaceId).toBe(ids.ws);
    cache.apply({ v: 1, type: 'document-deleted', documentId: ids.doc, workspaceId: ids.ws });
    expect(await cache.documentAccess(ids.user, crypto.randomUUID())).toBeNull();
  });
});

describe('DomainEvents outbox', () => {
  it('publishes after commit, applies locally first, and relays rows orphaned by a crash', async () => {
    const t = await openTestDatabase();
    const db = t.database.pool('api');
    const bus = new MemoryBus();
    const seen: string[] = [];
    await bus.subscribe('ch', (m) => seen.push(`bus:${String(m.type)}`));
    const events = new DomainEvents(bus, (err) => {
      throw err;
    });
    events.onLocal('ch', (m) => seen.push(`local:${String(m.type)}`));

    await events.transaction(db, async (_tx, emit) => emit('ch', { v: 1, type: 'committed' }));
    expect(seen).toEqual(['local:committed', 'bus:committed']);
    expect(await db.selectFrom('outbox_events').selectAll().execute()).toEqual([]);

    // A rolled-back transaction emits nothing.
    await expect(
      events.transaction(db, async (_tx, emit) => {
        emit('ch', { v: 1, type: 'rolled-back' });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(seen).not.toContain('bus:rolled-back');

    // A row left behind by a process that died between commit and publish.
    await db
      .insertInto('outbox_events')
      .values({
        channel: 'ch',
        payload: JSON.stringify({ v: 1, type: 'orphan' }),
        created_at: new Date(Date.now() - 60_000),
      })
      .execute();
    expect(await events.relay(db)).toBe(1);
    expect(seen).toContain('bus:orphan');
    expect(await db.selectFrom('outbox_events').selectAll().execute()).toEqual([]);
    await t.close();
  });
});
