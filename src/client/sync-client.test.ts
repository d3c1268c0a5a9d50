import { createHook } from 'node:async_hooks';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WebSocketServer, WebSocket as WsWebSocket } from 'ws';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import {
  carriesUpdate,
  encodeAccessChanged,
  encodeRejected,
  encodeRoomStatus,
  encodeSaved,
  encodeSyncStep1,
  MessageType,
  type RoomStatus,
  SyncStep,
} from '../sync/protocol.ts';
import {
  retryDelayMs,
  SyncClient,
  type SyncClientEvents,
  type SyncClientOptions,
  type SyncStatus,
  tokenExpiresAtMs,
  type WebSocketConstructor,
} from './sync-client.ts';

const WAIT_MS = 5_000;
const ROOM: RoomStatus = {
  mode: 'full',
  connections: 1,
  editors: 1,
  viewers: 0,
  access: 'edit',
  waitlist: 0,
  waiting: false,
};

type Peer = {
  url: string;
  socket: WsWebSocket;
  frames: Uint8Array[];
  /** Tokens received in TOKEN frames (or the URL), in order. */
  tokens: string[];
  updateFrames: number;
  authenticated: boolean;
  access: 'edit' | 'read';
  closed?: { code: number; reason: string };
};

/** Enough of the sync endpoint to drive a client: token auth, y-protocols sync, SAVED counts, closes. */
class TestSyncServer {
  readonly doc = new Y.Doc();
  readonly peers: Peer[] = [];
  /** Acknowledge each update-carrying frame as soon as it is applied. */
  autoSave = true;
  /** Access given to new connections; viewers' updates are refused like the real room does. */
  access: 'edit' | 'read' = 'edit';
  readonly refusedTokens = new Set<string>();
  url = '';
  private readonly wss: WebSocketServer;
  private readonly waiters = new Set<() => void>();

  private constructor(wss: WebSocketServer) {
    this.wss = wss;
    wss.on('connection', (socket, request) => this.accept(socket, request));
  }

  static async start(): Promise<TestSyncServer> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => wss.once('listening', resolve));
    const server = new TestSyncServer(wss);
    server.url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/sync`;
    return server;
  }

  async stop(): Promise<void> {
    for (const peer of this.peers) peer.socket.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  peer(index: number): Peer {
    const peer = this.peers[index];
    if (!peer) throw new Error(`no connection #${index}`);
    return peer;
  }

  save(peer: Peer, count = peer.updateFrames): void {
    peer.socket.send(encodeSaved(count));
  }

  /** Resolves once `predicate` holds after some frame, connection or close; no polling. */
  until(predicate: () => boolean, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`server: timed out waiting for ${what}`));
      }, WAIT_MS);
      this.waiters.add(check);
      check();
    });
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  private accept(socket: WsWebSocket, request: IncomingMessage): void {
    const url = request.url ?? '';
    const peer: Peer = {
      url,
      socket,
      frames: [],
      tokens: [],
      updateFrames: 0,
      authenticated: false,
      access: this.access,
    };
    this.peers.push(peer);
    socket.on('message', (data: Buffer) => {
      const frame = new Uint8Array(data);
      peer.frames.push(frame);
      this.receive(peer, frame);
      this.notify();
    });
    socket.on('close', (code, reason) => {
      peer.closed = { code, reason: reason.toString() };
      this.notify();
    });
    const urlToken = new URL(url, 'http://localhost').searchParams.get('token');
    if (urlToken) this.authenticate(peer, urlToken);
    this.notify();
  }

  private authenticate(peer: Peer, token: string): void {
    peer.tokens.push(token);
    if (this.refusedTokens.has(token)) {
      peer.socket.close(4401, 'token expired');
      return;
    }
    peer.authenticated = true;
    peer.socket.send(encodeSyncStep1(Y.encodeStateVector(this.doc)));
    peer.socket.send(encodeRoomStatus({ ...ROOM, access: peer.access }));
  }

  private receive(peer: Peer, frame: Uint8Array): void {
    const decoder = decoding.createDecoder(frame);
    const type = decoding.readVarUint(decoder);
    if (type === MessageType.TOKEN) {
      const token = decoding.readVarString(decoder);
      if (peer.authenticated) peer.tokens.push(token);
      else this.authenticate(peer, token);
      return;
    }
    if (!peer.authenticated) {
      peer.socket.close(4401, 'token must come first');
      return;
    }
    if (type !== MessageType.SYNC) return;
    if (carriesUpdate(frame) && peer.access === 'read') {
      peer.updateFrames++;
      decoding.readVarUint(decoder);
      if (hasNewContent(this.doc, decoding.readVarUint8Array(decoder))) {
        peer.socket.send(encodeRejected({ reason: 'read-only', frame: peer.updateFrames }));
      }
      if (this.autoSave) this.save(peer);
      return;
    }
    const reply = encoding.createEncoder();
    encoding.writeVarUint(reply, MessageType.SYNC);
    syncProtocol.readSyncMessage(decoder, reply, this.doc, peer);
    if (encoding.length(reply) > 1) peer.socket.send(encoding.toUint8Array(reply));
    if (carriesUpdate(frame)) {
      peer.updateFrames++;
      if (this.autoSave) this.save(peer);
    }
  }
}

