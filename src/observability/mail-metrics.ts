/**
 * Metrics of outgoing mail and of what sends it: deliveries and failures by transport (smtp,
 * file) and kind, password-reset requests and confirmations by outcome, and invitations by
 * outcome, and the outbox's backlog. A rising `mail_failed_total{final="true"}` means people are
 * not getting their links; a growing `mail_outbox_overdue_seconds` that nobody is sending them.
 */
import client from 'prom-client';

export type OutboxDepth = { messages: number; overdueSeconds: number };

/** A scrape asks the database at most this often, however many Prometheus servers scrape. */
const DEPTH_TTL_MS = 1_000;

export class MailMetrics {
  readonly sent: client.Counter<'transport' | 'kind'>;
  readonly failed: client.Counter<'transport' | 'kind' | 'final'>;
  readonly passwordResets: client.Counter<'step' | 'outcome'>;
  readonly invitations: client.Counter<'target' | 'outcome'>;

  constructor(registry: client.Registry) {
    this.sent = new client.Counter({
      name: 'mail_sent_total',
      help: 'Messages delivered, by transport (smtp, file) and kind (password-reset, invitation, share)',
      labelNames: ['transport', 'kind'],
      registers: [registry],
    });
    this.failed = new client.Counter({
      name: 'mail_failed_total',
      help: 'Failed deliveries by transport and kind; final="true": given up on after MAIL_MAX_ATTEMPTS',
      labelNames: ['transport', 'kind', 'final'],
      registers: [registry],
    });
    this.passwordResets = new client.Counter({
      name: 'password_resets_total',
      help: 'Password reset requests (requested, unknown, throttled) and confirmations (reset, expired, used, unknown)',
      labelNames: ['step', 'outcome'],
      registers: [registry],
    });
    this.invitations = new client.Counter({
      name: 'invitations_total',
      help: 'Invitations by target (workspace, document, link, in-app) and outcome (sent, resent, withdrawn, accepted, declined; refused links: expired, used, revoked, unknown, wrong-account)',
      labelNames: ['target', 'outcome'],
      registers: [registry],
    });
    // Zero from the start, so rate() and alerts see the first failure after a restart.
    for (const transport of ['smtp', 'file']) {
      this.failed.inc({ transport, kind: 'invitation', final: 'true' }, 0);
      this.failed.inc({ transport, kind: 'password-reset', final: 'true' }, 0);
    }
  }

  /**
   * Gauges of the outbox's fleet-wide backlog (one query a second at most). A failed query keeps
   * the last known value: one slow pool must not fail the whole scrape.
   */
  watchOutbox(registry: client.Registry, load: () => Promise<OutboxDepth>): void {
    let last: OutboxDepth = { messages: 0, overdueSeconds: 0 };
    let snapshot: { at: number; value: Promise<OutboxDepth> } | undefined;
    const depth = () => {
      const now = Date.now();
      if (!snapshot || now - snapshot.at > DEPTH_TTL_MS) {
        const value = load().then(
          (d) => {
            last = d;
            return d;
          },
          () => last,
        );
        snapshot = { at: now, value };
      }
      return snapshot.value;
    };
    new client.Gauge({
      name: 'mail_outbox_messages',
      help: 'Messages in the mail outbox, fleet-wide (due, backing off after a failure, or being sent)',
      registers: [registry],
      async collect() {
        this.set((await depth()).messages);
      },
    });
    new client.Gauge({
      name: 'mail_outbox_overdue_seconds',
      help: 'How long the oldest due message in the outbox has waited past its due time, fleet-wide (0: none overdue)',
      registers: [registry],
      async collect() {
        this.set((await depth()).overdueSeconds);
      },
    });
  }
}
