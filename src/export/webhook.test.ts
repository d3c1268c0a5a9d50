import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { guardedLookup, signWebhook, verifyWebhookSignature } from './webhook.ts';

const resolve = (allowPrivate: boolean, host: string, all: boolean) =>
  new Promise<{ err: Error | null; address: string | LookupAddress[] }>((done) => {
    guardedLookup(allowPrivate)(host, { all }, (err, address) =>
      done({ err, address: address as string | LookupAddress[] }),
    );
  });

describe('webhook delivery safety [E7.1] [E7.2]', () => {
  it('refuses to connect when a host name resolves to a loopback address (checked at delivery, after DNS)', async () => {
    for (const all of [false, true]) {
      const { err } = await resolve(false, 'localhost', all);
      expect(err?.message).toMatch(/non-public address/);
    }
  });

  it('connects to loopback names when private targets are allowed', async () => {
    const one = await resolve(true, 'localhost', false);
    expect(one.err).toBeNull();
    expect(['127.0.0.1', '::1']).toContain(one.address);
    const all = await resolve(true, 'localhost', true);
    expect((all.address as LookupAddress[]).length).toBeGreaterThan(0);
  });

  it('signs timestamp.body so that neither can be changed, and refuses stale timestamps', () => {
    const body = '{"id":"x.1"}';
    const header = signWebhook('s3cret', body, 1_700_000_000);
    expect(header).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature('s3cret', header, body, { nowSeconds: 1_700_000_100 })).toBe(true);
    const moved = header.replace('t=1700000000', 't=1700000100');
    expect(verifyWebhookSignature('s3cret', moved, body, { nowSeconds: 1_700_000_100 })).toBe(false);
    expect(verifyWebhookSignature('s3cret', header, body, { nowSeconds: 1_700_000_301 })).toBe(false);
    expect(verifyWebhookSignature('s3cret', undefined, body)).toBe(false);
    expect(verifyWebhookSignature('s3cret', 't=1,v1=zz', body, { nowSeconds: 1 })).toBe(false);
  });
});
