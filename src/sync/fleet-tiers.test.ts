/**
 * [S5.6] Fleet-wide tiers on a fake clock: two registries (two "instances") share one bus and one
 * seat ledger, as two processes share Redis. The editor cap counts editors on every instance,
 * viewers never demote editors, a seat freed on one instance goes to the first in line on the
 * other, and a dead instance's seats free after the ledger's TTL.
 */
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.ts';
import { MemoryUpdateLog } from '../../test/support/memory-update-log.ts';
import { nextTurn, waitFor } from '../../test/support/wait.ts';
import { MemoryBus } from '../adapters/bus/memory-bus.ts';
import { MemorySeats } from '../adapters/seats/memory-seats.ts';
import { projectDocument } from '../content/projection.ts';
import { DEFAULT_CRDT_LIMITS } from './limits.ts';
import type { SyncSocket } from './ports.ts';
import { type Access, decodeServerMessage, type RoomStatus, type ServerMessage } from './protocol.ts';
import type { Room } from './room.ts';
import { type RegistryOptions, RoomRegistry } from './rooms.ts';
import { Session } from './session.ts';

const TTL_MS = 3_000;
const REPORT_MS = 500;
const OPTIONS: RegistryOptions = {
  persistBatchMs: 0,
  sendBufferSoftBytes: 1_000_000,
  sendBufferHardBytes: 10_000_000,
  fullPresenceMax: 1_000,
  viewOnlyAbove: 2,
  maxAwarenessBytes: 4_096,
  broadcastBatchAbove: 1_000,
  broadcastTickMs: 20,
  presenceTickMs: 500,
  presenceSampleSize: 50,
  viewerPresence: false,
  crdt: DEFAULT_CRDT_LIMITS,
  roomGraceMs: 60_000,
  compactThreshold: 100_000,
  compactIdleMs: 0,
  fleetHotAbove: 50,
  fleetReportMs: REPORT_MS,
  fleetTtlMs: TTL_MS,
};
const observer = {
  sent: () => undefined,
  received: () => undefined,
  propagated: () => undefined,
  persisted: () => undefined,
  persistFailed: () => undefined,
  presenceDropped: () => undefined,
  presenceStamped: () => undefined,
  tooSlow: () => undefined,
};

class FakeSocket implements SyncSocket {
  readonly frames: Uint8Array[] = [];
  bufferedAmount = 0;
  send(frame: Uint8Array): void {
    this.frames.push(frame);
  }
  close(): void {
    // The sessions in these tests leave explicitly.
  }
  messages(): ServerMessage[] {
    return this.frames.map(decodeServerMessage).filter((m): m is ServerMessage => m !== undefined);
  }
  lastStatus(): RoomStatus | undefined {
    return this.messages()
      .flatMap((m) => (m.type === 'room-status' ? [m.status] : []))
      .at(-1);
  }
}

type Person = { session: Session; socket: FakeSocket; room: Room };

const registries: RoomRegistry[] = [];
afterEach(async () => {
  await Promise.all(registries.splice(0).map((r) => r.close()));
});

/** Two instances on one bus, one seat ledger and one log; one document. */
async function fleet() {
  const clock = new FakeClock();
  const log = new MemoryUpdateLog();
  log.createDocument('doc', 'ws');
  const bus = new MemoryBus();
  const seats = new MemorySeats({ ttlMs: TTL_MS, now: () => clock.now() });
  const make = () => {
    const registry = new RoomRegistry(OPTIONS, {
      log,
      bus,
      seats,
      observer,
      logger: pino({ level: 'silent' }),
      documentAccess: async () => 'editor',
      project: projectDocument,
      clock,
    });
    registries.push(registry);
    return registry;
  };
  const [a, b] = [make(), make()];
  const join = async (registry: RoomRegistry, user: string, rights: Access = 'edit'): Promise<Person> => {
    const room = (await registry.acquire('doc'))!;
    const socket = new FakeSocket();
    const session = new Session(socket, user, await room.admit(rights), Number.MAX_SAFE_INTEGER);
    room.join(session, rights);
    return { session, socket, room };
  };
  const leave = (p: Person) => {
    p.session.closed = true;
    p.room.leave(p.session);
  };
  return { clock, a, b, join, leave, seats };
}

