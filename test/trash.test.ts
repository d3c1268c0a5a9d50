/**
 * The trash (docs/spec/home.md T1–T4): deleting moves a document to the trash; who lists,
 * restores and deletes it forever; what a trashed document answers; the worker's purge after the
 * retention (with its update log and its export files), on every backend.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withExportTables } from '../src/export/job-schema.ts';
import { backends } from './support/backends.ts';
import { startTestApp, type TestApp, type TestSession } from './support/test-app.ts';

describe.each(backends)('trash [$name]', (backend) => {
  let t: TestApp;
  let owner: TestSession;
  let member: TestSession;
  let viewer: TestSession;
  let ws: string;

  const call = (who: TestSession, method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, body?: unknown) =>
    t.request(method, `/api/v1${url}`, { token: who.token, body });
  const createDoc = async (who: TestSession, title: string) => {
    const res = await call(who, 'POST', `/workspaces/${ws}/documents`, { title });
    expect(res.statusCode).toBe(201);
    return res.json().id as string;
  };
  const trashIds = async (who: TestSession) =>
    (await call(who, 'GET', `/trash?workspaceId=${ws}`)).json().items.map((i: { id: string }) => i.id) as string[];
  const db = () => t.app.database.pool('api');

  beforeAll(async () => {
    t = await startTestApp(backend, { TRASH_RETENTION_DAYS: '30' });
    [owner, member, viewer] = await Promise.all([t.signUp('owner'), t.signUp('member'), t.signUp('viewer')]);
    ws = (await call(owner, 'POST', '/workspaces', { name: 'Trash Co' })).json().id;
    await t.addMember(owner, ws, member, 'member');
  }, 180_000);
  afterAll(async () => {
    await t?.close();
  });

  it('[T1] a trashed document leaves lists and search; its readers see trashedAt and 410 for everything else', async () => {
    const id = await createDoc(owner, 'Trashable plan');
    await call(owner, 'PUT', `/documents/${id}/shares/${viewer.userId}`, { role: 'viewer' });
    await db()
      .updateTable('documents')
      .set({ content_text: 'quarterly trashable numbers' })
      .where('id', '=', id)
      .execute();
    expect((await call(owner, 'GET', '/search?q=trashable')).json().items.map((h: { id: string }) => h.id)).toContain(
      id,
    );
    expect((await call(owner, 'DELETE', `/documents/${id}`)).statusCode).toBe(204);

    for (const who of [owner, viewer]) {
      const meta = await call(who, 'GET', `/documents/${id}`);
      expect(meta.statusCode).toBe(200);
      expect(meta.json().trashedAt).toEqual(expect.any(String));
      expect((await call(who, 'GET', `/documents/${id}/content`)).statusCode).toBe(410);
      expect((await call(who, 'GET', `/documents/${id}/shares`)).statusCode).toBe(410);
      expect((await call(who, 'PUT', `/documents/${id}/star`)).statusCode).toBe(410);
      expect((await call(who, 'GET', '/documents')).json().items.map((d: { id: string }) => d.id)).not.toContain(id);
      expect((await call(who, 'GET', '/search?q=trashable')).json().items).toEqual([]);
      expect((await call(who, 'GET', '/search/titles?q=trashable')).json().items).toEqual([]);
    }
    expect((await call(viewer, 'GET', `/documents/${id}`)).json().canDelete).toBe(false);
    const rename = await call(owner, 'PATCH', `/documents/${id}`, { title: 'x' });
    expect(rename.statusCode).toBe(410);
    expect(rename.json().detail).toMatch(/trash/);
    // A workspace member could read it: 410 too. Deleting it again says where it is; outsiders learn nothing.
    expect((await call(member, 'GET', `/documents/${id}/content`)).statusCode).toBe(410);
    expect((await call(owner, 'DELETE', `/documents/${id}`)).statusCode).toBe(410);
    const stranger = await t.signUp('stranger');
    expect((await call(stranger, 'GET', `/documents/${id}`)).statusCode).toBe(404);
  });

  it('[T2] admins and owners list the whole trash; members the documents they created; viewers nothing', async () => {
    const byOwner = await createDoc(owner, 'Owner doc');
    const byMember = await createDoc(member, 'Member doc');
    await call(owner, 'PUT', `/documents/${byMember}/shares/${viewer.userId}`, { role: 'editor' });
    // A member may not trash someone else's document; its creator may trash their own.
    expect((await call(member, 'DELETE', `/documents/${byOwner}`)).statusCode).toBe(403);
    expect((await call(viewer, 'DELETE', `/documents/${byMember}`)).statusCode).toBe(403);
    expect((await call(owner, 'DELETE', `/documents/${byOwner}`)).statusCode).toBe(204);
    expect((await call(member, 'DELETE', `/documents/${byMember}`)).statusCode).toBe(204);

    expect(await trashIds(owner)).toEqual(expect.arrayContaining([byOwner, byMember]));
    expect(await trashIds(member)).toContain(byMember);
    expect(await trashIds(member)).not.toContain(byOwner);
    expect(await trashIds(viewer)).toEqual([]);
    const item = (await call(owner, 'GET', `/trash?workspaceId=${ws}`))
      .json()
      .items.find((i: { id: string }) => i.id === byMember);
    expect(item).toMatchObject({ workspaceName: 'Trash Co', trashedBy: { userId: member.userId }, canDelete: true });
    const purgeIn = Date.parse(item.purgeAt) - Date.parse(item.trashedAt);
    expect(purgeIn).toBe(30 * 86_400_000);

    expect((await call(member, 'POST', `/trash/${byOwner}/restore`)).statusCode).toBe(403);
    expect((await call(viewer, 'POST', `/trash/${byMember}/restore`)).statusCode).toBe(403);
    expect((await call(member, 'DELETE', `/trash/${byOwner}`)).statusCode).toBe(403);
  });

  it('[T4] restoring puts it back in lists and search; restoring twice is a 409', async () => {
    const id = await createDoc(member, 'Comeback');
    expect((await call(member, 'DELETE', `/documents/${id}`)).statusCode).toBe(204);
    const restored = await call(member, 'POST', `/trash/${id}/restore`);
    expect(restored.statusCode).toBe(200);
    expect(restored.json()).toMatchObject({ id, trashedAt: null, title: 'Comeback' });
    expect((await call(member, 'POST', `/trash/${id}/restore`)).statusCode).toBe(409);
    expect(await trashIds(owner)).not.toContain(id);
    expect(
      (await call(member, 'GET', `/workspaces/${ws}/documents`)).json().items.map((d: { id: string }) => d.id),
    ).toContain(id);
    expect(
      (await call(member, 'GET', '/search/titles?q=comeback')).json().items.map((h: { id: string }) => h.id),
    ).toEqual([id]);
    expect((await call(member, 'GET', `/documents/${id}/content`)).statusCode).toBe(200);
  });

  it('[T3] delete forever needs the trash first (409), then removes the document with its update log', async () => {
    const id = await createDoc(owner, 'Gone for good');
    await db()
      .insertInto('document_updates')
      .values({ document_id: id, update: new Uint8Array([0, 0]) })
      .execute();
    expect((await call(owner, 'DELETE', `/trash/${id}`)).statusCode).toBe(409);
    expect((await call(owner, 'DELETE', `/documents/${id}`)).statusCode).toBe(204);
    expect((await call(owner, 'DELETE', `/trash/${id}`)).statusCode).toBe(204);
    expect((await call(owner, 'GET', `/documents/${id}`)).statusCode).toBe(404);
    const rows = await db().selectFrom('document_updates').select('seq').where('document_id', '=', id).execute();
    expect(rows).toEqual([]);
  });

  it('[T3] the worker purges documents trashed longer ago than the retention, with their export files, and counts them', async () => {
    const old = await createDoc(owner, 'Old trash');
    const recent = await createDoc(owner, 'Recent trash');
    const exported = await call(owner, 'POST', `/documents/${old}/export`, { format: 'markdown' });
    expect(exported.statusCode).toBe(202);
    const jobId = exported.json().id as string;
    await expect
      .poll(async () => (await call(owner, 'GET', `/exports/${jobId}`)).json().status, { timeout: 30_000 })
      .toBe('succeeded');
    await db()
      .insertInto('document_updates')
      .values({ document_id: old, update: new Uint8Array([0, 0]) })
      .execute();
    for (const id of [old, recent]) expect((await call(owner, 'DELETE', `/documents/${id}`)).statusCode).toBe(204);
    // Thirty days and a minute ago: past the retention (the clock is the database's).
    await db()
      .updateTable('documents')
      .set({ trashed_at: new Date(Date.now() - 30 * 86_400_000 - 60_000) })
      .where('id', '=', old)
      .execute();
    const purge = t.app.trashPurge;
    if (!purge) throw new Error('the test app runs the worker role');
    expect(await purge.runOnce()).toBe(1);
    expect((await call(owner, 'GET', `/documents/${old}`)).statusCode).toBe(404);
    expect((await call(owner, 'GET', `/documents/${recent}`)).json().trashedAt).toEqual(expect.any(String));
    expect(await db().selectFrom('document_updates').select('seq').where('document_id', '=', old).execute()).toEqual(
      [],
    );
    // The purge ran the export cleanup: the purged document's file is deleted.
    const job = await withExportTables(db())
      .selectFrom('export_jobs')
      .select('result_key')
      .where('id', '=', jobId)
      .executeTakeFirstOrThrow();
    expect(job.result_key).toBeNull();
    const metrics = await t.app.metrics.registry.metrics();
    expect(metrics).toMatch(/documents_purged_total\{reason="expired"[^}]*\} 1\n/);
    expect(metrics).toMatch(/documents_in_trash\{[^}]*\} [1-9]/);
  });
});
