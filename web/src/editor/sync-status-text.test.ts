import { describe, expect, it } from 'vitest';
import type { SyncStatus } from '../../../src/client/sync-client.ts';
import { CloseCode } from '../../../src/sync/close-codes.ts';
import {
  cannotSaveChanges,
  hasChangesToSave,
  NOT_SAVED_TEXT,
  secondsLeft,
  syncStatusView,
} from './sync-status-text.ts';

const base: SyncStatus = { connection: 'connected', synced: true, saved: true, pendingChanges: 0 };
const text = (s: Partial<SyncStatus>, remainingMs?: number) => syncStatusView({ ...base, ...s }, remainingMs)?.text;

describe('syncStatusView', () => {
  it('says "Saved" only when the server acknowledged everything', () => {
    expect(text({})).toBe('Saved');
    expect(text({ saved: false })).toBe('Saving…');
    expect(text({ saved: true, pendingChanges: 2 })).toBe('Saving…');
  });

  it('says "Connecting…" while dialling and until the server state arrived', () => {
    expect(text({ connection: 'connecting', synced: false, saved: false })).toBe('Connecting…');
    expect(text({ connection: 'connected', synced: false, saved: false })).toBe('Connecting…');
  });

  it('counts the changes waiting while offline', () => {
    expect(text({ connection: 'offline', synced: false, saved: false, pendingChanges: 3 })).toBe(
      'Offline — 3 changes will sync',
    );
    expect(text({ connection: 'offline', synced: false, saved: false, pendingChanges: 0 })).toBe(
      'Offline — 0 changes will sync',
    );
  });

  it('counts down to the next reconnect attempt in whole seconds', () => {
    const waiting: Partial<SyncStatus> = { connection: 'offline', synced: false, retryInMs: 4200 };
    expect(text(waiting)).toBe('Reconnecting in 5s');
    expect(text(waiting, 3000)).toBe('Reconnecting in 3s');
    expect(text(waiting, 2001)).toBe('Reconnecting in 3s');
    expect(text(waiting, 0)).toBe('Reconnecting in 1s');
  });

  it('stays honest after a terminal close: only an expired session still promises to sync', () => {
    const closed = (code: number) =>
      text({ connection: 'closed', synced: false, pendingChanges: 2, closed: { code, reason: '' } });
    expect(closed(CloseCode.UNAUTHORIZED)).toBe('Offline — 2 changes will sync');
    expect(closed(CloseCode.FORBIDDEN)).toBe(NOT_SAVED_TEXT);
    expect(closed(CloseCode.NOT_FOUND)).toBe(NOT_SAVED_TEXT);
    expect(closed(CloseCode.BAD_MESSAGE)).toBeUndefined();
    const nothingLost = (code: number) => text({ connection: 'closed', synced: false, closed: { code, reason: '' } });
    expect(nothingLost(CloseCode.FORBIDDEN)).toBeUndefined();
    expect(nothingLost(CloseCode.NOT_FOUND)).toBeUndefined();
  });

  it('says the changes are not saved once access dropped to view-only, instead of "Saving…" forever', () => {
    const refused: Partial<SyncStatus> = {
      access: 'read',
      saved: false,
      pendingChanges: 3,
      rejected: { reason: 'read-only', frame: 4 },
    };
    expect(text(refused)).toBe(NOT_SAVED_TEXT);
    expect(syncStatusView({ ...base, ...refused })?.tone).toBe('trouble');
    // Typed offline, then reconnected to find the role lowered: refused before any REJECTED arrived.
    expect(text({ access: 'read', saved: false, pendingChanges: 1 })).toBe(NOT_SAVED_TEXT);
    // A viewer with nothing of their own waiting is simply up to date.
    expect(text({ access: 'read' })).toBe('Saved');
    // Edit access back: the refused changes travel again.
    expect(text({ access: 'edit', saved: false, pendingChanges: 3 })).toBe('Saving…');
  });

  it('keeps the five phrases while reconnecting, since the next connection may restore edit access', () => {
    const before: Partial<SyncStatus> = { access: 'read', synced: false, saved: false, pendingChanges: 2 };
    expect(text({ ...before, connection: 'connecting' })).toBe('Connecting…');
    expect(text({ ...before, connection: 'connected' })).toBe('Connecting…');
    expect(text({ ...before, connection: 'offline' })).toBe('Offline — 2 changes will sync');
  });

  it('only ever produces one of the five contract phrases while this person may edit', () => {
    const phrases = [
      /^Saved$/,
      /^Saving…$/,
      /^Offline — \d+ changes? will sync$/,
      /^Reconnecting in \d+s$/,
      /^Connecting…$/,
    ];
    const connections: SyncStatus['connection'][] = ['connecting', 'connected', 'offline', 'closed'];
    for (const connection of connections) {
      for (const synced of [true, false]) {
        for (const saved of [true, false]) {
          for (const pendingChanges of [0, 1, 7]) {
            for (const retryInMs of [undefined, 0, 12_345]) {
              const t = text({
                connection,
                synced,
                saved,
                pendingChanges,
                retryInMs,
                access: 'edit',
                closed: connection === 'closed' ? { code: CloseCode.UNAUTHORIZED, reason: '' } : undefined,
              });
              expect(phrases.some((p) => p.test(t ?? ''))).toBe(true);
            }
          }
        }
      }
    }
  });
});

describe('hasChangesToSave (asks before the tab closes)', () => {
  const status = (s: Partial<SyncStatus>): SyncStatus => ({ ...base, ...s });

  it('asks for changes that will still reach the server', () => {
    expect(hasChangesToSave(status({ saved: false, pendingChanges: 2, access: 'edit' }))).toBe(true);
    expect(hasChangesToSave(status({ connection: 'offline', synced: false, saved: false, pendingChanges: 1 }))).toBe(
      true,
    );
    const expired = { code: CloseCode.UNAUTHORIZED, reason: '' };
    expect(hasChangesToSave(status({ connection: 'closed', pendingChanges: 1, closed: expired }))).toBe(true);
    expect(hasChangesToSave(status({}))).toBe(false);
  });

  it('does not hold the tab for changes that can never be saved', () => {
    const refused = status({
      access: 'read',
      saved: false,
      pendingChanges: 2,
      rejected: { reason: 'read-only', frame: 1 },
    });
    expect(cannotSaveChanges(refused)).toBe(true);
    expect(hasChangesToSave(refused)).toBe(false);
    for (const code of [CloseCode.FORBIDDEN, CloseCode.NOT_FOUND]) {
      const gone = status({ connection: 'closed', pendingChanges: 2, closed: { code, reason: '' } });
      expect(cannotSaveChanges(gone)).toBe(true);
      expect(hasChangesToSave(gone)).toBe(false);
    }
  });
});

describe('secondsLeft', () => {
  it('rounds up and never reaches zero', () => {
    expect(secondsLeft(30_000)).toBe(30);
    expect(secondsLeft(29_001)).toBe(30);
    expect(secondsLeft(1)).toBe(1);
    expect(secondsLeft(-50)).toBe(1);
  });
});
