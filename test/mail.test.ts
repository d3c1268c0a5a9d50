/**
 * Email that really leaves (docs/spec/auth.md [M1]): with SMTP_URL set, invitations and reset
 * links go through a real SMTP server on loopback (npm `smtp-server`), parsed with mailparser as a
 * mail client would — recipients, subject, links that work — and no token ever reaches the logs.
 * A server that refuses a message gets it again later (the outbox retries with backoff).
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailOutbox } from '../src/app/mail-outbox.ts';
import type { Mailer } from '../src/app/ports.ts';
import { backends } from './support/backends.ts';
import { linkIn, parseMail, type ReceivedMail } from './support/mailbox.ts';
import { linkToken, startTestApp, TEST_PASSWORD, type TestApp, type TestSession } from './support/test-app.ts';
import { waitFor } from './support/wait.ts';

const API = '/api/v1';

/** For an outbox that only measures (depth()): it never sends. */
const UNUSED_MAILER: Mailer = {
  transport: 'smtp',
  send: () => Promise.reject(new Error('not used')),
  close: () => Promise.resolve(),
};
const OUTBOX_OPTIONS = { maxAttempts: 3, backoffBaseMs: 10, leaseMs: 60_000, batch: 20 };
const NO_OBSERVER = { sent: () => undefined, failed: () => undefined };

type Delivered = ReceivedMail & { envelopeTo: string[]; envelopeFrom: string };

