/**
 * Plain words for what the server says about this person's access: the document's role from the
 * API, access changes on the open socket, terminal closes, and the room's tier.
 */
import type { CloseInfo } from '../../../src/client/sync-client.ts';
import { atLeast, type DocumentAccess } from '../../../src/domain/roles.ts';
import { CloseCode } from '../../../src/sync/close-codes.ts';
import type { Access, RoomStatus } from '../../../src/sync/protocol.ts';

/** The `access` field of `GET /api/v1/documents/:id`. */
export type { DocumentAccess };

export function documentAccessCanEdit(access: DocumentAccess | undefined): boolean {
  return access !== undefined && atLeast(access, 'editor');
}

/** The banner shown when the server changes this connection's access while the document is open. */
export function accessChangedMessage(access: Access): string {
  return access === 'read' ? 'You can now only view this document.' : 'You can now edit this document.';
}

/** The banner of a document in the trash (on open, or when someone deletes it while it is open). */
export const TRASHED_MESSAGE = 'This document was moved to the trash. What you see is read-only.';

/** Why the connection ended for good, or null for codes that are not terminal. */
export function closedMessage(close: CloseInfo): string | null {
  switch (close.code) {
    case CloseCode.FORBIDDEN:
      return 'Your access was removed — this document is now read-only.';
    case CloseCode.NOT_FOUND:
      return 'This document was deleted or is no longer shared with you. What you see is read-only.';
    case CloseCode.IN_TRASH:
      return TRASHED_MESSAGE;
    case CloseCode.UNAUTHORIZED:
      return 'Your session has ended. Log in again to keep editing — your changes are kept on this device.';
    case CloseCode.BAD_MESSAGE:
      return 'The server could not accept a change from this page. Reload the page to continue.';
    case CloseCode.TOO_COMPLEX:
      return 'Your last change was too large or too complex for the server to accept; it is kept on this device only. Reload the page to continue.';
    case CloseCode.RESET:
      return 'An administrator repaired this document after this page loaded it. Reload the page to open the repaired version (changes not yet saved from this page cannot be merged into it).';
    case CloseCode.QUARANTINED:
      return 'This document is temporarily locked for maintenance: an administrator must repair it. Your unsaved changes are kept on this device.';
    default:
      return null;
  }
}

/** "3 people here · 1 viewing" plus the tier when the room is crowded; null until the server said. */
export function roomSummary(room: RoomStatus | undefined): string | null {
  if (!room) return null;
  const people = `${room.connections} ${room.connections === 1 ? 'connection' : 'connections'}`;
  const viewing = room.viewers > 0 ? ` · ${room.viewers} viewing` : '';
  switch (room.mode) {
    case 'full':
      return `${people}${viewing}`;
    case 'reduced':
      return `${people}${viewing} · busy document: cursors update less often`;
    case 'view-only': {
      // [S5.5] People with edit rights wait in line for a seat; they get it live, without reloading.
      const queue = `${room.waitlist} ${room.waitlist === 1 ? 'person' : 'people'} waiting`;
      if (room.waiting) return `${people}${viewing} · crowded document: you can edit when a seat frees up (${queue})`;
      if (room.access === 'read') return `${people}${viewing} · crowded document: you joined view-only`;
      const line = `${people}${viewing} · crowded document: newcomers join view-only`;
      return room.waitlist > 0 ? `${line} (${queue} to edit)` : line;
    }
  }
}
