/**
 * What the status indicator says for a SyncClient status: one of exactly five phrases, driven by
 * the server's SAVED acknowledgements (never by a timer guessing that a write went through), plus
 * a sixth when the server will not take this person's changes any more.
 */
import type { SyncStatus } from '../../../src/client/sync-client.ts';
import { CloseCode } from '../../../src/sync/close-codes.ts';

export type SyncStatusView = {
  text: string;
  /** Styling only: saved (calm), busy (in progress), trouble (offline or waiting). */
  tone: 'saved' | 'busy' | 'trouble';
};

/** Shown while this person holds changes the server refuses: their access dropped to view-only. */
export const NOT_SAVED_TEXT = 'Not saved — you can no longer edit';

/**
 * Local changes the server will not store: the connection's access is view-only (it REJECTS edits),
 * or the server closed it because the access or the document is gone. Only a change of access back
 * to edit (which resends them) would save these, so nothing should promise or wait for that.
 */
export function cannotSaveChanges(status: SyncStatus): boolean {
  if (status.pendingChanges === 0) return false;
  if (status.closed) return status.closed.code === CloseCode.FORBIDDEN || status.closed.code === CloseCode.NOT_FOUND;
  return status.access === 'read';
}

/** Changes that will still reach the server: worth asking before the tab closes. */
export function hasChangesToSave(status: SyncStatus): boolean {
  return status.pendingChanges > 0 && !cannotSaveChanges(status);
}

/** Whole seconds left, rounded up so the countdown never shows 0 while still waiting. */
export function secondsLeft(remainingMs: number): number {
  return Math.max(1, Math.ceil(remainingMs / 1000));
}

/**
 * `remainingMs`: time left before the next reconnect attempt, counted down by the caller from the
 * deadline the status carried. Returns null after a terminal close, except an expired session
 * (whose changes do sync once the person logs in again) or changes that can no longer be saved:
 * the page explains the close instead.
 */
export function syncStatusView(status: SyncStatus, remainingMs?: number): SyncStatusView | null {
  const pending = status.pendingChanges;
  const offline: SyncStatusView = {
    text: `Offline — ${pending} ${pending === 1 ? 'change' : 'changes'} will sync`,
    tone: 'trouble',
  };
  // Only once the server spoke on this connection: a reconnect may bring edit access back.
  const settled = status.connection === 'closed' || (status.connection === 'connected' && status.synced);
  if (settled && cannotSaveChanges(status)) {
    return { text: NOT_SAVED_TEXT, tone: 'trouble' };
  }
  switch (status.connection) {
    case 'closed':
      return status.closed?.code === CloseCode.UNAUTHORIZED ? offline : null;
    case 'offline': {
      const wait = remainingMs ?? status.retryInMs;
      if (wait !== undefined) return { text: `Reconnecting in ${secondsLeft(wait)}s`, tone: 'trouble' };
      return offline;
    }
    case 'connecting':
      return { text: 'Connecting…', tone: 'busy' };
    case 'connected':
      if (!status.synced) return { text: 'Connecting…', tone: 'busy' };
      return status.saved && pending === 0 ? { text: 'Saved', tone: 'saved' } : { text: 'Saving…', tone: 'busy' };
  }
}
