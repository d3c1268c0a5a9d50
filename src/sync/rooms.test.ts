/**
 * RoomRegistry and Room without a network: fake sockets that record frames, the in-process bus,
 * the in-memory update log and a fake clock (ticks, grace periods and retries pass when a test
 * advances it). Waits on conditions with timeouts (test/support/wait.ts), never fixed sleeps.
 */

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import { FakeClock } from '../../test/support/fake-clock.ts';
import { MemoryUpdateLog } from '../../test/support/memory-update-log.ts';
import { nextTurn, waitFor } from '../../test/support/wait.ts';
import { MemoryBus } from '../adapters/bus/memory-bus.ts';
import { MemorySeats } from '../adapters/seats/memory-seats.ts';
import { projectDocument } from '../content/projection.ts';
import type { DocumentAccess } from '../domain/roles.ts';
import { CloseCode, ProtocolError } from './close-codes.ts';
import { DEFAULT_CRDT_LIMITS } from './limits.ts';
import type { CompactedDocument, RoomBus, RoomObserver, StoredDocument, SyncSocket, UpdateLog } from './ports.ts';
import {
  type Access,
  decodeServerMessage,
  encodeAwareness,
  encodeSyncStep1,
  encodeSyncUpdate,
  MessageType,
  type ServerMessage,
  SyncStep,
} from './protocol.ts';
import type { Room } from './room.ts';
import { type RegistryDeps, type RegistryOptions, RoomRegistry, WorkspaceOverBudget } from './rooms.ts';
import { Session } from './session.ts';

const WORKSPACE = 'ws-1';
const TOKEN_LIFETIME_S = 3_600;

/** Generous limits: each test narrows the ones it is about. */
const DEFAULTS: RegistryOptions = {
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
  crdt: DEFAULT_CRDT_LIMITS,
  roomGraceMs: 10_000,
  compactThreshold: 1_000,
  compactIdleMs: 0,
};

// ---------------------------------------------------------------------------------------------
// Fakes and helpers

const isFanout = (f: Uint8Array) =>
  f[0] === MessageType.AWARENESS || (f[0] === MessageType.SYNC && f[1] === SyncStep.UPDATE);

/** A socket that records every frame; `bufferedAmount` is whatever the test sets. */
class FakeSocket implements SyncSocket {
  readonly frames: Uint8Array[] = [];
  bufferedAmount = 0;
  closed: { code: number; reason: string } | undefined;
  /** Runs on every send: a test makes sends "take" clock time with it. */
  onSend: ((frame: Uint8Array) => void) | undefined;
  /** Writes to the transport carrying an update or presence (a frame alone, or several together). */
  writes = 0;
  send(frame: Uint8Array): void {
    if (this.closed) throw new Error('send on a closed socket');
    if (isFanout(frame)) this.writes++;
    this.frames.push(frame);
    this.onSend?.(frame);
  }
  sendTogether(frames: readonly Uint8Array[]): void {
    if (this.closed) throw new Error('send on a closed socket');
    if (frames.some(isFanout)) this.writes++;
    for (const f of frames) {
      this.frames.push(f);
      this.onSend?.(f);
    }
  }
  close(code: number, reason: string): void {
    this.closed ??= { code, reason };
  }
  /** Payloads of live update frames (not the sync step 2 answer), in order. */
  updates(): Uint8Array[] {
    return this.frames.filter((f) => f[0] === MessageType.SYNC && f[1] === SyncStep.UPDATE).map(syncPayload);
  }
  /** Payloads of every content-carrying sync frame (step 2 and updates), in order. */
  content(): Uint8Array[] {
    return this.frames.filter((f) => f[0] === MessageType.SYNC && f[1] !== SyncStep.STEP1).map(syncPayload);
  }
  /** Number of states in each awareness frame, in order. */
  awarenessStates(): number[] {
    return this.frames.filter((f) => f[0] === MessageType.AWARENESS).map(awarenessStateCount);
  }
  messages(): ServerMessage[] {
    return this.frames.map(decodeServerMessage).filter((m): m is ServerMessage => m !== undefined);
  }
}

/** Hands out bus subscriptions and publishes, counted (the real MemoryBus does the delivery). */
class CountingBus implements RoomBus {
  readonly published: Uint8Array[] = [];
  subscriptions = 0;
  private readonly inner: MemoryBus;
  constructor(inner: MemoryBus) {
    this.inner = inner;
  }
  publishBytes(channel: string, payload: Uint8Array): Promise<void> {
    this.published.push(new Uint8Array(payload));
    return this.inner.publishBytes(channel, payload);
  }
  async subscribeBytes(channel: string, handler: (payload: Uint8Array) => void): Promise<() => Promise<void>> {
    const unsubscribe = await this.inner.subscribeBytes(channel, handler);
    this.subscriptions++;
    let done = false;
    return async () => {
      if (!done) this.subscriptions--;
      done = true;
      await unsubscribe();
    };
  }
  onResync(listener: () => void): void {
    this.inner.onResync(listener);
  }
}

type Gate = { promise: Promise<void>; open(): void };
function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** The memory log with call counts and optional gates in front of load and compact. */
class InstrumentedLog implements UpdateLog {
  readonly inner = new MemoryUpdateLog();
  loads = 0;
  /** Documents in the order their loads started. */
  readonly loadOrder: string[] = [];
  appends = 0;
  compactions = 0;
  loadGate: Gate | undefined;
  compactGate: Gate | undefined;
  appendGate: Gate | undefined;
  async load(documentId: string): Promise<StoredDocument | null> {
    this.loads++;
    this.loadOrder.push(documentId);
    await this.loadGate?.promise;
    return this.inner.load(documentId);
  }
  async append(documentId: string, update: Uint8Array): Promise<void> {
    this.appends++;
    await this.appendGate?.promise;
    await this.inner.append(documentId, update);
  }
  async compact(documentId: string, merge: (s: StoredDocument) => CompactedDocument): Promise<number | null> {
    this.compactions++;
    await this.compactGate?.promise;
    return this.inner.compact(documentId, merge);
  }
  pendingRows(documentId: string): Promise<number> {
    return this.inner.pendingRows(documentId);
  }
}

/** What the permission check answers: an access level, null (document gone) or a failure. */
type AccessAnswer = DocumentAccess | null | Error;

type Instance = {
  registry: RoomRegistry;
  log: InstrumentedLog;
  bus: CountingBus;
  observer: Observer;
  clock: FakeClock;
};

/** Counts what backpressure did; everything else is ignored. */
type Observer = RoomObserver & { tooSlowCount: number; presenceDroppedCount: number };
function observer(): Observer {
  const o = {
    tooSlowCount: 0,
    presenceDroppedCount: 0,
    sent: () => undefined,
    received: () => undefined,
    propagated: () => undefined,
    persisted: () => undefined,
    persistFailed: () => undefined,
    presenceDropped: () => {
      o.presenceDroppedCount++;
    },
    presenceStamped: () => undefined,
    tooSlow: () => {
      o.tooSlowCount++;
    },
  };
  return o;
}

const silent = pino({ level: 'silent' });
const registries: RoomRegistry[] = [];
const clients: Client[] = [];

