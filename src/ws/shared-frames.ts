/**
 * One WebSocket frame for many sockets [S7.9]: a broadcast hands the same update frame to
 * thousands of sockets, and `ws.send` frames it again for each one (a Buffer view, an options
 * object, a header, cork, two writes, uncork). Here the frame (header + payload, one Buffer) is
 * built once per payload and written straight to each socket's stream: one write per socket.
 *
 * Hand-rolled on ws internals (`_socket`, `_sender._state`, `_sender._queue`) because ws has no
 * public API for it; safe while the sender is idle (no compression — perMessageDeflate is off on
 * this endpoint — and nothing queued), otherwise it falls back to `ws.send`. The socket's
 * `bufferedAmount` still counts these bytes (it reads the stream's buffer). ws is pinned in
 * package-lock; test/sync-viewer-fanout.test.ts sends through it over real sockets and fails if an
 * upgrade changes what this relies on.
 */
import * as wsModule from 'ws';
import { WebSocket } from 'ws';

/** Payload → its complete binary frame; entries go with their payload (a broadcast's frame is garbage after it). */
const framed = new WeakMap<Uint8Array, Buffer>();

/** ws's frame builder (a named export of ws's ESM entry; not in @types/ws). */
const Sender = (
  wsModule as unknown as {
    Sender: {
      frame(
        data: Buffer,
        options: { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean },
      ): Buffer[];
    };
  }
).Sender;

type WsInternals = {
  _socket?: { write(chunk: Buffer): boolean; destroyed?: boolean };
  _sender?: { _state: number; _queue: unknown[] };
};

/** The complete frame (FIN, binary opcode, unmasked as a server's are) for a payload. */
export function frameOf(payload: Uint8Array): Buffer {
  let frame = framed.get(payload);
  if (!frame) {
    const data = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    const parts = Sender.frame(data, { fin: true, opcode: 2, mask: false, readOnly: false, rsv1: false });
    frame = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    framed.set(payload, frame);
  }
  return frame;
}

/** Several payloads' frames back to back, built once per list (a broadcast's chunk). */
const together = new WeakMap<readonly Uint8Array[], Buffer>();

/** The socket to write frames to directly, or undefined when ws itself must send (see the header). */
function idleSocket(ws: WebSocket): NonNullable<WsInternals['_socket']> | undefined {
  const internals = ws as unknown as WsInternals;
  const socket = internals._socket;
  const sender = internals._sender;
  if (
    ws.readyState !== WebSocket.OPEN ||
    !socket ||
    socket.destroyed ||
    !sender ||
    sender._state !== 0 ||
    sender._queue.length > 0
  ) {
    return undefined;
  }
  return socket;
}

/** Sends `payload` to `ws` as the one shared frame, or through `ws.send` when that is not safe. */
export function sendShared(ws: WebSocket, payload: Uint8Array): void {
  const socket = idleSocket(ws);
  if (socket) socket.write(frameOf(payload));
  else ws.send(payload);
}

/**
 * Sends every payload as its own message, in one write to the socket (a broadcast's update and
 * the presence riding it: the kernel's per-write cost, not the bytes, is what a broadcast pays).
 */
export function sendSharedTogether(ws: WebSocket, payloads: readonly Uint8Array[]): void {
  const socket = idleSocket(ws);
  if (!socket) {
    for (const p of payloads) ws.send(p);
    return;
  }
  let frames = together.get(payloads);
  if (!frames) {
    frames = Buffer.concat(payloads.map(frameOf));
    together.set(payloads, frames);
  }
  socket.write(frames);
}
