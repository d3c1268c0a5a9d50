/**
 * Re-checks open sessions when permissions change (a permission event, or a bus reconnect after
 * which events may have been missed): a session whose user lost access is closed, one whose role
 * changed is told its new access without reconnecting. Fails closed when the check cannot be made.
 */
import type { Logger } from 'pino';
import type { PermissionEvent } from '../domain/permission-event.ts';
import { atLeast } from '../domain/roles.ts';
import { CloseCode } from './close-codes.ts';
import type { DocumentAccessNow } from './ports.ts';
import { encodeAccessChanged, encodeRoomStatus } from './protocol.ts';
import type { Room } from './room.ts';
import type { Session } from './session.ts';

export class PermissionRechecks {
  private readonly deps: {
    logger: Logger;
    /** Effective access of a user to a document now (see DocumentAccessNow). */
    documentAccess: (userId: string, documentId: string) => Promise<DocumentAccessNow>;
  };

  constructor(deps: PermissionRechecks['deps']) {
    this.deps = deps;
  }

  /** Every open session (after a bus reconnect). */
  async all(rooms: Iterable<Room>): Promise<void> {
    const checks: Promise<void>[] = [];
    for (const room of rooms) for (const s of room.sessions) checks.push(this.recheck(room, s));
    await Promise.all(checks);
  }

  /** The sessions a permission event may affect. */
  async apply(event: PermissionEvent, rooms: Iterable<Room>): Promise<void> {
    const checks: Promise<void>[] = [];
    for (const room of rooms) {
      switch (event.type) {
        case 'document-deleted':
          if (room.documentId === event.documentId) closeAll(room, CloseCode.NOT_FOUND, 'document deleted');
          break;
        case 'document-trashed':
          // Everyone in the room could read it: they may know it went to the trash [T1].
          if (room.documentId === event.documentId) closeAll(room, CloseCode.IN_TRASH, 'document moved to the trash');
          break;
        case 'document-restored':
          break;
        case 'document-access-changed':
          // General access or ownership: anyone in the room may have gained or lost [P7].
          if (room.documentId === event.documentId) for (const s of room.sessions) checks.push(this.recheck(room, s));
          break;
        case 'workspace-settings-changed':
          // Nothing a socket holds: comment notices ask about viewers as they go (comment-notices.ts).
          break;
        case 'workspace-deleted':
          if (room.workspaceId === event.workspaceId) closeAll(room, CloseCode.NOT_FOUND, 'workspace deleted');
          break;
        case 'share-changed':
          if (room.documentId === event.documentId) checks.push(...this.recheckUser(room, event.userId));
          break;
        case 'member-changed':
          if (room.workspaceId === event.workspaceId) checks.push(...this.recheckUser(room, event.userId));
          break;
        default:
          for (const s of room.sessions) checks.push(this.recheck(room, s));
      }
    }
    await Promise.all(checks);
  }

  private recheckUser(room: Room, userId: string): Promise<void>[] {
    return [...room.sessions].filter((s) => s.userId === userId).map((s) => this.recheck(room, s));
  }

  private async recheck(room: Room, session: Session): Promise<void> {
    let access: DocumentAccessNow;
    try {
      access = await this.deps.documentAccess(session.userId, room.documentId);
    } catch (err) {
      // Cannot tell: fail closed. The client reconnects and is checked afresh.
      this.deps.logger.warn({ err }, 'permission re-check failed; closing the session');
      session.close(CloseCode.UNAVAILABLE, 'permission check unavailable');
      return;
    }
    if (access === null) {
      session.close(CloseCode.NOT_FOUND, 'document deleted');
      return;
    }
    if (access === 'none') {
      session.close(CloseCode.FORBIDDEN, 'access revoked');
      return;
    }
    if (access === 'trashed') {
      session.close(CloseCode.IN_TRASH, 'document moved to the trash');
      return;
    }
    const before = session.access;
    const waiting = room.waitlist.has(session);
    const next = await room.grant(session, atLeast(access, 'editor') ? 'edit' : 'read');
    if (next === before) {
      // [S5.5] Edit rights in a full room: a place on the wait list, said in the status.
      if (room.waitlist.has(session) !== waiting) {
        room.sendTo(session, encodeRoomStatus(room.statusFor(session)), 'control');
      }
      return;
    }
    room.sendTo(
      session,
      encodeAccessChanged({
        access: next,
        reason: next === 'read' ? 'access downgraded to read-only' : 'editing allowed',
      }),
      'control',
    );
    room.sendTo(session, encodeRoomStatus(room.statusFor(session)), 'control');
  }
}

/** Closes every session of a room with one code. */
export function closeAll(room: Room, code: number, reason: string): void {
  for (const s of [...room.sessions]) s.close(code, reason);
}
