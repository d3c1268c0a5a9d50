import { describe, expect, it } from 'vitest';
import { isNonPublicAddress, webhookUrlProblem } from './webhook-target.ts';

describe('webhook targets [E1.3]', () => {
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.20.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    '::',
    'fd00::1',
    'fe80::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
  ])('%s is not a public address', (address) => {
    expect(isNonPublicAddress(address)).toBe(true);
  });

  it.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('%s is public', (address) => {
    expect(isNonPublicAddress(address)).toBe(false);
  });

  it('accepts public http(s) URLs and refuses everything else with a reason', () => {
    expect(webhookUrlProblem('https://hooks.example.com/export?x=1', false)).toBeNull();
    expect(webhookUrlProblem('http://93.184.216.34:8080/hook', false)).toBeNull();
    expect(webhookUrlProblem('ftp://example.com/', false)).toMatch(/http or https/);
    expect(webhookUrlProblem('//example.com/', false)).toMatch(/absolute URL/);
    expect(webhookUrlProblem('https://a:b@example.com/', false)).toMatch(/credentials/);
    expect(webhookUrlProblem('https://example.com/#frag', false)).toMatch(/fragment/);
    expect(webhookUrlProblem('http://127.0.0.1:8080/', false)).toMatch(/private or loopback/);
    expect(webhookUrlProblem('http://[::1]/', false)).toMatch(/private or loopback/);
    expect(webhookUrlProblem('http://localhost/', false)).toMatch(/local host name/);
    expect(webhookUrlProblem('http://metadata.google.internal/', false)).toMatch(/local host name/);
    expect(webhookUrlProblem('http://intranet/', false)).toMatch(/fully qualified/);
  });

  // Every way a URL can spell loopback (or "this host"), as the WHATWG parser and Node's BlockList see them.
  it.each([
    'http://[::1]/',
    'http://[0:0:0:0:0:0:0:1]/',
    'http://[0000::1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:7f00:1]/',
    'http://[0:0:0:0:0:ffff:127.0.0.1]/',
    'http://[::127.0.0.1]/',
    'http://[::ffff:0:127.0.0.1]/',
    'http://[64:ff9b::127.0.0.1]/',
    'http://[2002:7f00:1::]/',
    'http://[::]/',
    'http://2130706433/',
    'http://0177.0.0.1/',
    'http://0x7f.0.0.1/',
    'http://0x7f000001/',
    'http://127.1/',
    'http://127.000.000.001/',
    'http://0.0.0.0/',
    'http://0/',
    'http://[fec0::1]/',
  ])('%s is refused as a private or loopback address', (url) => {
    expect(webhookUrlProblem(url, false)).toMatch(/private or loopback/);
  });

  it('allows loopback and private targets when configured to', () => {
    expect(webhookUrlProblem('http://127.0.0.1:8080/', true)).toBeNull();
    expect(webhookUrlProblem('http://localhost/', true)).toBeNull();
    expect(webhookUrlProblem('ftp://127.0.0.1/', true)).toMatch(/http or https/);
  });
});
