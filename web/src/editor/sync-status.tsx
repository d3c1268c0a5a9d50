/**
 * The save/connection indicator. Subscribes to the session itself so status changes (one per
 * keystroke while typing) re-render this line only, never the editor.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { SyncStatus } from '../../../src/client/sync-client.ts';
import type { CollabSession } from './collab-session.ts';
import { type HeldStatus, holdStatus } from './status-hold.ts';
import { type SyncStatusView, syncStatusView } from './sync-status-text.ts';

const COUNTDOWN_TICK_MS = 1000;

export function SyncStatusIndicator({ session }: { session: CollabSession }) {
  const [status, setStatus] = useState<SyncStatus>(() => session.status);
  // The reconnect deadline, from the moment the status arrived.
  const [retryAt, setRetryAt] = useState<number | undefined>(undefined);
  const [now, setNow] = useState(() => Date.now());

  useEffect(() => {
    const onStatus = (next: SyncStatus) => {
      setStatus(next);
      const at = Date.now();
      setNow(at);
      setRetryAt(next.retryInMs === undefined ? undefined : at + next.retryInMs);
    };
    onStatus(session.status);
    session.on('status', onStatus);
    return () => session.off('status', onStatus);
  }, [session]);

  useEffect(() => {
    if (retryAt === undefined) return;
    const timer = setInterval(() => setNow(Date.now()), COUNTDOWN_TICK_MS);
    return () => clearInterval(timer);
  }, [retryAt]);

  const raw = syncStatusView(status, retryAt === undefined ? undefined : retryAt - now);
  const view = useHeldView(raw);
  if (!view) return null;
  const waiting = retryAt !== undefined;
  return (
    <p class={`ed-status ed-status--${view.tone}`}>
      {/* Busy while saving or connecting: screen readers announce where it settles, not every keystroke's "Saving…". */}
      <span
        class="ed-status__text"
        data-testid="sync-status"
        aria-live="polite"
        aria-atomic="true"
        aria-busy={view.tone === 'busy'}
      >
        {view.text}
      </span>
      {waiting && (
        <button type="button" class="ed-linkbtn" onClick={() => session.retryNow()}>
          Retry now
        </button>
      )}
    </p>
  );
}

/** The view to show: "Saving…" held for its minimum time so typing does not make it flicker (status-hold.ts). */
function useHeldView(raw: SyncStatusView | null): SyncStatusView | null {
  const held = useRef<{ status: HeldStatus | null; view: SyncStatusView | null }>({ status: null, view: null });
  const [, recheck] = useState(0);
  const previous = held.current;
  const next = holdStatus(previous.status, raw?.text ?? '', Date.now());
  // The view changes only when the shown text does (a held-back "Saved" keeps "Saving…" on screen).
  const same = previous.status !== null && next.shown.text === previous.status.text;
  held.current = { status: next.shown, view: same ? previous.view : raw };
  const wait = next.recheckInMs;
  useEffect(() => {
    if (wait === undefined) return;
    const timer = setTimeout(() => recheck((n) => n + 1), wait);
    return () => clearTimeout(timer);
  }, [wait]);
  return held.current.view;
}
