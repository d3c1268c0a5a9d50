/**
 * Which URLs a rendered document may carry. Links keep http, https, mailto and relative URLs;
 * images keep http, https, relative URLs and inline raster data. Anything else (javascript:,
 * vbscript:, data:text/html, unknown schemes) is dropped by the renderers, never rewritten.
 * The scheme is read the way the document's eventual reader will read it: Markdown and HTML
 * decode character references in URLs, so `&#106;avascript:` is javascript: too.
 */

/** Browsers ignore ASCII whitespace and control characters inside a scheme ("java\tscript:"). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what gets removed
const ignoredByBrowsers = /[\u0000-\u0020\u007f]/g;
const scheme = /^([a-z][a-z0-9+.-]*):/;
const linkSchemes = new Set(['http', 'https', 'mailto']);
const imageSchemes = new Set(['http', 'https']);
const rasterDataUrl = /^data:image\/(png|jpeg|gif|webp|avif);base64,[a-z0-9+/=]*$/;

/** Named references that spell characters a scheme is made of (the rest cannot form one). */
const NAMED: Record<string, string> = { colon: ':', period: '.', plus: '+', Tab: '\t', NewLine: '\n', amp: '&' };
const characterReference = /&(?:#(\d{1,8})|#[xX]([0-9a-fA-F]{1,7})|([A-Za-z]+));?/g;
/** Nested encodings (`&amp;#106;`) are peeled too: treating more as a scheme only drops more links. */
const MAX_DECODE_PASSES = 4;

function decodeReferences(url: string): string {
  let current = url;
  for (let pass = 0; pass < MAX_DECODE_PASSES && current.includes('&'); pass++) {
    const next = current.replace(characterReference, (whole, dec?: string, hex?: string, name?: string) => {
      const code = dec !== undefined ? Number(dec) : hex !== undefined ? Number.parseInt(hex, 16) : undefined;
      if (code !== undefined) return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '';
      return NAMED[name ?? ''] ?? whole;
    });
    if (next === current) break;
    current = next;
  }
  return current;
}

function allowed(url: unknown, schemes: Set<string>, extra?: RegExp): string | undefined {
  if (typeof url !== 'string') return undefined;
  const trimmed = url.trim();
  if (trimmed === '') return undefined;
  const probe = decodeReferences(trimmed).replace(ignoredByBrowsers, '').toLowerCase();
  const match = scheme.exec(probe);
  if (match === null) return trimmed;
  if (schemes.has(match[1]!)) return trimmed;
  if (extra?.test(probe)) return trimmed;
  return undefined;
}

/** The href to render for a link, or undefined when the link must be dropped (its text is kept). */
export function safeLinkHref(href: unknown): string | undefined {
  return allowed(href, linkSchemes);
}

/** The src to render for an image, or undefined when the image must be dropped. */
export function safeImageSrc(src: unknown): string | undefined {
  return allowed(src, imageSchemes, rasterDataUrl);
}
