/**
 * Browser/Node client for `/sync/:documentId`: the stock y-websocket provider behind a socket gate
 * that authenticates first, counts what the server will acknowledge, and spaces reconnects with jitter.
 * ~430 lines on purpose: the client's public types (options, status, events) and its one state
 * machine stay together; the save ledger (save-ledger.ts) and the socket gate (socket-gate.ts)
 * are separate.
 */
import { ObservableV2 } from 'lib0/observable';
import { Awareness } from 'y-protocols/awareness';
import { WebsocketProvider } from 'y-websocket';
import type * as Y from 'yjs';
import { CloseCode, TERMINAL_CLOSE_CODES } from '../sync/close-codes.ts';
import {
  type Access,
  type AccessChanged,
  type CommentsChanged,
  decodeServerMessage,
  encodeToken,
  MessageType,
  type Rejected,
  type RoomStatus,
  type ServerMessage,
} from '../sync/protocol.ts';
import { SaveLedger } from './save-ledger.ts';
import { type Dial, type GateHooks, SocketGate } from './socket-gate.ts';

export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => unknown;

export type SyncClientOptions = {
  /** Endpoint base, e.g. `ws://host:3000/sync`; the document id is appended as a path segment. */
  url: string;
  documentId: string;
  doc: Y.Doc;
  /** Owned by the caller when given; otherwise created here and destroyed with the client. */
  awareness?: Awareness;
  /** Called for every connection attempt and refresh; may return a cached token. */
  getToken: () => Promise<string> | string;
  /** Put the token in the query string instead of a first TOKEN frame (which keeps it out of proxy logs). */
  tokenInUrl?: boolean;
  /** Defaults to the global WebSocket (browsers, Node ≥ 22); `ws`'s class works too. */
  WebSocket?: WebSocketConstructor;
  /** Start connecting immediately (default true). */
  connect?: boolean;
  /** Exchange updates with other tabs over BroadcastChannel, as y-websocket does by default. */
  crossTab?: boolean;
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** Jitter window after 1012 (restart) and 4503 (unavailable): the whole fleet comes back at once. */
  restartSpreadMs?: number;
  /** Send a fresh token this long before the current one's `exp` (or halfway, for short tokens). */
  refreshBeforeExpiryMs?: number;
  /** Random source in [0, 1) for the jitter; injectable for tests. */
  random?: () => number;
};

export type ConnectionState = 'connecting' | 'connected' | 'offline' | 'closed';
export type CloseInfo = { code: number; reason: string };

export type SyncStatus = {
  connection: ConnectionState;
  /** The server's state has been received on the current connection. */
  synced: boolean;
  /** Every local change is durable on the server (SAVED covers all sent frames, nothing unsent). */
  saved: boolean;
  /** Local changes not yet durable: unsent, sent and awaiting SAVED, or refused by the server. */
  pendingChanges: number;
  /** While waiting to reconnect: time left before the next attempt. */
  retryInMs?: number;
  /** Last access the server reported for this connection. */
  access?: Access;
  room?: RoomStatus;
  /** The last update the server refused; cleared once everything is saved again. */
  rejected?: Rejected;
  /** Set once the server closed with a terminal code: `connect()` resumes (e.g. after a new log-in). */
  closed?: CloseInfo;
};

export type SyncClientEvents = {
  status: (status: SyncStatus) => void;
  saved: (count: number) => void;
  'room-status': (status: RoomStatus) => void;
  'access-changed': (change: AccessChanged) => void;
  rejected: (rejected: Rejected) => void;
  /** A comment thread of the document changed (docs/spec/comments.md C5): re-read the threads. */
  'comments-changed': (change: CommentsChanged) => void;
  closed: (closed: CloseInfo) => void;
  /** A scheduled refresh failed; at expiry the server closes 4401 and the client tries `getToken()` once more. */
  'token-refresh-failed': (error: unknown) => void;
};

export type BackoffPolicy = { baseBackoffMs: number; maxBackoffMs: number; restartSpreadMs: number };

const DEFAULT_BACKOFF: BackoffPolicy = { baseBackoffMs: 500, maxBackoffMs: 30_000, restartSpreadMs: 5_000 };
const DEFAULT_REFRESH_BEFORE_EXPIRY_MS = 60_000;
/** setTimeout fires immediately for delays above 2^31-1 ms. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;
/** Reported to the provider when no token could be had for an attempt (never sent on the wire). */
const ABNORMAL_CLOSURE = 1006;

