/**
 * When a room asks for automatic versions and records who edited [V1], on a fake clock: after a
 * pause, during a long stretch of typing, at unload; only for local edits; and the edit records
 * written at most once per person per interval (plus the last one), never per keystroke.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { FakeClock } from '../../test/support/fake-clock.ts';
import { MemorySeats } from '../adapters/seats/memory-seats.ts';
import { DEFAULT_CRDT_LIMITS, type RoomLimits } from './limits.ts';
import { BUS, local } from './origin.ts';
import type { RoomObserver, SyncSocket } from './ports.ts';
import { Room } from './room.ts';
import { Session } from './session.ts';
import { Versioner, type VersionRecorder } from './versioning.ts';

const LIMITS: RoomLimits = {
  crdt: DEFAULT_CRDT_LIMITS,
  persistBatchMs: 0,
  sendBufferSoftBytes: 1_000_000,
  sendBufferHardBytes: 10_000_000,
  fullPresenceMax: 100,
  viewOnlyAbove: 1_000,
  maxAwarenessBytes: 4_096,
  broadcastBatchAbove: 1_000,
  broadcastTickMs: 10,
  presenceTickMs: 10,
  presenceSampleSize: 50,
  viewerPresence: false,
};
const OPTIONS = { idleMs: 1_000, intervalMs: 10_000, authorRecordMs: 500 };
const noop = () => undefined;
const observer: RoomObserver = {
  sent: noop,
  received: noop,
  propagated: noop,
  persisted: noop,
  persistFailed: noop,
  presenceDropped: noop,
  presenceStamped: noop,
  tooSlow: noop,
};
const socket: SyncSocket = { send: noop, bufferedAmount: 0, close: noop };

function setup() {
  const clock = new FakeClock();
  const versions: string[] = [];
  const authors: { users: string[]; clients: [number, string][] }[] = [];
  const recorder: VersionRecorder = {
    noteAuthors: async (_doc, users, clients) => {
      authors.push({ users, clients });
    },
    autoVersion: async (documentId) => {
      versions.push(documentId);
    },
  };
  const room = new Room('doc-1', 'ws-1', {
    limits: LIMITS,
    observer,
    append: async () => undefined,
    publish: noop,
    clock,
    seats: { ledger: new MemorySeats({ ttlMs: 15_000, now: () => clock.now() }), instanceId: 'here' },
  });
  const versioner = new Versioner(OPTIONS, { recorder, clock, logger: pino({ level: 'silent' }) });
  versioner.attach(room);
  const alice = new Session(socket, 'alice', 'edit', Number.MAX_SAFE_INTEGER);
  const bob = new Session(socket, 'bob', 'edit', Number.MAX_SAFE_INTEGER);
  const type = (who: Session | 'bus', text: string) =>
    Y.transact(room.doc, () => room.doc.getText('t').insert(0, text), who === 'bus' ? BUS : local(who));
  return { clock, room, versioner, versions, authors, alice, bob, type };
}

describe('automatic versions of an open room [V1]', () => {
  it('asks for a version once typing pauses, naming who typed and their client ids', async () => {
    const { clock, room, versions, authors, alice, bob, type } = setup();
    type(alice, 'a');
    await clock.advance(600);
    type(bob, 'b');
    await clock.advance(999);
    expect(versions).toEqual([]);
    await clock.advance(1);
    expect(versions).toEqual(['doc-1']);
    const users = authors.flatMap((a) => a.users);
    expect(new Set(users)).toEqual(new Set(['alice', 'bob']));
    expect(authors.flatMap((a) => a.clients)).toEqual([[room.doc.clientID, 'alice']]);
    // Nothing typed since: no second version.
    await clock.advance(5_000);
    expect(versions).toHaveLength(1);
  });

  it('asks for one every interval while typing never pauses', async () => {
    const { clock, versions, alice, type } = setup();
    for (let t = 0; t <= 10_000; t += 500) {
      type(alice, 'x');
      await clock.advance(500);
    }
    expect(versions).toHaveLength(1);
  });

  it('ignores changes that did not come from this instance’s clients', async () => {
    const { clock, versions, authors, type } = setup();
    type('bus', 'from another instance');
    await clock.advance(5_000);
    expect(versions).toEqual([]);
    expect(authors).toEqual([]);
  });

  it('records a person at most once per interval, and their last edit after it', async () => {
    const { clock, versioner, room, authors, alice, type } = setup();
    for (let i = 0; i < 20; i++) {
      type(alice, 'k');
      await clock.advance(10);
    }
    // The first edit at once, then one trailing record when the 500 ms interval ends.
    expect(authors.flatMap((a) => a.users)).toEqual(['alice']);
    await clock.advance(500);
    expect(authors.flatMap((a) => a.users)).toEqual(['alice', 'alice']);
    versioner.forget(room);
  });

  it('takes a version at unload when something was typed since the last one, not otherwise', async () => {
    const { clock, versioner, room, versions, alice, type } = setup();
    await versioner.final(room);
    expect(versions).toEqual([]);
    type(alice, 'late');
    await clock.advance(10);
    await versioner.final(room);
    expect(versions).toEqual(['doc-1']);
    versioner.forget(room);
    room.destroy();
  });
});