/** Access answers by `${userId}:${documentId}`; editor by default. */
const accessTable = new Map<string, AccessAnswer>();
async function documentAccess(userId: string, documentId: string): Promise<DocumentAccess | null> {
  const key = `${userId}:${documentId}`;
  const a = accessTable.has(key) ? (accessTable.get(key) as AccessAnswer) : 'editor';
  if (a instanceof Error) throw a;
  return a;
}

function instance(
  opts: Partial<RegistryOptions> = {},
  shared: {
    log?: InstrumentedLog;
    bus?: MemoryBus;
    project?: RegistryDeps['project'];
    cpuBudget?: RegistryDeps['cpuBudget'];
    seats?: RegistryDeps['seats'];
  } = {},
): Instance {
  const log = shared.log ?? new InstrumentedLog();
  const bus = new CountingBus(shared.bus ?? new MemoryBus());
  const obs = observer();
  const clock = new FakeClock();
  const registry = new RoomRegistry(
    { ...DEFAULTS, ...opts },
    {
      log,
      bus,
      observer: obs,
      logger: silent,
      documentAccess,
      project: shared.project ?? projectDocument,
      clock,
      cpuBudget: shared.cpuBudget,
      workspaceOf: async (id) => log.inner.document(id)?.workspaceId ?? null,
      seats: shared.seats ?? new MemorySeats({ ttlMs: 15_000, now: () => clock.now() }),
    },
  );
  registries.push(registry);
  return { registry, log, bus, observer: obs, clock };
}

let docCounter = 0;
function newDocument(log: InstrumentedLog, workspaceId = WORKSPACE): string {
  const id = `doc-${++docCounter}`;
  log.inner.createDocument(id, workspaceId);
  return id;
}

/** One connection as the transport would make it: a session in a room, a client-side Y.Doc and presence. */
class Client {
  readonly doc = new Y.Doc();
  readonly awareness = new awarenessProtocol.Awareness(this.doc);
  readonly socket = new FakeSocket();
  readonly session: Session;
  readonly room: Room;
  private readonly registry: RoomRegistry;
  private applied = 0;

  /** `admitted`: what room.admit() answered for `rights` (the person's rights). */
  constructor(registry: RoomRegistry, room: Room, userId: string, rights: Access, admitted: Access) {
    this.registry = registry;
    this.room = room;
    this.session = new Session(this.socket, userId, admitted, Date.now() / 1000 + TOKEN_LIFETIME_S);
    this.awareness.setLocalState(null);
    this.doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin !== 'server') this.room.receive(this.session, encodeSyncUpdate(update));
    });
    this.awareness.on('update', (c: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => {
      if (origin === 'server') return;
      const update = awarenessProtocol.encodeAwarenessUpdate(this.awareness, [...c.added, ...c.updated, ...c.removed]);
      this.room.receive(this.session, encodeAwareness(update));
    });
    room.join(this.session, rights);
    // Sync step 1, as every client sends on connect; the step 2 answer is applied right away.
    this.room.receive(this.session, encodeSyncStep1(Y.encodeStateVector(this.doc)));
    this.catchUp();
  }

  type(text: string, name = 't'): void {
    const t = this.doc.getText(name);
    t.insert(t.length, text);
  }

  /** Applies every update frame received since the last call to the client's doc. */
  catchUp(): this {
    const updates = this.socket.content();
    for (const u of updates.slice(this.applied)) Y.applyUpdate(this.doc, u, 'server');
    this.applied = updates.length;
    return this;
  }

  text(name = 't'): string {
    return this.catchUp().doc.getText(name).toString();
  }

  saved(): number {
    let n = 0;
    for (const m of this.socket.messages()) if (m.type === 'saved') n = Math.max(n, m.count);
    return n;
  }

  /** What the transport does when the socket closes. */
  leave(): void {
    this.awareness.destroy();
    this.session.closed = true;
    this.room.leave(this.session);
    this.registry.release(this.room);
  }
}

async function connect(registry: RoomRegistry, documentId: string, userId = 'owner', access: Access = 'edit') {
  const room = await registry.acquire(documentId);
  if (!room) throw new Error(`no room for ${documentId}`);
  const c = new Client(registry, room, userId, access, await room.admit(access));
  clients.push(c);
  return c;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.awareness.destroy();
  await Promise.all(registries.splice(0).map((r) => r.close()));
  accessTable.clear();
});

function syncPayload(frame: Uint8Array): Uint8Array {
  const d = decoding.createDecoder(frame);
  decoding.readVarUint(d);
  decoding.readVarUint(d);
  return decoding.readVarUint8Array(d);
}

function awarenessStateCount(frame: Uint8Array): number {
  const d = decoding.createDecoder(frame);
  decoding.readVarUint(d);
  return decoding.readVarUint(decoding.createDecoder(decoding.readVarUint8Array(d)));
}

/** A bus payload as RoomRegistry publishes it: the sender's instance id, then the frame. */
function busPayload(instanceId: string, frame: Uint8Array): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarString(e, instanceId);
  encoding.writeUint8Array(e, frame);
  return encoding.toUint8Array(e);
}

function textUpdate(text: string, clientID: number): Uint8Array {
  const doc = new Y.Doc();
  doc.clientID = clientID;
  doc.getText('t').insert(0, text);
  return Y.encodeStateAsUpdate(doc);
}

function textOf(state: Uint8Array | null, updates: Uint8Array[] = []): string {
  const doc = new Y.Doc();
  if (state) Y.applyUpdate(doc, state);
  for (const u of updates) Y.applyUpdate(doc, u);
  return doc.getText('t').toString();
}

// ---------------------------------------------------------------------------------------------

