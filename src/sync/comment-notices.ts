/**
 * Comment notices for open editors (docs/spec/comments.md [C5]): after a comment change commits,
 * the api role publishes one small frame on the document's bus channel; every instance with the
 * document open (this one included) sends it as COMMENTS_CHANGED to each socket of the room,
 * and clients re-read the threads. Same channel and envelope as document updates, so a notice
 * travels as fast as an edit; the bus is best effort, so clients also re-read on (re)connect.
 */
import { channelFor } from './instance-link.ts';
import type { RoomBus } from './ports.ts';
import { BUS_ROOM_NOTICE, type CommentsChanged, encodeBusEnvelope, encodeCommentsChanged } from './protocol.ts';

/** Never an instance id (those are UUIDs), so no room link drops the notice as its own echo. */
const SENDER = 'comments';

/** The bus payload that makes every room of the document send COMMENTS_CHANGED to its sockets. */
export function commentNoticePayload(change: CommentsChanged): Uint8Array {
  const clientFrame = encodeCommentsChanged(change);
  const frame = new Uint8Array(clientFrame.length + 1);
  frame[0] = BUS_ROOM_NOTICE;
  frame.set(clientFrame, 1);
  return encodeBusEnvelope(SENDER, frame);
}

/** Publishes a notice; resolves false (never rejects) when the bus did not take it. */
export async function publishCommentNotice(
  bus: Pick<RoomBus, 'publishBytes'>,
  documentId: string,
  change: CommentsChanged,
): Promise<boolean> {
  try {
    await bus.publishBytes(channelFor(documentId), commentNoticePayload(change));
    return true;
  } catch {
    return false;
  }
}
