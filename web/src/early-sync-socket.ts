/**
 * The document's WebSocket to /sync, dialled by the entry script on a cold open of `/d/:id` before
 * any editor code has arrived; the session's SyncClient takes it over (editor/adopted-socket.ts)
 * instead of dialling its own. On this 2-core class of machine the handshake, the TOKEN frame's
 * check and the server's first sync used to start only once the editor's ~600 KB of JavaScript had
 * been evaluated, and then waited on a main thread busy building the editor (bench:web's traces,
 * docs/benchmarks.md): ~300 ms of a cold open. Dialled here, all of that happens while the chunks
 * download, and the document's state is waiting in memory when the session starts.
 *
 * It sends what the session's first frames would be: TOKEN, and, when this device holds no copy of
 * the document (so the session's Y.Doc starts empty), sync step 1 with the empty state vector. The
 * session's own copies of exactly those frames are then not sent again. Frames are hand-encoded
 * (src/sync/protocol.ts `encodeToken`, y-protocols' step 1) so the entry carries no lib0; a unit
 * test checks them byte for byte. A socket nobody takes is closed after a while.
 */
import { localStoreName, peekLocalDatabaseNames } from './local-databases.ts';

/** An untaken socket (the page never got as far as the session) is closed after this. */
const UNTAKEN_MS = 30_000;
const TOKEN_TYPE = 100; // MessageType.TOKEN
/** MessageType.SYNC, step 1, a one-byte state vector: no clients. What an empty Y.Doc sends. */
export const EMPTY_SYNC_STEP1 = Uint8Array.of(0, 0, 1, 0);

export type EarlySyncSocket = {
  socket: WebSocket;
  /** Frames already sent, in order: the session's identical ones are not sent again. */
  sent: Uint8Array<ArrayBuffer>[];
  /** What the server said before the session took over, in order. */
  received: MessageEvent[];
};

type Pending = EarlySyncSocket & { url: string; userId: string; timer: ReturnType<typeof setTimeout> };
let pending: Pending | undefined;

function writeVarUint(out: number[], n: number): void {
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

/** TOKEN frame: the type, then the token as a lib0 var-string (length-prefixed UTF-8). */
export function tokenFrame(token: string): Uint8Array<ArrayBuffer> {
  const utf8 = new TextEncoder().encode(token);
  const out = [TOKEN_TYPE];
  writeVarUint(out, utf8.length);
  return Uint8Array.from([...out, ...utf8]);
}

/** The sync endpoint for a document, as the SyncClient's provider builds it. */
export function syncSocketUrl(documentId: string): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/sync/${encodeURIComponent(documentId)}`;
}

/**
 * Dials the document's socket now; `token` is the access token the session would send. Does
 * nothing offline or where there is no WebSocket.
 */
export function dialEarlySyncSocket(userId: string, documentId: string, token: Promise<string>): void {
  token.catch(() => undefined); // the session asks again and reports a failure
  if (typeof WebSocket === 'undefined' || !navigator.onLine) return;
  if (pending) release(pending);
  const url = syncSocketUrl(documentId);
  const socket = new WebSocket(url);
  socket.binaryType = 'arraybuffer';
  performance.mark('collab-docs:sync-socket-dialled');
  const entry: Pending = {
    url,
    userId,
    socket,
    sent: [],
    received: [],
    timer: setTimeout(() => release(entry), UNTAKEN_MS),
  };
  pending = entry;
  const names = peekLocalDatabaseNames();
  const send = (frame: Uint8Array<ArrayBuffer>) => {
    // Taken meanwhile: the session sends its own frames from now on.
    if (pending !== entry || socket.readyState !== WebSocket.OPEN) return;
    socket.send(frame);
    entry.sent.push(frame);
  };
  socket.onopen = () => {
    token.then(
      async (t) => {
        send(tokenFrame(t));
        // Only an empty document may ask for everything: a local copy is loaded first and asks for less.
        const present = names ? await names.then((list) => list.includes(localStoreName(userId, documentId))) : true;
        if (!present) send(EMPTY_SYNC_STEP1);
      },
      () => release(entry), // no token: the session reports it
    );
  };
  socket.onmessage = (event: MessageEvent) => entry.received.push(event);
  // Closed before anyone took it (refused, network): the session dials afresh and hears why itself.
  socket.onclose = () => release(entry);
}

/** The early socket for this address and person, once; undefined when there is none (or it closed). */
export function takeEarlySyncSocket(url: string, userId: string): EarlySyncSocket | undefined {
  const entry = pending;
  if (!entry || entry.url !== url || entry.userId !== userId || entry.socket.readyState > WebSocket.OPEN) return;
  clearTimeout(entry.timer);
  pending = undefined;
  const { socket } = entry;
  socket.onopen = null;
  socket.onmessage = null;
  socket.onclose = null;
  return { socket, sent: entry.sent, received: entry.received };
}

function release(entry: Pending): void {
  if (pending !== entry) return;
  pending = undefined;
  clearTimeout(entry.timer);
  entry.socket.onclose = null;
  if (entry.socket.readyState === WebSocket.CONNECTING) {
    entry.socket.addEventListener('open', () => entry.socket.close(), { once: true });
  } else {
    entry.socket.close();
  }
}