describe('RoomRegistry: loading and unloading rooms', () => {
  it('[S5.1] concurrent acquire() calls share one load and nobody gets the room before it loaded', async () => {
    const { registry, log, bus } = instance();
    const id = newDocument(log);
    await log.inner.append(id, textUpdate('stored', 1));
    log.loadGate = gate();
    const seenAtResolution: string[] = [];
    const pending = Array.from({ length: 5 }, () =>
      registry.acquire(id).then((room) => {
        seenAtResolution.push(room!.doc.getText('t').toString());
        return room;
      }),
    );
    await nextTurn();
    await nextTurn();
    expect(log.loads).toBe(1);
    expect(seenAtResolution).toEqual([]);
    expect(registry.peek(id)).toBeUndefined();
    log.loadGate.open();
    const rooms = await Promise.all(pending);
    expect(new Set(rooms).size).toBe(1);
    expect(seenAtResolution).toEqual(Array(5).fill('stored'));
    expect(log.loads).toBe(1);
    expect(bus.subscriptions).toBe(1);
    expect(registry.roomCount).toBe(1);
  });

  it('[S5.1] a missing document gives null and leaves no room or subscription behind', async () => {
    const { registry, bus } = instance();
    expect(await registry.acquire('never-created')).toBeNull();
    expect(registry.roomCount).toBe(0);
    expect(bus.subscriptions).toBe(0);
  });

  it('[S5.2] keeps an empty room warm for the grace period: a quick reconnect gets the same room', async () => {
    const { registry, log, clock } = instance({ roomGraceMs: 200 });
    const id = newDocument(log);
    const a = await connect(registry, id);
    a.leave();
    await clock.advance(199);
    const b = await connect(registry, id);
    expect(b.room).toBe(a.room);
    expect(log.loads).toBe(1);
  });

  it('[S5.2] after the grace period: the batch is written, the log compacted, the bus unsubscribed, the doc destroyed', async () => {
    // A long batch window: only the unload can have written the update.
    const { registry, log, bus, clock } = instance({ roomGraceMs: 20, persistBatchMs: 60_000 });
    const id = newDocument(log);
    await log.inner.append(id, textUpdate('stored ', 7));
    const c = await connect(registry, id);
    c.type('typed');
    const room = c.room;
    expect(log.appends).toBe(0);
    c.leave();
    await clock.advance(19);
    expect(registry.peek(id)).toBe(room);
    await clock.advance(1);
    await waitFor('unload', () => registry.peek(id) === undefined);
    expect(log.appends).toBe(1);
    expect(log.compactions).toBe(1);
    const stored = log.inner.document(id)!;
    expect(stored.rows).toBe(0);
    expect(stored.stateClock).toBe(1);
    expect(textOf(stored.state)).toBe('stored typed');
    expect(bus.subscriptions).toBe(0);
    expect(room.doc.isDestroyed).toBe(true);
    expect(room.awareness.getStates().size).toBe(0);
    expect(registry.roomCount).toBe(0);
  });

  it('[S5.2] a connection arriving during the unload waits for it and gets a fresh room with all content', async () => {
    const { registry, log, bus } = instance({ roomGraceMs: 0, persistBatchMs: 60_000 });
    const id = newDocument(log);
    const first = await connect(registry, id);
    first.type('hello');
    log.compactGate = gate();
    first.leave();
    await waitFor('unload to reach compaction', () => log.compactions === 1);
    let resolved = false;
    const acquiring = registry.acquire(id).then((room) => {
      resolved = true;
      return room;
    });
    await nextTurn();
    expect(resolved).toBe(false);
    log.compactGate.open();
    const room = await acquiring;
    expect(room).not.toBe(first.room);
    expect(first.room.doc.isDestroyed).toBe(true);
    expect(room!.doc.getText('t').toString()).toBe('hello');
    expect(bus.subscriptions).toBe(1);
    expect(registry.peek(id)).toBe(room);
  });

  it('[S4.1] compacts once the log passes the threshold after a batch, and at load', async () => {
    const { registry, log } = instance({ compactThreshold: 3 });
    const id = newDocument(log);
    const c = await connect(registry, id);
    const frag = c.doc.getXmlFragment('default');
    for (const word of ['one', 'two', 'three']) {
      const p = new Y.XmlElement('paragraph');
      p.insert(0, [new Y.XmlText(word)]);
      frag.insert(frag.length, [p]);
      const frames = c.session.received;
      await waitFor(`SAVED ${frames}`, () => c.saved() >= frames);
    }
    await waitFor('compaction', () => log.inner.document(id)!.stateClock === 1);
    expect(log.inner.document(id)!.rows).toBe(0);
    expect(log.inner.document(id)!.text).toMatch(/one[\s\S]*two[\s\S]*three/);
    expect(log.inner.document(id)!.content).toMatchObject({ type: 'doc' });

    const other = newDocument(log);
    for (let i = 0; i < 3; i++) await log.inner.append(other, textUpdate(`${i}`, 10 + i));
    await connect(registry, other);
    await waitFor('compaction at load', () => log.inner.document(other)!.stateClock === 1);
    expect(log.inner.document(other)!.rows).toBe(0);
    expect(textOf(log.inner.document(other)!.state)).toHaveLength(3);
  });

  it('[S4.3] compacts an open document once edits pause, so search sees text typed into it', async () => {
    const { registry, log, clock } = instance({ compactIdleMs: 30 });
    const id = newDocument(log);
    const c = await connect(registry, id);
    const frag = c.doc.getXmlFragment('default');
    const p = new Y.XmlElement('paragraph');
    p.insert(0, [new Y.XmlText('searchable')]);
    frag.insert(0, [p]);
    await waitFor('SAVED', () => c.saved() >= c.session.received);
    await clock.advance(29);
    expect(log.compactions).toBe(0);
    await clock.advance(1);
    await waitFor('idle compaction', () => log.inner.document(id)!.stateClock === 1);
    expect(log.inner.document(id)!.text).toContain('searchable');
    expect(log.inner.document(id)!.rows).toBe(0);
    // The room is still open and in use: nothing was unloaded.
    expect(registry.peek(id)).toBe(c.room);
  });
});

describe('RoomRegistry: room loads under tenant limits', () => {
  /** Records charges; a workspace in `over` is past its burst. */
  const budget = () => {
    const charged = new Map<string, number>();
    const over = new Set<string>();
    return {
      charged,
      over,
      crdtOver: (workspaceId: string) => over.has(workspaceId),
      chargeCrdt: (workspaceId: string, ms: number) => charged.set(workspaceId, (charged.get(workspaceId) ?? 0) + ms),
    };
  };

  it('[S11.8] applying a loaded document is charged to its workspace; a workspace past its burst loads nothing', async () => {
    const cpu = budget();
    const { registry, log, bus } = instance({}, { cpuBudget: cpu });
    const cheap = newDocument(log, 'ws-a');
    for (let i = 0; i < 300; i++) await log.inner.append(cheap, textUpdate(`row ${i} `, 1_000 + i));
    await connect(registry, cheap);
    expect(cpu.charged.get('ws-a')).toBeGreaterThan(0);

    const refused = newDocument(log, 'ws-b');
    await log.inner.append(refused, textUpdate('stored', 1));
    cpu.over.add('ws-b');
    const subscriptions = bus.subscriptions;
    await expect(registry.acquire(refused)).rejects.toBeInstanceOf(WorkspaceOverBudget);
    // Nothing held for it: no room, no bus subscription, no charge.
    expect(registry.peek(refused)).toBeUndefined();
    expect(bus.subscriptions).toBe(subscriptions);
    expect(cpu.charged.has('ws-b')).toBe(false);
    // Once its budget recovers it loads as usual.
    cpu.over.delete('ws-b');
    expect((await registry.acquire(refused))?.doc.getText('t').toString()).toBe('stored');
  });

  it('[S11.9] at most SYNC_MAX_CONCURRENT_LOADS loads run at once; the rest wait their turn and all load', async () => {
    const { registry, log } = instance({ maxConcurrentLoads: 2 });
    const ids = Array.from({ length: 5 }, (_, i) => newDocument(log, `ws-${i % 2}`));
    for (const id of ids) await log.inner.append(id, textUpdate(id, 1));
    log.loadGate = gate();
    const pending = ids.map((id) => registry.acquire(id));
    for (let i = 0; i < 5; i++) await nextTurn();
    expect(log.loads).toBe(2);
    log.loadGate.open();
    const rooms = await Promise.all(pending);
    expect(rooms.map((r) => r?.doc.getText('t').toString())).toEqual(ids);
    expect(log.loads).toBe(5);
  });

  it('[S11.9] loads queue fairly per workspace: a tenant opening many cold documents leaves a reserved slot, another loads at once', async () => {
    const { registry, log } = instance({ maxConcurrentLoads: 2 });
    const noisy = Array.from({ length: 6 }, () => newDocument(log, 'ws-noisy'));
    const quiet = newDocument(log, 'ws-quiet');
    for (const id of [...noisy, quiet]) await log.inner.append(id, textUpdate(id, 1));
    log.loadGate = gate();
    const pending = [...noisy, quiet].map((id) => registry.acquire(id));
    for (let i = 0; i < 5; i++) await nextTurn();
    // One slot for the noisy workspace (two less the reserved one), the other for the quiet one at once.
    expect(log.loadOrder).toEqual([noisy[0], quiet]);
    log.loadGate.open();
    const rooms = await Promise.all(pending);
    expect(rooms.map((r) => r?.doc.getText('t').toString())).toEqual([...noisy, quiet]);
    expect(log.loads).toBe(7);
  });
});

