/**
 * The search reach cache (docs/spec/auth.md [P11]): answers from memory until a permission event
 * says the reach changed, never stores a load that raced an event, and steps aside while the bus
 * cannot promise delivery.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwitchableBus } from '../../test/support/switchable-bus.ts';
import { openTestDatabase } from '../../test/support/test-database.ts';
import type { Sql } from './ports.ts';
import { MAX_SCOPES_PER_ACTOR, ReachCache } from './reach-cache.ts';

describe('ReachCache [P11]', () => {
  let close: () => Promise<void>;
  let db: Sql;
  const ids = {
    owner: crypto.randomUUID(),
    member: crypto.randomUUID(),
    other: crypto.randomUUID(),
    ws: crypto.randomUUID(),
    doc: crypto.randomUUID(),
  };

  beforeAll(async () => {
    const t = await openTestDatabase();
    close = t.close;
    db = t.database.pool('api');
    await db
      .insertInto('users')
      .values([ids.owner, ids.member, ids.other].map((id) => ({ id, email: `${id}@example.test`, display_name: 'U' })))
      .execute();
    await db.insertInto('workspaces').values({ id: ids.ws, name: 'W', created_by: ids.owner }).execute();
    await db
      .insertInto('workspace_members')
      .values([
        { workspace_id: ids.ws, user_id: ids.owner, role: 'owner' },
        { workspace_id: ids.ws, user_id: ids.member, role: 'member' },
      ])
      .execute();
    await db
      .insertInto('documents')
      .values({ id: ids.doc, workspace_id: ids.ws, title: 'D', created_by: ids.owner })
      .execute();
  });
  afterAll(async () => {
    await close?.();
  });

  function setup() {
    const bus = new SwitchableBus();
    const lookups: boolean[] = [];
    const cache = new ReachCache(db, bus, { ttlMs: 60_000, max: 1000, onLookup: (hit) => lookups.push(hit) });
    return { bus, cache, hits: () => lookups.filter(Boolean).length, misses: () => lookups.filter((h) => !h).length };
  }
  const restrict = (access: 'restricted' | 'edit') =>
    db.updateTable('documents').set({ general_access: access }).where('id', '=', ids.doc).execute();

  it('answers a repeated reach from memory, per actor and scope', async () => {
    const { cache, hits, misses } = setup();
    expect((await cache.reach(ids.member, undefined)).general).toEqual([ids.ws]);
    expect((await cache.reach(ids.member, undefined)).general).toEqual([ids.ws]);
    expect((await cache.reach(ids.member, ids.ws)).general).toEqual([ids.ws]);
    expect((await cache.reach(ids.owner, undefined)).full).toEqual([ids.ws]);
    expect(hits()).toBe(1);
    expect(misses()).toBe(3);
  });

  it('a membership or share event drops that person’s reach only', async () => {
    const { cache, hits } = setup();
    await cache.reach(ids.member, undefined);
    await cache.reach(ids.owner, undefined);
    await db.deleteFrom('workspace_members').where('user_id', '=', ids.member).execute();
    cache.apply({ v: 1, type: 'member-changed', workspaceId: ids.ws, userId: ids.member });
    expect((await cache.reach(ids.member, undefined)).general).toEqual([]);
    await cache.reach(ids.owner, undefined);
    expect(hits()).toBe(1);
    cache.apply({ v: 1, type: 'share-changed', documentId: ids.doc, userId: ids.owner });
    await cache.reach(ids.owner, undefined);
    expect(hits()).toBe(1);
    await db
      .insertInto('workspace_members')
      .values({ workspace_id: ids.ws, user_id: ids.member, role: 'member' })
      .execute();
  });

  it('restricting a document changes every member’s hidden list at once [P7]', async () => {
    const { cache } = setup();
    expect((await cache.reach(ids.member, undefined)).hidden).toEqual([]);
    await restrict('restricted');
    cache.apply({ v: 1, type: 'document-access-changed', documentId: ids.doc, workspaceId: ids.ws });
    expect((await cache.reach(ids.member, undefined)).hidden).toEqual([ids.doc]);
    await restrict('edit');
    cache.apply({ v: 1, type: 'document-access-changed', documentId: ids.doc, workspaceId: ids.ws });
    expect((await cache.reach(ids.member, undefined)).hidden).toEqual([]);
  });

  it('carries the comment lists as literals, so the search statement plans none of them [C1]', async () => {
    const { cache } = setup();
    const reach = await cache.reach(ids.owner, undefined);
    expect(reach.comments).toEqual({ browsing: [ids.ws], viewOnly: [], commenting: [], owned: [ids.doc] });
  });

  it('a load that raced an event is not stored', async () => {
    const { cache, hits } = setup();
    const pending = cache.reach(ids.member, undefined);
    cache.apply({ v: 1, type: 'document-access-changed', documentId: ids.doc, workspaceId: ids.ws });
    await pending;
    await cache.reach(ids.member, undefined);
    expect(hits()).toBe(0);
  });

  it('unknown events and workspace settings drop everything; trash keeps the reach', async () => {
    const { cache, hits } = setup();
    await cache.reach(ids.member, undefined);
    cache.apply({ v: 1, type: 'document-trashed', documentId: ids.doc, workspaceId: ids.ws });
    cache.apply({ v: 1, type: 'document-restored', documentId: ids.doc, workspaceId: ids.ws });
    await cache.reach(ids.member, undefined);
    expect(hits()).toBe(1);
    // Whether viewers browse comments decides whose comments a reader finds [C1].
    cache.apply({ v: 1, type: 'workspace-settings-changed', workspaceId: ids.ws });
    await cache.reach(ids.member, undefined);
    expect(hits()).toBe(1);
    cache.apply({ v: 2, type: 'something-new' } as never);
    await cache.reach(ids.member, undefined);
    expect(hits()).toBe(1);
  });

  it('is bypassed while the bus cannot promise delivery, and starts empty after it resyncs', async () => {
    const { cache, bus, hits } = setup();
    await cache.reach(ids.member, undefined);
    bus.up = false;
    await restrict('restricted');
    // Without the bus, an event from elsewhere could be missed: PostgreSQL answers.
    expect((await cache.reach(ids.member, undefined)).hidden).toEqual([ids.doc]);
    bus.reconnect();
    expect((await cache.reach(ids.member, undefined)).hidden).toEqual([ids.doc]);
    expect(hits()).toBe(0);
    await restrict('edit');
  });

  it('remembers a bounded number of scopes per person: past it the oldest goes', async () => {
    const { cache, hits } = setup();
    const scopes = Array.from({ length: MAX_SCOPES_PER_ACTOR + 1 }, () => crypto.randomUUID());
    for (const scope of scopes) await cache.reach(ids.other, scope);
    await cache.reach(ids.other, scopes.at(-1));
    expect(hits()).toBe(1);
    await cache.reach(ids.other, scopes[0]);
    expect(hits()).toBe(1);
  });

  it('with a TTL of 0 it never caches', async () => {
    const bus = new SwitchableBus();
    const lookups: boolean[] = [];
    const cache = new ReachCache(db, bus, { ttlMs: 0, max: 1000, onLookup: (hit) => lookups.push(hit) });
    await cache.reach(ids.member, undefined);
    await cache.reach(ids.member, undefined);
    expect(lookups).toEqual([false, false]);
  });
});
