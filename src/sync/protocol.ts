/**
 * The wire format on `/sync/:documentId`: the standard y-websocket messages (sync, awareness,
 * auth, query-awareness) plus our own types numbered from 100, which stock clients ignore.
 * Pure encoding over lib0; shared by the server, the browser client and the tests. Every frame
 * the server builds is built here, and so is the envelope frames travel in between instances.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';

export const MessageType = {
  SYNC: 0,
  AWARENESS: 1,
  /** Server → client: permission denied (y-protocols auth). */
  AUTH: 2,
  QUERY_AWARENESS: 3,
  /** Client → server: an access token, first message (if not in the URL) or a refresh later. */
  TOKEN: 100,
  /** Server → client: the first N update-carrying frames this connection sent are durable. */
  SAVED: 101,
  /** Server → client: room mode, connection counts and this connection's access. */
  ROOM_STATUS: 102,
  /** Server → client: this connection's access changed (downgrade/upgrade without reconnect). */
  ACCESS_CHANGED: 103,
  /** Server → client: an update was not applied (read-only, malformed); the document is untouched. */
  REJECTED: 104,
  /** Server → client: a comment thread of this document changed; read the threads again (comment-notices.ts). */
  COMMENTS_CHANGED: 105,
} as const;

/** y-protocols sync sub-types. */
export const SyncStep = { STEP1: 0, STEP2: 1, UPDATE: 2 } as const;

/**
 * Room tiers by concurrent connections: full real-time presence, reduced (sampled) presence,
 * and view-only for newcomers to a crowded document.
 */
export type RoomMode = 'full' | 'reduced' | 'view-only';
export type Access = 'edit' | 'read';

/**
 * `waitlist`: people with edit rights waiting for an editing seat [S5.5]; `waiting`: this connection
 * is one of them (it gets edit access, with ACCESS_CHANGED, when a seat frees up).
 */
export type RoomStatus = {
  mode: RoomMode;
  connections: number;
  editors: number;
  viewers: number;
  access: Access;
  waitlist: number;
  waiting: boolean;
};
export type AccessChanged = { access: Access; reason: string };
/** `frame`: the number of the refused update-carrying frame on this connection. */
export type Rejected = { reason: string; frame: number };
export type CommentsChanged = {
  threadId: string;
  change: 'created' | 'replied' | 'edited' | 'deleted' | 'resolved' | 'reopened';
};

/** True for frames that carry document content (sync step 2 or update): these are counted and acknowledged. */
export function carriesUpdate(frame: Uint8Array): boolean {
  return (
    frame.length >= 2 && frame[0] === MessageType.SYNC && (frame[1] === SyncStep.STEP2 || frame[1] === SyncStep.UPDATE)
  );
}

/** The Yjs update a SYNC step 2 / update frame carries, or null (other frames, truncated frames). */
export function updatePayload(frame: Uint8Array): Uint8Array | null {
  if (!carriesUpdate(frame)) return null;
  try {
    return decoding.readVarUint8Array(decoding.createDecoder(frame.subarray(2)));
  } catch {
    return null;
  }
}

function withType(type: number, write: (e: encoding.Encoder) => void): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, type);
  write(e);
  return encoding.toUint8Array(e);
}

/** Sync step 1: "here is my state vector, send me what I lack". */
export const encodeSyncStep1 = (stateVector: Uint8Array): Uint8Array => encodeSync(SyncStep.STEP1, stateVector);
/** Sync step 2: the answer to a step 1 (an update holding what the asker lacks). */
export const encodeSyncStep2 = (update: Uint8Array): Uint8Array => encodeSync(SyncStep.STEP2, update);
/** A live document update. */
export const encodeSyncUpdate = (update: Uint8Array): Uint8Array => encodeSync(SyncStep.UPDATE, update);
/** Any sync message (step 1, step 2 or update) around its payload. */
export function encodeSync(step: number, payload: Uint8Array): Uint8Array {
  return withType(MessageType.SYNC, (e) => {
    encoding.writeVarUint(e, step);
    encoding.writeVarUint8Array(e, payload);
  });
}
/** An awareness message around an already encoded awareness update (y-protocols' encodeAwarenessUpdate). */
export const encodeAwareness = (update: Uint8Array): Uint8Array =>
  withType(MessageType.AWARENESS, (e) => encoding.writeVarUint8Array(e, update));

