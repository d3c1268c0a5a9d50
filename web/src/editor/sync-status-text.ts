/**
 * What the status indicator says for a SyncClient status: one of exactly five phrases, driven by
 * the server's SAVED acknowledgements (never by a timer guessing that a write went through).
 */
import type { SyncStatus } from '../../../src/client/sync-client.ts';
import { CloseCode } from '../../../src/sync/close-codes.ts';

export type SyncStatusView = {
  text: string;
  /** Styling only: saved (calm), busy (in progress), trouble (offline or waiting). */
  tone: 'saved' | 'busy' | 'trouble';
};

/** Whole seconds left, rounded up so the countdown never shows 0 while still waiting. */
export function secondsLeft(remainingMs: number): number {
  return Math.max(1, Math.ceil(remainingMs / 1000));
}

/**
 * `remainingMs`: time left before the next reconnect attempt, counted down by the caller from the
 * deadline the status carried. Returns null after a terminal close, except an expired session
 * (whose changes do sync once the person logs in again): the page explains the close instead.
 */
export function syncStatusView(status: SyncStatus, remainingMs?: number): SyncStatusView | null {
  const pending = status.pendingChanges;
  // Always "changes", even for one: the wording is a contract the browser tests match.
  const offline: SyncStatusView = { text: `Offline — ${pending} changes will sync`, tone: 'trouble' };
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
