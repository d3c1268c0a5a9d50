/**
 * The signed-in person's own account for the api role: settings and sessions [A9], password and
 * email changes [A10] [A11], deletion [A12] — with what each measures and logs. Anything that ends
 * sessions or the account tells every instance's authenticator at once (identity.sessionsEnded).
 */
import { AccountDeletion } from '../app/auth/account-deletion.ts';
import { AccountSecurity } from '../app/auth/account-security.ts';
import { AccountSettings } from '../app/auth/account-settings.ts';
import { AccountSessions } from '../app/auth/sessions.ts';
import type { Sql } from '../app/ports.ts';
import type { Config } from '../config/config.ts';
import type { ApiDeps } from '../http/server.ts';
import { signOutMetrics } from '../observability/access-metrics.ts';
import { AccountMetrics } from '../observability/account-metrics.ts';
import type { Identity } from './identity.ts';
import type { Infrastructure } from './infrastructure.ts';
import type { Mail } from './mail.ts';

export function wireAccount(
  config: Config,
  infra: Infrastructure,
  identity: Identity,
  mail: Mail,
  db: Sql,
): ApiDeps['account'] {
  const log = infra.logger.child({ component: 'auth' });
  const metrics = new AccountMetrics(infra.metrics.registry);
  const countSignOut = signOutMetrics(infra.metrics.registry);
  const security = new AccountSecurity(db, infra.counters, mail.outbox, identity.accounts, {
    publicUrl: config.publicUrl,
    linkTtlMinutes: config.auth.passwordResetTtlMinutes,
    maxEmailChangesPerHour: config.auth.passwordResetMaxPerEmailPerHour,
    maxPasswordFailures: config.auth.loginMaxFailuresPerAccount,
    passwordFailureWindowSeconds: config.auth.loginFailureWindowSeconds,
    scryptCost: config.auth.scryptCost,
    onPasswordChanged: (userId, sessions) => {
      identity.sessionsEnded(userId);
      metrics.passwordChanges.inc();
      log.info({ event: 'password_changed', userId, sessions }, 'password changed; every other session ended');
    },
    onPasswordRejected: (reason) => {
      metrics.reauthRejections.inc({ reason });
      if (reason === 'throttled') log.warn({ event: 'reauth_throttled' }, 'current-password checks throttled');
    },
    onEmailChange: (step, outcome) => {
      metrics.emailChanges.inc({ step, outcome });
      log.info({ event: `email_change_${step}`, outcome }, 'email change');
    },
  });
  return {
    settings: new AccountSettings(db),
    sessions: new AccountSessions(db, (userId, sessions) => {
      identity.sessionsEnded(userId);
      countSignOut();
      log.info({ event: 'signed_out_everywhere', userId, sessions }, 'every session of an account ended');
    }),
    security,
    deletion: new AccountDeletion(db, infra.events, security, (userId, result, documents) => {
      identity.sessionsEnded(userId);
      metrics.deleted.inc({ documents });
      log.info({ event: 'account_deleted', userId, documents, ...result }, 'an account was deleted by its owner');
    }),
  };
}