describe('RoomRegistry: compaction when the projection fails', () => {
  it('[S4.2] a document the projection cannot read is still compacted, with empty projections', async () => {
    const { registry, log } = instance(
      { compactThreshold: 1 },
      {
        project: () => {
          throw new Error('unreadable content');
        },
      },
    );
    const id = newDocument(log);
    const c = await connect(registry, id);
    c.type('kept');
    await waitFor('SAVED', () => c.saved() >= c.session.received);
    await waitFor('compaction', () => log.inner.document(id)!.stateClock === 1);
    const stored = log.inner.document(id)!;
    expect(stored.rows).toBe(0);
    expect(textOf(stored.state)).toBe('kept');
    expect(stored).toMatchObject({ content: null, text: '' });
  });
});

describe('Room: sessions', () => {
  it('[S5.3] leaving removes the session from the room, its presence and the ack queue', async () => {
    const { registry, log } = instance({ persistBatchMs: 60_000 });
    const id = newDocument(log);
    const a = await connect(registry, id, 'ada');
    const b = await connect(registry, id, 'bob');
    a.awareness.setLocalState({ user: 'ada' });
    a.type('pending');
    const room = a.room;
    expect(room.awareness.getStates().has(a.doc.clientID)).toBe(true);
    // biome-ignore lint/complexity/useLiteralKeys: reading the queue's private map is the point of this check
    const acks = room.persist['acks'] as Map<unknown, number>;
    expect(acks.has(a.session)).toBe(true);
    a.leave();
    expect(room.sessions.has(a.session)).toBe(false);
    expect(room.awareness.getStates().has(a.doc.clientID)).toBe(false);
    expect(acks.has(a.session)).toBe(false);
    expect(a.session.awarenessClients.size).toBe(0);
    // Bob saw the presence come and go.
    for (const f of b.socket.frames.filter((x) => x[0] === MessageType.AWARENESS)) {
      const d = decoding.createDecoder(f);
      decoding.readVarUint(d);
      awarenessProtocol.applyAwarenessUpdate(b.awareness, decoding.readVarUint8Array(d), 'server');
    }
    expect(b.awareness.getStates().has(a.doc.clientID)).toBe(false);
    expect(room.statusFor(b.session).connections).toBe(1);
  });

  it('[S2.6] a connection cannot change presence it did not introduce; a reconnect of the same user takes it over', async () => {
    const { registry, log } = instance();
    const id = newDocument(log);
    const ada = await connect(registry, id, 'ada');
    const mallory = await connect(registry, id, 'mallory');
    ada.awareness.setLocalState({ cursor: 'ada' });
    const adaId = ada.doc.clientID;
    /** An awareness update for Ada's client id, newer than hers, carrying `state`. */
    const forged = (state: Record<string, string>): Uint8Array => {
      const doc = new Y.Doc();
      doc.clientID = adaId;
      const a = new awarenessProtocol.Awareness(doc);
      for (let i = 0; i < 10; i++) a.setLocalState({ ...state, i });
      const update = awarenessProtocol.encodeAwarenessUpdate(a, [adaId]);
      a.destroy();
      return update;
    };
    mallory.room.receive(mallory.session, encodeAwareness(forged({ cursor: 'mallory' })));
    expect(ada.room.awareness.getStates().get(adaId)).toMatchObject({ cursor: 'ada' });
    expect(mallory.session.awarenessClients.has(adaId)).toBe(false);

    const adaAgain = await connect(registry, id, 'ada');
    adaAgain.room.receive(adaAgain.session, encodeAwareness(forged({ cursor: 'ada, reconnected' })));
    expect(ada.room.awareness.getStates().get(adaId)).toMatchObject({ cursor: 'ada, reconnected' });
  });

  it('[S2.7] stamps the authenticated user id and display name into presence; other fields pass through', async () => {
    const { registry, log } = instance();
    const id = newDocument(log);
    const bob = await connect(registry, id, 'bob');
    const room = bob.room;
    const socket = new FakeSocket();
    const ada = new Session(socket, 'ada-id', await room.admit('edit'), Number.MAX_SAFE_INTEGER, 'Ada Lovelace');
    room.join(ada);
    const send = (state: unknown, clientId = 77) => {
      const doc = new Y.Doc();
      doc.clientID = clientId;
      const a = new awarenessProtocol.Awareness(doc);
      a.setLocalState(state as Record<string, unknown>);
      const update = awarenessProtocol.encodeAwarenessUpdate(a, [clientId]);
      a.destroy();
      room.receive(ada, encodeAwareness(update));
    };
    // A state that lies about who it is: corrected, its colour and cursor kept.
    send({ user: { id: 'bob', name: 'Bob', color: '#123456' }, cursor: { anchor: 1 } });
    expect(room.awareness.getStates().get(77)).toEqual({
      user: { id: 'ada-id', name: 'Ada Lovelace', color: '#123456' },
      cursor: { anchor: 1 },
    });
    // A stock client that sets no user (or a non-object one) is stamped too.
    send({ cursor: null }, 78);
    expect(room.awareness.getStates().get(78)).toEqual({ cursor: null, user: { id: 'ada-id', name: 'Ada Lovelace' } });
    send({ user: 'Bob' }, 79);
    expect(room.awareness.getStates().get(79)).toEqual({ user: { id: 'ada-id', name: 'Ada Lovelace' } });
    // What the others receive is the stamped state.
    for (const f of bob.socket.frames.filter((x) => x[0] === MessageType.AWARENESS)) {
      const d = decoding.createDecoder(f);
      decoding.readVarUint(d);
      awarenessProtocol.applyAwarenessUpdate(bob.awareness, decoding.readVarUint8Array(d), 'server');
    }
    expect(bob.awareness.getStates().get(77)).toMatchObject({ user: { id: 'ada-id', name: 'Ada Lovelace' } });
    // A state that is not an object is malformed.
    expect(() => send(['not', 'an', 'object'], 80)).toThrow(ProtocolError);
  });

  it('[S7.5] a presence state over the size limit is refused (4400) and never stored or relayed', async () => {
    const { registry, log } = instance({ maxAwarenessBytes: 256 });
    const id = newDocument(log);
    const ada = await connect(registry, id, 'ada');
    const bob = await connect(registry, id, 'bob');
    const before = bob.socket.awarenessStates().length;
    let refused: unknown;
    try {
      ada.awareness.setLocalState({ blob: 'x'.repeat(300) });
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(ProtocolError);
    expect((refused as ProtocolError).code).toBe(CloseCode.BAD_MESSAGE);
    expect((refused as ProtocolError).limit).toBe('presence_size');
    expect(ada.room.awareness.getStates().has(ada.doc.clientID)).toBe(false);
    expect(bob.socket.awarenessStates()).toHaveLength(before);
    // A small state from the same client still goes through.
    ada.awareness.setLocalState({ cursor: 1 });
    expect(ada.room.awareness.getStates().get(ada.doc.clientID)).toMatchObject({ cursor: 1, user: { id: 'ada' } });
  });

  it('[S5.3] a closed session and its socket are garbage once it left (no reference survives)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const { registry, log } = instance({ persistBatchMs: 60_000 });
    const id = newDocument(log);
    const stay = await connect(registry, id, 'stay');
    const refs = await (async () => {
      const room = (await registry.acquire(id))!;
      const c = new Client(registry, room, 'gone', 'edit', await room.admit('edit'));
      c.awareness.setLocalState({ user: 'gone' });
      c.type('queued');
      c.leave();
      return { session: new WeakRef(c.session), socket: new WeakRef(c.socket) };
    })();
    for (let i = 0; i < 3; i++) {
      await nextTurn();
      gc();
    }
    expect(refs.session.deref()).toBeUndefined();
    expect(refs.socket.deref()).toBeUndefined();
    expect(stay.room.sessions.size).toBe(1);
  });
});

