/**
 * The bell in the app header (docs/spec/comments.md C6): the unread count of mentions and replies,
 * read every minute, when the tab comes back and when the open document's comments change; opening it lists the latest notifications (a
 * click opens the document and marks it read), "Mark all read", and the email digest setting.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { ApiClient } from '../api.ts';
import type { NotificationItem } from '../api-types.ts';
import { navigate } from '../router.ts';
import { COMMENTS_CHANGED_EVENT, notificationsApi } from './comments-api.ts';
import './notification-bell.css';

const POLL_MS = 60_000;

function describe(n: NotificationItem): string {
  const who = n.actor?.displayName ?? 'Someone';
  return n.kind === 'mention'
    ? `${who} mentioned you in “${n.document.title || 'Untitled'}”`
    : `${who} replied in “${n.document.title || 'Untitled'}”`;
}

export function NotificationBell({ api }: { api: ApiClient }) {
  const [unread, setUnread] = useState(0);
  const [open, setOpen] = useState(false);
  const [items, setItems] = useState<NotificationItem[] | null>(null);
  const [email, setEmail] = useState<'digest' | 'off' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const root = useRef<HTMLDivElement>(null);

  const refreshCount = useCallback(() => {
    notificationsApi.unread(api).then(setUnread, () => undefined);
  }, [api]);

  useEffect(() => {
    refreshCount();
    const timer = setInterval(refreshCount, POLL_MS);
    const onVisible = () => {
      if (document.visibilityState === 'visible') refreshCount();
    };
    document.addEventListener('visibilitychange', onVisible);
    window.addEventListener(COMMENTS_CHANGED_EVENT, refreshCount);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
      window.removeEventListener(COMMENTS_CHANGED_EVENT, refreshCount);
    };
  }, [refreshCount]);

  useEffect(() => {
    if (!open) return;
    setError(null);
    notificationsApi.list(api).then(
      (page) => {
        setItems(page.items);
        setUnread(page.unread);
      },
      (err: unknown) => setError(err instanceof Error ? err.message : 'Notifications could not be loaded.'),
    );
    notificationsApi.settings(api).then(
      (s) => setEmail(s.email),
      () => undefined,
    );
    const onDown = (e: MouseEvent) => {
      if (root.current && !root.current.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setOpen(false);
    };
    document.addEventListener('mousedown', onDown);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('mousedown', onDown);
      document.removeEventListener('keydown', onKey);
    };
  }, [api, open]);

  const openItem = async (n: NotificationItem) => {
    setOpen(false);
    if (!n.readAt) {
      setUnread((u) => Math.max(0, u - 1));
      notificationsApi.markRead(api, [n.id]).then(
        (r) => setUnread(r.unread),
        () => undefined,
      );
    }
    navigate(`/d/${n.document.id}?thread=${encodeURIComponent(n.threadId)}`);
  };

  const label = unread > 0 ? `Notifications, ${unread} unread` : 'Notifications';
  return (
    <div class="nb" ref={root}>
      <button
        type="button"
        class="button subtle nb-button"
        aria-label={label}
        aria-expanded={open}
        data-testid="notification-bell"
        onClick={() => setOpen((o) => !o)}
      >
        <span aria-hidden="true">🔔</span>
        {unread > 0 && (
          <span class="nb-count" data-testid="notification-count">
            {unread > 99 ? '99+' : unread}
          </span>
        )}
      </button>
      {open && (
        <section class="nb-panel" aria-label="Notifications">
          <div class="nb-head">
            <strong>Notifications</strong>
            <button
              type="button"
              class="nb-link"
              disabled={unread === 0}
              onClick={() =>
                notificationsApi.markAllRead(api).then(
                  (r) => {
                    setUnread(r.unread);
                    setItems(
                      (list) => list?.map((n) => ({ ...n, readAt: n.readAt ?? new Date().toISOString() })) ?? null,
                    );
                  },
                  () => undefined,
                )
              }
            >
              Mark all read
            </button>
          </div>
          {error && <p class="nb-empty">{error}</p>}
          {items && items.length === 0 && <p class="nb-empty">Nothing yet: mentions and replies show up here.</p>}
          <ul class="nb-list">
            {items?.map((n) => (
              <li key={n.id}>
                <button
                  type="button"
                  class={n.readAt ? 'nb-item' : 'nb-item nb-item--unread'}
                  onClick={() => void openItem(n)}
                >
                  <span class="nb-item__what">{describe(n)}</span>
                  <span class="nb-item__excerpt">{n.excerpt}</span>
                </button>
              </li>
            ))}
          </ul>
          {email && (
            <label class="nb-setting">
              <input
                type="checkbox"
                checked={email === 'digest'}
                onChange={(e) => {
                  const next = e.currentTarget.checked ? 'digest' : 'off';
                  setEmail(next);
                  notificationsApi.setSettings(api, { email: next }).catch(() => setEmail(email));
                }}
              />{' '}
              Email me a digest of these
            </label>
          )}
        </section>
      )}
    </div>
  );
}
