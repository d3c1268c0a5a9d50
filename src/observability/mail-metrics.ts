/**
 * Metrics of outgoing mail and of what sends it: deliveries and failures by transport (smtp,
 * file) and kind, password-reset requests and confirmations by outcome, and invitations by
 * outcome. A rising `mail_failed_total{final="true"}` means people are not getting their links.
 */
import client from 'prom-client';

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
}
