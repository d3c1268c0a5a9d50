/**
 * [S7.9] Viewers cost almost nothing, over real sockets (ws on 127.0.0.1) with the room on a fake
 * clock: in a room with many viewers they get their own lane — at most one merged frame per viewer
 * tick, however fast the editors type, while editors keep theirs — written as one shared,
 * pre-framed buffer (ws/shared-frames.ts); and a viewer whose send buffer is over the lag limit
 * gets no frames at all, then ONE merged catch-up once it drained, instead of the queue of frames.
 * The lag is injected (a backlog the test adds to the socket's real bufferedAmount), so the test
 * does not depend on how much the kernel buffers. Before S7.9 both failed: every viewer got every
 * editor broadcast, and a lagging viewer got every frame queued behind its backlog.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import * as decoding from 'lib0/decoding';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import { MemoryBus } from '../src/adapters/bus/memory-bus.ts';
import { MemorySeats } from '../src/adapters/seats/memory-seats.ts';
import { projectDocument } from '../src/content/projection.ts';
import { DEFAULT_CRDT_LIMITS } from '../src/sync/limits.ts';
import type { SyncSocket } from '../src/sync/ports.ts';
import { encodeAwareness, encodeSyncUpdate, MessageType, SyncStep } from '../src/sync/protocol.ts';
import type { Room } from '../src/sync/room.ts';
import { type RegistryOptions, RoomRegistry } from '../src/sync/rooms.ts';
import { Session } from '../src/sync/session.ts';
import { sendShared, sendSharedTogether } from '../src/ws/shared-frames.ts';
import { FakeClock } from './support/fake-clock.ts';
import { MemoryUpdateLog } from './support/memory-update-log.ts';
import { nextTurn, waitFor } from './support/wait.ts';

const VIEWER_TICK_MS = 200;
const LAG_BYTES = 10_000;
const BASE: RegistryOptions = {
  persistBatchMs: 0,
  sendBufferSoftBytes: 1_000_000,
  sendBufferHardBytes: 10_000_000,
  fullPresenceMax: 10_000,
  viewOnlyAbove: 10_000,
  maxAwarenessBytes: 4_096,
  broadcastBatchAbove: 5,
  broadcastTickMs: 20,
  presenceTickMs: 500,
  presenceSampleSize: 50,
  viewerPresence: false,
  crdt: DEFAULT_CRDT_LIMITS,
  roomGraceMs: 60_000,
  compactThreshold: 100_000,
  compactIdleMs: 0,
  viewerTickMs: VIEWER_TICK_MS,
  viewerTickAbove: 10,
  viewerLagBytes: LAG_BYTES,
};
const caughtUp: string[] = [];
const observer = {
  sent: () => undefined,
  received: () => undefined,
  propagated: () => undefined,
  persisted: () => undefined,
  persistFailed: () => undefined,
  presenceDropped: () => undefined,
  presenceStamped: () => undefined,
  tooSlow: () => undefined,
  viewerCatchUp: (event: string) => caughtUp.push(event),
};

/** A client socket that records the update frames the server sent and builds its text from them. */
class Client {
  readonly updates: Uint8Array[] = [];
  /** Presence states received, decoded into this client's own awareness. */
  readonly awareness = new awarenessProtocol.Awareness(new Y.Doc());
  readonly ws: WebSocket;
  constructor(ws: WebSocket) {
    this.ws = ws;
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data: Buffer) => {
      if (data[0] === MessageType.SYNC && data[1] === SyncStep.UPDATE) this.updates.push(new Uint8Array(data));
      if (data[0] === MessageType.AWARENESS) {
        const d = decoding.createDecoder(new Uint8Array(data));
        decoding.readVarUint(d);
        awarenessProtocol.applyAwarenessUpdate(this.awareness, decoding.readVarUint8Array(d), 'server');
      }
    });
  }
  text(): string {
    const doc = new Y.Doc();
    for (const f of this.updates) {
      const d = decoding.createDecoder(f);
      decoding.readVarUint(d);
      decoding.readVarUint(d);
      Y.applyUpdate(doc, decoding.readVarUint8Array(d));
    }
    return doc.getText('t').toString();
  }
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  caughtUp.length = 0;
});

/** A room on a fake clock behind a real ws server; each socket's bufferedAmount can be padded. */
/** Runs on every update frame the server sends: a test records or makes it "take" clock time. */
type OnUpdateSent = (session: Session, clock: FakeClock) => void;

