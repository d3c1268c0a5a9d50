/**
 * Version history end to end over real sync sockets, on every backend (docs/spec/history.md):
 * automatic versions after a pause with their contributors, named versions, reading a version
 * in every format, comparing with the previous version, versions surviving compaction, and a
 * restore that collaborators receive live while their own typing survives.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { SqlQuarantineStore } from '../src/adapters/sql/quarantine-store.ts';
import { SqlUpdateLog } from '../src/adapters/sql/update-log.ts';
import { VersionStore } from '../src/app/version-store.ts';
import { CrdtPool } from '../src/content/crdt-pool.ts';
import { DocumentVersions } from '../src/sync/document-versions.ts';
import { backends } from './support/backends.ts';
import { SyncPeer } from './support/sync-peer.ts';
import { startTestApp, type TestApp, type TestSession } from './support/test-app.ts';
import { waitFor } from './support/wait.ts';

const ENV = {
  PORT: '0',
  HOST: '127.0.0.1',
  SYNC_ROOM_GRACE_MS: '60000',
  SYNC_COMPACT_THRESHOLD: '5',
  VERSION_IDLE_MS: '150',
  VERSION_AUTHOR_RECORD_MS: '100',
};

/** The paragraphs of a peer's document, as TipTap lays them out (XmlFragment 'default'). */
const paragraphs = (doc: Y.Doc): string[] =>
  doc
    .getXmlFragment('default')
    .toArray()
    .map((n) =>
      n instanceof Y.XmlElement
        ? n
            .toArray()
            .map((t) => t.toString())
            .join('')
        : '',
    );

function addParagraph(doc: Y.Doc, text: string, at?: number): void {
  const fragment = doc.getXmlFragment('default');
  const p = new Y.XmlElement('paragraph');
  const t = new Y.XmlText();
  t.insert(0, text);
  p.insert(0, [t]);
  fragment.insert(at ?? fragment.length, [p]);
}

function typeInto(doc: Y.Doc, paragraph: number, text: string): void {
  const p = doc.getXmlFragment('default').get(paragraph) as Y.XmlElement;
  const t = p.get(0) as Y.XmlText;
  t.insert(t.length, text);
}

