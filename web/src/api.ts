/**
 * The web app's only door to the HTTP API: JSON requests with the access token, silent refresh
 * (single flight across tabs: refresh tokens rotate and a reused one revokes the family), and
 * errors turned into plain words. Sessions live in localStorage so every tab shares one.
 */
import type { Session, User } from './api-types.ts';
import { filenameFromDisposition } from './content-disposition.ts';

export type { Session, User };

/** A failed request, with the server's problem+json title/detail already in plain words. */
export class ApiError extends Error {
  readonly status: number;
  readonly retryAfterSeconds?: number;
  readonly fields: { field: string; message: string }[];
  constructor(status: number, message: string, fields: { field: string; message: string }[] = [], retryAfter?: number) {
    super(message);
    this.status = status;
    this.fields = fields;
    this.retryAfterSeconds = retryAfter;
  }
}

const STORAGE_KEY = 'collab-docs.session';
/** Refresh this long before the access token's expiry. */
const REFRESH_MARGIN_MS = 60_000;
export const API_BASE = '/api/v1';

type StoredSession = Session & { expiresAtMs: number };

function readStored(): StoredSession | null {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    return raw ? (JSON.parse(raw) as StoredSession) : null;
  } catch {
    return null;
  }
}

function friendlyMessage(status: number, body: { title?: string; detail?: string } | undefined): string {
  if (status === 0) return 'Cannot reach the server. Check your connection and try again.';
  if (status === 429) return 'Too many attempts. Please wait a moment and try again.';
  if (status >= 500) return 'The server had a problem. Please try again in a moment.';
  return body?.detail || body?.title || `Request failed (${status}).`;
}

export class ApiClient {
  private session: StoredSession | null = readStored();
  private refreshing: Promise<StoredSession | null> | null = null;
  private readonly listeners = new Set<(user: User | null) => void>();

  constructor() {
    // Another tab logged in, out, or rotated the refresh token.
    window.addEventListener('storage', (e) => {
      if (e.key !== STORAGE_KEY) return;
      const before = this.session?.user.id ?? null;
      this.session = readStored();
      if ((this.session?.user.id ?? null) !== before) this.emit();
    });
  }

  get user(): User | null {
    return this.session?.user ?? null;
  }

