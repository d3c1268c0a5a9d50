/**
 * Notification emails as digests (docs/spec/comments.md [C7]): nobody gets one email per comment.
 * Once a person's oldest unsent notification is `delayMs` old, everything of theirs not yet sent
 * is claimed and goes out as one message through the mail outbox (same transaction: claimed and
 * queued together, or neither). Read notifications, documents they can no longer open and people
 * who turned email off are claimed without a message. Runs on every api instance at once safely:
 * a claim is one UPDATE over rows locked with SKIP LOCKED.
 */
import { sql } from 'kysely';
import type { MailOutbox } from './mail-outbox.ts';
import { excerptOf, type Notifications } from './notifications.ts';
import type { MailMessage, Sql } from './ports.ts';

/** Notifications older than this are deleted (read or not: their emails went out long ago). */
export const NOTIFICATION_RETENTION_DAYS = 90;
const PURGE_EVERY_MS = 3_600_000;
const PURGE_BATCH = 1_000;

/**
 * The smallest uuid v7 of a moment: ids are uuid v7 (time first), so "older than" is a range of
 * the primary key and the purge needs no index of its own.
 */
export function uuidv7Floor(ms: number): string {
  const hex = Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7000-8000-000000000000`;
}

export type DigestOptions = {
  /** How long the first notification waits for others to join it. */
  delayMs: number;
  publicUrl: string;
  /** People handled per round. */
  batch: number;
};

export type DigestObserver = {
  /** One person's round: how many notifications were claimed and whether an email was queued. */
  claimed(event: { userId: string; notifications: number; emailed: boolean }): void;
  failed(err: unknown): void;
};

type Item = { kind: string; title: string; documentId: string; threadId: string; actor: string | null; body: string };

/** The digest's text: plain, one entry per notification, each with the link to its document. */
export function digestMail(to: string, items: Item[], publicUrl: string): MailMessage {
  const line = (i: Item) => {
    const who = i.actor ?? 'Someone';
    const what = i.kind === 'mention' ? 'mentioned you in' : 'replied in a thread you are part of in';
    return `${who} ${what} “${i.title}”:\n  “${excerptOf(i.body)}”\n  ${publicUrl}/d/${i.documentId}?thread=${i.threadId}\n`;
  };
  const first = items[0] as Item;
  const subject =
    items.length === 1
      ? `${first.actor ?? 'Someone'} ${first.kind === 'mention' ? 'mentioned you' : 'replied'} in “${first.title}”`
      : `${items.length} new comment notifications on Collab Docs`;
  return {
    to,
    subject,
    text:
      `${items.map(line).join('\n')}\n` +
      'Notifications are batched into one email. You can turn these emails off in Collab Docs ' +
      '(the bell → Email settings).\n',
  };
}

export class NotificationDigest {
  private readonly db: Sql;
  private readonly outbox: MailOutbox;
  private readonly notifications: Notifications;
  private readonly opts: DigestOptions;
  private readonly observer: DigestObserver;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private lastPurge = 0;

  constructor(
    db: Sql,
    outbox: MailOutbox,
    notifications: Notifications,
    opts: DigestOptions,
    observer: DigestObserver,
  ) {
    this.db = db;
    this.outbox = outbox;
    this.notifications = notifications;
    this.opts = opts;
    this.observer = observer;
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => this.tick(), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  private tick(): void {
    if (this.running || this.stopped) return;
    this.running = this.runOnce()
      .then(() => undefined)
      .catch((err) => this.observer.failed(err))
      .finally(() => {
        this.running = undefined;
      });
  }

  /** Deletes notifications past NOTIFICATION_RETENTION_DAYS, in batches; returns how many. */
  async purgeOld(now = Date.now()): Promise<number> {
    const floor = uuidv7Floor(now - NOTIFICATION_RETENTION_DAYS * 86_400_000);
    let total = 0;
    for (;;) {
      const r = await this.db
        .deleteFrom('notifications')
        .where('id', 'in', (eb) =>
          eb.selectFrom('notifications').select('id').where('id', '<', floor).limit(PURGE_BATCH),
        )
        .executeTakeFirst();
      const n = Number(r.numDeletedRows);
      total += n;
      if (n < PURGE_BATCH || this.stopped) return total;
    }
  }

  /** One round: the people whose digest is due; returns how many emails were queued. */
  async runOnce(): Promise<number> {
    if (Date.now() - this.lastPurge >= PURGE_EVERY_MS) {
      this.lastPurge = Date.now();
      await this.purgeOld();
    }
    const due = await this.db
      .selectFrom('notifications')
      .select('user_id')
      .distinct()
      .where('emailed_at', 'is', null)
      .where('created_at', '<=', sql<Date>`now() - make_interval(secs => ${this.opts.delayMs / 1000})`)
      .limit(this.opts.batch)
      .execute();
    let emailed = 0;
    for (const { user_id } of due) if (await this.digestFor(user_id)) emailed++;
    if (emailed > 0) this.outbox.wake();
    return emailed;
  }

  private async digestFor(userId: string): Promise<boolean> {
    // Access is read first, outside the transaction: the permission cache may query the database,
    // and on the embedded database (one connection) a query beside an open transaction would wait on it.
    const pending = await this.db
      .selectFrom('notifications')
      .select(['id', 'document_id', 'read_at'])
      .where('user_id', '=', userId)
      .where('emailed_at', 'is', null)
      .execute();
    if (pending.length === 0) return false;
    const readable = await this.notifications.readable(
      userId,
      pending.filter((n) => n.read_at === null).map((n) => n.document_id),
    );
    return this.db.transaction().execute(async (tx) => {
      // Only what was read above: a notification arriving meanwhile waits for the next round.
      const claimed = await tx
        .updateTable('notifications')
        .set({ emailed_at: sql`now()` })
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('notifications')
            .select('id')
            .where(
              'id',
              'in',
              pending.map((n) => n.id),
            )
            .where('emailed_at', 'is', null)
            .forUpdate()
            .skipLocked(),
        )
        .returning(['id', 'read_at', 'document_id'])
        .execute();
      if (claimed.length === 0) return false;
      const unread = claimed.filter((n) => n.read_at === null);
      const [user, setting] = await Promise.all([
        tx.selectFrom('users').select('email').where('id', '=', userId).executeTakeFirst(),
        tx.selectFrom('notification_settings').select('email').where('user_id', '=', userId).executeTakeFirst(),
      ]);
      const wanted = user && (setting?.email ?? 'digest') === 'digest' && unread.length > 0;
      let items: Item[] = [];
      if (wanted) {
        const rows = await tx
          .selectFrom('notifications as n')
          .innerJoin('documents as d', 'd.id', 'n.document_id')
          .innerJoin('comments as c', 'c.id', 'n.comment_id')
          .leftJoin('users as u', 'u.id', 'n.actor_id')
          .select([
            'n.kind',
            'd.title',
            'd.id as documentId',
            'n.thread_id as threadId',
            'u.display_name as actor',
            'c.body',
          ])
          .where(
            'n.id',
            'in',
            unread.map((n) => n.id),
          )
          .where('d.trashed_at', 'is', null)
          .orderBy('n.id')
          .execute();
        items = rows.filter((r) => readable.has(r.documentId));
      }
      if (user && items.length > 0)
        await this.outbox.enqueue(tx, 'comment-digest', digestMail(user.email, items, this.opts.publicUrl));
      this.observer.claimed({ userId, notifications: claimed.length, emailed: items.length > 0 });
      return items.length > 0;
    });
  }
}
