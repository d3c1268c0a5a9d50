/**
 * Metrics of account security (docs/spec/auth.md [A10] [A11] [A12]): password changes, wrong or
 * throttled current passwords, email changes by step and outcome, and deleted accounts. A burst of
 * `account_reauth_rejections_total{reason="throttled"}` is someone guessing a password from a
 * stolen session; one of `accounts_deleted_total` is worth a look (docs/operations.md).
 */
import client from 'prom-client';

export class AccountMetrics {
  readonly passwordChanges: client.Counter;
  readonly reauthRejections: client.Counter<'reason'>;
  readonly emailChanges: client.Counter<'step' | 'outcome'>;
  readonly deleted: client.Counter<'documents'>;

  constructor(registry: client.Registry) {
    this.passwordChanges = new client.Counter({
      name: 'password_changes_total',
      help: 'Passwords changed in account settings (every other session ended)',
      registers: [registry],
    });
    this.reauthRejections = new client.Counter({
      name: 'account_reauth_rejections_total',
      help: 'Current-password checks refused (password change, email change, account deletion), by reason (wrong_password, throttled)',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.emailChanges = new client.Counter({
      name: 'email_changes_total',
      help: 'Email changes: requests (requested, throttled) and confirmations (changed, verified, taken, expired, used, unknown)',
      labelNames: ['step', 'outcome'],
      registers: [registry],
    });
    this.deleted = new client.Counter({
      name: 'accounts_deleted_total',
      help: 'Accounts deleted by their owner, by what happened to their documents (transfer, trash)',
      labelNames: ['documents'],
      registers: [registry],
    });
    // Zero from the start, so rate() and alerts see the first one after a restart.
    this.passwordChanges.inc(0);
    for (const reason of ['wrong_password', 'throttled']) this.reauthRejections.inc({ reason }, 0);
    for (const documents of ['transfer', 'trash']) this.deleted.inc({ documents }, 0);
  }
}

/**
 * Password derivations running and waiting for their turn (scrypt is bounded to leave the event
 * loop a core): a standing queue means log-ins arrive faster than this instance hashes — a
 * log-in storm, or too few api instances.
 */
export function passwordHashMetrics(registry: client.Registry, stats: () => { active: number; waiting: number }): void {
  new client.Gauge({
    name: 'password_hashes',
    help: 'Password hash derivations (sign-up, log-in, password checks) by state: active, waiting for a turn',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const s = stats();
      this.set({ state: 'active' }, s.active);
      this.set({ state: 'waiting' }, s.waiting);
    },
  });
}
