/**
 * The header's place for the notification bell: the bell (its list, settings and styles) is a
 * chunk of its own, fetched after the shell has rendered (and after an opened document has
 * arrived), so neither the first paint nor the document waits for it.
 */
import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { ApiClient } from '../api.ts';
import { afterDocumentOpen } from '../document-open.ts';

type Bell = ComponentType<{ api: ApiClient }>;

export function NotificationBellSlot({ api }: { api: ApiClient }) {
  const [Bell, setBell] = useState<Bell | null>(null);
  useEffect(() => {
    let cancelled = false;
    afterDocumentOpen()
      .then(() => import('./notification-bell.tsx'))
      .then(
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