  /** Called with the new user (or null) on log-in, log-out and session loss. */
  onUserChange(listener: (user: User | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async signUp(email: string, password: string, displayName: string): Promise<User> {
    const session = await this.request<Session>('POST', '/auth/signup', { email, password, displayName }, false);
    return this.store(session);
  }

  async logIn(email: string, password: string): Promise<User> {
    const session = await this.request<Session>('POST', '/auth/login', { email, password }, false);
    return this.store(session);
  }

  async logOut(): Promise<void> {
    const refreshToken = this.session?.refreshToken;
    this.clear();
    if (refreshToken) await this.request('POST', '/auth/logout', { refreshToken }, false).catch(() => undefined);
  }

  /** A valid access token, refreshed first when it is about to expire. Throws 401 when the session is gone. */
  async accessToken(): Promise<string> {
    let s = this.session;
    if (s && s.expiresAtMs - REFRESH_MARGIN_MS <= Date.now()) s = await this.refresh();
    if (!s) throw new ApiError(401, 'Your session has ended. Please log in again.');
    return s.accessToken;
  }

  /**
   * JSON request to `/api/v1${path}`; retries once after a silent refresh on 401. `headers` adds
   * request headers (an `Idempotency-Key`).
   */
  async request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    authenticated = true,
    extra: { headers?: Record<string, string> } = {},
  ): Promise<T> {
    const send = async (token?: string) => {
      const headers: Record<string, string> = { ...extra.headers, accept: 'application/json' };
      if (body !== undefined) headers['content-type'] = 'application/json';
      if (token) headers.authorization = `Bearer ${token}`;
      try {
        return await fetch(`${API_BASE}${path}`, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch {
        throw new ApiError(0, friendlyMessage(0, undefined));
      }
    };
    let res = await send(authenticated ? await this.accessToken() : undefined);
    if (res.status === 401 && authenticated) {
      const s = await this.refresh(true);
      if (!s) throw new ApiError(401, 'Your session has ended. Please log in again.');
      res = await send(s.accessToken);
    }
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    const parsed = text ? JSON.parse(text) : undefined;
    if (!res.ok) {
      const retryAfter = Number(res.headers.get('retry-after')) || undefined;
      const fields = Array.isArray(parsed?.errors) ? parsed.errors : [];
      throw new ApiError(res.status, friendlyMessage(res.status, parsed), fields, retryAfter);
    }
    return parsed as T;
  }

  /**
   * Fetches a file the API serves to authenticated users (an export), with the server's file
   * name. `url` is the absolute path the API returned (e.g. a job's `downloadUrl`).
   */
  async download(url: string): Promise<{ blob: Blob; filename: string }> {
    if (!url.startsWith(`${API_BASE}/`)) throw new ApiError(400, 'That download link is not valid.');
    const get = async () => {
      try {
        return await fetch(url, { headers: { authorization: `Bearer ${await this.accessToken()}` } });
      } catch (err) {
        if (err instanceof ApiError) throw err;
        throw new ApiError(0, friendlyMessage(0, undefined));
      }
    };
    let res = await get();
    if (res.status === 401 && (await this.refresh(true))) res = await get();
    if (!res.ok) {
      const text = await res.text();
      let body: { title?: string; detail?: string } | undefined;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;
      }
      if (res.status === 410) throw new ApiError(410, 'This file has expired. Please export again.');
      throw new ApiError(res.status, friendlyMessage(res.status, body));
    }
    const fallback = url.split('/').at(-2) ?? 'export';
    return {
      blob: await res.blob(),
      filename: filenameFromDisposition(res.headers.get('content-disposition'), fallback),
    };
  }

  /** Single flight, within this tab (a shared promise) and across tabs (a Web Lock). */
  private refresh(force = false): Promise<StoredSession | null> {
    this.refreshing ??= (async () => {
      const stale = this.session?.refreshToken;
      const run = async () => {
        // Another tab may have rotated it while we waited for the lock.
        const latest = readStored();
        if (latest && latest.refreshToken !== stale && latest.expiresAtMs - REFRESH_MARGIN_MS > Date.now()) {
          this.session = latest;
          return latest;
        }
        if (!latest) return null;
        if (!force && latest.expiresAtMs - REFRESH_MARGIN_MS > Date.now()) return latest;
        try {
          const session = await this.request<Session>(
            'POST',
            '/auth/refresh',
            { refreshToken: latest.refreshToken },
            false,
          );
          this.store(session);
          return this.session;
        } catch (err) {
          if (err instanceof ApiError && err.status === 401) {
            this.clear();
            return null;
          }
          throw err;
        }
      };
      try {
        return navigator.locks ? await navigator.locks.request('collab-docs.refresh', run) : await run();
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  /** A new session for this device (a password change ended the old one): kept without a log-in. */
  adoptSession(session: Session): User {
    return this.store(session);
  }

  /** The account changed (a new display name): the header and other tabs follow without a log-in. */
  updateUser(user: User): void {
    if (!this.session) return;
    this.session = { ...this.session, user };
    localStorage.setItem(STORAGE_KEY, JSON.stringify(this.session));
    this.emit();
  }

  private store(session: Session): User {
    this.session = { ...session, expiresAtMs: Date.now() + session.expiresIn * 1000 };
    localStorage.setItem(STORAGE_KEY, JSON.stringify(this.session));
    this.emit();
    return session.user;
  }

  private clear(): void {
    this.session = null;
    localStorage.removeItem(STORAGE_KEY);
    this.emit();
  }

  private emit(): void {
    for (const l of this.listeners) l(this.user);
  }
}