describe.each(backends)('mail through SMTP [$name]', (backend) => {
  let t: TestApp;
  let smtp: SMTPServer;
  let owner: TestSession;
  const delivered: Delivered[] = [];
  const logLines: string[] = [];
  /** Recipients whose next delivery the server refuses (once each) with a temporary error. */
  const refuseOnce = new Set<string>();
  /** Recipients the server always refuses. */
  const refuseAlways = new Set<string>();

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo(address, _session, callback) {
        if (refuseOnce.delete(address.address) || refuseAlways.has(address.address)) {
          const err = Object.assign(new Error('mailbox busy, try later'), { responseCode: 451 });
          callback(err);
          return;
        }
        callback();
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', async () => {
          const parsed = await parseMail(Buffer.concat(chunks));
          delivered.push({
            ...parsed,
            file: '',
            envelopeTo: session.envelope.rcptTo.map((r) => r.address),
            envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    const port = (smtp.server.address() as AddressInfo).port;
    // Every log line the app writes, at every level, to search for secrets.
    const sink = new Writable({
      write(chunk, _enc, done) {
        logLines.push(String(chunk));
        done();
      },
    });
    t = await startTestApp(
      backend,
      {
        SMTP_URL: `smtp://127.0.0.1:${port}`,
        MAIL_FROM: 'Collab Docs <docs@example.test>',
        MAIL_BACKOFF_BASE_MS: '10',
        MAIL_MAX_ATTEMPTS: '3',
        // Retries wait for the next poll: poll often so giving up takes well under a second.
        MAIL_POLL_INTERVAL_MS: '100',
        PUBLIC_URL: 'https://docs.example.test',
      },
      { logger: pino({ level: 'trace' }, sink) },
    );
    owner = await t.signUp('owner');
  });
  afterAll(async () => {
    await t?.close();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  const mailTo = async (address: string, subject: RegExp) => {
    let found: Delivered | undefined;
    await waitFor(`SMTP delivery to ${address}`, () => {
      found = delivered.find((m) => m.envelopeTo.includes(address) && subject.test(m.subject));
      return found !== undefined;
    });
    return found as Delivered;
  };

  it('[M1] a workspace invitation reaches the SMTP server with recipient, subject and a working link; the answer has no link', async () => {
    const ws = (await t.request('POST', `${API}/workspaces`, { token: owner.token, body: { name: 'Acme' } })).json();
    const email = `stranger-${randomUUID()}@example.test`;
    const sent = await t.request('POST', `${API}/workspaces/${ws.id}/members`, {
      token: owner.token,
      body: { email, role: 'member' },
    });
    expect(sent.statusCode).toBe(202);
    expect(sent.json().link).toBeUndefined();
    const mail = await mailTo(email, /invited you/);
    expect(mail.to).toEqual([email]);
    expect(mail.envelopeFrom).toBe('docs@example.test');
    expect(mail.from).toContain('docs@example.test');
    expect(mail.subject).toMatch(/^owner \d+ invited you to “Acme” on Collab Docs$/);
    const link = linkIn(mail.text);
    expect(link).toMatch(/^https:\/\/docs\.example\.test\/invite#token=[A-Za-z0-9_-]{43}$/);
    const preview = await t.request('POST', `${API}/invitations/preview`, { body: { token: linkToken(link) } });
    expect(preview.json()).toMatchObject({ kind: 'workspace', workspaceName: 'Acme', email, role: 'member' });
  });

  it('[M1] a password reset link arrives and works', async () => {
    const alice = await t.signUp('alice');
    const res = await t.request('POST', `${API}/auth/password-reset`, { body: { email: alice.email } });
    expect(res.statusCode).toBe(202);
    const mail = await mailTo(alice.email, /Reset your Collab Docs password/);
    const confirmed = await t.request('POST', `${API}/auth/password-reset/confirm`, {
      body: { token: linkToken(linkIn(mail.text)), password: 'a fresh long passphrase' },
    });
    expect(confirmed.statusCode).toBe(204);
  });

  it('[M1] a refused delivery is retried until it goes through, and counted', async () => {
    const carol = await t.signUp('carol');
    refuseOnce.add(carol.email);
    const doc = (await t.request('POST', `${API}/workspaces`, { token: owner.token, body: { name: 'Retry' } })).json();
    const d = (
      await t.request('POST', `${API}/workspaces/${doc.id}/documents`, { token: owner.token, body: { title: 'Plan' } })
    ).json();
    await t.request('POST', `${API}/documents/${d.id}/shares`, {
      token: owner.token,
      body: { email: carol.email, role: 'viewer' },
    });
    await mailTo(carol.email, /shared “Plan” with you/);
    // Counted once the server's answer is back (just after it stored the message).
    const sent = /mail_sent_total\{[^}]*transport="smtp"[^}]*kind="share"[^}]*\} 1/;
    await waitFor('the delivery counted', async () => sent.test(await t.app.metrics.registry.metrics()));
    const metrics = await t.app.metrics.registry.metrics();
    expect(metrics).toMatch(/mail_failed_total\{[^}]*transport="smtp"[^}]*kind="share"[^}]*final="false"[^}]*\} 1/);
    expect(logLines.join('')).toMatch(/mail delivery failed; will retry/);
  });

  it('[M1] a message refused every time is given up on after MAIL_MAX_ATTEMPTS: counted, logged, deleted', async () => {
    const email = `bounces-${randomUUID()}@example.test`;
    refuseAlways.add(email);
    const ws = (await t.request('POST', `${API}/workspaces`, { token: owner.token, body: { name: 'Bounce' } })).json();
    const added = await t.request('POST', `${API}/workspaces/${ws.id}/members`, {
      token: owner.token,
      body: { email, role: 'guest' },
    });
    expect(added.statusCode, added.body).toBe(202);
    const givenUp = /mail_failed_total\{[^}]*transport="smtp"[^}]*kind="invitation"[^}]*final="true"[^}]*\} 1/;
    await waitFor('the message given up on', async () => givenUp.test(await t.app.metrics.registry.metrics()));
    const left = await t.app.database.pool('api').selectFrom('mail_outbox').select('recipient').execute();
    expect(left.map((r) => r.recipient)).not.toContain(email);
    expect(logLines.join('')).toMatch(/mail given up on after its last attempt/);
    // The server's refusal names the recipient; the log line does not.
    expect(logLines.join('')).not.toContain(email);
    expect(delivered.some((m) => m.envelopeTo.includes(email))).toBe(false);
  });

  it('[M1] the outbox backlog is measured: messages waiting, and how long the oldest due one is overdue', async () => {
    const db = t.app.database.pool('api');
    const row = (recipient: string, due: Date) => ({
      id: randomUUID(),
      kind: 'share',
      recipient,
      subject: 'backlog',
      body_text: 'backlog',
      next_attempt_at: due,
    });
    // A message backing off for an hour: waiting, not overdue.
    await db
      .insertInto('mail_outbox')
      .values(row(`later-${randomUUID()}@example.test`, new Date(Date.now() + 3_600_000)))
      .execute();
    await waitFor('the backlog gauge', async () =>
      /^mail_outbox_messages\{[^}]*\} [1-9]/m.test(await t.app.metrics.registry.metrics()),
    );
    expect(await t.app.metrics.registry.metrics()).toMatch(/^mail_outbox_overdue_seconds\{[^}]*\} 0$/m);
    // One due ten minutes ago that nobody sent (inside a transaction the delivery loop cannot see).
    const depth = await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('mail_outbox')
        .values(row(`stuck-${randomUUID()}@example.test`, new Date(Date.now() - 600_000)))
        .execute();
      const seen = await new MailOutbox(trx, UNUSED_MAILER, OUTBOX_OPTIONS, NO_OBSERVER).depth();
      await trx.deleteFrom('mail_outbox').where('subject', '=', 'backlog').execute();
      return seen;
    });
    expect(depth.messages).toBeGreaterThanOrEqual(2);
    expect(depth.overdueSeconds).toBeGreaterThanOrEqual(599);
    expect(depth.overdueSeconds).toBeLessThan(700);
  });

  it('[M1] [A11] an email change mails the new address a working link and the old one a notice without it', async () => {
    const dave = await t.signUp('dave');
    const next = `dave-new-${randomUUID()}@example.test`;
    const res = await t.request('POST', `${API}/me/email`, {
      token: dave.token,
      body: { currentPassword: TEST_PASSWORD, email: next },
    });
    expect(res.statusCode).toBe(202);
    const mail = await mailTo(next, /Confirm your new Collab Docs email/);
    expect(mail.to).toEqual([next]);
    const link = linkIn(mail.text);
    expect(link).toMatch(/^https:\/\/docs\.example\.test\/confirm-email#token=[A-Za-z0-9_-]{43}$/);
    const notice = await mailTo(dave.email, /about to change/);
    expect(notice.text).not.toMatch(/#token=/);
    expect(notice.text).not.toContain(next);
    const confirmed = await t.request('POST', `${API}/auth/email-change/confirm`, { body: { token: linkToken(link) } });
    expect(confirmed.statusCode).toBe(204);
    expect((await t.request('GET', `${API}/me`, { token: dave.token })).json().email).toBe(next);
  });

  it('[M1] no token or link reaches the logs; recipients are redacted', () => {
    // Notices (an email change's, to the old address) carry no link.
    const tokens = delivered.filter((m) => /#token=/.test(m.text)).map((m) => linkToken(linkIn(m.text)));
    expect(tokens.length).toBeGreaterThanOrEqual(3);
    const logs = logLines.join('');
    expect(logs).toMatch(/"msg":"mail sent"/);
    for (const token of tokens) expect(logs).not.toContain(token);
    expect(logs).not.toContain('#token=');
    for (const m of delivered) for (const address of m.envelopeTo) expect(logs).not.toContain(address);
  });
});
