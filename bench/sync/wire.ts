/**
 * How each peer frames the y-websocket protocol: ours is the stock format (one document per
 * socket, the document in the URL); Hocuspocus prefixes every message with the document name
 * and wants an auth message before anything else.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';

export type PeerName = 'ours' | 'hocuspocus';

/** y-websocket message types both peers share. */
export const Message = { SYNC: 0, AWARENESS: 1, AUTH: 2 } as const;
export const Sync = { STEP1: 0, STEP2: 1, UPDATE: 2 } as const;

/** Hocuspocus-only: a sync reply (answered without a new step 1), and its auth sub-types. */
const HOCUSPOCUS_SYNC_REPLY = 4;
const HOCUSPOCUS_AUTH_TOKEN = 0;
const HOCUSPOCUS_AUTH_DENIED = 1;
/** Ours: y-protocols' permission-denied auth message, and our SAVED extension (src/sync/protocol.ts). */
const OURS_AUTH_DENIED = 0;
const OURS_SAVED = 101;

export type Incoming = { type: number; decoder: decoding.Decoder };

export type Wire = {
  peer: PeerName;
  url(base: string, documentId: string, token: string): string;
  /** Frames to send as soon as the socket opens, before sync step 1. */
  hello(documentId: string, token: string): Uint8Array[];
  /** An encoder for one outgoing frame, positioned where the message type goes. */
  begin(documentId: string): encoding.Encoder;
  /** Reads past any prefix; sync replies come back as plain SYNC. */
  read(frame: Uint8Array): Incoming;
  /** The reason, when an AUTH message (decoder after the type) says permission denied. */
  denied(decoder: decoding.Decoder): string | undefined;
  /**
   * Message type of a durability acknowledgement ("the first N update-carrying frames you sent
   * are stored"), when the peer has one. Hocuspocus has none: its SyncStatus says "applied".
   */
  savedType: number | undefined;
};

export const oursWire: Wire = {
  peer: 'ours',
  url: (base, documentId, token) => `${base}/sync/${documentId}?token=${encodeURIComponent(token)}`,
  hello: () => [],
  begin: () => encoding.createEncoder(),
  read(frame) {
    const decoder = decoding.createDecoder(frame);
    return { type: decoding.readVarUint(decoder), decoder };
  },
  denied: (d) => (decoding.readVarUint(d) === OURS_AUTH_DENIED ? decoding.readVarString(d) : undefined),
  savedType: OURS_SAVED,
};

export const hocuspocusWire: Wire = {
  peer: 'hocuspocus',
  // The path is not routed: the document travels in every message.
  url: (base, documentId) => `${base}/${documentId}`,
  hello(documentId, token) {
    const e = encoding.createEncoder();
    encoding.writeVarString(e, documentId);
    encoding.writeVarUint(e, Message.AUTH);
    encoding.writeVarUint(e, HOCUSPOCUS_AUTH_TOKEN);
    encoding.writeVarString(e, token);
    return [encoding.toUint8Array(e)];
  },
  begin(documentId) {
    const e = encoding.createEncoder();
    encoding.writeVarString(e, documentId);
    return e;
  },
  read(frame) {
    const decoder = decoding.createDecoder(frame);
    decoding.readVarString(decoder);
    const type = decoding.readVarUint(decoder);
    return { type: type === HOCUSPOCUS_SYNC_REPLY ? Message.SYNC : type, decoder };
  },
  denied: (d) => (decoding.readVarUint(d) === HOCUSPOCUS_AUTH_DENIED ? decoding.readVarString(d) : undefined),
  savedType: undefined,
};

/** Sync step 1 of an empty document: what a passive client sends to be served the state. */
export function emptyStep1(wire: Wire, documentId: string): Uint8Array {
  const e = wire.begin(documentId);
  encoding.writeVarUint(e, Message.SYNC);
  encoding.writeVarUint(e, Sync.STEP1);
  encoding.writeVarUint8Array(e, new Uint8Array([0])); // an empty state vector
  return encoding.toUint8Array(e);
}

/** Sync step 2 carrying nothing: a passive client's answer to the server's step 1. */
export function emptyStep2(wire: Wire, documentId: string): Uint8Array {
  const e = wire.begin(documentId);
  encoding.writeVarUint(e, Message.SYNC);
  encoding.writeVarUint(e, Sync.STEP2);
  encoding.writeVarUint8Array(e, new Uint8Array([0, 0])); // no structs, empty delete set
  return encoding.toUint8Array(e);
}
