/**
 * A lean test client for `/sync/:documentId` over `ws`: a Y.Doc kept in step with the server by
 * the standard protocol, plus a record of every extension message and the close code. Waits on
 * events with timeouts (no sleeps).
 */
import { once } from 'node:events';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import WebSocket from 'ws';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import {
  carriesUpdate,
  decodeServerMessage,
  encodeAwareness,
  encodeSyncStep1,
  encodeSyncUpdate,
  encodeToken,
  MessageType,
  type ServerMessage,
} from '../../src/sync/protocol.ts';

export type PeerOptions = {
  /** Send the token as the first frame instead of in the URL. */
  tokenInFrame?: boolean;
  /** Skip the automatic sync step 1 (to inspect exactly what the server sends). */
  passive?: boolean;
  awareness?: boolean;
};

export class SyncPeer {
  readonly doc = new Y.Doc();
  readonly awareness: awarenessProtocol.Awareness;
  readonly ws: WebSocket;
  readonly received: Uint8Array[] = [];
  readonly messages: ServerMessage[] = [];
  sentUpdateFrames = 0;
  saved = 0;
  synced = false;
  closed: { code: number; reason: string } | undefined;
  private readonly waiters = new Set<() => void>();

  private constructor(ws: WebSocket, opts: PeerOptions) {
    this.ws = ws;
    this.awareness = new awarenessProtocol.Awareness(this.doc);
    if (!opts.awareness) this.awareness.setLocalState(null);
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data: Buffer) => this.onFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)));
    ws.on('close', (code: number, reason: Buffer) => {
      this.closed = { code, reason: reason.toString() };
      this.notify();
    });
    ws.on('error', () => undefined);
    this.doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin === this) return;
      this.send(encodeSyncUpdate(update));
    });
    this.awareness.on('update', ({ added, updated, removed }: Record<string, number[]>, origin: unknown) => {
      if (origin === this) return;
      const changed = [...added!, ...updated!, ...removed!];
      this.send(encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, changed)));
    });
  }

  static async connect(
    baseUrl: string,
    documentId: string,
    token: string | undefined,
    opts: PeerOptions = {},
  ): Promise<SyncPeer> {
    const wsUrl = `${baseUrl.replace(/^http/, 'ws')}/sync/${documentId}${token && !opts.tokenInFrame ? `?token=${encodeURIComponent(token)}` : ''}`;
    const ws = new WebSocket(wsUrl);
    const peer = new SyncPeer(ws, opts);
    await once(ws, 'open');
    if (token && opts.tokenInFrame) ws.send(encodeToken(token));
    if (!opts.passive) {
      peer.send(encodeSyncStep1(Y.encodeStateVector(peer.doc)));
    }
    return peer;
  }

  send(frame: Uint8Array): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (carriesUpdate(frame)) this.sentUpdateFrames++;
    this.ws.send(frame);
  }

  private onFrame(frame: Uint8Array): void {
    this.received.push(frame);
    const d = decoding.createDecoder(frame);
    const type = decoding.readVarUint(d);
    if (type === MessageType.SYNC) {
      const e = encoding.createEncoder();
      encoding.writeVarUint(e, MessageType.SYNC);
      const step = syncProtocol.readSyncMessage(d, e, this.doc, this);
      if (step === syncProtocol.messageYjsSyncStep2) this.synced = true;
      if (encoding.length(e) > 1) this.send(encoding.toUint8Array(e));
    } else if (type === MessageType.AWARENESS) {
      awarenessProtocol.applyAwarenessUpdate(this.awareness, decoding.readVarUint8Array(d), this);
    } else {
      const m = decodeServerMessage(frame);
      if (m) {
        this.messages.push(m);
        if (m.type === 'saved') this.saved = m.count;
      }
    }
    this.notify();
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Resolves when `predicate` holds (checked after every frame and on close). */
  async until(predicate: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
    if (predicate()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const check = () => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }

  untilSynced(timeoutMs?: number): Promise<void> {
    return this.until(() => this.synced, timeoutMs, 'sync step 2');
  }

  /** Everything sent so far is acknowledged as durable. */
  async untilSaved(timeoutMs?: number): Promise<void> {
    const want = this.sentUpdateFrames;
    await this.until(() => this.saved >= want || this.closed !== undefined, timeoutMs, `SAVED ${want}`);
    // A close ends the wait with its code, instead of a timeout that hides why.
    if (this.saved < want) {
      throw new Error(`closed (${this.closed?.code} ${this.closed?.reason}) while waiting for SAVED ${want}`);
    }
  }

  untilClosed(timeoutMs?: number): Promise<{ code: number; reason: string }> {
    return this.until(() => this.closed !== undefined, timeoutMs, 'close').then(() => this.closed!);
  }

  text(name = 'text'): string {
    return this.doc.getText(name).toString();
  }

  type(text: string, name = 'text'): void {
    const t = this.doc.getText(name);
    t.insert(t.length, text);
  }

  close(): void {
    this.awareness.destroy();
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(1000);
  }
}

/**
 * After a server process died: each closed peer is replaced by a new connection of the same
 * client (`connect`), which re-sends its unacknowledged tail; waits until each resumed one saw it
 * saved. Open peers are kept as they are.
 */
export async function resumeClosedPeers(
  peers: SyncPeer[],
  connect: (closed: SyncPeer) => Promise<SyncPeer>,
  timeoutMs: number,
): Promise<SyncPeer[]> {
  const next: SyncPeer[] = [];
  for (const p of peers) {
    if (!p.closed) {
      next.push(p);
      continue;
    }
    const resumed = await connect(p);
    await resumed.untilSaved(timeoutMs);
    p.close();
    next.push(resumed);
  }
  return next;
}
