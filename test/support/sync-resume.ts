import * as Y from 'yjs';
import { encodeSyncStep1, encodeToken } from '../../src/sync/protocol.ts';
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
  peer.send(encodeSyncStep1(Y.encodeStateVector(peer.doc)));
  return peer;
}