export const encodeToken = (token: string): Uint8Array =>
  withType(MessageType.TOKEN, (e) => encoding.writeVarString(e, token));
export const encodeSaved = (count: number): Uint8Array =>
  withType(MessageType.SAVED, (e) => encoding.writeVarUint(e, count));
const encodeJson = (type: number, value: unknown): Uint8Array =>
  withType(type, (e) => encoding.writeVarString(e, JSON.stringify(value)));
export const encodeRoomStatus = (s: RoomStatus): Uint8Array => encodeJson(MessageType.ROOM_STATUS, s);
export const encodeAccessChanged = (a: AccessChanged): Uint8Array => encodeJson(MessageType.ACCESS_CHANGED, a);
export const encodeRejected = (r: Rejected): Uint8Array => encodeJson(MessageType.REJECTED, r);
export const encodeCommentsChanged = (c: CommentsChanged): Uint8Array => encodeJson(MessageType.COMMENTS_CHANGED, c);
/** y-protocols' permission-denied auth message (stock providers log the reason). */
export const encodePermissionDenied = (reason: string): Uint8Array =>
  withType(MessageType.AUTH, (e) => {
    encoding.writeVarUint(e, 0);
    encoding.writeVarString(e, reason);
  });

export type ServerMessage =
  | { type: 'saved'; count: number }
  | { type: 'room-status'; status: RoomStatus }
  | { type: 'access-changed'; change: AccessChanged }
  | { type: 'rejected'; rejected: Rejected }
  | { type: 'comments-changed'; change: CommentsChanged };

/** Decodes one of our extension messages; undefined for standard (or unknown) types. */
export function decodeServerMessage(frame: Uint8Array): ServerMessage | undefined {
  const d = decoding.createDecoder(frame);
  const type = decoding.readVarUint(d);
  switch (type) {
    case MessageType.SAVED:
      return { type: 'saved', count: decoding.readVarUint(d) };
    case MessageType.ROOM_STATUS:
      return { type: 'room-status', status: JSON.parse(decoding.readVarString(d)) as RoomStatus };
    case MessageType.ACCESS_CHANGED:
      return { type: 'access-changed', change: JSON.parse(decoding.readVarString(d)) as AccessChanged };
    case MessageType.REJECTED:
      return { type: 'rejected', rejected: JSON.parse(decoding.readVarString(d)) as Rejected };
    case MessageType.COMMENTS_CHANGED:
      return { type: 'comments-changed', change: JSON.parse(decoding.readVarString(d)) as CommentsChanged };
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Between instances: the bus envelope (never sent to clients)

/** Instance-to-instance frame type: "something of mine was not published: read the log". */
export const BUS_CATCH_UP = 200;
const CATCH_UP_HINT = new Uint8Array([BUS_CATCH_UP]);
/** Instance-to-instance frame type: "I quarantined this document: close your room too" [S11.4]. */
export const BUS_QUARANTINED = 201;
export const QUARANTINED_NOTICE = new Uint8Array([BUS_QUARANTINED]);
/** Instance-to-instance frame type: "send the client frame after this byte to every socket of the room" (comment notices). */
export const BUS_ROOM_NOTICE = 202;
/** Instance-to-instance frame type: "an editing seat of this document freed up: seat your first waiter if it is first in line" [S5.6]. */
export const BUS_SEAT_FREED = 203;
export const SEAT_FREED_NOTICE = new Uint8Array([BUS_SEAT_FREED]);
/** Instance-to-instance frame type: "this hot room's counts changed: refresh yours from the seat ledger" [S5.6]. */
export const BUS_FLEET_COUNTS = 204;
export const FLEET_COUNTS_NOTICE = new Uint8Array([BUS_FLEET_COUNTS]);

/** A client frame (or the catch-up hint) as published on the bus, tagged with the sending instance. */
export function encodeBusEnvelope(instanceId: string, frame: Uint8Array = CATCH_UP_HINT): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarString(e, instanceId);
  encoding.writeUint8Array(e, frame);
  return encoding.toUint8Array(e);
}

/** The sending instance and the frame inside an envelope; undefined when it cannot be read. */
export function decodeBusEnvelope(payload: Uint8Array): { instanceId: string; frame: Uint8Array } | undefined {
  try {
    const d = decoding.createDecoder(payload);
    const instanceId = decoding.readVarString(d);
    return { instanceId, frame: payload.subarray(d.pos) };
  } catch {
    return undefined;
  }
}