/**
 * Full jitter: uniform in [0, window), the window doubling per consecutive failure up to the cap.
 * Codes that reach every client at once (restart, unavailable) widen the window; rate limiting uses the cap.
 */
export function retryDelayMs(
  failures: number,
  closeCode: number | undefined,
  policy: BackoffPolicy,
  random: () => number,
): number {
  const exponential = policy.baseBackoffMs * 2 ** Math.max(0, failures - 1);
  const floor =
    closeCode === CloseCode.SERVICE_RESTART || closeCode === CloseCode.UNAVAILABLE
      ? policy.restartSpreadMs
      : closeCode === CloseCode.RATE_LIMITED
        ? policy.maxBackoffMs
        : 0;
  return Math.floor(random() * Math.min(policy.maxBackoffMs, Math.max(floor, exponential)));
}

/** The JWT `exp` in epoch ms, read without verifying (only to schedule a refresh); undefined for opaque tokens. */
export function tokenExpiresAtMs(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const binary = atob(payload.replaceAll('-', '+').replaceAll('_', '/'));
    const claims: unknown = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
    const exp = (claims as { exp?: unknown } | null)?.exp;
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined; // not a JWT: nothing to schedule, the server's 4401 still drives a refresh
  }
}

function globalWebSocket(): WebSocketConstructor {
  const WS = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!WS) throw new Error('No WebSocket implementation: pass options.WebSocket');
  return WS;
}

/**
 * y-protocols 1.0.7's Awareness registers a doc 'destroy' listener it never removes, so a doc that
 * outlives its clients would keep every awareness alive; we remove the one it added.
 */
function ownedAwareness(doc: Y.Doc): { awareness: Awareness; release: () => void } {
  const before = new Set(doc._observers.get('destroy'));
  const awareness = new Awareness(doc);
  const added = [...(doc._observers.get('destroy') ?? [])].filter((listener) => !before.has(listener));
  return {
    awareness,
    release: () => {
      awareness.destroy();
      for (const listener of added) doc.off('destroy', listener);
    },
  };
}

/**
 * Jitter lives in the gate rather than in the provider: the provider's own backoff (100·2^n ms, no
 * jitter) is set to 0, so it re-creates a gate right away and the gate waits out our delay. The
 * provider's state machine (handlers, awareness, sync) stays stock.
 */
export class SyncClient extends ObservableV2<SyncClientEvents> {
  readonly doc: Y.Doc;
  readonly awareness: Awareness;
  private readonly provider: WebsocketProvider;
  private readonly ledger = new SaveLedger();
  private readonly getTokenFn: () => Promise<string> | string;
  private readonly tokenInUrl: boolean;
  private readonly backoff: BackoffPolicy;
  private readonly refreshBeforeExpiryMs: number;
  private readonly random: () => number;
  /** Set when the awareness is ours: destroys it and unhooks it from the doc. */
  private readonly releaseAwareness: (() => void) | undefined;
  private gate: SocketGate | undefined;
  private retryAt: number | undefined;
  private synced = false;
  /** Consecutive connections that ended before syncing. */
  private failures = 0;
  private lastCloseCode: number | undefined;
  /** A 4401 was answered with one fresh token; another 4401 before syncing is final. */
  private authRetrying = false;
  private connectNow = false;
  private closedInfo: CloseInfo | undefined;
  private access: Access | undefined;
  private room: RoomStatus | undefined;
  private rejected: Rejected | undefined;
  private token: string | undefined;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private lastStatusKey = '';
  private destroyed = false;

