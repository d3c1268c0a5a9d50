/**
 * Hands a room notice from the bus (today: COMMENTS_CHANGED, comment-notices.ts) to the sockets of
 * a room that may see it [C1] [C5]: people with edit rights always do; a read-only session is
 * asked about (viewers see comments only if their workspace allows; commenters always), through
 * the permission cache, so a setting change holds for the next notice without touching sockets.
 */
import type { Room } from './room.ts';

export function deliverRoomNotice(
  room: Room,
  frame: Uint8Array,
  seesComments?: (userId: string, documentId: string) => Promise<boolean>,
): void {
  if (!seesComments) {
    room.sendToAll(frame, 'control');
    return;
  }
  for (const session of room.sessions) {
    if (session.canEdit) {
      room.sendTo(session, frame, 'control');
      continue;
    }
    // Best effort like every notice: a failed check sends nothing (clients re-read on reconnect).
    seesComments(session.userId, room.documentId).then(
      (sees) => {
        if (sees && !session.closed && room.sessions.has(session)) room.sendTo(session, frame, 'control');
      },
      () => undefined,
    );
  }
}
