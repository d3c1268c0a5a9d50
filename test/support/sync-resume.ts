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

/**
 * Opens a socket like a reconnecting client — resuming `previous`'s document when given — retried
 * with linear backoff until it syncs (the server it lands on may still be starting or draining).
 */
export async function connectRetrying(
  baseUrl: string,
  documentId: string,
  token: string,
  previous: SyncPeer | undefined,
  opts: { attempts: number; backoffMs: number; via: string },
): Promise<SyncPeer> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= opts.attempts; attempt++) {
    let p: SyncPeer | undefined;
    try {
      p = previous
        ? await resumePeer(baseUrl, documentId, token, previous.doc)
        : await SyncPeer.connect(baseUrl, documentId, token);
      await p.untilSynced();
      return p;
    } catch (err) {
      lastError = err;
      p?.close();
      await new Promise((r) => setTimeout(r, opts.backoffMs * attempt));
    }
  }
  throw new Error(`could not reconnect ${opts.via}: ${String(lastError)}`);
}