describe('Room and RoomRegistry: fan-out', () => {
  it('[S6.1] [S3.5] an update reaches every other local session at once, the bus only after its commit, and is persisted by its instance only', async () => {
    const bus = new MemoryBus();
    const log = new InstrumentedLog();
    const a = instance({}, { log, bus });
    const b = instance({}, { log, bus });
    const id = newDocument(log);
    const a1 = await connect(a.registry, id);
    const a2 = await connect(a.registry, id);
    const a3 = await connect(a.registry, id);
    const b1 = await connect(b.registry, id);
    const commit = gate();
    log.appendGate = commit;
    a1.type('hi');
    expect(a3.socket.frames.at(-1)).toBe(a2.socket.frames.at(-1));
    expect(a1.socket.updates()).toHaveLength(0);
    expect(a2.socket.updates()).toHaveLength(1);
    await waitFor('the batch write started', () => log.appends === 1);
    // Not committed yet: if instance A died now, nobody else would hold (and later acknowledge) it.
    expect(a.bus.published).toHaveLength(0);
    expect(b1.socket.updates()).toHaveLength(0);
    expect(a1.saved()).toBe(0);
    commit.open();
    await waitFor('SAVED 1', () => a1.saved() === 1);
    expect(a.bus.published).toHaveLength(1);
    // The bus delivered synchronously: instance B has applied it and neither re-published nor queued it.
    expect(b1.socket.updates()).toHaveLength(1);
    expect(b.bus.published).toHaveLength(0);
    expect(b1.room.persist.idle).toBe(true);
    await b1.room.persist.drain();
    expect(log.appends).toBe(1);
    expect(a2.text()).toBe('hi');
    expect(b1.text()).toBe('hi');
    // Encoded once: the bus carries the very bytes the local sockets got.
    const frame = a2.socket.frames.findLast((f) => f[0] === MessageType.SYNC && f[1] === SyncStep.UPDATE)!;
    expect(a.bus.published[0]).toEqual(busPayload(a.registry.instanceId, frame));
  });

  it('[S6.1] a bus message tagged with our own instance id is ignored; other instances apply it', async () => {
    const bus = new MemoryBus();
    const log = new InstrumentedLog();
    const a = instance({}, { log, bus });
    const b = instance({}, { log, bus });
    const id = newDocument(log);
    const a1 = await connect(a.registry, id);
    const b1 = await connect(b.registry, id);
    const frame = encodeSyncUpdate(textUpdate('echo', 42));
    await bus.publishBytes(`doc:${id}`, busPayload(a.registry.instanceId, frame));
    expect(a1.socket.updates()).toHaveLength(0);
    expect(a1.room.doc.getText('t').toString()).toBe('');
    expect(b1.text()).toBe('echo');
    expect(b.bus.published).toHaveLength(0);
    expect(b1.room.persist.idle).toBe(true);
    expect(log.appends).toBe(0);
  });

  it('[S6.3] a bus update with missing dependencies triggers a catch-up from the log', async () => {
    const bus = new MemoryBus();
    const { registry, log, clock } = instance({}, { bus });
    const id = newDocument(log);
    const c = await connect(registry, id);
    const writer = new Y.Doc();
    writer.clientID = 99;
    const t = writer.getText('t');
    t.insert(0, 'a');
    const first = Y.encodeStateAsUpdate(writer);
    const sv = Y.encodeStateVector(writer);
    t.insert(1, 'b');
    const second = Y.encodeStateAsUpdate(writer, sv);
    // The first update reached the log but its bus message was lost; the second arrives.
    await log.inner.append(id, first);
    const loadsBefore = log.loads;
    await bus.publishBytes(`doc:${id}`, busPayload('other-instance', encodeSyncUpdate(second)));
    expect(c.room.missingUpdates).toBe(true);
    // The first retry waits 50 ms: the sender may not have committed yet.
    await clock.advance(49);
    expect(log.loads).toBe(loadsBefore);
    await clock.advance(1);
    await waitFor('catch-up', () => !c.room.missingUpdates);
    expect(log.loads).toBeGreaterThan(loadsBefore);
    expect(c.room.doc.getText('t').toString()).toBe('ab');
    expect(c.text()).toBe('ab');
  });
});

