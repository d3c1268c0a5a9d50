/**
 * Emailed links carry their secret in the URL fragment (`/invite#token=…`): browsers never send
 * it to the server or in a Referer. The page reads it here and removes it from the address bar,
 * so it is not left in history or copied along with the URL.
 */
const TOKEN = /^#token=([A-Za-z0-9_-]{20,200})$/;

export function tokenFromHash(hash: string): string | null {
  return TOKEN.exec(hash)?.[1] ?? null;
}

/** The link's token, taken out of the address bar (kept for this tab in sessionStorage). */
export function takeLinkToken(key: string): string | null {
  const fromHash = tokenFromHash(location.hash);
  if (fromHash) {
    sessionStorage.setItem(key, fromHash);
    history.replaceState(null, '', location.pathname + location.search);
    return fromHash;
  }
  return sessionStorage.getItem(key);
}

export function forgetLinkToken(key: string): void {
  sessionStorage.removeItem(key);
}
