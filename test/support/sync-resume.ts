/**
 * Reconnecting like a real provider after the server went away: a new socket whose Y.Doc already
 * holds everything the old one had, so the client's sync step (its step 2 in answer to the
 * server's step 1) re-sends whatever the server is missing.
 */
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import { encodeToken, MessageType } from '../../src/sync/protocol.ts';
import { SyncPeer } from './sync-peer.ts';

export async function resumePeer(
  baseUrl: string,
  documentId: string,
  token: string,
  previous: Y.Doc,
): Promise<SyncPeer> {
  // No token in the URL and nothing sent yet: the server says nothing until it gets the token
  // frame, so the old state is in place before its step 1 can arrive.
  const peer = await SyncPeer.connect(baseUrl, documentId, undefined, { passive: true });
  // Origin `peer`: restoring is not an edit, so it is not sent as an update of its own.
  Y.applyUpdate(peer.doc, Y.encodeStateAsUpdate(previous), peer);
  peer.ws.send(encodeToken(token));
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, MessageType.SYNC);
  syncProtocol.writeSyncStep1(e, peer.doc);
  peer.send(encoding.toUint8Array(e));
  return peer;
}