async function serve(options: Partial<RegistryOptions>, onUpdateSent: OnUpdateSent = () => undefined) {
  const clock = new FakeClock();
  const log = new MemoryUpdateLog();
  log.createDocument('doc', 'ws');
  const registry = new RoomRegistry(
    { ...BASE, ...options },
    {
      log,
      bus: new MemoryBus(),
      seats: new MemorySeats({ ttlMs: 15_000, now: () => clock.now() }),
      observer,
      logger: pino({ level: 'silent' }),
      documentAccess: async () => 'editor',
      project: projectDocument,
      clock,
    },
  );
  const room: Room = (await registry.acquire('doc'))!;
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  cleanups.push(() => registry.close());
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const backlog = new Map<Session, number>();
  const sessions: Session[] = [];
  let nextAccess: 'edit' | 'read' = 'read';
  server.on('connection', (ws) => {
    let session: Session;
    const socket: SyncSocket = {
      send: (frame, shared) => {
        if (frame[0] === MessageType.SYNC && frame[1] === SyncStep.UPDATE) onUpdateSent(session, clock);
        return shared ? sendShared(ws, frame) : ws.send(frame);
      },
      sendTogether: (frames) => sendSharedTogether(ws, frames),
      get bufferedAmount() {
        return ws.bufferedAmount + (backlog.get(session) ?? 0);
      },
      close: (code, reason) => ws.close(code, reason),
    };
    session = new Session(socket, `u${sessions.length}`, nextAccess, Number.MAX_SAFE_INTEGER);
    sessions.push(session);
    room.join(session);
    ws.on('message', (data: Buffer) => room.receive(session, new Uint8Array(data)));
    ws.on('close', () => {
      session.closed = true;
      room.leave(session);
    });
  });
  const dial = async (access: 'edit' | 'read'): Promise<{ client: Client; session: Session }> => {
    nextAccess = access;
    const ws = new WebSocket(url);
    const client = new Client(ws);
    cleanups.push(() => ws.terminate());
    await once(ws, 'open');
    await waitFor('the session to join', () => sessions.length > 0 && room.sessions.has(sessions.at(-1)!));
    return { client, session: sessions.at(-1)! };
  };
  const typist = new Y.Doc();
  typist.clientID = 4242;
  let typistSession: Session | undefined;
  /** One edit by the typist, as its socket would deliver it. */
  const type = (text: string) => {
    const t = typist.getText('t');
    const before = Y.encodeStateVector(typist);
    t.insert(t.length, text);
    room.receive(typistSession!, encodeSyncUpdate(Y.encodeStateAsUpdate(typist, before)));
  };
  const useTypist = (s: Session) => {
    typistSession = s;
  };
  return { clock, room, dial, type, useTypist, backlog, full: () => typist.getText('t').toString() };
}