function hasNewContent(doc: Y.Doc, update: Uint8Array): boolean {
  const known = Y.decodeStateVector(Y.encodeStateVector(doc));
  for (const [client, clock] of Y.parseUpdateMeta(update).to) if (clock > (known.get(client) ?? 0)) return true;
  return false;
}

function statusWhere(client: SyncClient, predicate: (s: SyncStatus) => boolean, what: string): Promise<SyncStatus> {
  return new Promise((resolve, reject) => {
    const check = (status: SyncStatus) => {
      if (!predicate(status)) return;
      clearTimeout(timer);
      client.off('status', check);
      resolve(status);
    };
    const timer = setTimeout(() => {
      client.off('status', check);
      reject(new Error(`client: timed out waiting for ${what}; status ${JSON.stringify(client.status)}`));
    }, WAIT_MS);
    client.on('status', check);
    check(client.status);
  });
}

function nextEvent<N extends 'closed' | 'access-changed' | 'rejected' | 'saved'>(
  client: SyncClient,
  name: N,
): Promise<Parameters<SyncClientEvents[N]>[0]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`client: no '${name}' event`)), WAIT_MS);
    const listener = ((value: Parameters<SyncClientEvents[N]>[0]) => {
      clearTimeout(timer);
      client.off(name, listener);
      resolve(value);
    }) as SyncClientEvents[N];
    client.on(name, listener);
  });
}

/** Hands out the given tokens in order (repeating the last) and counts calls. */
function tokenSource(...tokens: string[]): { (): Promise<string>; calls: number } {
  const source = async () => tokens[Math.min(source.calls++, tokens.length - 1)]!;
  source.calls = 0;
  return source;
}

function fakeJwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256', kid: 'test' })}.${part(claims)}.signature`;
}

function decodeToken(frame: Uint8Array): string | undefined {
  const decoder = decoding.createDecoder(frame);
  return decoding.readVarUint(decoder) === MessageType.TOKEN ? decoding.readVarString(decoder) : undefined;
}

let server: TestSyncServer;
const clients: SyncClient[] = [];

function startClient(options: Partial<SyncClientOptions> = {}): SyncClient {
  const client = new SyncClient({
    url: server.url,
    documentId: 'doc-1',
    doc: new Y.Doc(),
    getToken: () => 'token-a',
    crossTab: false,
    ...options,
  });
  clients.push(client);
  return client;
}

beforeEach(async () => {
  server = await TestSyncServer.start();
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await server.stop();
});

