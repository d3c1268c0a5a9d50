/**
 * History-API routing: which screen a path is, and navigation that every `useRoute` hears.
 * Matching is pure so it is unit-tested; unknown paths are a route of their own, not a redirect.
 */
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { name: 'login' }
  | { name: 'signup' }
  | { name: 'forgot-password' }
  | { name: 'reset-password' }
  | { name: 'confirm-email' }
  | { name: 'invite' }
  | { name: 'home' }
  | { name: 'trash' }
  | { name: 'settings' }
  | { name: 'documents'; workspaceId: string }
  | { name: 'members'; workspaceId: string }
  | { name: 'editor'; documentId: string }
  | { name: 'not-found' };

/** Ids in paths are UUIDs; anything else is a mistyped URL, answered with "not found". */
const ID = '([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})';
const PATTERNS: [RegExp, (m: RegExpMatchArray) => Route][] = [
  [/^\/login$/, () => ({ name: 'login' })],
  [/^\/signup$/, () => ({ name: 'signup' })],
  [/^\/forgot-password$/, () => ({ name: 'forgot-password' })],
  // Emailed links: their token is in the fragment (never sent to the server), read by the page.
  [/^\/reset-password$/, () => ({ name: 'reset-password' })],
  [/^\/confirm-email$/, () => ({ name: 'confirm-email' })],
  [/^\/invite$/, () => ({ name: 'invite' })],
  [/^\/$/, () => ({ name: 'home' })],
  [/^\/trash$/, () => ({ name: 'trash' })],
  [/^\/settings$/, () => ({ name: 'settings' })],
  [new RegExp(`^/w/${ID}$`), (m) => ({ name: 'documents', workspaceId: (m[1] as string).toLowerCase() })],
  [new RegExp(`^/w/${ID}/members$`), (m) => ({ name: 'members', workspaceId: (m[1] as string).toLowerCase() })],
  [new RegExp(`^/d/${ID}$`), (m) => ({ name: 'editor', documentId: (m[1] as string).toLowerCase() })],
];

export function matchRoute(pathname: string): Route {
  // A trailing slash is the same page ("/w/…/" → "/w/…"), except for the root itself.
  const path = pathname.length > 1 ? pathname.replace(/\/+$/, '') : pathname;
  for (const [pattern, build] of PATTERNS) {
    const m = path.match(pattern);
    if (m) return build(m);
  }
  return { name: 'not-found' };
}

export function pathOf(route: Route): string {
  switch (route.name) {
    case 'login':
      return '/login';
    case 'signup':
      return '/signup';
    case 'forgot-password':
      return '/forgot-password';
    case 'reset-password':
      return '/reset-password';
    case 'confirm-email':
      return '/confirm-email';
    case 'invite':
      return '/invite';
    case 'home':
      return '/';
    case 'trash':
      return '/trash';
    case 'settings':
      return '/settings';
    case 'documents':
      return `/w/${route.workspaceId}`;
    case 'members':
      return `/w/${route.workspaceId}/members`;
    case 'editor':
      return `/d/${route.documentId}`;
    case 'not-found':
      return '/';
  }
}

const NAVIGATE_EVENT = 'collab-docs:navigate';

/** Pushes (or replaces) a history entry and tells every `useRoute`. */
export function navigate(path: string, opts: { replace?: boolean } = {}): void {
  if (path === location.pathname + location.search) return;
  if (opts.replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  window.dispatchEvent(new Event(NAVIGATE_EVENT));
}

/** The current route, updated on navigate() and on back/forward. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => matchRoute(location.pathname));
  useEffect(() => {
    const update = () => setRoute(matchRoute(location.pathname));
    window.addEventListener('popstate', update);
    window.addEventListener(NAVIGATE_EVENT, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(NAVIGATE_EVENT, update);
    };
  }, []);
  return route;
}

/**
 * Click handler for in-app links: plain left clicks navigate without a reload; modified clicks
 * (new tab, new window) are left to the browser.
 */
export function onLinkClick(e: MouseEvent): void {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = (e.currentTarget as HTMLAnchorElement | null) ?? null;
  const href = a?.getAttribute('href');
  if (!href?.startsWith('/')) return;
  e.preventDefault();
  navigate(href);
}