  constructor(options: SyncClientOptions) {
    super();
    const WS = options.WebSocket ?? globalWebSocket();
    this.doc = options.doc;
    if (options.awareness) {
      this.awareness = options.awareness;
    } else {
      const owned = ownedAwareness(options.doc);
      this.awareness = owned.awareness;
      this.releaseAwareness = owned.release;
    }
    this.getTokenFn = options.getToken;
    this.tokenInUrl = options.tokenInUrl ?? false;
    this.backoff = {
      baseBackoffMs: options.baseBackoffMs ?? DEFAULT_BACKOFF.baseBackoffMs,
      maxBackoffMs: options.maxBackoffMs ?? DEFAULT_BACKOFF.maxBackoffMs,
      restartSpreadMs: options.restartSpreadMs ?? DEFAULT_BACKOFF.restartSpreadMs,
    };
    this.refreshBeforeExpiryMs = options.refreshBeforeExpiryMs ?? DEFAULT_REFRESH_BEFORE_EXPIRY_MS;
    this.random = options.random ?? Math.random;

    const hooks: GateHooks = {
      attemptStarted: (gate) => this.attemptStarted(gate),
      prepare: (url) => this.prepare(url),
      opened: (gate, token) => this.opened(gate, token),
      frameSent: (frame) => this.ledger.frameSent(frame),
      ended: (gate, close) => this.connectionEnded(gate, close),
      changed: () => this.publishStatus(),
    };
    const Gate = class extends SocketGate {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols, hooks, WS);
      }
    };
    this.provider = new WebsocketProvider(options.url, encodeURIComponent(options.documentId), options.doc, {
      connect: false,
      awareness: this.awareness,
      WebSocketPolyfill: Gate as unknown as typeof WebSocket,
      maxBackoffTime: 0,
      disableBc: options.crossTab === false,
      // The stock rule stops on every 44xx, including 4408 (idle) and 4429 (rate limited).
      shouldReconnect: () => this.closedInfo === undefined,
    });
    this.provider.messageHandlers[MessageType.TOKEN] = () => {
      // client → server only; registered so a stray echo is not logged as unknown
    };
    for (const type of [
      MessageType.SAVED,
      MessageType.ROOM_STATUS,
      MessageType.ACCESS_CHANGED,
      MessageType.REJECTED,
      MessageType.COMMENTS_CHANGED,
    ]) {
      this.provider.messageHandlers[type] = (_encoder, decoder) => this.receive(decodeServerMessage(decoder.arr));
    }
    this.provider.on('sync', this.onSync);
    // Registered after the provider's own listener, so the frame it just sent is ours to claim.
    this.doc.on('update', this.onDocUpdate);
    if (options.connect ?? true) this.connect();
    else this.publishStatus();
  }

  get status(): SyncStatus {
    const gate = this.gate;
    const connection: ConnectionState = this.closedInfo
      ? 'closed'
      : gate?.phase === 'open'
        ? 'connected'
        : gate && gate.phase !== 'waiting'
          ? 'connecting'
          : 'offline';
    const status: SyncStatus = {
      connection,
      synced: this.synced,
      saved: this.ledger.saved,
      pendingChanges: this.ledger.pendingChanges,
    };
    if (gate?.phase === 'waiting' && this.retryAt !== undefined) {
      status.retryInMs = Math.max(0, this.retryAt - Date.now());
    }
    if (this.access) status.access = this.access;
    if (this.room) status.room = this.room;
    if (this.rejected) status.rejected = this.rejected;
    if (this.closedInfo) status.closed = this.closedInfo;
    return status;
  }

  /** Connects, resumes after a terminal close or `disconnect()`, or skips a pending backoff. */
  connect(): void {
    if (this.destroyed) return;
    if (this.gate) {
      this.gate.proceedNow();
      return;
    }
    this.closedInfo = undefined;
    this.authRetrying = false;
    this.connectNow = true;
    this.provider.connect();
  }

  disconnect(): void {
    this.provider.disconnect();
    this.publishStatus();
  }

  /**
   * Sends a fresh token on the open socket before the current one expires. Resolves false when
   * there is no open connection (the next connection fetches its own token).
   */
  async refreshToken(): Promise<boolean> {
    const gate = this.gate;
    if (gate?.phase !== 'open') return false;
    const token = await this.getTokenFn();
    if (this.gate !== gate || gate.phase !== 'open') return false;
    gate.send(encodeToken(token));
    // Rescheduling for the same token would refresh ever closer to its expiry.
    if (token !== this.token) this.scheduleRefresh(token);
    return true;
  }

  override destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    clearTimeout(this.refreshTimer);
    this.doc.off('update', this.onDocUpdate);
    this.provider.off('sync', this.onSync);
    this.provider.destroy();
    this.releaseAwareness?.();
    super.destroy();
  }

  private readonly onDocUpdate = (_update: Uint8Array, origin: unknown): void => {
    if (origin === this.provider) return;
    this.ledger.localChange();
    this.publishStatus();
  };

  private readonly onSync = (synced: boolean): void => {
    if (!synced || this.gate?.phase !== 'open') return;
    this.synced = true;
    this.failures = 0;
    this.authRetrying = false;
    this.publishStatus();
  };

  private attemptStarted(gate: SocketGate): number {
    this.gate = gate;
    const immediate = this.connectNow || this.failures === 0 || this.lastCloseCode === CloseCode.UNAUTHORIZED;
    this.connectNow = false;
    const delayMs = immediate ? 0 : retryDelayMs(this.failures, this.lastCloseCode, this.backoff, this.random);
    this.retryAt = delayMs > 0 ? Date.now() + delayMs : undefined;
    if (delayMs > 0) this.publishStatus(); // otherwise the gate moves straight on to 'preparing'
    return delayMs;
  }

  private async prepare(url: string): Promise<Dial> {
    let token: string;
    try {
      token = await this.getTokenFn();
    } catch (error) {
      const reason = `getToken failed: ${error instanceof Error ? error.message : String(error)}`;
      // Offline token endpoints are transient; failing while recovering from a 4401 is final.
      throw { code: this.authRetrying ? CloseCode.UNAUTHORIZED : ABNORMAL_CLOSURE, reason } satisfies CloseInfo;
    }
    if (!this.tokenInUrl) return { url, firstFrame: encodeToken(token), token };
    const withToken = new URL(url);
    withToken.searchParams.set('token', token);
    return { url: withToken.toString(), token };
  }

  private opened(gate: SocketGate, token: string): void {
    if (gate !== this.gate) return;
    this.scheduleRefresh(token);
    this.publishStatus();
  }

  private connectionEnded(gate: SocketGate, close: CloseInfo | undefined): void {
    if (gate !== this.gate) return;
    this.gate = undefined;
    this.synced = false;
    this.ledger.connectionEnded();
    clearTimeout(this.refreshTimer);
    this.failures++;
    this.lastCloseCode = close?.code;
    if (close && TERMINAL_CLOSE_CODES.has(close.code)) {
      if (close.code === CloseCode.UNAUTHORIZED && !this.authRetrying) this.authRetrying = true;
      else this.closedInfo = close;
    }
    this.publishStatus();
    if (this.closedInfo && close === this.closedInfo && !this.destroyed) this.emit('closed', [close]);
  }

  private scheduleRefresh(token: string): void {
    this.token = token;
    clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    const expiresAt = tokenExpiresAtMs(token);
    const now = Date.now();
    // An expired token cannot be refreshed on this socket; the server's 4401 leads to one fresh getToken().
    if (expiresAt === undefined || expiresAt <= now) return;
    const delayMs = Math.max(expiresAt - this.refreshBeforeExpiryMs - now, (expiresAt - now) / 2);
    if (delayMs > MAX_TIMER_DELAY_MS) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      this.refreshToken().catch((error: unknown) => this.emit('token-refresh-failed', [error]));
    }, delayMs);
  }

  private receive(message: ServerMessage | undefined): void {
    switch (message?.type) {
      case 'saved':
        this.ledger.savedUpTo(message.count);
        if (this.ledger.saved) this.rejected = undefined;
        this.emit('saved', [message.count]);
        break;
      case 'room-status':
        this.room = message.status;
        this.access = message.status.access;
        this.emit('room-status', [message.status]);
        break;
      case 'access-changed':
        this.access = message.change.access;
        if (this.room) this.room = { ...this.room, access: message.change.access };
        this.emit('access-changed', [message.change]);
        // Refused changes only travel again in a step 2, which the server asks for when we join.
        if (message.change.access === 'edit' && this.ledger.hasRefused) this.rejoin();
        break;
      case 'rejected':
        this.ledger.refuse(message.rejected.frame);
        this.rejected = message.rejected;
        this.emit('rejected', [message.rejected]);
        break;
      case 'comments-changed':
        // Not connection state: nothing for the status to publish.
        this.emit('comments-changed', [message.change]);
        return;
      case undefined:
        return;
    }
    this.publishStatus();
  }

  private rejoin(): void {
    this.provider.disconnect();
    this.connect();
  }

  private publishStatus(): void {
    if (this.destroyed) return;
    const status = this.status;
    // retryInMs shrinks with time; the deadline is what changes state.
    const key = JSON.stringify({ ...status, retryInMs: status.retryInMs === undefined ? undefined : this.retryAt });
    if (key === this.lastStatusKey) return;
    this.lastStatusKey = key;
    this.emit('status', [status]);
  }
}
