/**
 * The wire format on `/sync/:documentId`: the standard y-websocket messages (sync, awareness,
 * auth, query-awareness) plus our own types numbered from 100, which stock clients ignore.
 * Pure encoding over lib0; shared by the server and the browser client.
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
} as const;

/** y-protocols sync sub-types. */
export const SyncStep = { STEP1: 0, STEP2: 1, UPDATE: 2 } as const;

/**
 * Room tiers by concurrent connections: full real-time presence, reduced (sampled) presence,
 * and view-only for newcomers to a crowded document.
 */
export type RoomMode = 'full' | 'reduced' | 'view-only';
export type Access = 'edit' | 'read';

export type RoomStatus = { mode: RoomMode; connections: number; editors: number; viewers: number; access: Access };
export type AccessChanged = { access: Access; reason: string };
/** `frame`: the number of the refused update-carrying frame on this connection. */
export type Rejected = { reason: string; frame: number };

/** True for frames that carry document content (sync step 2 or update): these are counted and acknowledged. */
export function carriesUpdate(frame: Uint8Array): boolean {
  return (
    frame.length >= 2 && frame[0] === MessageType.SYNC && (frame[1] === SyncStep.STEP2 || frame[1] === SyncStep.UPDATE)
  );
}

function withType(type: number, write: (e: encoding.Encoder) => void): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, type);
  write(e);
  return encoding.toUint8Array(e);
}

export const encodeToken = (token: string): Uint8Array =>
  withType(MessageType.TOKEN, (e) => encoding.writeVarString(e, token));
export const encodeSaved = (count: number): Uint8Array =>
  withType(MessageType.SAVED, (e) => encoding.writeVarUint(e, count));
const encodeJson = (type: number, value: unknown): Uint8Array =>
  withType(type, (e) => encoding.writeVarString(e, JSON.stringify(value)));
export const encodeRoomStatus = (s: RoomStatus): Uint8Array => encodeJson(MessageType.ROOM_STATUS, s);
export const encodeAccessChanged = (a: AccessChanged): Uint8Array => encodeJson(MessageType.ACCESS_CHANGED, a);
export const encodeRejected = (r: Rejected): Uint8Array => encodeJson(MessageType.REJECTED, r);
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
  | { type: 'rejected'; rejected: Rejected };

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
    default:
      return undefined;
  }
}