describe.each(backends)('version history [$name]', (backend) => {
  let t: TestApp;
  let base: string;
  let owner: TestSession;
  let editor: TestSession;
  let viewer: TestSession;
  let workspaceId: string;
  const peers: SyncPeer[] = [];

  beforeAll(async () => {
    t = await startTestApp(backend, ENV);
    base = await t.app.listen();
    owner = await t.signUp('owner');
    editor = await t.signUp('editor');
    viewer = await t.signUp('viewer');
    workspaceId = (
      await t.request('POST', '/api/v1/workspaces', { token: owner.token, body: { name: 'History' } })
    ).json().id;
  });
  afterAll(async () => {
    for (const p of peers) p.close();
    await t?.close();
  });

  const createDoc = async (): Promise<string> => {
    const res = await t.request('POST', `/api/v1/workspaces/${workspaceId}/documents`, {
      token: owner.token,
      body: { title: 'history' },
    });
    expect(res.statusCode).toBe(201);
    const id: string = res.json().id;
    for (const [who, role] of [
      [editor, 'editor'],
      [viewer, 'viewer'],
    ] as const) {
      const shared = await t.request('PUT', `/api/v1/documents/${id}/shares/${who.userId}`, {
        token: owner.token,
        body: { role },
      });
      expect(shared.statusCode).toBe(200);
    }
    return id;
  };
  const connect = async (documentId: string, who: TestSession) => {
    const p = await SyncPeer.connect(base, documentId, who.token);
    peers.push(p);
    await p.untilSynced();
    return p;
  };
  const versions = async (documentId: string, who = owner) => {
    const res = await t.request('GET', `/api/v1/documents/${documentId}/versions`, { token: who.token });
    expect(res.statusCode).toBe(200);
    return res.json().items as { id: string; kind: string; name: string | null; contributors: { userId: string }[] }[];
  };
  const saveNamed = async (documentId: string, name: string, who = owner) =>
    t.request('POST', `/api/v1/documents/${documentId}/versions`, { token: who.token, body: { name } });

  it('[V1] takes an automatic version once typing pauses, naming who edited', async () => {
    const id = await createDoc();
    const a = await connect(id, owner);
    const b = await connect(id, editor);
    addParagraph(a.doc, 'from the owner');
    await a.untilSaved();
    await b.until(() => paragraphs(b.doc).length === 1, 5_000, 'the owner paragraph');
    addParagraph(b.doc, 'from the editor');
    await b.untilSaved();
    // On a slow machine the pause may pass between the two edits: then two versions share the credit.
    const credited = async () =>
      new Set(
        (await versions(id)).filter((v) => v.kind === 'auto').flatMap((v) => v.contributors.map((c) => c.userId)),
      );
    await waitFor('automatic versions crediting both', async () => (await credited()).size === 2);
    expect(await credited()).toEqual(new Set([owner.userId, editor.userId]));
    const [auto] = await versions(id);
    expect(auto!.kind).toBe('auto');
    const md = await t.request('GET', `/api/v1/documents/${id}/versions/${auto!.id}?format=markdown`, {
      token: viewer.token,
    });
    expect(md.statusCode).toBe(200);
    expect(md.headers['content-type']).toMatch(/^text\/markdown/);
    expect(md.body).toContain('from the owner');
    expect(md.body).toContain('from the editor');
  });

  it('[V2] saves a named version (editors), readable as JSON and HTML, an identical automatic one not stored', async () => {
    const id = await createDoc();
    const a = await connect(id, owner);
    addParagraph(a.doc, 'named content');
    await a.untilSaved();
    const saved = await saveNamed(id, '  First draft ', editor);
    expect(saved.statusCode).toBe(201);
    expect(saved.json()).toMatchObject({ kind: 'named', name: 'First draft', createdBy: { userId: editor.userId } });
    expect(saved.headers.location).toBe(`/api/v1/documents/${id}/versions/${saved.json().id}`);
    const json = await t.request('GET', `/api/v1/documents/${id}/versions/${saved.json().id}`, { token: viewer.token });
    expect(json.statusCode).toBe(200);
    expect(JSON.stringify(json.json().content)).toContain('named content');
    const html = await t.request('GET', `/api/v1/documents/${id}/versions/${saved.json().id}?format=html`, {
      token: viewer.token,
    });
    expect(html.body).toContain('<p>named content</p>');
    expect(html.headers['content-security-policy']).toContain('sandbox');
    // An automatic version identical to the latest one is not stored twice.
    const store = new VersionStore(t.app.database.pool('api'), { free: 30, business: 30, enterprise: null });
    const named = await store.get(id, saved.json().id);
    expect(await store.add(id, { kind: 'auto', state: named!.state })).toBeNull();
    expect(await store.add(id, { kind: 'named', name: 'again', state: named!.state })).not.toBeNull();
  });

  it('[V3] a version renders after compaction deleted the log rows it was taken from', async () => {
    const id = await createDoc();
    const a = await connect(id, owner);
    addParagraph(a.doc, 'kept in the version');
    await a.untilSaved();
    const saved = (await saveNamed(id, 'before compaction')).json();
    for (let i = 0; i < 12; i++) {
      typeInto(a.doc, 0, ` more ${i}`);
      await a.untilSaved();
    }
    const db = t.app.database.pool('api');
    await waitFor('compaction', async () => {
      const rows = await db
        .selectFrom('document_updates')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('document_id', '=', id)
        .executeTakeFirstOrThrow();
      return Number(rows.n) < 5;
    });
    const md = await t.request('GET', `/api/v1/documents/${id}/versions/${saved.id}?format=markdown`, {
      token: owner.token,
    });
    expect(md.body.trim()).toBe('kept in the version');
  });

  it('[V4] compares a version with the one before: added and removed text, by author', async () => {
    const id = await createDoc();
    const a = await connect(id, owner);
    addParagraph(a.doc, 'Hello world');
    await a.untilSaved();
    await saveNamed(id, 'one');
    const b = await connect(id, editor);
    const text = (b.doc.getXmlFragment('default').get(0) as Y.XmlElement).get(0) as Y.XmlText;
    // One change, so at most one version (automatic after the pause, or the named one) holds it.
    b.doc.transact(() => {
      text.delete(0, 6);
      text.insert(text.length, ' and more');
    });
    await b.untilSaved();
    await saveNamed(id, 'two', editor);
    // The version right after "one" (an automatic one may have come first, with the same content).
    const list = await versions(id);
    const next = list[list.findIndex((v) => v.name === 'one') - 1]!;
    const res = await t.request('GET', `/api/v1/documents/${id}/versions/${next.id}/changes`, { token: viewer.token });
    expect(res.statusCode).toBe(200);
    const c = res.json();
    expect(c.added).toBe(' and more'.length);
    expect(c.removed).toBe('Hello '.length);
    const segments = c.blocks[0].segments;
    expect(segments).toContainEqual({ text: ' and more', status: 'added', authorId: editor.userId });
    expect(segments.find((s: { status: string }) => s.status === 'removed')).toMatchObject({
      text: 'Hello ',
      authorId: owner.userId,
    });
    expect(c.authors.map((p: { userId: string }) => p.userId).sort()).toEqual([owner.userId, editor.userId].sort());
  });

  it('[V5] restoring while another person types: everyone sees it live and their typing survives', async () => {
    const id = await createDoc();
    const a = await connect(id, owner);
    addParagraph(a.doc, 'Intro.');
    addParagraph(a.doc, 'Body.');
    await a.untilSaved();
    const good = (await saveNamed(id, 'good')).json();
    addParagraph(a.doc, 'A paragraph to undo.');
    await a.untilSaved();
    const b = await connect(id, editor);
    await b.until(() => paragraphs(b.doc).length === 3, 5_000, 'three paragraphs');
    // The editor keeps typing into the intro while the owner restores the version.
    const typed: string[] = [];
    let typing = true;
    const typist = (async () => {
      for (let i = 0; typing || i < 3; i++) {
        const word = ` w${i}`;
        typeInto(b.doc, 0, word);
        typed.push(word);
        await new Promise((r) => setImmediate(r));
        if (i > 200) break;
      }
    })();
    const restored = await t.request('POST', `/api/v1/documents/${id}/versions/${good.id}/restore`, {
      token: owner.token,
    });
    typing = false;
    await typist;
    expect(restored.statusCode).toBe(200);
    expect(restored.json()).toMatchObject({
      restore: { kind: 'restore', restoredFrom: good.id, createdBy: { userId: owner.userId } },
      preRestore: { kind: 'pre-restore' },
    });
    // Words typed before the restore reaches the editor (their copy does not have it yet) are concurrent
    // with it: they must survive.
    for (let i = 0; i < 3; i++) {
      const word = ` after${i}`;
      typeInto(b.doc, 0, word);
      typed.push(word);
    }
    await b.untilSaved();
    const last = typed.at(-1)!;
    await waitFor('both copies to converge on the restored document', () => {
      const pa = paragraphs(a.doc);
      return JSON.stringify(pa) === JSON.stringify(paragraphs(b.doc)) && pa.length === 2 && pa[0]!.endsWith(last);
    });
    const [intro, body] = paragraphs(a.doc);
    expect(body).toBe('Body.');
    // What the server had integrated before the restore is reverted (the pre-restore version keeps it);
    // everything from there on is still there, in order, up to the last word typed.
    const kept = typed.findIndex((_, i) => intro === `Intro.${typed.slice(i).join('')}`);
    expect(kept).toBeGreaterThanOrEqual(0);
    expect(kept).toBeLessThanOrEqual(typed.length - 3);
    const pre = restored.json().preRestore.id;
    const preText = (
      await t.request('GET', `/api/v1/documents/${id}/versions/${pre}?format=markdown`, { token: owner.token })
    ).body;
    expect(preText).toContain('A paragraph to undo.');
    expect(preText).toContain(`Intro.${typed.slice(0, kept).join('')}`);
    // Typing after the restore may add automatic versions on top; the restore pair stays in order.
    const kinds = (await versions(id)).map((v) => v.kind).filter((k) => k !== 'auto');
    expect(kinds.slice(0, 2)).toEqual(['restore', 'pre-restore']);
  });

  it('[V5] a restore made by a process without the sync role reaches the room through the log and the bus', async () => {
    const id = await createDoc();
    const a = await connect(id, owner);
    addParagraph(a.doc, 'the version');
    await a.untilSaved();
    const version = (await saveNamed(id, 'v')).json();
    addParagraph(a.doc, 'to be undone');
    await a.untilSaved();
    const db = t.app.database.pool('api');
    const crdt = new CrdtPool({ threads: 1, workerBudgetMs: 30_000, mainBudgetMs: 1_000 });
    try {
      // An api-only process: no rooms, only the log, the CRDT threads and the bus.
      const apiOnly = new DocumentVersions({
        log: new SqlUpdateLog(db),
        crdt,
        bus: t.app.bus,
        quarantine: new SqlQuarantineStore(db),
      });
      const stored = await new VersionStore(db, { free: null, business: null, enterprise: null }).get(id, version.id);
      const done = await apiOnly.restore(id, stored!.state);
      expect(done).not.toBeNull();
      await a.until(() => JSON.stringify(paragraphs(a.doc)) === JSON.stringify(['the version']), 10_000, 'the restore');
    } finally {
      await crdt.close();
    }
  });

  it('[V6] viewers browse; only editors save and restore', async () => {
    const id = await createDoc();
    const a = await connect(id, owner);
    addParagraph(a.doc, 'x');
    await a.untilSaved();
    const v = (await saveNamed(id, 'v')).json();
    expect((await versions(id, viewer)).map((x) => x.id)).toContain(v.id);
    expect((await saveNamed(id, 'no', viewer)).statusCode).toBe(403);
    const restore = await t.request('POST', `/api/v1/documents/${id}/versions/${v.id}/restore`, {
      token: viewer.token,
    });
    expect(restore.statusCode).toBe(403);
    const stranger = await t.signUp('stranger');
    const hidden = await t.request('GET', `/api/v1/documents/${id}/versions`, { token: stranger.token });
    expect(hidden.statusCode).toBe(404);
  });

  it('[V8] automatic versions past the plan’s retention go (when the next one is stored, and by the sweep); named ones stay', async () => {
    const id = await createDoc();
    const db = t.app.database.pool('api');
    const store = new VersionStore(db, { free: 30, business: 365, enterprise: null });
    const state = (text: string) => {
      const d = new Y.Doc();
      addParagraph(d, text);
      return Y.encodeStateAsUpdate(d);
    };
    const oldAuto = await store.add(id, { kind: 'auto', state: state('old auto') });
    const oldNamed = await store.add(id, { kind: 'named', name: 'kept', state: state('old named') });
    const recentAuto = await store.add(id, { kind: 'auto', state: state('recent auto') });
    const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000);
    await db
      .updateTable('document_versions')
      .set({ created_at: daysAgo(31) })
      .where('id', 'in', [oldAuto!.id, oldNamed!.id])
      .execute();
    await db
      .updateTable('document_versions')
      .set({ created_at: daysAgo(29) })
      .where('id', '=', recentAuto!.id)
      .execute();
    const next = await store.add(id, { kind: 'auto', state: state('now') });
    const left = (await versions(id)).map((v) => v.id);
    expect(left).toEqual([next!.id, recentAuto!.id, oldNamed!.id]);

    // A document nobody edits any more: the worker's sweep deletes what expired.
    const quiet = await createDoc();
    const stale = await store.add(quiet, { kind: 'pre-restore', state: state('stale') });
    const named = await store.add(quiet, { kind: 'named', name: 'kept', state: state('named') });
    await db
      .updateTable('document_versions')
      .set({ created_at: daysAgo(40) })
      .where('document_id', '=', quiet)
      .execute();
    expect(await store.pruneExpired()).toBeGreaterThanOrEqual(1);
    expect((await versions(quiet)).map((v) => v.id)).toEqual([named!.id]);
    expect(stale).not.toBeNull();
  });

  it('[V7] pages the list newest first with a keyset cursor', async () => {
    const id = await createDoc();
    const a = await connect(id, owner);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      addParagraph(a.doc, `p${i}`);
      await a.untilSaved();
      ids.push((await saveNamed(id, `v${i}`)).json().id);
    }
    a.close();
    const seen: { id: string; kind: string }[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `&cursor=${cursor}` : '';
      const res = await t.request('GET', `/api/v1/documents/${id}/versions?limit=2${q}`, { token: owner.token });
      expect(res.statusCode).toBe(200);
      seen.push(...res.json().items);
      cursor = res.json().nextCursor;
    } while (cursor);
    // Automatic versions may fall in between (typing paused while a name was saved); pages neither
    // skip nor repeat, and the named ones come newest first.
    const all = await t.request('GET', `/api/v1/documents/${id}/versions?limit=100`, { token: owner.token });
    expect(seen.map((v) => v.id)).toEqual(all.json().items.map((v: { id: string }) => v.id));
    expect(seen.filter((v) => v.kind === 'named').map((v) => v.id)).toEqual([...ids].reverse());
  });
});