describe('SyncClient', () => {
  it.each([
    ['the global WebSocket', globalThis.WebSocket as WebSocketConstructor],
    ['ws', WsWebSocket as WebSocketConstructor],
  ])('[S2.1] sends the token as the first frame, never in the URL, with %s', async (_name, WebSocket) => {
    const client = startClient({ WebSocket, documentId: 'doc 1/α' });

    const status = await statusWhere(client, (s) => s.saved, 'saved');

    const peer = server.peer(0);
    expect(peer.url).toBe(`/sync/${encodeURIComponent('doc 1/α')}`);
    expect(decodeToken(peer.frames[0]!)).toBe('token-a');
    expect([...peer.frames[1]!.subarray(0, 2)]).toEqual([MessageType.SYNC, SyncStep.STEP1]);
    expect(status).toEqual({
      connection: 'connected',
      synced: true,
      saved: true,
      pendingChanges: 0,
      access: 'edit',
      room: ROOM,
    });
  });

  it('[S2.1] puts the token in the query string when tokenInUrl is set, and sends sync step 1 first', async () => {
    const client = startClient({ tokenInUrl: true });

    await statusWhere(client, (s) => s.synced, 'synced');

    const peer = server.peer(0);
    expect(new URL(peer.url, 'http://localhost').searchParams.get('token')).toBe('token-a');
    expect([...peer.frames[0]!.subarray(0, 2)]).toEqual([MessageType.SYNC, SyncStep.STEP1]);
    expect(peer.frames.some((frame) => decodeToken(frame) !== undefined)).toBe(false);
  });

  it('[S3.2] reports saved only once SAVED covers the frame that carried each change', async () => {
    const doc = new Y.Doc();
    const client = startClient({ doc });
    await statusWhere(client, (s) => s.saved, 'saved');
    server.autoSave = false;
    const peer = server.peer(0);

    doc.getText('t').insert(0, 'a');
    doc.getText('t').insert(1, 'b');
    expect(client.status).toMatchObject({ saved: false, pendingChanges: 2 });
    await server.until(() => peer.updateFrames === 3, 'two update frames after step 2');

    server.save(peer, 2);
    await statusWhere(client, (s) => s.pendingChanges === 1, 'first change saved');
    expect(client.status.saved).toBe(false);

    server.save(peer, 3);
    await statusWhere(client, (s) => s.saved && s.pendingChanges === 0, 'all saved');
  });

  it('[S3.5] keeps offline edits pending, sends them in sync step 2 on reconnect and is saved after that frame is acknowledged', async () => {
    const doc = new Y.Doc();
    const text = doc.getText('t');
    const client = startClient({ doc, random: () => 0.5, restartSpreadMs: 100 });
    await statusWhere(client, (s) => s.saved, 'saved');
    server.autoSave = false;

    text.insert(0, 'a'); // applied by the server but never acknowledged on this connection
    await server.until(() => server.doc.getText('t').toString() === 'a', 'first edit applied');
    server.peer(0).socket.close(1012, 'restarting');
    await statusWhere(client, (s) => s.connection === 'offline' && s.retryInMs !== undefined, 'waiting to reconnect');

    text.insert(1, 'b');
    text.insert(2, 'c');
    expect(client.status).toMatchObject({ connection: 'offline', saved: false, pendingChanges: 3 });

    await statusWhere(client, (s) => s.synced, 'synced again');
    const second = server.peer(1);
    await server.until(() => server.doc.getText('t').toString() === 'abc', 'offline edits applied');
    expect(second.updateFrames).toBe(1); // the step 2 answering the server's step 1 carried both
    expect(client.status).toMatchObject({ connection: 'connected', saved: false, pendingChanges: 3 });

    server.save(second);
    const saved = await statusWhere(client, (s) => s.saved, 'saved after reconnect');
    expect(saved.pendingChanges).toBe(0);
  });

  it('[S2.4] stops reconnecting after a terminal close code (4403) and reports it', async () => {
    const client = startClient({ random: () => 0 });
    await statusWhere(client, (s) => s.synced, 'synced');
    const closed = nextEvent(client, 'closed');

    server.peer(0).socket.close(4403, 'share removed');

    expect(await closed).toEqual({ code: 4403, reason: 'share removed' });
    expect(client.status).toMatchObject({ connection: 'closed', closed: { code: 4403, reason: 'share removed' } });
    expect(client.status.retryInMs).toBeUndefined();
    // A zero-delay reconnect of the first client would land before this one finishes syncing.
    const other = startClient({ documentId: 'doc-2', getToken: () => 'token-b' });
    await statusWhere(other, (s) => s.synced, 'other client synced');
    expect(server.peers.map((p) => p.tokens[0])).toEqual(['token-a', 'token-b']);
  });

  it('[S2.5] answers a 4401 with one fresh token, and stops when the server refuses that one too', async () => {
    const getToken = tokenSource('t1', 't2', 't3');
    server.refusedTokens.add('t3');
    const client = startClient({ getToken, random: () => 0 });
    await statusWhere(client, (s) => s.synced, 'synced');

    server.peer(0).socket.close(4401, 'session expired');
    await server.until(() => server.peers[1]?.authenticated === true, 'reconnected with t2');
    await statusWhere(client, (s) => s.synced, 'synced with t2');
    const closed = nextEvent(client, 'closed');
    server.peer(1).socket.close(4401, 'session expired');

    expect(await closed).toEqual({ code: 4401, reason: 'token expired' });
    expect(server.peers.map((p) => p.tokens[0])).toEqual(['t1', 't2', 't3']);
    expect(getToken.calls).toBe(3);
    expect(client.status.connection).toBe('closed');
  });

  it('[S2.5] stops after a 4401 when getToken fails for the retry', async () => {
    let calls = 0;
    const client = startClient({
      getToken: async () => {
        if (calls++ > 0) throw new Error('refresh token revoked');
        return 't1';
      },
    });
    await statusWhere(client, (s) => s.synced, 'synced');
    const closed = nextEvent(client, 'closed');

    server.peer(0).socket.close(4401, 'session expired');

    expect(await closed).toEqual({ code: 4401, reason: 'getToken failed: refresh token revoked' });
    expect(server.peers).toHaveLength(1);
  });

  it('[S8.1] reconnects after 1012 following a full-jitter delay drawn from the random source', async () => {
    const client = startClient({ random: () => 0.25, baseBackoffMs: 10, restartSpreadMs: 400 });
    await statusWhere(client, (s) => s.synced, 'synced');
    const closedAt = performance.now();

    server.peer(0).socket.close(1012, 'restarting');

    const waiting = await statusWhere(client, (s) => s.retryInMs !== undefined, 'retry scheduled');
    expect(waiting.connection).toBe('offline');
    expect(waiting.retryInMs).toBeGreaterThan(90);
    expect(waiting.retryInMs).toBeLessThanOrEqual(100);
    await server.until(() => server.peers.length === 2, 'second connection');
    expect(performance.now() - closedAt).toBeGreaterThanOrEqual(95);
    await statusWhere(client, (s) => s.synced && s.retryInMs === undefined, 'synced again');
  });

  it('[S2.5] sends a TOKEN frame on the open socket before the token expires, and on refreshToken()', async () => {
    const expiring = fakeJwt({ sub: 'u1', exp: (Date.now() + 300) / 1000 });
    const fresh = fakeJwt({ sub: 'u1', exp: Date.now() / 1000 + 3600 });
    const client = startClient({ getToken: tokenSource(expiring, fresh, 'manual') });
    await statusWhere(client, (s) => s.synced, 'synced');
    const peer = server.peer(0);

    // refreshBeforeExpiryMs (60 s) exceeds this token's life, so it refreshes halfway.
    await server.until(() => peer.tokens.length === 2, 'scheduled refresh');
    expect(peer.tokens).toEqual([expiring, fresh]);

    await expect(client.refreshToken()).resolves.toBe(true);
    await server.until(() => peer.tokens.length === 3, 'manual refresh');
    expect(peer.tokens[2]).toBe('manual');
    expect(server.peers).toHaveLength(1);
  });

  it('[S1.2] handles ROOM_STATUS, ACCESS_CHANGED and REJECTED without the provider logging them as unknown', async () => {
    const errors = vi.spyOn(console, 'error');
    try {
      const client = startClient();
      await statusWhere(client, (s) => s.saved && s.room !== undefined, 'saved with a room status');
      const peer = server.peer(0);

      const changed = nextEvent(client, 'access-changed');
      peer.socket.send(encodeAccessChanged({ access: 'read', reason: 'share downgraded' }));
      expect(await changed).toEqual({ access: 'read', reason: 'share downgraded' });
      expect(client.status).toMatchObject({ access: 'read', room: { ...ROOM, access: 'read' } });

      const rejected = nextEvent(client, 'rejected');
      peer.socket.send(encodeRejected({ reason: 'read-only', frame: 1 }));
      expect(await rejected).toEqual({ reason: 'read-only', frame: 1 });
      expect(client.status.rejected).toEqual({ reason: 'read-only', frame: 1 });
      expect(errors).not.toHaveBeenCalled();
    } finally {
      errors.mockRestore();
    }
  });

  it('[S2.3] keeps refused changes pending although SAVED covers them, and resends them once access is edit again', async () => {
    server.access = 'read';
    const doc = new Y.Doc();
    const client = startClient({ doc });
    await statusWhere(client, (s) => s.saved && s.access === 'read', 'saved as a viewer');
    const rejected = nextEvent(client, 'rejected');
    const acknowledged = nextEvent(client, 'saved');

    doc.getText('t').insert(0, 'x');

    expect((await rejected).frame).toBe(2); // the frame after the initial step 2
    expect(await acknowledged).toBe(2);
    expect(client.status).toMatchObject({ saved: false, pendingChanges: 1, rejected: { reason: 'read-only' } });

    server.access = 'edit';
    server.peer(0).socket.send(encodeAccessChanged({ access: 'edit', reason: 'share upgraded' }));

    await statusWhere(client, (s) => s.saved, 'saved after rejoining as an editor');
    expect(server.doc.getText('t').toString()).toBe('x');
    expect(client.status.rejected).toBeUndefined();
    expect(server.peers).toHaveLength(2);
  });

  it('leaves no timers or listeners behind after destroy()', async () => {
    const exitListenersBefore = process.listenerCount('exit');
    const doc = new Y.Doc();
    const docListeners = () => Object.fromEntries([...doc._observers].map(([event, set]) => [event, set.size]));
    const docListenersBefore = docListeners();
    const timers = trackTimers();
    try {
      const client = startClient({ doc, getToken: () => fakeJwt({ exp: Date.now() / 1000 + 3600 }), crossTab: true });
      await statusWhere(client, (s) => s.saved, 'saved');
      const statuses: SyncStatus[] = [];
      client.on('status', (s) => statuses.push(s));

      client.destroy();

      await timers.settled(); // every timeout and interval created since the client started is gone
      expect(process.listenerCount('exit')).toBe(exitListenersBefore);
      expect(docListeners()).toEqual(docListenersBefore);
      expect(statuses).toEqual([]);
      await server.until(() => server.peer(0).closed !== undefined, 'socket closed');
    } finally {
      timers.stop();
    }
  });
});

