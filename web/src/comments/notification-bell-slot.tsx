/**
 * The header's place for the notification bell: the bell (its list, settings and styles) is a
 * chunk of its own, fetched after the shell has rendered, so the first paint does not wait for it.
 */
import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { ApiClient } from '../api.ts';

type Bell = ComponentType<{ api: ApiClient }>;

export function NotificationBellSlot({ api }: { api: ApiClient }) {
  const [Bell, setBell] = useState<Bell | null>(null);
  useEffect(() => {
    let cancelled = false;
    import('./notification-bell.tsx').then(
      (m) => {
        if (!cancelled) setBell(() => m.NotificationBell);
      },
      () => undefined, // no bell this time; the rest of the app works without it
    );
    return () => {
      cancelled = true;
    };
  }, []);
  return Bell ? <Bell api={api} /> : null;
}
