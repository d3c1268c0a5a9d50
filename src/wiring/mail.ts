/**
 * Outgoing mail for the api role: the SMTP adapter when SMTP_URL is set, else `.eml` files under
 * DATA_DIR/mail; the outbox that delivers in the background (never inside a request), and what is
 * measured and logged about each delivery — the recipient redacted, never the message's text.
 */
import { join } from 'node:path';
import { FileMailer, SmtpMailer } from '../adapters/mail/mailers.ts';
import { MailOutbox } from '../app/mail-outbox.ts';
import type { Config } from '../config/config.ts';
import { MailMetrics } from '../observability/mail-metrics.ts';
import type { Infrastructure } from './infrastructure.ts';

/** A send that takes longer than this may be retried by another instance (beyond the SMTP timeouts). */
const LEASE_MS = 60_000;
const BATCH = 20;

export type Mail = { outbox: MailOutbox; metrics: MailMetrics; start(): void; stop(): Promise<void> };

export function wireMail(config: Config, infra: Infrastructure): Mail {
  const logger = infra.logger.child({ component: 'mail' });
  const metrics = new MailMetrics(infra.metrics.registry);
  const mailDir = join(config.dataDir, 'mail');
  const mailer = config.mail.smtpUrl
    ? new SmtpMailer(config.mail.smtpUrl, config.mail.from)
    : new FileMailer(mailDir, config.mail.from);
  const outbox = new MailOutbox(
    infra.database.pool('api'),
    mailer,
    { maxAttempts: config.mail.maxAttempts, backoffBaseMs: config.mail.backoffBaseMs, leaseMs: LEASE_MS, batch: BATCH },
    {
      sent: ({ kind, transport, to, where }) => {
        metrics.sent.inc({ transport, kind });
        // The file's path is where an operator without a mail server finds the message.
        logger.info(
          { kind, transport, to, ...(transport === 'file' ? { file: where } : { messageId: where }) },
          'mail sent',
        );
      },
      failed: ({ kind, transport, to, attempts, final, err }) => {
        metrics.failed.inc({ transport, kind, final: String(final) });
        logger.warn(
          { kind, transport, to, attempts, final, error: err },
          final ? 'mail given up on after its last attempt' : 'mail delivery failed; will retry',
        );
      },
    },
  );
  metrics.watchOutbox(infra.metrics.registry, () => outbox.depth());
  return {
    outbox,
    metrics,
    start: () => {
      logger.info(
        config.mail.smtpUrl ? { transport: 'smtp' } : { transport: 'file', dir: mailDir },
        'mail: outgoing messages go out through this transport',
      );
      outbox.start(config.mail.pollIntervalMs);
    },
    stop: () => outbox.stop(),
  };
}
