import { describe, expect, it } from 'vitest';
import { isAllowedLinkHref, normalizeLinkUrl } from './link-url.ts';

describe('normalizeLinkUrl', () => {
  it('keeps http, https and mailto links', () => {
    expect(normalizeLinkUrl('https://example.com/a?b=c#d')).toBe('https://example.com/a?b=c#d');
    expect(normalizeLinkUrl('http://example.com')).toBe('http://example.com/');
    expect(normalizeLinkUrl('mailto:ana@example.com')).toBe('mailto:ana@example.com');
  });

  it('adds a scheme to what people usually type', () => {
    expect(normalizeLinkUrl(' example.com/docs ')).toBe('https://example.com/docs');
    expect(normalizeLinkUrl('ana@example.com')).toBe('mailto:ana@example.com');
  });

  it('refuses script, data, file and other schemes, and things that are not URLs', () => {
    for (const bad of [
      'javascript:alert(1)',
      'JavaScript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'file:///etc/passwd',
      'vbscript:msgbox',
      'ftp://example.com',
      '',
      '   ',
      'not a url',
      'https://',
      'http://nodot',
      'mailto:nobody',
    ]) {
      expect(normalizeLinkUrl(bad), bad).toBeNull();
    }
  });
});

describe('isAllowedLinkHref', () => {
  it('accepts stored http(s)/mailto hrefs and refuses the rest', () => {
    expect(isAllowedLinkHref('https://example.com/')).toBe(true);
    expect(isAllowedLinkHref('mailto:a@b.co')).toBe(true);
    expect(isAllowedLinkHref('javascript:alert(1)')).toBe(false);
    expect(isAllowedLinkHref('example.com')).toBe(false);
  });
});
