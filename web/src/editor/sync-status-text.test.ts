import { describe, expect, it } from 'vitest';
import type { SyncStatus } from '../../../src/client/sync-client.ts';
import { CloseCode } from '../../../src/sync/close-codes.ts';
import { secondsLeft, syncStatusView } from './sync-status-text.ts';

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
    expect(closed(CloseCode.FORBIDDEN)).toBeUndefined();
    expect(closed(CloseCode.NOT_FOUND)).toBeUndefined();
  });

  it('only ever produces one of the five contract phrases', () => {
    const phrases = [
      /^Saved$/,
      /^Saving…$/,
      /^Offline — \d+ changes will sync$/,
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

describe('secondsLeft', () => {
  it('rounds up and never reaches zero', () => {
    expect(secondsLeft(30_000)).toBe(30);
    expect(secondsLeft(29_001)).toBe(30);
    expect(secondsLeft(1)).toBe(1);
    expect(secondsLeft(-50)).toBe(1);
  });
});
