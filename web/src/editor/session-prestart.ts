/**
 * Opens a document's collaboration session before the editor page's code has arrived: a cold
 * open of `/d/:id` asks for this small chunk from the entry, so loading the on-device copy,
 * connecting and the first sync overlap with fetching and evaluating TipTap and ProseMirror
 * (bench:web's phases: the connect used to wait ~500 ms for them). The page then takes the
 * session instead of opening a second one; one nobody takes is closed after a while.
 */
import type { ApiClient, User } from '../api.ts';
import { CollabSession } from './collab-session.ts';
import { colorForUserId } from './user-color.ts';

/** An untaken session (the person went elsewhere before the page loaded) is let go after this. */
const UNTAKEN_MS = 30_000;

let waiting: { key: string; session: CollabSession; timer: ReturnType<typeof setTimeout> } | undefined;
/** A page already asked for its session: one started now would be a second connection nobody takes. */
let pageAsked = false;

function keyOf(user: User, documentId: string): string {
  return JSON.stringify([user.id, user.displayName, documentId]);
}

function syncUrl(): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/sync`;
}

/** A new session for this person and document, not started. */
export function openSession(api: ApiClient, user: User, documentId: string): CollabSession {
  return new CollabSession({
    documentId,
    user: { id: user.id, name: user.displayName, color: colorForUserId(user.id) },
    syncUrl: syncUrl(),
    getToken: () => api.accessToken(),
  });
}

/**
 * Starts the session the editor page will take, unless a page already opened its own (the page's
 * code won the race); replaces a waiting one for another document or person.
 */
export function prestartSession(api: ApiClient, user: User, documentId: string): void {
  const key = keyOf(user, documentId);
  if (pageAsked || waiting?.key === key) return;
  drop();
  const session = openSession(api, user, documentId);
  performance.mark('collab-docs:session-prestarted');
  session.start();
  waiting = { key, session, timer: setTimeout(drop, UNTAKEN_MS) };
}

/** The prestarted session for this person and document, once (the caller owns it from then on). */
export function takeSession(user: User, documentId: string): CollabSession | undefined {
  pageAsked = true;
  if (waiting?.key !== keyOf(user, documentId)) return undefined;
  const { session, timer } = waiting;
  clearTimeout(timer);
  waiting = undefined;
  return session;
}

function drop(): void {
  if (!waiting) return;
  clearTimeout(waiting.timer);
  waiting.session.leave();
  waiting = undefined;
}
