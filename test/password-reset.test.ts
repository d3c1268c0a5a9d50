/**
 * Password reset by emailed one-time link (docs/spec/auth.md [A8]): the same 202 for every email,
 * throttled per address and per email, a 15-minute single-use link that sets a new password under
 * sign-up's rules and signs the account out everywhere.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { linkIn, readMailbox, waitForMail } from './support/mailbox.ts';
import { linkToken, startTestApp, TEST_PASSWORD, type TestApp } from './support/test-app.ts';
import { waitFor } from './support/wait.ts';

const API = '/api/v1';
const NEW_PASSWORD = 'a much better passphrase';
const PER_EMAIL = 2;
const PER_IP = 4;

describe.each(backends)('password reset [$name]', (backend) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(backend, {
      PASSWORD_RESET_MAX_PER_EMAIL_PER_HOUR: String(PER_EMAIL),
      PASSWORD_RESET_MAX_PER_IP_PER_HOUR: String(PER_IP),
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  let ipCounter = 0;
  const request = (email: string, ip = `10.1.0.${++ipCounter}`) =>
    t.app.server.inject({
      method: 'POST',
      url: `${API}/auth/password-reset`,
      payload: { email },
      remoteAddress: ip,
    });
  const confirm = (token: string, password = NEW_PASSWORD) =>
    t.request('POST', `${API}/auth/password-reset/confirm`, { body: { token, password } });
  const logIn = (email: string, password: string) =>
    t.request('POST', `${API}/auth/login`, { body: { email, password } });

  it('[A8] answers 202 with no body whether or not an account has the email, and mails only accounts', async () => {
    const alice = await t.signUp('alice');
    const nobody = `nobody-${randomUUID()}@example.test`;
    const [known, unknown] = await Promise.all([request(alice.email.toUpperCase()), request(nobody)]);
    expect([known.statusCode, unknown.statusCode]).toEqual([202, 202]);
    expect(known.body).toBe(unknown.body);
    const mail = await waitForMail(t.app.config.dataDir, alice.email, /Reset your Collab Docs password/);
    expect(mail.text).toMatch(/works once, for 15 minutes/);
    expect(linkIn(mail.text)).toMatch(/^http:\/\/localhost:3000\/reset-password#token=/);
    expect((await readMailbox(t.app.config.dataDir)).some((m) => m.to.includes(nobody))).toBe(false);
  });

  it('[A8] the link sets a new password once and signs the account out everywhere', async () => {
    const bob = await t.signUp('bob');
    const second = (await logIn(bob.email, TEST_PASSWORD)).json();
    await request(bob.email);
    const token = linkToken(linkIn((await waitForMail(t.app.config.dataDir, bob.email, /password/)).text));
    const weak = await confirm(token, 'password1234');
    expect(weak.statusCode).toBe(400);
    expect(weak.json().errors[0].field).toBe('/password');

    expect((await confirm(token)).statusCode).toBe(204);
    for (const refreshToken of [bob.refreshToken, second.refreshToken]) {
      const refreshed = await t.request('POST', `${API}/auth/refresh`, { body: { refreshToken } });
      expect(refreshed.statusCode).toBe(401);
    }
    expect((await logIn(bob.email, TEST_PASSWORD)).statusCode).toBe(401);
    expect((await logIn(bob.email, NEW_PASSWORD)).statusCode).toBe(200);

    const reused = await confirm(token, 'yet another passphrase');
    expect(reused.statusCode).toBe(410);
    expect(reused.json().detail).toMatch(/already used; ask for a new one/);
  });

  it('[A8] an expired link says so in plain words', async () => {
    const carol = await t.signUp('carol');
    await request(carol.email);
    const token = linkToken(linkIn((await waitForMail(t.app.config.dataDir, carol.email, /password/)).text));
    await t.app.database
      .pool('api')
      .updateTable('password_resets')
      .set({ expires_at: new Date(Date.now() - 1) })
      .execute();
    const res = await confirm(token);
    expect(res.statusCode).toBe(410);
    expect(res.json()).toMatchObject({ type: expect.stringMatching(/link_expired$/) });
    expect(res.json().detail).toMatch(/has expired \(links work for 15 minutes\); ask for a new one/);
    expect((await confirm('x'.repeat(43))).json().detail).toMatch(/not valid/);
  });

  it('[A8] throttled per email silently (same 202, no more mail) and per address with 429', async () => {
    const dave = await t.signUp('dave');
    for (let i = 0; i < PER_EMAIL + 2; i++) expect((await request(dave.email)).statusCode).toBe(202);
    await waitForMail(t.app.config.dataDir, dave.email);
    const toDave = async () => (await readMailbox(t.app.config.dataDir)).filter((m) => m.to.includes(dave.email));
    // Delivery is asynchronous: wait until the outbox is empty before counting.
    const db = t.app.database.pool('api');
    await waitFor(
      'the outbox to drain',
      async () => (await db.selectFrom('mail_outbox').select('id').execute()).length === 0,
    );
    expect((await toDave()).length).toBe(PER_EMAIL);

    const ip = '10.9.9.9';
    for (let i = 0; i < PER_IP; i++) expect((await request(`x-${i}@example.test`, ip)).statusCode).toBe(202);
    const limited = await request('y@example.test', ip);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
  });
});
