/**
 * [S5.7] The rolling broadcast over real sockets: a big room's lane cycles over its sockets one
 * chunk per turn, and each chunk is written everything that arrived until it is written. An
 * update that arrives half-way through a cycle reaches that cycle's remaining chunks (in the same
 * frame as what they were owed) and the first chunks in the next cycle, so every socket has it
 * within ONE cycle of writes. Before (a broadcast of a snapshot), it waited for the broadcast in
 * progress to end, a pause, and its socket's turn in the next broadcast: the last chunks got two
 * frames and the first ones got it more than a cycle later.
 *
 * ws on 127.0.0.1 carries the frames; the room runs on a fake clock and every server-side send
 * "takes" SEND_COST_MS of it (a real write's kernel cost, scaled up), so a cycle has a length on
 * that clock. The second update is injected between the second and third chunks (a setImmediate
 * queued during the second chunk's writes runs before the lane's next chunk): deterministic.
 */

import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import * as decoding from 'lib0/decoding';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import * as Y from 'yjs';
import { MemoryBus } from '../src/adapters/bus/memory-bus.ts';
import { MemorySeats } from '../src/adapters/seats/memory-seats.ts';
import { projectDocument } from '../src/content/projection.ts';
import type { SyncSocket } from '../src/sync/ports.ts';
import { encodeSyncUpdate, MessageType, SyncStep } from '../src/sync/protocol.ts';
import type { Room } from '../src/sync/room.ts';
import { RoomRegistry } from '../src/sync/rooms.ts';
import { Session } from '../src/sync/session.ts';
import { FakeClock } from './support/fake-clock.ts';
import { MemoryUpdateLog } from './support/memory-update-log.ts';
import { registryOptions, silentObserver } from './support/sync-registry.ts';
import { waitFor } from './support/wait.ts';

const SOCKETS = 200;
const CHUNK = 50;
const SEND_COST_MS = 0.2;
const TICK_MS = 20;
const TYPIST_CLIENT = 4_242;

const OPTIONS = registryOptions({
  broadcastBatchAbove: 10,
  broadcastTickMs: TICK_MS,
  broadcastChunkSockets: CHUNK,
  presenceTickMs: TICK_MS,
});
const observer = silentObserver;

/** An update frame the server wrote to socket `index` at clock time `at`: which of the typist's keystrokes it held. */
type Written = { index: number; at: number; from: number; to: number };

function keystrokes(frame: Uint8Array): { from: number; to: number } | undefined {
  if (frame[0] !== MessageType.SYNC || frame[1] !== SyncStep.UPDATE) return undefined;
  const d = decoding.createDecoder(frame);
  decoding.readVarUint(d);
  decoding.readVarUint(d);
  const meta = Y.parseUpdateMeta(decoding.readVarUint8Array(d));
  return { from: meta.from.get(TYPIST_CLIENT) ?? 0, to: meta.to.get(TYPIST_CLIENT) ?? 0 };
}

