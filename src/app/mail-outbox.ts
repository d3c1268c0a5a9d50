/**
 * Outgoing mail through an outbox table: a use case writes the message in its own transaction
 * (so a reset token and its email exist together or not at all) and never waits for SMTP; this
 * module delivers due rows in the background — woken at once after a write, and on a timer so
 * rows left by a crash or a failed attempt go out later. A claimed row is leased (its due time
 * pushed ahead) so several instances never send the same message at once; failures back off
 * exponentially and are given up on after `maxAttempts`. Delivered and abandoned rows are deleted:
 * the one-time links they carry do not outlive their delivery.
 */
import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { Mailer, MailMessage, Sql } from './ports.ts';

/** What a message is for: a metrics label and a log field (never the message's text). */
export type MailKind = 'password-reset' | 'invitation' | 'share' | 'comment-digest' | 'email-change';

export type MailOutboxOptions = {
  maxAttempts: number;
  backoffBaseMs: number;
  /** A claimed message may take this long to send before another instance may try it. */
  leaseMs: number;
  /** Rows claimed per round. */
  batch: number;
};

export type MailObserver = {
  sent(event: { kind: string; transport: string; to: string; where: string }): void;
  failed(event: { kind: string; transport: string; to: string; attempts: number; final: boolean; err: unknown }): void;
};

/** "alice@example.com" → "a***@example.com": enough to tell messages apart in logs, not to harvest. */
export function redactEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return at <= 0 ? '***' : `${email[0]}***${email.slice(at)}`;
}

const EMAIL_IN_TEXT = /[^\s<>"'@,;:]+@([^\s<>"',;:]+)/g;

/**
 * What of a delivery error may be logged: SMTP servers echo recipients in their replies and
 * nodemailer attaches them (`rejected`), so only the code and the message, addresses redacted.
 */
export function loggableError(err: unknown): { message: string; code?: string; responseCode?: number } {
  const e = err as { message?: unknown; code?: unknown; responseCode?: unknown };
  return {
    message: String(e?.message ?? err).replace(EMAIL_IN_TEXT, (_m, domain: string) => `***@${domain}`),
    ...(typeof e?.code === 'string' && { code: e.code }),
    ...(typeof e?.responseCode === 'number' && { responseCode: e.responseCode }),
  };
}

export class MailOutbox {
  private readonly db: Sql;
  private readonly mailer: Mailer;
  private readonly opts: MailOutboxOptions;
  private readonly observer: MailObserver;
  private running: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(db: Sql, mailer: Mailer, opts: MailOutboxOptions, observer: MailObserver) {
    this.db = db;
    this.mailer = mailer;
    this.opts = opts;
    this.observer = observer;
  }

  get transport(): Mailer['transport'] {
    return this.mailer.transport;
  }

  /** Queues a message inside the caller's transaction (or alone); call `wake()` after it commits. */
  async enqueue(db: Sql, kind: MailKind, message: MailMessage): Promise<void> {
    await db
      .insertInto('mail_outbox')
      .values({ id: uuidv7(), kind, recipient: message.to, subject: message.subject, body_text: message.text })
      .execute();
  }

  /** Delivers what is due now, in the background; concurrent wakes coalesce into one more round. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          while ((await this.deliverDue()) === this.opts.batch && !this.stopped) {
            // A full batch: more may be waiting.
          }
        } catch (err) {
          this.observer.failed({
            kind: 'outbox',
            transport: this.transport,
            to: '',
            attempts: 0,
            final: false,
            err: loggableError(err),
          });
        }
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.running = undefined;
    });
  }

  /** Polls for due messages (retries, and rows written by other instances or before a crash). */
  start(intervalMs: number): void {
    this.timer = setInterval(() => this.wake(), intervalMs);
    this.timer.unref();
    this.wake();
  }

  /** Stops polling and waits for the round in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
    await this.mailer.close();
  }

  /**
   * The backlog fleet-wide, for the outbox gauges: messages waiting (retries backing off and
   * leased ones included) and how long the oldest due one has waited — past its due time nobody
   * delivers it (every instance's loop stuck, or the mailer hanging beyond the lease).
   */
  async depth(): Promise<{ messages: number; overdueSeconds: number }> {
    const now = new Date();
    const row = await this.db
      .selectFrom('mail_outbox')
      .select((eb) => [
        eb.fn.countAll<number>().as('n'),
        eb.fn.min(eb.case().when('next_attempt_at', '<=', now).then(eb.ref('next_attempt_at')).end()).as('due'),
      ])
      .executeTakeFirst();
    const due = row?.due ? new Date(row.due as Date | string).getTime() : now.getTime();
    return { messages: Number(row?.n ?? 0), overdueSeconds: Math.max(0, (now.getTime() - due) / 1000) };
  }

  /** Claims up to one batch of due rows (leased) and sends them; resolves with how many were claimed. */
  async deliverDue(): Promise<number> {
    const claimed = await this.db
      .updateTable('mail_outbox')
      .set({ next_attempt_at: new Date(Date.now() + this.opts.leaseMs), attempts: sql<number>`attempts + 1` })
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('mail_outbox')
          .select('id')
          .where('next_attempt_at', '<=', new Date())
          .orderBy('next_attempt_at')
          .limit(this.opts.batch)
          .forUpdate()
          .skipLocked(),
      )
      .returning(['id', 'kind', 'recipient', 'subject', 'body_text', 'attempts'])
      .execute();
    await Promise.all(claimed.map((row) => this.deliver(row)));
    return claimed.length;
  }

  private async deliver(row: {
    id: string;
    kind: string;
    recipient: string;
    subject: string;
    body_text: string;
    attempts: number;
  }): Promise<void> {
    const to = redactEmail(row.recipient);
    try {
      const where = await this.mailer.send({ to: row.recipient, subject: row.subject, text: row.body_text });
      await this.db.deleteFrom('mail_outbox').where('id', '=', row.id).execute();
      this.observer.sent({ kind: row.kind, transport: this.transport, to, where });
    } catch (err) {
      const final = row.attempts >= this.opts.maxAttempts;
      if (final) {
        await this.db.deleteFrom('mail_outbox').where('id', '=', row.id).execute();
      } else {
        const delay = this.opts.backoffBaseMs * 2 ** (row.attempts - 1);
        await this.db
          .updateTable('mail_outbox')
          .set({ next_attempt_at: new Date(Date.now() + delay), last_error: loggableError(err).message.slice(0, 500) })
          .where('id', '=', row.id)
          .execute();
      }
      this.observer.failed({
        kind: row.kind,
        transport: this.transport,
        to,
        attempts: row.attempts,
        final,
        err: loggableError(err),
      });
    }
  }
}
