/**
 * The real sync client (src/client/sync-client.ts, the stock y-websocket provider inside) against
 * a real room (src/sync) with nothing in between but TestSocketPair: frames move only when the
 * test flushes them and time only when the fake clock advances, so every step of "typed → sent →
 * applied → stored → SAVED → saved" is observed in order, without a network or a sleep.
 */

import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { MemoryBus } from '../src/adapters/bus/memory-bus.ts';
import { MemorySeats } from '../src/adapters/seats/memory-seats.ts';
import { SyncClient } from '../src/client/sync-client.ts';
import { projectDocument } from '../src/content/projection.ts';
import { CloseCode, ProtocolError } from '../src/sync/close-codes.ts';
import { MessageType } from '../src/sync/protocol.ts';
import type { Room } from '../src/sync/room.ts';
import { RoomRegistry } from '../src/sync/rooms.ts';
import { Session } from '../src/sync/session.ts';
import { FakeClock } from './support/fake-clock.ts';
import { MemoryUpdateLog } from './support/memory-update-log.ts';
import { registryOptions, silentObserver } from './support/sync-registry.ts';
import { SocketPairs, type TestSocketPair } from './support/sync-socket-pair.ts';
import { waitFor } from './support/wait.ts';

const BATCH_MS = 20;
const OPTIONS = registryOptions({
  persistBatchMs: BATCH_MS,
  fullPresenceMax: 100,
  viewOnlyAbove: 1_000,
  roomGraceMs: 1_000,
  compactThreshold: 1_000,
});
const observer = silentObserver;

/** What src/ws/sync-endpoint.ts does, minus the network: TOKEN first (the user id here), then frames to the room. */
function serve(pair: TestSocketPair, room: Room, registry: RoomRegistry): void {
  let session: Session | undefined;
  pair.onServerFrame = (frame) => {
    if (!session) {
      if (frame[0] !== MessageType.TOKEN) return pair.server.close(CloseCode.UNAUTHORIZED, 'token must come first');
      const userId = new TextDecoder().decode(frame.subarray(2));
      session = new Session(pair.server, userId, 'edit', Number.MAX_SAFE_INTEGER);
      room.join(session);
      return;
    }
    try {
      room.receive(session, frame);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      session.close(err.code, err.message);
    }
  };
  pair.onServerClose = () => {
    if (!session) return;
    session.closed = true;
    room.leave(session);
    registry.release(room);
  };
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup() {
  const clock = new FakeClock();
  const log = new MemoryUpdateLog();
  log.createDocument('doc', 'ws');
  const registry = new RoomRegistry(OPTIONS, {
    log,
    bus: new MemoryBus(),
    seats: new MemorySeats({ ttlMs: 15_000, now: () => clock.now() }),
    observer,
    logger: pino({ level: 'silent' }),
    documentAccess: async () => 'editor',
    project: projectDocument,
    clock,
  });
  cleanups.push(() => registry.close());
  const room = (await registry.acquire('doc'))!;
  const pairs = new SocketPairs((pair) => serve(pair, room, registry));
  /** A connected, synced client for `userId`. */
  const client = async (userId: string) => {
    const doc = new Y.Doc();
    const before = pairs.pairs.length;
    const c = new SyncClient({
      url: 'ws://sync.test/sync',
      documentId: 'doc',
      doc,
      getToken: () => userId,
      WebSocket: pairs.WebSocket,
      crossTab: false,
    });
    cleanups.push(() => {
      c.destroy();
      doc.destroy();
    });
    await waitFor('the client to dial', () => pairs.pairs.length > before);
    const pair = pairs.last;
    pair.open();
    pair.flush();
    expect(c.status.synced).toBe(true);
    return { c, doc, pair };
  };
  return { clock, log, registry, room, client };
}

describe('SyncClient ↔ Room over a socket pair that delivers only when flushed', () => {
  it('[S3.2] the client reports saved only once SAVED for a stored update has reached it', async () => {
    const { clock, log, room, client } = await setup();
    const { c, doc, pair } = await client('ada');
    expect(c.status.saved).toBe(true);

    doc.getText('t').insert(0, 'hello');
    expect(c.status).toMatchObject({ saved: false, pendingChanges: 1 });
    expect(pair.toServer).toHaveLength(1); // sent, not delivered

    pair.flushClientToServer();
    expect(room.doc.getText('t').toString()).toBe('hello'); // applied…
    await clock.advance(BATCH_MS - 1);
    expect(log.document('doc')!.rows).toBe(0); // …but not yet stored: the batch window is open

    await clock.advance(1);
    await waitFor('SAVED to be queued for the client', () => pair.toClient.length > 0);
    expect(log.document('doc')!.rows).toBe(1);
    expect(c.status.saved).toBe(false); // stored, but the client has not heard it

    pair.flushServerToClient();
    expect(c.status).toMatchObject({ saved: true, pendingChanges: 0 });
  });

  it('[S1.1] two clients converge through the room, each seeing the other only after its flush', async () => {
    const { client } = await setup();
    const a = await client('ada');
    const b = await client('bob');
    a.doc.getText('t').insert(0, 'from a ');
    b.doc.getText('t').insert(0, 'from b ');
    a.pair.flushClientToServer();
    expect(b.doc.getText('t').toString()).toBe('from b '); // queued for b, not delivered
    b.pair.flush();
    a.pair.flush();
    expect(a.doc.getText('t').toString()).toBe(b.doc.getText('t').toString());
    expect(a.doc.getText('t').length).toBe('from a from b '.length);
  });
});