describe('[S5.7] rolling broadcast over real sockets', () => {
  const clock = new FakeClock();
  const log = new MemoryUpdateLog();
  let registry: RoomRegistry;
  let room: Room;
  let server: WebSocketServer;
  const clients: { ws: WebSocket; texts: Y.Doc }[] = [];
  const sessions: Session[] = [];
  const written: Written[] = [];
  /** Called at each server-side write (the test's hook into the middle of a cycle). */
  let onWrite: ((index: number) => void) | undefined;

  beforeAll(async () => {
    log.createDocument('hot', 'ws');
    registry = new RoomRegistry(OPTIONS, {
      log,
      bus: new MemoryBus(),
      seats: new MemorySeats({ ttlMs: 15_000, now: () => clock.now() }),
      observer,
      logger: pino({ level: 'silent' }),
      documentAccess: async () => 'editor',
      project: projectDocument,
      clock,
    });
    room = (await registry.acquire('hot'))!;
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(server, 'listening');
    server.on('connection', (ws) => {
      const index = sessions.length;
      const record = (frame: Uint8Array) => {
        const k = keystrokes(frame);
        if (k) written.push({ index, at: clock.now(), ...k });
        onWrite?.(index);
        clock.elapse(SEND_COST_MS);
      };
      const socket: SyncSocket = {
        send: (frame) => {
          record(frame);
          ws.send(frame);
        },
        get bufferedAmount() {
          return ws.bufferedAmount;
        },
        close: (code, reason) => ws.close(code, reason),
      };
      const session = new Session(socket, `u${index}`, 'edit', Number.MAX_SAFE_INTEGER);
      sessions.push(session);
      room.join(session);
      ws.on('message', (data: Buffer) => room.receive(session, new Uint8Array(data)));
      ws.on('close', () => {
        session.closed = true;
        room.leave(session);
      });
    });
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (let i = 0; i < SOCKETS; i++) {
      const ws = new WebSocket(url);
      const texts = new Y.Doc();
      ws.binaryType = 'nodebuffer';
      ws.on('message', (data: Buffer) => {
        const f = new Uint8Array(data);
        if (f[0] !== MessageType.SYNC || f[1] !== SyncStep.UPDATE) return;
        const d = decoding.createDecoder(f);
        decoding.readVarUint(d);
        decoding.readVarUint(d);
        Y.applyUpdate(texts, decoding.readVarUint8Array(d));
      });
      await once(ws, 'open');
      clients.push({ ws, texts });
    }
    await waitFor('every socket in the room', () => room.sessions.size === SOCKETS);
  }, 120_000);

  afterAll(async () => {
    for (const c of clients) c.ws.terminate();
    server?.close();
    await registry?.close();
  });

  it('[S5.7] an update arriving half-way through a cycle reaches its remaining chunks, and every socket within one cycle', async () => {
    const typist = new Y.Doc();
    typist.clientID = TYPIST_CLIENT;
    const text = typist.getText('t');
    text.insert(0, 'a');
    const first = Y.encodeStateAsUpdate(typist);
    const sv = Y.encodeStateVector(typist);
    text.insert(1, 'b');
    const second = Y.encodeStateAsUpdate(typist, sv);

    let injectedAt = 0;
    onWrite = (index) => {
      // The first write to the second chunk: 'b' arrives before the third chunk is written.
      if (index !== CHUNK || injectedAt > 0) return;
      injectedAt = -1;
      setImmediate(() => {
        injectedAt = clock.now();
        room.receive(sessions[0]!, encodeSyncUpdate(second));
      });
    };
    clients[0]!.ws.send(encodeSyncUpdate(first)); // from the first socket, over the wire
    // The clock moves only while no write happens (a pause the lane waits for): a cycle in
    // progress is measured by its writes alone.
    let seen = -1;
    await waitFor(
      'every socket to hold both keystrokes',
      async () => {
        if (written.length === seen) await clock.advance(TICK_MS);
        seen = written.length;
        return clients.slice(1).every((c) => c.texts.getText('t').toString() === 'ab');
      },
      60_000,
    );
    onWrite = undefined;
    expect(injectedAt).toBeGreaterThan(0);

    const byIndex = (i: number) => written.filter((w) => w.index === i);
    // The sockets of the chunks after the injection got ONE frame holding both keystrokes.
    for (let i = 2 * CHUNK; i < SOCKETS; i++) {
      expect(byIndex(i).map((w) => [w.from, w.to])).toEqual([[0, 2]]);
    }
    // Every socket but the sender got 'b' within one cycle of writes after it arrived.
    const cycle = SOCKETS * SEND_COST_MS;
    for (let i = 1; i < SOCKETS; i++) {
      const b = byIndex(i).find((w) => w.to === 2);
      expect(b, `socket ${i}`).toBeDefined();
      expect(b!.at - injectedAt, `socket ${i}`).toBeLessThanOrEqual(cycle);
    }
    // The sender was written neither keystroke back (a window of its own updates only).
    expect(byIndex(0)).toEqual([]);
  }, 120_000);
});