/** Timeouts created while enabled; `settled()` resolves when all are cleared or fired (an event, not a poll). */
function trackTimers(): { settled(): Promise<void>; stop(): void } {
  const live = new Set<number>();
  let onDestroy: () => void = () => undefined;
  let ignoring = false;
  const hook = createHook({
    init(asyncId, type) {
      if (type === 'Timeout' && !ignoring) live.add(asyncId);
    },
    destroy(asyncId) {
      if (live.delete(asyncId)) onDestroy();
    },
  }).enable();
  return {
    settled: () =>
      new Promise<void>((resolve, reject) => {
        ignoring = true;
        const timer = setTimeout(() => reject(new Error(`${live.size} timers still pending`)), WAIT_MS);
        ignoring = false;
        onDestroy = () => {
          if (live.size > 0) return;
          clearTimeout(timer);
          resolve();
        };
        onDestroy();
      }),
    stop: () => hook.disable(),
  };
}

describe('retryDelayMs', () => {
  const policy = { baseBackoffMs: 500, maxBackoffMs: 30_000, restartSpreadMs: 5_000 };

  it('draws uniformly from a window that doubles per failure up to the cap', () => {
    expect([1, 2, 3, 10].map((n) => retryDelayMs(n, 1006, policy, () => 0.999))).toEqual([499, 999, 1998, 29_970]);
    expect(retryDelayMs(4, 1006, policy, () => 0)).toBe(0);
  });

  it('spreads a restart (1012) over restartSpreadMs and a rate limit (4429) over the cap', () => {
    expect(retryDelayMs(1, 1012, policy, () => 0.5)).toBe(2_500);
    expect(retryDelayMs(1, 4429, policy, () => 0.5)).toBe(15_000);
  });
});

describe('tokenExpiresAtMs', () => {
  it('reads exp from a JWT without verifying it, and nothing from opaque tokens', () => {
    expect(tokenExpiresAtMs(fakeJwt({ sub: 'ü', exp: 1_700_000_000 }))).toBe(1_700_000_000_000);
    expect(tokenExpiresAtMs('opaque-token')).toBeUndefined();
    expect(tokenExpiresAtMs('a.!!!.c')).toBeUndefined();
  });
});