describe('Room: limits and tiers', () => {
  it('[S7.2] over the soft limit a socket gets no presence but still gets updates; over the hard limit it is closed 4508', async () => {
    const { registry, log, observer: obs } = instance({ sendBufferSoftBytes: 1_000, sendBufferHardBytes: 10_000 });
    const id = newDocument(log);
    const fast = await connect(registry, id, 'fast');
    const slow = await connect(registry, id, 'slow');
    slow.socket.bufferedAmount = 5_000;
    const awarenessBefore = slow.socket.awarenessStates().length;
    fast.awareness.setLocalState({ user: 'fast' });
    expect(slow.socket.awarenessStates()).toHaveLength(awarenessBefore);
    expect(obs.presenceDroppedCount).toBe(1);
    fast.type('x');
    expect(slow.socket.updates()).toHaveLength(1);
    slow.socket.bufferedAmount = 20_000;
    fast.type('y');
    expect(slow.socket.updates()).toHaveLength(1);
    expect(slow.socket.closed?.code).toBe(CloseCode.TOO_SLOW);
    expect(slow.session.closed).toBe(true);
    expect(obs.tooSlowCount).toBe(1);
  });

  it('[S5.4] goes full → reduced → view-only; editor newcomers at the threshold join read-only, editors keep editing', async () => {
    const { registry, log } = instance({ fullPresenceMax: 2, viewOnlyAbove: 4, broadcastBatchAbove: 1_000 });
    const id = newDocument(log);
    const cs: Client[] = [];
    const modes: string[] = [];
    for (let i = 0; i < 5; i++) {
      cs.push(await connect(registry, id, `u${i}`));
      modes.push(cs[0]!.room.mode);
    }
    expect(modes).toEqual(['full', 'full', 'reduced', 'view-only', 'view-only']);
    expect(cs.map((c) => c.session.access)).toEqual(['edit', 'edit', 'edit', 'edit', 'read']);
    // Mode changes are announced at once.
    const announced = cs[0]!.socket.messages().flatMap((m) => (m.type === 'room-status' ? [m.status.mode] : []));
    expect(announced).toEqual(['full', 'reduced', 'view-only']);
    cs[4]!.type('nope');
    expect(cs[4]!.socket.messages().some((m) => m.type === 'rejected')).toBe(true);
    cs[3]!.type('yes');
    expect(cs[0]!.text()).toBe('yes');
  });

  it('[S5.5] people with edit rights above the editor cap wait in line; each freed seat goes live to the longest waiting', async () => {
    const { registry, log } = instance({ fullPresenceMax: 100, viewOnlyAbove: 2 });
    const id = newDocument(log);
    const [a, b] = [await connect(registry, id, 'a'), await connect(registry, id, 'b')];
    const viewer = await connect(registry, id, 'v', 'read');
    const [first, second] = [await connect(registry, id, 'w1'), await connect(registry, id, 'w2')];
    expect([first, second].map((c) => c.session.access)).toEqual(['read', 'read']);
    expect(first.room.statusFor(first.session)).toMatchObject({ access: 'read', waiting: true, waitlist: 2 });
    expect(viewer.room.statusFor(viewer.session)).toMatchObject({ access: 'read', waiting: false, waitlist: 2 });

    a.leave();
    await nextTurn(); // The seat goes back to the ledger and is claimed for the first in line.
    // The seat goes to the first in line, with ACCESS_CHANGED and its status, without reconnecting.
    expect(first.socket.messages().slice(-2)).toEqual([
      { type: 'access-changed', change: { access: 'edit', reason: 'an editing seat freed up' } },
      { type: 'room-status', status: expect.objectContaining({ access: 'edit', waiting: false, waitlist: 1 }) },
    ]);
    expect(second.session.access).toBe('read');
    first.room.receive(first.session, encodeSyncUpdate(textUpdate('seated', 901)));
    expect(b.text()).toBe('seated');

    // Someone who loses edit rights while waiting leaves the line; a viewer never joins it.
    accessTable.set(`w2:${id}`, 'viewer');
    await registry.applyPermissionEvent({ v: 1, type: 'share-changed', documentId: id, userId: 'w2' });
    expect(first.room.waitlist.size).toBe(0);
    b.leave();
    await nextTurn();
    expect(second.session.access).toBe('read');
    expect(viewer.session.access).toBe('read');
    expect(first.room.statusFor(first.session)).toMatchObject({ editors: 1, waitlist: 0 });
  });

  it('[S5.5] a share upgraded while the room is full puts the person in line instead of past the cap', async () => {
    const { registry, log } = instance({ fullPresenceMax: 100, viewOnlyAbove: 1 });
    const id = newDocument(log);
    const owner = await connect(registry, id, 'owner');
    const guest = await connect(registry, id, 'guest', 'read');
    accessTable.set(`guest:${id}`, 'editor');
    await registry.applyPermissionEvent({ v: 1, type: 'share-changed', documentId: id, userId: 'guest' });
    expect(guest.session.access).toBe('read');
    expect(guest.socket.messages().at(-1)).toMatchObject({
      type: 'room-status',
      status: { access: 'read', waiting: true, waitlist: 1 },
    });
    owner.leave();
    await nextTurn();
    expect(guest.session.access).toBe('edit');
  });

  it('[S5.4] a flood of 500 viewer sockets never makes the document read-only for its owner or editors', async () => {
    const { registry, log } = instance({ fullPresenceMax: 100, viewOnlyAbove: 10 });
    const id = newDocument(log);
    const room = (await registry.acquire(id))!;
    for (let i = 0; i < 500; i++)
      room.join(new Session(new FakeSocket(), `viewer${i % 7}`, 'read', Number.MAX_SAFE_INTEGER));
    expect(room.mode).toBe('reduced');
    const owner = await connect(registry, id, 'owner', 'edit');
    expect(owner.session.access).toBe('edit');
    expect(owner.room.statusFor(owner.session)).toMatchObject({ mode: 'reduced', editors: 1, viewers: 500 });
    owner.type('still mine');
    expect(owner.socket.messages().some((m) => m.type === 'rejected')).toBe(false);
    // Editor load still has a ceiling: at 10 editing connections, the next editor joins read-only.
    const editors = [owner];
    for (let i = 1; i < 10; i++) editors.push(await connect(registry, id, `editor${i}`, 'edit'));
    expect(room.mode).toBe('view-only');
    expect(editors.every((c) => c.session.access === 'edit')).toBe(true);
    expect((await connect(registry, id, 'late-editor', 'edit')).session.access).toBe('read');
    registry.release(room);
  });

  it('[S5.4] ROOM_STATUS costs O(1) per join: counts are kept, not recounted per session', async () => {
    const { registry, log } = instance();
    const id = newDocument(log);
    const room = (await registry.acquire(id))!;
    const reads = vi.spyOn(Session.prototype, 'canEdit', 'get');
    const n = 300;
    for (let i = 0; i < n; i++) {
      const s = new Session(new FakeSocket(), `u${i}`, i % 3 === 0 ? 'read' : 'edit', Number.MAX_SAFE_INTEGER);
      room.join(s);
    }
    // A recount per join would read canEdit n²/2 = 45,000 times.
    expect(reads.mock.calls.length).toBeLessThanOrEqual(2 * n);
    reads.mockRestore();
    const last = [...room.sessions].at(-1)!;
    expect(room.statusFor(last)).toMatchObject({ connections: n, editors: 200, viewers: 100 });
    for (const s of [...room.sessions]) room.leave(s);
    expect(room.statusFor(last)).toMatchObject({ connections: 0, editors: 0, viewers: 0 });
  });

  it('[S5.4] reduced rooms send presence in samples per tick', async () => {
    const { registry, log, clock } = instance({ fullPresenceMax: 2, presenceSampleSize: 1, presenceTickMs: 10 });
    const id = newDocument(log);
    const cs = [await connect(registry, id, 'a'), await connect(registry, id, 'b'), await connect(registry, id, 'c')];
    const watcher = cs[0]!.socket;
    const before = watcher.awarenessStates().length;
    for (const [i, c] of cs.entries()) c.awareness.setLocalState({ n: i });
    expect(watcher.awarenessStates()).toHaveLength(before);
    // One sampled frame per tick, until the backlog is gone.
    for (let tick = 1; tick <= 4; tick++) {
      await clock.advance(10);
      expect(watcher.awarenessStates().length - before).toBe(Math.min(tick, 3));
    }
    expect(watcher.awarenessStates().slice(before)).toEqual([1, 1, 1]);
  });

  it('[S5.4] a presence sample to more sockets than a chunk is written one chunk per turn, like a broadcast', async () => {
    const { registry, log } = instance({ fullPresenceMax: 2, presenceTickMs: 0, broadcastChunkSockets: 2 });
    const id = newDocument(log);
    const cs: Client[] = [];
    for (let i = 0; i < 6; i++) cs.push(await connect(registry, id, `u${i}`));
    await waitFor('the status rounds of the joins', () =>
      cs.every((c) => c.socket.messages().at(-1)?.type === 'room-status'),
    );
    const before = cs.map((c) => c.socket.awarenessStates().length);
    const reached = () => cs.filter((c, i) => c.socket.awarenessStates().length > before[i]!).length;
    cs[0]!.awareness.setLocalState({ n: 9 }); // sampled: out at the presence tick (here: this turn's end)
    expect(reached()).toBe(0);
    await nextTurn();
    expect(reached()).toBe(2);
    await nextTurn();
    expect(reached()).toBe(4);
    await nextTurn();
    expect(reached()).toBe(6);
  });

  it("[S5.4] a big room's presence sample rides the next broadcast (one write per socket for both), or goes alone when no update comes", async () => {
    const { registry, log } = instance({ broadcastBatchAbove: 3, fullPresenceMax: 2, presenceTickMs: 0 });
    const id = newDocument(log);
    const cs: Client[] = [];
    for (let i = 0; i < 4; i++) cs.push(await connect(registry, id, `u${i}`));
    await waitFor('the status rounds of the joins', () =>
      cs.every((c) => c.socket.messages().at(-1)?.type === 'room-status'),
    );
    const snapshot = () =>
      cs.map((c) => ({
        writes: c.socket.writes,
        updates: c.socket.updates().length,
        presence: c.socket.awarenessStates().length,
      }));
    const delta = (a: ReturnType<typeof snapshot>, b: ReturnType<typeof snapshot>) =>
      b.map((x, i) => [x.writes - a[i]!.writes, x.updates - a[i]!.updates, x.presence - a[i]!.presence]);
    const start = snapshot();
    cs[0]!.awareness.setLocalState({ n: 1 }); // sampled: out at the presence tick (this turn's end)
    cs[1]!.type('x');
    await nextTurn();
    // [writes, update frames, presence frames]: the sender of the edit gets the presence only.
    expect(delta(start, snapshot())).toEqual([
      [1, 1, 1],
      [1, 0, 1],
      [1, 1, 1],
      [1, 1, 1],
    ]);
    const mid = snapshot();
    cs[2]!.awareness.setLocalState({ n: 2 }); // no edit comes: the sample goes alone
    await waitFor('the sample alone', () => delta(mid, snapshot()).every(([, , p]) => p === 1));
    expect(delta(mid, snapshot())).toEqual([
      [1, 0, 1],
      [1, 0, 1],
      [1, 0, 1],
      [1, 0, 1],
    ]);
    expect(cs[3]!.text()).toBe(cs[1]!.text());
  });

  it('[S5.4] large rooms: what arrives in one turn goes as one frame at its end, to everyone but a lone sender', async () => {
    const { registry, log } = instance({ broadcastBatchAbove: 3, broadcastTickMs: 15 });
    const id = newDocument(log);
    const cs: Client[] = [];
    for (let i = 0; i < 4; i++) cs.push(await connect(registry, id, `u${i}`));
    const counts = () => cs.map((c) => c.socket.updates().length);
    cs[0]!.type('ab'); // out at the end of this turn, to everyone but its sender (it holds it)
    expect(counts()).toEqual([0, 0, 0, 0]);
    await nextTurn();
    expect(counts()).toEqual([0, 1, 1, 1]);
    // Two senders in one turn: one merged frame for everyone, the senders included.
    cs[1]!.type('cd');
    cs[0]!.type('ef');
    expect(counts()).toEqual([0, 1, 1, 1]);
    await nextTurn();
    expect(counts()).toEqual([1, 2, 2, 2]);
    const fresh = new Y.Doc();
    for (const u of cs[3]!.socket.updates()) Y.applyUpdate(fresh, u);
    expect(fresh.getText('t').length).toBe(6);
    expect(cs[3]!.text()).toBe(cs[0]!.text());
    expect(cs[1]!.text()).toBe(cs[0]!.text());
  });

  it('[S5.4] large rooms: after a broadcast that fit in one turn, however long it took, the next waits no pause and merges what arrived meanwhile', async () => {
    const { registry, log, clock } = instance({ broadcastBatchAbove: 3, broadcastTickMs: 15 });
    const id = newDocument(log);
    const cs: Client[] = [];
    for (let i = 0; i < 4; i++) cs.push(await connect(registry, id, `u${i}`));
    const counts = () => cs.map((c) => c.socket.updates().length);
    // Each update frame "takes" 10 ms of the room's clock: a broadcast to 3 sockets outlasts the tick twice.
    const isUpdate = (f: Uint8Array) => f[0] === MessageType.SYNC && f[1] === SyncStep.UPDATE;
    for (const c of cs) c.socket.onSend = (f) => isUpdate(f) && clock.elapse(10);
    cs[0]!.type('ab');
    await nextTurn();
    expect(counts()).toEqual([0, 1, 1, 1]);
    // Read in the turn after the broadcast (nothing can arrive during a broadcast that holds the loop).
    cs[1]!.type('cd');
    cs[2]!.type('ef');
    await nextTurn(); // the room's clock did not move: no pause, though the last broadcast took 30 ms of it
    expect(counts()).toEqual([1, 2, 2, 2]);
    expect(cs[3]!.text()).toHaveLength(6);
    expect(cs[3]!.text()).toBe(cs[0]!.text());
  });

  it('[S5.4][S5.7] a cycle writes one chunk per turn; an edit arriving half-way reaches the rest of that cycle and the first chunks in the next', async () => {
    const { registry, log, clock } = instance({
      broadcastBatchAbove: 3,
      broadcastTickMs: 15,
      broadcastChunkSockets: 2,
    });
    const id = newDocument(log);
    const cs: Client[] = [];
    for (let i = 0; i < 6; i++) cs.push(await connect(registry, id, `u${i}`));
    const counts = () => cs.map((c) => c.socket.updates().length);
    const lengths = () => cs.map((c) => c.text().length);
    cs[0]!.type('ab'); // to everyone but its sender, 2 sockets per turn
    await nextTurn(); // the first chunk
    expect(counts()).toEqual([0, 1, 0, 0, 0, 0]);
    cs[1]!.type('cd'); // arrives half-way through the cycle
    await nextTurn(); // the second chunk is written both edits, merged, in one frame
    expect(counts()).toEqual([0, 1, 1, 1, 0, 0]);
    expect(lengths().slice(2, 4)).toEqual([4, 4]);
    await nextTurn();
    expect(counts()).toEqual([0, 1, 1, 1, 1, 1]);
    expect(lengths().slice(2)).toEqual([4, 4, 4, 4]);
    // The next cycle starts a tick after this one started: the first chunk gets 'cd' (not its sender).
    await clock.advance(15);
    await waitFor('the next cycle', () => counts().join() === '1,1,1,1,1,1');
    await clock.advance(60); // and nothing after it: nobody is owed anything, the lane stops
    expect(counts()).toEqual([1, 1, 1, 1, 1, 1]);
    for (const c of cs) expect(c.text()).toBe(cs[0]!.text());
    expect(cs[5]!.text()).toHaveLength(4);
    // Each typist was acknowledged once its edit was durable, whatever the cycle's progress.
    await waitFor('SAVED', () => cs[0]!.saved() >= 1 && cs[1]!.saved() >= 1);
  });

  it('[S5.4][S5.7] a lane of more than one chunk starts its cycles at most once per tick, counted from the last start; what arrives meanwhile goes merged', async () => {
    const { registry, log, clock } = instance({
      broadcastBatchAbove: 3,
      broadcastTickMs: 15,
      broadcastChunkSockets: 2,
    });
    const id = newDocument(log);
    const cs: Client[] = [];
    for (let i = 0; i < 4; i++) cs.push(await connect(registry, id, `u${i}`));
    const counts = () => cs.map((c) => c.socket.updates().length);
    // Each update frame "takes" 1 ms of the room's clock: the first cycle lasts 3 ms (3 sockets, 2 chunks).
    const isUpdate = (f: Uint8Array) => f[0] === MessageType.SYNC && f[1] === SyncStep.UPDATE;
    for (const c of cs) c.socket.onSend = (f) => isUpdate(f) && clock.elapse(1);
    cs[0]!.type('ab');
    await waitFor('the first cycle, both chunks', () => counts().join() === '0,1,1,1');
    cs[1]!.type('cd');
    await nextTurn();
    cs[0]!.type('ef');
    await clock.advance(11); // 14 ms after the first cycle started
    expect(counts()).toEqual([0, 1, 1, 1]);
    await clock.advance(1); // 15 ms: one merged frame with both edits, for everyone
    await waitFor('the merged cycle, both chunks', () => counts().join() === '1,2,2,2');
    await clock.advance(60);
    expect(counts()).toEqual([1, 2, 2, 2]);
    const fresh = new Y.Doc();
    for (const u of cs[3]!.socket.updates()) Y.applyUpdate(fresh, u);
    expect(fresh.getText('t').length).toBe(6);
    expect(cs[3]!.text()).toBe(cs[0]!.text());
  });

  it('[S5.7] a session that joins half-way through a cycle starts at the head: it gets later edits, never one its sync holds', async () => {
    const { registry, log, clock } = instance({
      broadcastBatchAbove: 3,
      broadcastTickMs: 15,
      broadcastChunkSockets: 2,
    });
    const id = newDocument(log);
    const cs: Client[] = [];
    for (let i = 0; i < 4; i++) cs.push(await connect(registry, id, `u${i}`));
    cs[0]!.type('ab');
    await nextTurn(); // the first chunk of the cycle
    const late = await connect(registry, id, 'late');
    const before = late.socket.updates().length;
    cs[1]!.type('cd');
    await clock.advance(15);
    await waitFor('everyone has both edits', () => [...cs, late].every((c) => c.text().length === 4));
    // The late joiner's sync step 2 held 'ab'; the lane sent it 'cd' only, once.
    const frames = late.socket.updates().slice(before);
    expect(frames).toHaveLength(1);
    expect([...Y.parseUpdateMeta(frames[0]!).from.keys()]).toEqual([cs[1]!.doc.clientID]);
  });
});