describe('[S5.6] fleet-wide tiers', () => {
  it('[S5.6] the editor cap counts the editors of every instance; newcomers over it wait wherever they join', async () => {
    const { a, b, join } = await fleet();
    const onA = await join(a, 'a1');
    const onB = await join(b, 'b1');
    expect([onA.session.access, onB.session.access]).toEqual(['edit', 'edit']);
    // Each instance holds one editor: per instance nobody would be over the cap of 2.
    const lateA = await join(a, 'late-a');
    const lateB = await join(b, 'late-b');
    expect([lateA.session.access, lateB.session.access]).toEqual(['read', 'read']);
    expect(lateA.room.statusFor(lateA.session)).toMatchObject({ mode: 'view-only', editors: 2, waiting: true });
    expect(lateB.room.statusFor(lateB.session)).toMatchObject({ editors: 2, waitlist: 2, waiting: true });
  });

  it('[S5.6] a seat freed on one instance goes live to the first in line on the other, not to a later waiter', async () => {
    const { clock, a, b, join, leave } = await fleet();
    const editorA = await join(a, 'ea');
    await join(b, 'eb');
    const firstOnB = await join(b, 'w1');
    const secondOnA = await join(a, 'w2');
    expect([firstOnB.session.access, secondOnA.session.access]).toEqual(['read', 'read']);

    leave(editorA); // freed on A, where w2 waits; w1 on B waited longer
    await waitFor('the seat to reach the first in line on B', () => firstOnB.session.access === 'edit');
    expect(secondOnA.session.access).toBe('read');
    expect(firstOnB.socket.messages()).toContainEqual({
      type: 'access-changed',
      change: { access: 'edit', reason: 'an editing seat freed up' },
    });
    expect(firstOnB.room.statusFor(firstOnB.session)).toMatchObject({ access: 'edit', editors: 2, waiting: false });
    // A heard the line change on its next report (its room has a waiter, so it reports).
    await clock.advance(REPORT_MS);
    await waitFor('A to count one waiter', () => secondOnA.room.statusFor(secondOnA.session).waitlist === 1);
    expect(secondOnA.room.statusFor(secondOnA.session)).toMatchObject({ waiting: true, editors: 2 });
  });

  it('[S5.6] viewers on any instance never demote people with edit rights; hot rooms publish their viewers', async () => {
    const { clock, a, b, join } = await fleet();
    for (let i = 0; i < 60; i++) await join(b, `viewer${i}`, 'read');
    const owner = await join(a, 'owner');
    expect(owner.session.access).toBe('edit');
    // B's room is hot (60 ≥ 50): it reports its viewers and tells the document's instances, so A
    // (whose room alone has no fleet business) refreshes its view at once.
    await clock.advance(REPORT_MS);
    await waitFor('the viewers of B counted on A', () => owner.room.statusFor(owner.session).viewers === 60);
    expect(owner.room.statusFor(owner.session)).toMatchObject({ mode: 'full', editors: 1, viewers: 60 });
    expect((await join(a, 'second-editor')).session.access).toBe('edit');
  });

  it('[S5.6] an instance that dies keeps no seats: after the TTL the first in line elsewhere gets one', async () => {
    const { clock, a, b, join, seats } = await fleet();
    await join(a, 'ea1');
    await join(a, 'ea2');
    const waiter = await join(b, 'wb');
    expect(waiter.session.access).toBe('read');
    // A stops answering (kill -9): no heartbeat, no calls; its seats stay in the ledger until the TTL.
    await a.close(); // closes A's rooms; ...
    await seats.heartbeat(a.instanceId); // ... then, as a crash would, leaves A's entries behind
    await seats.report('doc', a.instanceId, { viewers: 0, editors: 2 });
    await clock.advance(REPORT_MS);
    await nextTurn();
    expect(waiter.session.access).toBe('read');
    await clock.advance(TTL_MS);
    await waitFor('the waiter on B to be seated once A expired', () => waiter.session.access === 'edit');
    expect(waiter.room.statusFor(waiter.session)).toMatchObject({ editors: 1, waitlist: 0 });
  });
});
