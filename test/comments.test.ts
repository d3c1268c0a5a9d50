/**
 * Comments end to end on every backend (docs/spec/comments.md): threads anchored to text a real
 * sync client wrote, replies, edit/delete rules, resolve/reopen, bad input, live notices to open
 * sockets, mentions and reply notifications, and digest emails through the mail outbox.
 */
import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { NOTIFICATION_RETENTION_DAYS, NotificationDigest } from '../src/app/notification-digest.ts';
import { type Anchor, anchorInType } from '../src/content/comment-anchors.ts';
import { COMMENT_MAX_LENGTH, COMMENTS_PER_THREAD_MAX, THREADS_PER_DOCUMENT_MAX } from '../src/domain/comment-limits.ts';
import type { ServerMessage } from '../src/sync/protocol.ts';
import { backends } from './support/backends.ts';
import { documentStartAnchor } from './support/comment-fixtures.ts';
import { readMailbox, waitForMail } from './support/mailbox.ts';
import { SyncPeer } from './support/sync-peer.ts';
import { startTestApp, type TestApp, type TestSession } from './support/test-app.ts';

const ENV = {
  PORT: '0',
  HOST: '127.0.0.1',
  // Nothing is emailed until a test backdates its notifications past the delay (no race with the clock).
  NOTIFICATION_EMAIL_DELAY_SECONDS: '3600',
  NOTIFICATION_DIGEST_POLL_MS: '100',
  MAIL_POLL_INTERVAL_MS: '100',
};
const TEXT = 'The quarterly plan needs a budget review before Friday';

type Cast = Record<'owner' | 'member' | 'commenter' | 'viewer' | 'stranger', TestSession>;

