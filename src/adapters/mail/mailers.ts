/**
 * The two Mailer adapters, both built on nodemailer: SMTP (SMTP_URL, with MAIL_FROM as sender)
 * and the embedded default, which composes the same RFC 5322 message with nodemailer's stream
 * transport and writes it as an `.eml` file under DATA_DIR/mail, so a laptop install needs no
 * mail server (open the file, or read the link the inviter is shown).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Mailer, MailMessage } from '../../app/ports.ts';

/** A stuck server must not hold a delivery (and its outbox lease) for long. */
const SMTP_TIMEOUT_MS = 15_000;

export class SmtpMailer implements Mailer {
  readonly transport = 'smtp' as const;
  private readonly transporter: Transporter;
  private readonly from: string;

  constructor(smtpUrl: string, from: string) {
    // nodemailer reads host, port, credentials (smtp://user:pass@host:587) and TLS mode
    // (smtps:// is implicit TLS; smtp:// upgrades with STARTTLS when offered) from the URL.
    this.transporter = nodemailer.createTransport({
      url: smtpUrl,
      connectionTimeout: SMTP_TIMEOUT_MS,
      greetingTimeout: SMTP_TIMEOUT_MS,
      socketTimeout: SMTP_TIMEOUT_MS,
    });
    this.from = from;
  }

  async send(message: MailMessage): Promise<string> {
    const info = await this.transporter.sendMail({ from: this.from, ...message });
    return String(info.messageId);
  }

  async close(): Promise<void> {
    this.transporter.close();
  }
}

export class FileMailer implements Mailer {
  readonly transport = 'file' as const;
  private readonly composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  private readonly dir: string;
  private readonly from: string;

  constructor(dir: string, from: string) {
    this.dir = dir;
    this.from = from;
  }

  async send(message: MailMessage): Promise<string> {
    const info = await this.composer.sendMail({ from: this.from, ...message });
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    // Sortable by time; readable by the owner only (the message holds a one-time link).
    const path = join(this.dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID()}.eml`);
    await writeFile(path, info.message as Buffer, { mode: 0o600 });
    return path;
  }

  async close(): Promise<void> {
    this.composer.close();
  }
}
