/**
 * The WebSocket constructor a session hands its SyncClient: the first dial of the address the entry
 * script already dialled (early-sync-socket.ts) takes that socket over instead of opening a second
 * one. To the SyncClient's gate it looks like a socket that opens now: its first frames (TOKEN,
 * sync step 1) are not sent again when the entry sent the same bytes, and what the server said in
 * the meantime (room status, its sync step 1, the document's state) arrives right after `onopen`,
 * in order, as if it had just come in. Every other dial is the given constructor's.
 */
import type { WebSocketConstructor } from '../../../src/client/sync-client.ts';
import { type EarlySyncSocket, takeEarlySyncSocket } from '../early-sync-socket.ts';

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((byte, i) => byte === b[i]);

class AdoptedSocket {
  binaryType = 'arraybuffer';
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: unknown) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;
  private opened = false;
  private readonly socket: WebSocket;
  /** The entry's frames, in order, not yet matched by the session's. */
  private readonly alreadySent: Uint8Array[];
  private readonly heard: MessageEvent[];

  constructor(early: EarlySyncSocket) {
    this.socket = early.socket;
    this.alreadySent = [...early.sent];
    this.heard = early.received;
    const socket = this.socket;
    socket.onmessage = (event) => {
      if (this.opened) this.onmessage?.(event);
      else this.heard.push(event);
    };
    socket.onerror = (event) => this.onerror?.(event);
    socket.onclose = (event) => this.onclose?.(event);
    // Open already: say so once the gate has set its handlers (it does right after constructing).
    if (socket.readyState === WebSocket.OPEN) queueMicrotask(() => this.open());
    else socket.onopen = () => this.open();
  }

  get readyState(): number {
    return this.opened || this.socket.readyState > WebSocket.OPEN ? this.socket.readyState : WebSocket.CONNECTING;
  }

  send(frame: Uint8Array): void {
    // The session's first frames, as the entry already sent them: the server has them once.
    const next = this.alreadySent[0];
    if (next && sameBytes(next, frame)) {
      this.alreadySent.shift();
      return;
    }
    this.alreadySent.length = 0;
    this.socket.send(frame as Uint8Array<ArrayBuffer>); // the SyncClient's frames are never shared memory
  }

  close(code?: number, reason?: string): void {
    // As deferred-close-websocket.ts: closing mid-handshake waits for the open (no console error).
    if (this.socket.readyState === WebSocket.CONNECTING) {
      this.socket.addEventListener('open', () => this.socket.close(code, reason), { once: true });
      return;
    }
    this.socket.close(code, reason);
  }

  private open(): void {
    if (this.opened || this.socket.readyState !== WebSocket.OPEN) return;
    this.opened = true;
    this.onopen?.({ type: 'open' });
    for (const event of this.heard.splice(0)) this.onmessage?.(event);
  }
}

/** `Dial` for every connection, except the first one to an address the entry dialled for this person. */
export function adoptingWebSocket(userId: string, Dial: WebSocketConstructor): WebSocketConstructor {
  return function AdoptOrDial(url: string, protocols?: string | string[]) {
    const early = takeEarlySyncSocket(url, userId);
    return early ? new AdoptedSocket(early) : new Dial(url, protocols);
  } as unknown as WebSocketConstructor;
}