describe.each(backends)('comments [$name]', (backend) => {
  let t: TestApp;
  let base: string;
  let cast: Cast;
  let workspaceId: string;
  const peers: SyncPeer[] = [];

  beforeAll(async () => {
    t = await startTestApp(backend, ENV);
    base = await t.app.listen();
    const names = ['owner', 'member', 'commenter', 'viewer', 'stranger'] as const;
    const sessions = await Promise.all(names.map((n) => t.signUp(n)));
    cast = Object.fromEntries(names.map((n, i) => [n, sessions[i]])) as Cast;
    workspaceId = (
      await t.request('POST', '/api/v1/workspaces', { token: cast.owner.token, body: { name: 'Comments' } })
    ).json().id;
    await t.addMember(cast.owner, workspaceId, cast.member, 'member');
    await t.addMember(cast.owner, workspaceId, cast.commenter, 'guest');
    await t.addMember(cast.owner, workspaceId, cast.viewer, 'guest');
  }, 120_000);
  afterAll(async () => {
    for (const p of peers) p.close();
    await t?.close();
  });

  const api = (who: TestSession, method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, body?: unknown) =>
    t.request(method, `/api/v1${url}`, { token: who.token, body });

  /** A document holding TEXT (written by the owner's sync client), shared with the commenter and the viewer. */
  async function documentWithText(): Promise<{ id: string; text: Y.XmlText; peer: SyncPeer }> {
    const id = (await api(cast.owner, 'POST', `/workspaces/${workspaceId}/documents`, { title: 'Plan' })).json().id;
    for (const [who, role] of [
      ['commenter', 'commenter'],
      ['viewer', 'viewer'],
    ] as const) {
      expect((await api(cast.owner, 'PUT', `/documents/${id}/shares/${cast[who].userId}`, { role })).statusCode).toBe(
        200,
      );
    }
    const peer = await SyncPeer.connect(base, id, cast.owner.token);
    peers.push(peer);
    await peer.untilSynced();
    const p = new Y.XmlElement('paragraph');
    const text = new Y.XmlText(TEXT);
    p.insert(0, [text]);
    peer.doc.getXmlFragment('default').insert(0, [p]);
    await peer.untilSaved();
    return { id, text, peer };
  }

  const rangeOf = (text: Y.XmlText, word: string): Anchor => {
    const from = TEXT.indexOf(word);
    return anchorInType(text, from, from + word.length);
  };

  const newThread = (who: TestSession, documentId: string, anchor: Anchor, body: string, mentions: string[] = []) =>
    api(who, 'POST', `/documents/${documentId}/comments`, { anchor, quote: 'q', body, mentions });

  const notices = (peer: SyncPeer) =>
    peer.messages.filter(
      (m): m is Extract<ServerMessage, { type: 'comments-changed' }> => m.type === 'comments-changed',
    );

  it('[C1] [C3] a commenter starts a thread on a range; viewers read it, cannot start one; outsiders get 404', async () => {
    const d = await documentWithText();
    const res = await newThread(cast.commenter, d.id, rangeOf(d.text, 'budget review'), 'Which budget?');
    expect(res.statusCode, res.body).toBe(201);
    const thread = res.json();
    expect(thread).toMatchObject({
      documentId: d.id,
      status: 'open',
      createdBy: { userId: cast.commenter.userId },
      comments: [{ body: 'Which budget?', author: { userId: cast.commenter.userId }, mentions: [] }],
    });
    const listed = await api(cast.viewer, 'GET', `/documents/${d.id}/comments`);
    expect(listed.statusCode).toBe(200);
    expect(listed.json().items.map((x: { id: string }) => x.id)).toEqual([thread.id]);
    expect((await newThread(cast.viewer, d.id, rangeOf(d.text, 'plan'), 'no')).statusCode).toBe(403);
    expect((await api(cast.stranger, 'GET', `/documents/${d.id}/comments`)).statusCode).toBe(404);
    expect((await newThread(cast.stranger, d.id, rangeOf(d.text, 'plan'), 'no')).statusCode).toBe(404);
  });

  it('[C3] a commenter cannot change the text over sync: their update is refused', async () => {
    const d = await documentWithText();
    const peer = await SyncPeer.connect(base, d.id, cast.commenter.token);
    peers.push(peer);
    await peer.untilSynced();
    peer.type('sneaky edit');
    await peer.until(() => peer.messages.some((m) => m.type === 'rejected'), 5_000, 'REJECTED');
    expect(d.peer.text()).toBe('');
  });

  it('[C3] replies, edit by the author only, delete by the author or an admin, resolve and reopen with filters', async () => {
    const d = await documentWithText();
    const thread = (await newThread(cast.commenter, d.id, rangeOf(d.text, 'Friday'), 'Is Friday right?')).json();
    const base = `/documents/${d.id}/comments/${thread.id}`;
    const reply = await api(cast.member, 'POST', `${base}/replies`, { body: 'Yes, Friday.' });
    expect(reply.statusCode, reply.body).toBe(201);
    const replyId = reply.json().comments[1].id;
    expect((await api(cast.commenter, 'PATCH', `${base}/replies/${replyId}`, { body: 'hijack' })).statusCode).toBe(403);
    expect((await api(cast.owner, 'PATCH', `${base}/replies/${replyId}`, { body: 'hijack' })).statusCode).toBe(403);
    const edited = await api(cast.member, 'PATCH', `${base}/replies/${replyId}`, { body: 'Yes, this Friday.' });
    expect(edited.statusCode).toBe(200);
    expect(edited.json().comments[1]).toMatchObject({ body: 'Yes, this Friday.', editedAt: expect.any(String) });
    expect((await api(cast.commenter, 'DELETE', `${base}/replies/${replyId}`)).statusCode).toBe(403);
    expect((await api(cast.owner, 'DELETE', `${base}/replies/${replyId}`)).statusCode).toBe(204);

    expect((await api(cast.viewer, 'POST', `${base}/resolve`)).statusCode).toBe(403);
    const resolved = await api(cast.commenter, 'POST', `${base}/resolve`);
    expect(resolved.json()).toMatchObject({ status: 'resolved', resolvedBy: { userId: cast.commenter.userId } });
    expect((await api(cast.commenter, 'POST', `${base}/resolve`)).statusCode).toBe(200);
    const ids = async (status: string) =>
      (await api(cast.viewer, 'GET', `/documents/${d.id}/comments?status=${status}`))
        .json()
        .items.map((x: { id: string }) => x.id);
    expect(await ids('open')).toEqual([]);
    expect(await ids('resolved')).toEqual([thread.id]);
    expect((await api(cast.member, 'POST', `${base}/reopen`)).json().status).toBe('open');
    expect(await ids('open')).toEqual([thread.id]);
    // The first comment takes the thread with it.
    expect((await api(cast.commenter, 'DELETE', `${base}/replies/${thread.comments[0].id}`)).statusCode).toBe(204);
    expect(await ids('all')).toEqual([]);
    expect((await api(cast.commenter, 'POST', `${base}/replies`, { body: 'late' })).statusCode).toBe(404);
  });

  it('[C4] bad anchors, strangers mentioned and oversize comments are 400s and store nothing', async () => {
    const d = await documentWithText();
    const other = new Y.Doc();
    const elsewhere = other.getXmlFragment('default');
    const p = new Y.XmlElement('paragraph');
    const foreign = new Y.XmlText('text of another document');
    p.insert(0, [foreign]);
    elsewhere.insert(0, [p]);
    const cases: [unknown, string][] = [
      [{ anchor: anchorInType(foreign, 0, 4), quote: '', body: 'x' }, '/anchor'],
      [{ anchor: { start: 'AAAA', end: 'AAAA' }, quote: '', body: 'x' }, '/anchor'],
      [{ anchor: rangeOf(d.text, 'plan'), quote: '', body: 'x', mentions: [cast.stranger.userId] }, '/mentions/0'],
      [{ anchor: rangeOf(d.text, 'plan'), quote: '', body: 'x'.repeat(COMMENT_MAX_LENGTH + 1) }, '/body'],
      [{ anchor: rangeOf(d.text, 'plan'), quote: '', body: '' }, '/body'],
    ];
    for (const [body, field] of cases) {
      const res = await api(cast.commenter, 'POST', `/documents/${d.id}/comments`, body);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    expect((await api(cast.viewer, 'GET', `/documents/${d.id}/comments?status=all`)).json().items).toEqual([]);
    const notified = await api(cast.stranger, 'GET', '/notifications');
    expect(notified.json().items).toEqual([]);
  });

  it('[C5] new threads, replies and resolutions reach every open socket of the document', async () => {
    const d = await documentWithText();
    const watcher = await SyncPeer.connect(base, d.id, cast.viewer.token);
    peers.push(watcher);
    await watcher.untilSynced();
    const thread = (await newThread(cast.commenter, d.id, rangeOf(d.text, 'quarterly'), 'Live?')).json();
    await watcher.until(() => notices(watcher).length >= 1, 5_000, 'COMMENTS_CHANGED created');
    await d.peer.until(() => notices(d.peer).length >= 1, 5_000, 'COMMENTS_CHANGED at the owner');
    await api(cast.member, 'POST', `/documents/${d.id}/comments/${thread.id}/replies`, { body: 'Yes' });
    await api(cast.member, 'POST', `/documents/${d.id}/comments/${thread.id}/resolve`);
    await watcher.until(() => notices(watcher).length >= 3, 5_000, 'three notices');
    expect(notices(watcher).map((m) => m.change)).toEqual([
      { threadId: thread.id, change: 'created' },
      { threadId: thread.id, change: 'replied' },
      { threadId: thread.id, change: 'resolved' },
    ]);
  });

  // Two instances in one process, on one PostgreSQL database and one Redis prefix: the notice crosses the bus.
  it.runIf(backend.name === 'postgres+redis')(
    '[C5] a comment made through instance A reaches a socket open on instance B',
    async () => {
      const d = await documentWithText();
      const b = await startTestApp(backend, {
        ...ENV,
        DATABASE_URL: t.app.config.databaseUrl as string,
        REDIS_PREFIX: t.app.config.redisPrefix,
      });
      try {
        const watcher = await SyncPeer.connect(await b.app.listen(), d.id, cast.viewer.token);
        peers.push(watcher);
        await watcher.untilSynced();
        const started = performance.now();
        const thread = (await newThread(cast.commenter, d.id, rangeOf(d.text, 'review'), 'across?')).json();
        await watcher.until(() => notices(watcher).length >= 1, 5_000, 'COMMENTS_CHANGED on instance B');
        expect(notices(watcher)[0]?.change).toEqual({ threadId: thread.id, change: 'created' });
        // Read through B: the same thread, as the client re-reads it.
        const listed = await b.request('GET', `/api/v1/documents/${d.id}/comments`, { token: cast.viewer.token });
        expect(listed.json().items.map((x: { id: string }) => x.id)).toContain(thread.id);
        console.log(
          `comment notice across instances: ${(performance.now() - started).toFixed(1)} ms after the request`,
        );
      } finally {
        await b.close();
      }
    },
    120_000,
  );

  it('[C2] a thread whose text another person deletes stays listed with its quote', async () => {
    const d = await documentWithText();
    const anchor = rangeOf(d.text, 'budget');
    const thread = (
      await api(cast.commenter, 'POST', `/documents/${d.id}/comments`, { anchor, quote: 'budget', body: 'hm' })
    ).json();
    d.text.delete(TEXT.indexOf('budget'), 'budget'.length);
    await d.peer.untilSaved();
    const listed = (await api(cast.viewer, 'GET', `/documents/${d.id}/comments`)).json().items;
    expect(listed).toMatchObject([{ id: thread.id, quote: 'budget', anchor }]);
  });

  it('[C6] mentions and replies notify the right people, who mark them read', async () => {
    const d = await documentWithText();
    // Earlier tests left notifications: start from none unread.
    for (const who of [cast.member, cast.commenter]) await api(who, 'POST', '/notifications/read-all');
    const thread = (
      await newThread(cast.commenter, d.id, rangeOf(d.text, 'plan'), '@member please check', [cast.member.userId])
    ).json();
    const count = async (who: TestSession) => (await api(who, 'GET', '/notifications/unread-count')).json().unread;
    expect(await count(cast.member)).toBe(1);
    expect(await count(cast.commenter)).toBe(0);
    // The member's reply notifies the commenter (the thread's starter); the owner's reply both.
    await api(cast.member, 'POST', `/documents/${d.id}/comments/${thread.id}/replies`, { body: 'on it' });
    await api(cast.owner, 'POST', `/documents/${d.id}/comments/${thread.id}/replies`, { body: 'thanks' });
    expect(await count(cast.commenter)).toBe(2);
    expect(await count(cast.member)).toBe(2);
    const list = (await api(cast.member, 'GET', '/notifications?unread=true')).json();
    expect(list.items.map((n: { kind: string }) => n.kind)).toEqual(['reply', 'mention']);
    expect(list.items[1]).toMatchObject({
      document: { id: d.id, title: 'Plan' },
      threadId: thread.id,
      actor: { userId: cast.commenter.userId },
      excerpt: '@member please check',
      readAt: null,
    });
    const read = await api(cast.member, 'POST', '/notifications/read', { ids: [list.items[1].id] });
    expect(read.json()).toEqual({ unread: 1 });
    expect((await api(cast.member, 'POST', '/notifications/read-all')).json()).toEqual({ unread: 0 });
    expect((await api(cast.member, 'GET', '/notifications?unread=true')).json().items).toEqual([]);
    // A commenter whose share is removed no longer sees notifications about the document.
    await api(cast.owner, 'DELETE', `/documents/${d.id}/shares/${cast.commenter.userId}`);
    expect(await count(cast.commenter)).toBe(0);
    const items = (await api(cast.commenter, 'GET', '/notifications')).json().items;
    expect(items.filter((n: { document: { id: string } }) => n.document.id === d.id)).toEqual([]);
  });

  it('[C7] notifications arrive as one digest email after the delay; none when the setting is off', async () => {
    const d = await documentWithText();
    const dataDir = t.app.config.dataDir;
    // People of their own, so no other test's notifications share their mailbox.
    const [reader, quiet] = await Promise.all([t.signUp('reader'), t.signUp('quiet')]);
    for (const who of [reader, quiet]) {
      await api(cast.owner, 'PUT', `/documents/${d.id}/shares/${who.userId}`, { role: 'viewer' });
    }
    expect((await api(reader, 'GET', '/me/notification-settings')).json()).toEqual({ email: 'digest' });
    expect((await api(quiet, 'PUT', '/me/notification-settings', { email: 'off' })).json()).toEqual({ email: 'off' });
    for (const word of ['quarterly', 'Friday']) {
      const res = await newThread(cast.owner, d.id, rangeOf(d.text, word), `@reader look at ${word}`, [
        reader.userId,
        quiet.userId,
      ]);
      expect(res.statusCode, res.body).toBe(201);
    }
    // An hour later (backdated), the digest poller finds both due and sends one email.
    const db = t.app.database.pool('api');
    const people = [reader.userId, quiet.userId];
    expect(await db.selectFrom('notifications').select('id').where('user_id', 'in', people).execute()).toHaveLength(4);
    await db
      .updateTable('notifications')
      .set({ created_at: new Date(Date.now() - 3_700_000) })
      .where('user_id', 'in', people)
      .execute();
    const mail = await waitForMail(dataDir, reader.email, /2 new comment notifications/);
    expect(mail.text).toContain('look at quarterly');
    expect(mail.text).toContain('look at Friday');
    expect(mail.text.replace(/\s+/g, '')).toContain(`/d/${d.id}`);
    // The person with email off had theirs claimed without a message.
    const unsent = () =>
      db
        .selectFrom('notifications')
        .select('id')
        .where('user_id', 'in', people)
        .where('emailed_at', 'is', null)
        .execute();
    await expect.poll(async () => (await unsent()).length).toBe(0);
    const all = await readMailbox(dataDir);
    expect(all.filter((m) => m.to.includes(reader.email))).toHaveLength(1);
    expect(all.filter((m) => m.to.includes(quiet.email))).toEqual([]);
  });

  it('[C4] a full document or thread is a 409 that names the limit, and stores nothing', async () => {
    const d = await documentWithText();
    const db = t.app.database.pool('api');
    const thread = (await newThread(cast.owner, d.id, rangeOf(d.text, 'plan'), 'first')).json();
    // Filled in SQL: thousands of requests would only measure the machine.
    await sql`insert into comments (id, thread_id, author_id, body)
      select gen_random_uuid(), ${thread.id}, ${cast.owner.userId}, 'filler'
      from generate_series(2, ${COMMENTS_PER_THREAD_MAX})`.execute(db);
    const full = await api(cast.member, 'POST', `/documents/${d.id}/comments/${thread.id}/replies`, {
      body: 'one more',
    });
    expect(full.statusCode, full.body).toBe(409);
    expect(full.json().detail).toContain(String(COMMENTS_PER_THREAD_MAX));
    await sql`insert into comment_threads (id, document_id, anchor_start, anchor_end)
      select gen_random_uuid(), ${d.id}, 'AA==', 'AA=='
      from generate_series(2, ${THREADS_PER_DOCUMENT_MAX})`.execute(db);
    const many = await newThread(cast.owner, d.id, rangeOf(d.text, 'Friday'), 'one more');
    expect(many.statusCode, many.body).toBe(409);
    const count = await db
      .selectFrom('comment_threads')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('document_id', '=', d.id)
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(THREADS_PER_DOCUMENT_MAX);
  });

  it('[C7] notifications past the retention are purged by primary-key range (uuid v7 ids)', async () => {
    const d = await documentWithText();
    const thread = (await newThread(cast.owner, d.id, rangeOf(d.text, 'plan'), '@member', [cast.member.userId])).json();
    const db = t.app.database.pool('api');
    const old = uuidv7({ msecs: Date.now() - (NOTIFICATION_RETENTION_DAYS + 1) * 86_400_000 });
    await db
      .insertInto('notifications')
      .values({
        id: old,
        user_id: cast.member.userId,
        kind: 'mention',
        document_id: d.id,
        thread_id: thread.id,
        comment_id: thread.comments[0].id,
        actor_id: cast.owner.userId,
      })
      .execute();
    // The purge reads nothing but the table: the digest's other parts are not needed for it.
    const digest = new NotificationDigest(
      db,
      null as never,
      null as never,
      { delayMs: 0, publicUrl: '', batch: 1 },
      {
        claimed: () => undefined,
        failed: () => undefined,
      },
    );
    expect(await digest.purgeOld()).toBeGreaterThanOrEqual(1);
    const left = await db.selectFrom('notifications').select('id').where('thread_id', '=', thread.id).execute();
    expect(left.map((r) => r.id)).not.toContain(old);
    expect(left).toHaveLength(1);
  });

  it('mention autocomplete lists people who can open the document, by name, without emails', async () => {
    const d = await documentWithText();
    const res = await api(cast.commenter, 'GET', `/documents/${d.id}/mentionable?q=mem`);
    expect(res.statusCode).toBe(200);
    expect(res.json().items).toEqual([{ userId: cast.member.userId, displayName: expect.stringMatching(/^member/) }]);
    const everyone = (await api(cast.commenter, 'GET', `/documents/${d.id}/mentionable?limit=50`)).json().items;
    const ids = everyone.map((p: { userId: string }) => p.userId);
    expect(ids).toEqual(
      expect.arrayContaining([cast.owner.userId, cast.member.userId, cast.commenter.userId, cast.viewer.userId]),
    );
    expect(ids).not.toContain(cast.stranger.userId);
    expect((await api(cast.viewer, 'GET', `/documents/${d.id}/mentionable`)).statusCode).toBe(403);
  });

  it('[C4] who may share also gets the people who cannot open it yet, marked needsShare (the share prompt)', async () => {
    const id = (await api(cast.owner, 'POST', `/workspaces/${workspaceId}/documents`, { title: 'Unshared' })).json().id;
    // The commenter and the viewer are guests without a share here: they cannot open it.
    const forOwner = (await api(cast.owner, 'GET', `/documents/${id}/mentionable?limit=50`)).json().items;
    expect(forOwner).toContainEqual({
      userId: cast.commenter.userId,
      displayName: expect.any(String),
      needsShare: true,
    });
    expect(forOwner).toContainEqual({ userId: cast.member.userId, displayName: expect.any(String) });
    // A member who may comment but not share sees only those who can open it.
    const forMember = (await api(cast.member, 'GET', `/documents/${id}/mentionable?limit=50`)).json().items;
    expect(forMember.map((p: { userId: string }) => p.userId)).not.toContain(cast.commenter.userId);
    expect(forMember.some((p: { needsShare?: boolean }) => p.needsShare)).toBe(false);
    // Mentioning them stays a 400 until they are shared with.
    const refused = await api(cast.owner, 'POST', `/documents/${id}/comments`, {
      anchor: documentStartAnchor(),
      quote: '',
      body: 'hello',
      mentions: [cast.commenter.userId],
    });
    expect(refused.statusCode).toBe(400);
  });
});
