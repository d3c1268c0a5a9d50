/**
 * An in-memory connection between a client and a room, after tldraw's TestSocketPair: frames
 * queue in each direction and move only when the test flushes them, so a test decides exactly
 * what each side has seen (e.g. "the edit is stored, but SAVED has not reached the client yet").
 *
 * `client` looks like a browser WebSocket (what src/client's SyncClient dials); `server` is the
 * room's SyncSocket (src/sync/ports.ts), whose `bufferedAmount` is what waits to be flushed.
 * `SocketPairs.WebSocket` is a WebSocket constructor that makes one pair per dial.
 */
import type { SyncSocket } from '../../src/sync/ports.ts';

type CloseInfo = { code: number; reason: string };

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 3;

/** The browser-facing end (only what SyncClient and y-websocket use). */
export class ClientEnd {
  readonly CONNECTING = CONNECTING;
  readonly OPEN = OPEN;
  readonly CLOSING = 2;
  readonly CLOSED = CLOSED;
  binaryType = 'arraybuffer';
  readyState = CONNECTING;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: ArrayBuffer }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  onclose: ((event: CloseInfo) => void) | null = null;
  private readonly pair: TestSocketPair;

  constructor(pair: TestSocketPair) {
    this.pair = pair;
  }

  send(data: Uint8Array | ArrayBuffer): void {
    if (this.readyState !== OPEN) throw new Error('send on a socket that is not open');
    this.pair.toServer.push(new Uint8Array(data instanceof ArrayBuffer ? data : data.slice()));
  }

  close(code = 1000, reason = ''): void {
    if (this.readyState === CLOSED) return;
    this.pair.disconnect({ code, reason }, 'client');
  }
}

/** The room-facing end. */
export class ServerEnd implements SyncSocket {
  private readonly pair: TestSocketPair;
  constructor(pair: TestSocketPair) {
    this.pair = pair;
  }
  get bufferedAmount(): number {
    return this.pair.toClient.reduce((n, f) => n + f.byteLength, 0);
  }
  send(frame: Uint8Array): void {
    if (this.pair.closed) throw new Error('send on a closed socket');
    this.pair.toClient.push(frame);
  }
  close(code: number, reason: string): void {
    // Frames already queued still reach the client, then the close: as on a real connection.
    this.pair.pendingClose ??= { code, reason };
  }
}

export class TestSocketPair {
  readonly client = new ClientEnd(this);
  readonly server = new ServerEnd(this);
  readonly toServer: Uint8Array[] = [];
  readonly toClient: Uint8Array[] = [];
  /** Set when the server closed: delivered to the client after the frames queued before it. */
  pendingClose: CloseInfo | undefined;
  closed: CloseInfo | undefined;
  /** What the server side does with each client frame, and when the client goes away. */
  onServerFrame: (frame: Uint8Array) => void = () => undefined;
  onServerClose: (close: CloseInfo) => void = () => undefined;

  /** Completes the handshake: the client's onopen runs. */
  open(): void {
    if (this.client.readyState !== CONNECTING) return;
    this.client.readyState = OPEN;
    this.client.onopen?.({});
  }

  /** Delivers what the client sent; returns how many frames. */
  flushClientToServer(): number {
    let n = 0;
    while (this.toServer.length > 0 && !this.closed) {
      this.onServerFrame(this.toServer.shift()!);
      n++;
    }
    return n;
  }

  /** Delivers what the server sent (and then its close, if any); returns how many frames. */
  flushServerToClient(): number {
    let n = 0;
    while (this.toClient.length > 0 && this.client.readyState === OPEN) {
      const frame = this.toClient.shift()!;
      const data = frame.buffer.slice(frame.byteOffset, frame.byteOffset + frame.byteLength) as ArrayBuffer;
      this.client.onmessage?.({ data });
      n++;
    }
    if (this.pendingClose && this.toClient.length === 0) this.disconnect(this.pendingClose, 'server');
    return n;
  }

  /** Flushes both ways until nothing moves (a round trip, or several). */
  flush(): number {
    let total = 0;
    for (;;) {
      const n = this.flushClientToServer() + this.flushServerToClient();
      if (n === 0) return total;
      total += n;
    }
  }

  disconnect(close: CloseInfo, by: 'client' | 'server'): void {
    if (this.closed) return;
    this.closed = close;
    this.toServer.length = 0;
    this.toClient.length = 0;
    this.client.readyState = CLOSED;
    this.onServerClose(close);
    if (by === 'server' || this.client.onclose) this.client.onclose?.(close);
  }
}

/** A WebSocket constructor for SyncClient: each dial makes a pair and hands it to `onDial`. */
export class SocketPairs {
  readonly pairs: TestSocketPair[] = [];
  readonly WebSocket: new (
    url: string,
  ) => ClientEnd;

  constructor(onDial: (pair: TestSocketPair, url: string) => void) {
    const pairs = this.pairs;
    this.WebSocket = class {
      constructor(url: string) {
        const pair = new TestSocketPair();
        pairs.push(pair);
        onDial(pair, url);
        // biome-ignore lint/correctness/noConstructorReturn: the dialled socket is the pair's client end
        return pair.client;
      }
    } as unknown as new (
      url: string,
    ) => ClientEnd;
  }

  get last(): TestSocketPair {
    const pair = this.pairs.at(-1);
    if (!pair) throw new Error('nothing dialled yet');
    return pair;
  }
}