describe('[S7.9] viewer fan-out over real sockets', () => {
  it('[S7.9] viewers of a room with many viewers get one merged frame per viewer tick; editors keep their lane', async () => {
    const { clock, dial, type, useTypist, full } = await serve({ editorTickMs: 0 });
    const editors = [await dial('edit'), await dial('edit')];
    useTypist(editors[0]!.session);
    const viewers: { client: Client; session: Session }[] = [];
    for (let i = 0; i < 12; i++) viewers.push(await dial('read'));
    // Ten edits, 20 ms apart: the editors' lane (no editor tick here) sends each ...
    for (let i = 0; i < 10; i++) {
      type(`${i}`);
      await nextTurn();
      await clock.advance(20);
    }
    await clock.advance(VIEWER_TICK_MS);
    await waitFor('every viewer to hold every edit', () => viewers.every((v) => v.client.text() === full()));
    await waitFor('the other editor to hold every edit', () => editors[1]!.client.text() === full());
    const editorFrames = editors[1]!.client.updates.length;
    const viewerFrames = viewers.map((v) => v.client.updates.length);
    // ... the viewers' lane at most one per viewer tick: 200 ms of typing plus the last tick.
    expect(editorFrames).toBeGreaterThanOrEqual(8);
    expect(Math.max(...viewerFrames)).toBeLessThanOrEqual(3);
    // One merged frame for all viewers: byte for byte the same.
    for (const v of viewers) expect(v.client.updates).toEqual(viewers[0]!.client.updates);
  });

  it('[S7.9] editors of a room whose viewers have their own lane get at most one merged frame per editor tick, the first at once', async () => {
    const EDITOR_TICK_MS = 100;
    const { clock, dial, type, useTypist, full } = await serve({ editorTickMs: EDITOR_TICK_MS });
    const editors = [await dial('edit'), await dial('edit')];
    useTypist(editors[0]!.session);
    for (let i = 0; i < 12; i++) await dial('read');
    const other = editors[1]!.client;
    // The first edit after a quiet spell goes at once (the tick spaces broadcasts, it adds no wait) ...
    type('a');
    await waitFor('the first edit at the other editor', () => other.text() === 'a');
    // ... the next ten, 20 ms apart, go merged: one frame per editor tick, not one per edit
    // (before, every edit was its own frame: a transaction and a re-render in each editor's browser).
    for (let i = 0; i < 10; i++) {
      await clock.advance(20);
      type(`${i}`);
      await nextTurn();
    }
    await clock.advance(EDITOR_TICK_MS);
    await waitFor('the other editor to hold every edit', () => other.text() === full());
    expect(other.updates.length).toBeLessThanOrEqual(1 + Math.ceil(200 / EDITOR_TICK_MS) + 1);
  });

  it('[S7.9] the viewer tick spaces the starts of viewer broadcasts: one that took time is not followed by a whole tick of silence', async () => {
    const SEND_MS = 5;
    const starts: number[] = [];
    let firstViewer: Session | undefined;
    // Every update frame "takes" 5 ms of the room's clock: a broadcast to the 12 viewers lasts 60 ms.
    const { clock, dial, type, useTypist, full } = await serve({}, (session, c) => {
      if (session === firstViewer) starts.push(c.now());
      c.elapse(SEND_MS);
    });
    const editors = [await dial('edit'), await dial('edit')];
    useTypist(editors[0]!.session);
    const viewers: { client: Client; session: Session }[] = [];
    for (let i = 0; i < 12; i++) viewers.push(await dial('read'));
    firstViewer = viewers[0]!.session; // first in the viewers' lane: its frame marks a broadcast's start
    type('a');
    await nextTurn();
    type('b'); // arrives after the first viewer broadcast ended
    await nextTurn();
    await clock.advance(VIEWER_TICK_MS * 2);
    await waitFor('every viewer to hold every edit', () => viewers.every((v) => v.client.text() === full()));
    expect(starts).toHaveLength(2);
    // One tick from the first broadcast's START (not from its end: that would be 260 ms).
    expect(starts[1]! - starts[0]!).toBe(VIEWER_TICK_MS);
  });

  it("[S5.4][S7.9] a presence sample rides the viewers' next merged update: two messages in one write, both read whole by the client", async () => {
    const { clock, room, dial, type, useTypist, full } = await serve({ fullPresenceMax: 2, presenceTickMs: 50 });
    const editors = [await dial('edit'), await dial('edit')];
    useTypist(editors[0]!.session);
    const viewers: { client: Client; session: Session }[] = [];
    for (let i = 0; i < 12; i++) viewers.push(await dial('read'));
    type('a');
    await waitFor('the first viewer broadcast', () => viewers.every((v) => v.client.updates.length === 1));
    type('b'); // the viewers' lane waits for its tick (200 ms) ...
    const cursor = new awarenessProtocol.Awareness(new Y.Doc());
    cursor.setLocalState({ cursor: 7 });
    editors[1]!.client.ws.send(encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(cursor, [cursor.clientID])));
    await waitFor('the cursor applied in the room', () => room.awareness.getStates().has(cursor.clientID));
    await clock.advance(50); // ... the presence tick comes first: its sample waits for that broadcast
    for (const v of viewers) expect(v.client.awareness.getStates().has(cursor.clientID)).toBe(false);
    await clock.advance(VIEWER_TICK_MS);
    await waitFor('update and presence at every viewer', () =>
      viewers.every((v) => v.client.text() === full() && v.client.awareness.getStates().has(cursor.clientID)),
    );
    for (const v of viewers) {
      expect(v.client.updates).toHaveLength(2);
      expect(v.client.awareness.getStates().get(cursor.clientID)).toMatchObject({ cursor: 7 });
    }
  });

  it('[S7.9] a lagging viewer gets no frames, then one merged catch-up once its buffer drained', async () => {
    const { clock, dial, type, useTypist, backlog, full } = await serve({ broadcastBatchAbove: 1_000 });
    const editor = await dial('edit');
    useTypist(editor.session);
    const fine = await dial('read');
    const slow = await dial('read');
    type('before;');
    await waitFor(
      'the first edit at both viewers',
      () => slow.client.text() === 'before;' && fine.client.text() === 'before;',
    );
    backlog.set(slow.session, LAG_BYTES * 5); // its network stalls
    for (let i = 0; i < 20; i++) type(`e${i};`);
    await waitFor('the fine viewer to hold every edit', () => fine.client.text() === full());
    expect(slow.client.updates).toHaveLength(1); // nothing queued behind the backlog
    expect(caughtUp).toEqual(['lagging']);
    backlog.set(slow.session, 0); // drained
    await clock.advance(VIEWER_TICK_MS); // no edit comes: the recheck sends the catch-up
    await waitFor('the slow viewer to catch up', () => slow.client.text() === full());
    expect(slow.client.updates).toHaveLength(2); // one merged catch-up, not 20 frames
    expect(caughtUp).toEqual(['lagging', 'caught_up']);
    type('after;');
    await waitFor('live again', () => slow.client.text() === full());
    expect(fine.client.updates).toHaveLength(22);
  });
});