describe('RoomRegistry: permission events [S2.4]', () => {
  it('downgrading a share sends ACCESS_CHANGED and a ROOM_STATUS, then refuses edits; upgrading allows them again', async () => {
    const { registry, log } = instance();
    const id = newDocument(log);
    const owner = await connect(registry, id, 'owner');
    const guest = await connect(registry, id, 'guest');
    accessTable.set(`guest:${id}`, 'viewer');
    await registry.applyPermissionEvent({ v: 1, type: 'share-changed', documentId: id, userId: 'guest' });
    const after = guest.socket.messages().slice(-2);
    expect(after[0]).toEqual({ type: 'access-changed', change: { access: 'read', reason: expect.any(String) } });
    expect(after[1]).toMatchObject({ type: 'room-status', status: { access: 'read', editors: 1, viewers: 1 } });
    expect(guest.socket.closed).toBeUndefined();
    expect(owner.socket.messages().some((m) => m.type === 'access-changed')).toBe(false);
    const mark = guest.socket.messages().length;
    guest.type('vandal');
    expect(
      guest.socket
        .messages()
        .slice(mark)
        .map((m) => m.type),
    ).toEqual(['rejected', 'saved']);
    expect(owner.room.doc.getText('t').toString()).toBe('');
    accessTable.set(`guest:${id}`, 'editor');
    await registry.applyPermissionEvent({ v: 1, type: 'share-changed', documentId: id, userId: 'guest' });
    expect(
      guest.socket.messages().find((m) => m.type === 'access-changed' && m.change.access === 'edit'),
    ).toBeDefined();
    // From a fresh client id: the rejected 'vandal' would otherwise be a missing dependency.
    guest.room.receive(guest.session, encodeSyncUpdate(textUpdate('!', 777)));
    expect(owner.text()).toBe('!');
  });

  it('closes 4403 when access is gone, 4404 when the document is gone, 4503 when the check fails', async () => {
    const { registry, log } = instance();
    const id = newDocument(log);
    const revoked = await connect(registry, id, 'revoked');
    const orphan = await connect(registry, id, 'orphan');
    const unlucky = await connect(registry, id, 'unlucky');
    const bystander = await connect(registry, id, 'bystander');
    accessTable.set(`revoked:${id}`, 'none');
    accessTable.set(`orphan:${id}`, null);
    accessTable.set(`unlucky:${id}`, new Error('database down'));
    for (const userId of ['revoked', 'orphan', 'unlucky', 'bystander'])
      await registry.applyPermissionEvent({ v: 1, type: 'share-changed', documentId: id, userId });
    expect(revoked.socket.closed?.code).toBe(CloseCode.FORBIDDEN);
    expect(orphan.socket.closed?.code).toBe(CloseCode.NOT_FOUND);
    expect(unlucky.socket.closed?.code).toBe(CloseCode.UNAVAILABLE);
    expect(bystander.socket.closed).toBeUndefined();
  });

  it('a member change re-checks that user in every room of the workspace, and only there', async () => {
    const { registry, log } = instance();
    const inside1 = newDocument(log, 'w-a');
    const inside2 = newDocument(log, 'w-a');
    const outside = newDocument(log, 'w-b');
    const cs = [
      await connect(registry, inside1, 'member'),
      await connect(registry, inside2, 'member'),
      await connect(registry, outside, 'member'),
      await connect(registry, inside1, 'other'),
    ];
    for (const d of [inside1, inside2, outside]) accessTable.set(`member:${d}`, 'none');
    await registry.applyPermissionEvent({ v: 1, type: 'member-changed', workspaceId: 'w-a', userId: 'member' });
    expect(cs.map((c) => c.socket.closed?.code)).toEqual([
      CloseCode.FORBIDDEN,
      CloseCode.FORBIDDEN,
      undefined,
      undefined,
    ]);
  });

  it('deleting a document or a workspace closes every socket on it with 4404', async () => {
    const { registry, log } = instance();
    const doomed = newDocument(log, 'w-a');
    const sibling = newDocument(log, 'w-a');
    const elsewhere = newDocument(log, 'w-b');
    const d1 = await connect(registry, doomed, 'x');
    const d2 = await connect(registry, doomed, 'y');
    const s = await connect(registry, sibling, 'x');
    const e = await connect(registry, elsewhere, 'x');
    await registry.applyPermissionEvent({ v: 1, type: 'document-deleted', documentId: doomed, workspaceId: 'w-a' });
    expect([d1, d2, s].map((c) => c.socket.closed?.code)).toEqual([
      CloseCode.NOT_FOUND,
      CloseCode.NOT_FOUND,
      undefined,
    ]);
    await registry.applyPermissionEvent({ v: 1, type: 'workspace-deleted', workspaceId: 'w-a' });
    expect(s.socket.closed?.code).toBe(CloseCode.NOT_FOUND);
    expect(e.socket.closed).toBeUndefined();
  });
});
