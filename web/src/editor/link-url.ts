/**
 * What a person typed into the link box, made into a URL we are willing to put in `href`:
 * only http(s) and mailto; a bare host gets https://.
 */
const ALLOWED_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);
const HAS_SCHEME = /^[a-z][a-z0-9+.-]*:/i;
const MAX_URL_LENGTH = 2048;

export function normalizeLinkUrl(input: string): string | null {
  const trimmed = input.trim();
  if (trimmed === '' || trimmed.length > MAX_URL_LENGTH || /\s/.test(trimmed)) return null;
  let candidate = trimmed;
  if (!HAS_SCHEME.test(trimmed)) {
    // "name@example.com" means mail; "example.com/path" means the web.
    candidate = /^[^@/]+@[^@/]+\.[^@/]+$/.test(trimmed) ? `mailto:${trimmed}` : `https://${trimmed}`;
  }
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return null;
  }
  if (!ALLOWED_PROTOCOLS.has(url.protocol)) return null;
  if (url.protocol !== 'mailto:' && (!url.hostname || (!url.hostname.includes('.') && url.hostname !== 'localhost'))) {
    return null;
  }
  if (url.protocol === 'mailto:' && !/^[^@]+@[^@]+$/.test(decodeURIComponent(url.pathname))) return null;
  return url.href;
}

/** For TipTap Link's `isAllowedUri`: what is already in a document must pass the same rule. */
export function isAllowedLinkHref(href: string): boolean {
  return HAS_SCHEME.test(href.trim()) && normalizeLinkUrl(href) !== null;
}
