/**
 * The signed-in person's own account, on every backend (docs/spec/auth.md [A9]): display name,
 * sign-in sessions listed and ended one by one, and "sign out everywhere" ending refresh tokens
 * and access tokens issued before it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { startTestApp, TEST_PASSWORD, type TestApp, type TestSession } from './support/test-app.ts';

describe.each(backends)('account settings and sessions [$name]', (backend) => {
  let t: TestApp;

  const call = (token: string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown) =>
    t.request(method, `/api/v1${url}`, { token, body });
  const logIn = async (who: TestSession) => {
    const res = await t.request('POST', '/api/v1/auth/login', { body: { email: who.email, password: TEST_PASSWORD } });
    expect(res.statusCode).toBe(200);
    return res.json() as { accessToken: string; refreshToken: string };
  };
  const refresh = (refreshToken: string) => t.request('POST', '/api/v1/auth/refresh', { body: { refreshToken } });

  beforeAll(async () => {
    t = await startTestApp(backend);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it('[A9] changes the display name others see; an empty name is a 400', async () => {
    const me = await t.signUp('renamer');
    const res = await call(me.token, 'PATCH', '/me', { displayName: '  Ada Lovelace ' });
    expect(res.statusCode).toBe(200);
    expect(res.json().displayName).toBe('Ada Lovelace');
    expect((await call(me.token, 'GET', '/me')).json().displayName).toBe('Ada Lovelace');
    expect((await call(me.token, 'PATCH', '/me', { displayName: '' })).statusCode).toBe(400);
  });

  it('[A9] lists one session per log-in and ends one: its refresh token stops working, the others go on', async () => {
    const me = await t.signUp('devices');
    const laptop = await logIn(me);
    const phone = await logIn(me);
    const listed = (await call(me.token, 'GET', '/me/sessions')).json().items as { id: string }[];
    expect(listed).toHaveLength(3);
    // A refresh keeps the session (same family): still three.
    const rotated = (await refresh(laptop.refreshToken)).json();
    const after = (await call(rotated.accessToken, 'GET', '/me/sessions')).json().items as { id: string }[];
    expect(after.map((s) => s.id).sort()).toEqual(listed.map((s) => s.id).sort());
    // Ending the session most recently active (the laptop's, just refreshed).
    const laptopSession = after[0]?.id as string;
    expect((await call(me.token, 'DELETE', `/me/sessions/${laptopSession}`)).statusCode).toBe(204);
    expect((await refresh(rotated.refreshToken)).statusCode).toBe(401);
    expect((await refresh(phone.refreshToken)).statusCode).toBe(200);
    expect((await call(me.token, 'GET', '/me/sessions')).json().items).toHaveLength(2);
    expect((await call(me.token, 'DELETE', `/me/sessions/${laptopSession}`)).statusCode).toBe(404);
    // Someone else's session is not theirs to end.
    const other = await t.signUp('other');
    const otherSession = (await call(other.token, 'GET', '/me/sessions')).json().items[0].id;
    expect((await call(me.token, 'DELETE', `/me/sessions/${otherSession}`)).statusCode).toBe(404);
    expect((await call(other.token, 'GET', '/me/sessions')).json().items).toHaveLength(1);
  });

  it('[A9] sign out everywhere: every refresh token and every access token issued before it stop working', async () => {
    const me = await t.signUp('everywhere');
    const second = await logIn(me);
    const bystander = await t.signUp('bystander');
    const res = await call(me.token, 'POST', '/me/sessions/revoke-all');
    expect(res.statusCode).toBe(200);
    expect(res.json().revoked).toBe(2);
    for (const token of [me.token, second.accessToken]) {
      const refused = await call(token, 'GET', '/me');
      expect(refused.statusCode).toBe(401);
      expect(refused.json().detail).toMatch(/signed out everywhere/);
    }
    for (const r of [me.refreshToken, second.refreshToken]) expect((await refresh(r)).statusCode).toBe(401);
    expect((await call(bystander.token, 'GET', '/me')).statusCode).toBe(200);
  });
});
