import { describe, expect, it } from 'vitest';
import { CloseCode } from '../../../src/sync/close-codes.ts';
import type { RoomStatus } from '../../../src/sync/protocol.ts';
import { accessChangedMessage, closedMessage, documentAccessCanEdit, roomSummary } from './access-messages.ts';

describe('documentAccessCanEdit', () => {
  it('lets editors, admins and owners edit; viewers and commenters only read', () => {
    expect(['editor', 'admin', 'owner'].every((a) => documentAccessCanEdit(a as 'editor'))).toBe(true);
    expect(['viewer', 'commenter', 'none', undefined].some((a) => documentAccessCanEdit(a as 'viewer'))).toBe(false);
  });
});

describe('messages', () => {
  it('explains access changes and terminal closes in plain words', () => {
    expect(accessChangedMessage('read')).toBe('You can now only view this document.');
    expect(accessChangedMessage('edit')).toBe('You can now edit this document.');
    expect(closedMessage({ code: CloseCode.FORBIDDEN, reason: '' })).toBe(
      'Your access was removed — this document is now read-only.',
    );
    expect(closedMessage({ code: CloseCode.NOT_FOUND, reason: '' })).toMatch(/deleted/);
    // [S11.1] [S11.4] Refused as over the CRDT budget, and a quarantined document: plain words, no retry loop.
    expect(closedMessage({ code: CloseCode.TOO_COMPLEX, reason: '' })).toMatch(/too large or too complex/);
    expect(closedMessage({ code: CloseCode.QUARANTINED, reason: '' })).toMatch(/locked .* administrator/);
    expect(closedMessage({ code: CloseCode.RESET, reason: '' })).toMatch(/repaired .* Reload/);
    expect(closedMessage({ code: CloseCode.UNAUTHORIZED, reason: '' })).toMatch(/Log in again/);
    expect(closedMessage({ code: CloseCode.IN_TRASH, reason: '' })).toMatch(/moved to the trash/);
    expect(closedMessage({ code: CloseCode.SERVICE_RESTART, reason: '' })).toBeNull();
  });

  const room = (r: Omit<RoomStatus, 'waitlist' | 'waiting'> & Partial<RoomStatus>): RoomStatus => ({
    waitlist: 0,
    waiting: false,
    ...r,
  });

  it('summarises the room, including the crowded tiers', () => {
    expect(roomSummary(undefined)).toBeNull();
    expect(roomSummary(room({ mode: 'full', connections: 1, editors: 1, viewers: 0, access: 'edit' }))).toBe(
      '1 connection',
    );
    expect(roomSummary(room({ mode: 'full', connections: 3, editors: 2, viewers: 1, access: 'edit' }))).toBe(
      '3 connections · 1 viewing',
    );
    expect(roomSummary(room({ mode: 'reduced', connections: 40, editors: 40, viewers: 0, access: 'edit' }))).toMatch(
      /cursors update less often/,
    );
    expect(
      roomSummary(room({ mode: 'view-only', connections: 500, editors: 60, viewers: 440, access: 'read' })),
    ).toMatch(/you joined view-only/);
  });

  it('[S5.5] tells a person waiting for an editing seat where they stand, with a plural that fits', () => {
    const waiting = room({
      mode: 'view-only',
      connections: 500,
      editors: 60,
      viewers: 440,
      access: 'read',
      waitlist: 1,
      waiting: true,
    });
    expect(roomSummary(waiting)).toBe(
      '500 connections · 440 viewing · crowded document: you can edit when a seat frees up (1 person waiting)',
    );
    expect(roomSummary({ ...waiting, waitlist: 12 })).toMatch(/\(12 people waiting\)$/);
    // Editors see the queue too, without the promise.
    expect(roomSummary({ ...waiting, access: 'edit', waiting: false, waitlist: 3 })).toBe(
      '500 connections · 440 viewing · crowded document: newcomers join view-only (3 people waiting to edit)',
    );
  });
});
