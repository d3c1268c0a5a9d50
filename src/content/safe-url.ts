/**
 * Which URLs a rendered document may carry. Links keep http, https, mailto and relative URLs;
 * images keep http, https, relative URLs and inline raster data. Anything else (javascript:,
 * vbscript:, data:text/html, unknown schemes) is dropped by the renderers, never rewritten.
 */

/** Browsers ignore ASCII whitespace and control characters inside a scheme ("java\tscript:"). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what gets removed
const ignoredByBrowsers = /[\u0000-\u0020\u007f]/g;
const scheme = /^([a-z][a-z0-9+.-]*):/;
const linkSchemes = new Set(['http', 'https', 'mailto']);
const imageSchemes = new Set(['http', 'https']);
const rasterDataUrl = /^data:image\/(png|jpeg|gif|webp|avif);base64,[a-z0-9+/=]*$/;

function allowed(url: unknown, schemes: Set<string>, extra?: RegExp): string | undefined {
  if (typeof url !== 'string') return undefined;
  const trimmed = url.trim();
  if (trimmed === '') return undefined;
  const probe = trimmed.replace(ignoredByBrowsers, '').toLowerCase();
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
