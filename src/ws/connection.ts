/**
 * One sync socket from upgrade to close: authenticates (token in the URL or as the first frame),
 * authorizes, joins the room and feeds it frames; enforces the message rate, the tenant limits
 * (sockets per user and user-document, the workspace's frame and byte budget, what may arrive
 * before authentication), heartbeat and token expiry, and turns protocol errors into close codes.
 * SyncEndpoint (sync-endpoint.ts) creates it. Over 300 lines: it is the socket's one state
 * machine, and splitting it would scatter the phases (early, joined, closed) over files.
 */
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { type RawData, WebSocket } from 'ws';
import { atLeast } from '../domain/roles.ts';
import { CloseCode, closeReasonLabel, ProtocolError } from '../sync/close-codes.ts';
import { carriesUpdate, encodePermissionDenied, MessageType, updatePayload } from '../sync/protocol.ts';
import type { Room } from '../sync/room.ts';
import { DocumentQuarantined, type RoomRegistry, WorkspaceOverBudget } from '../sync/rooms.ts';
import { Session } from '../sync/session.ts';
import type { Slot, SyncLimitName } from '../sync/tenant-limits.ts';
import { setMaxPayload } from './limit-report.ts';
import { sendShared, sendSharedTogether } from './shared-frames.ts';
import type { ConnectionDeps } from './sync-endpoint.ts';

/** Frames a client may send before its token is verified (sync step 1, awareness, ...). */
const MAX_EARLY_FRAMES = 32;
/** A socket closed for being too slow gets this long to flush the close frame, then is cut. */
const TOO_SLOW_TERMINATE_MS = 2_000;
const tracer = trace.getTracer('collab-docs');

/** One socket from upgrade to close. */
/** Frames that may queue behind one large update while it is inspected off the main thread. */
const MAX_BACKLOG_FRAMES = 1_000;
/** Below this a frame cannot carry an update worth inspecting off the thread (header included). */
const MIN_PRECHECK_FRAME_BYTES = 1_024;

export class Connection {
  readonly ws: WebSocket;
  private readonly documentId: string;
  private readonly deps: ConnectionDeps;
  private readonly onGone: () => void;
  private session: Session | undefined;
  private room: Room | undefined;
  private early: Uint8Array[] = [];
  /** Frames held, in order, while a large update before them is inspected off the main thread. */
  private backlog: Uint8Array[] | undefined;
  private earlyBytes = 0;
  /** This socket's place in the per-user counts, once authenticated [S7.4]. */
  private userSlot: Slot | undefined;
  private authenticating = false;
  private alive = true;
  private tokens: number;
  private lastRefill = performance.now();
  private authTimer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  /** [S7.10] When this socket's presence was last applied, and the latest frame waiting its turn. */
  private presenceAt = Number.NEGATIVE_INFINITY;
  private presenceWaiting: Uint8Array | undefined;
  private presenceTimer: NodeJS.Timeout | undefined;

  constructor(ws: WebSocket, documentId: string, deps: ConnectionDeps, onGone: () => void) {
    this.ws = ws;
    this.documentId = documentId;
    this.deps = deps;
    this.onGone = onGone;
    this.tokens = deps.limits.messageBurst;
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data: RawData, isBinary: boolean) => this.onMessage(data, isBinary));
    ws.on('pong', () => {
      this.alive = true;
    });
    ws.on('close', (code: number) => this.onClose(code));
    ws.on('error', (err) => this.deps.logger.debug({ err, documentId }, 'sync socket error'));
  }

  start(urlToken: string | null): void {
    if (urlToken) {
      this.authenticate(urlToken);
      return;
    }
    this.authTimer = setTimeout(() => this.authTimedOut(), this.deps.limits.authTimeoutMs);
  }

  /**
   * [S2.1][S7.7] No token in time: cut without a close handshake, so a socket that never meant to
   * authenticate cannot hold its buffers through a slow close.
   */
  private authTimedOut(): void {
    this.deps.report.limited('auth_timeout', { documentId: this.documentId, reason: 'authentication timed out' });
    this.deps.metrics.connections.inc({ result: 'unauthorized' });
    this.early = [];
    this.ws.terminate();
  }

  beat(): void {
    if (!this.alive) {
      this.deps.metrics.closes.inc({ reason: 'idle_timeout' });
      this.ws.terminate();
      return;
    }
    this.alive = false;
    this.ws.ping();
  }

  /** A security event (bad or missing credentials, abuse of limits): logged at warn, then closed. */
  private refuse(code: number, reason: string): void {
    this.deps.logger.warn(
      { event: 'sync_socket_refused', documentId: this.documentId, userId: this.session?.userId, code, reason },
      'security: sync socket refused',
    );
    this.close(code, reason);
  }

  private close(code: number, reason: string): void {
    if (this.session) this.session.close(code, reason);
    else this.ws.close(code, reason);
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    this.alive = true;
    if (!isBinary) {
      this.refuse(CloseCode.BAD_MESSAGE, 'text frames are not part of the protocol');
      return;
    }
    if (!this.takeToken()) {
      this.deps.report.limited('socket_frames', {
        documentId: this.documentId,
        userId: this.session?.userId,
        reason: 'too many messages on one socket',
      });
      this.coolDown();
      this.refuse(CloseCode.RATE_LIMITED, 'too many messages');
      return;
    }
    const buf = data as Buffer;
    this.deps.topTalkers?.count('documentReceivedBytes', this.documentId, buf.byteLength);
    const frame = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    if (frame[0] === MessageType.TOKEN) {
      this.onToken(frame);
      return;
    }
    if (!this.session) {
      if (!this.authenticating) {
        this.refuse(CloseCode.UNAUTHORIZED, 'authentication required: send a token first');
        return;
      }
      // [S7.7] What waits for the token is bounded in frames and bytes (each frame is already
      // under the pre-authentication payload limit).
      this.earlyBytes += frame.byteLength;
      if (this.early.length >= MAX_EARLY_FRAMES || this.earlyBytes > 2 * this.deps.limits.preauthMaxMessageBytes) {
        this.deps.report.limited('preauth_frames', {
          documentId: this.documentId,
          reason: 'too much before authentication',
        });
        this.early = [];
        this.refuse(CloseCode.RATE_LIMITED, 'too many frames before authentication');
        return;
      }
      this.early.push(frame);
      return;
    }
    this.deliver(frame);
  }

  /**
   * [S11.1] Frames go to the room in order; a large update first has its own cost counted in a
   * CRDT worker (refused there, it never costs the event loop its decoding), and the frames behind
   * it wait.
   */
  private deliver(frame: Uint8Array): void {
    if (this.backlog) {
      if (this.backlog.length >= MAX_BACKLOG_FRAMES) {
        this.refuse(CloseCode.RATE_LIMITED, 'too many frames behind a large update');
        return;
      }
      this.backlog.push(frame);
      return;
    }
    const payload = frame.byteLength >= MIN_PRECHECK_FRAME_BYTES ? updatePayload(frame) : null;
    if (!payload || !this.deps.registry.precheckWanted(payload.byteLength)) {
      this.dispatch(frame);
      return;
    }
    // Charged before the worker spends time on it: a tenant over its budget costs no inspection.
    if (!this.withinWorkspaceBudget(frame)) return;
    this.backlog = [];
    void this.deps.registry
      .precheck(payload)
      .catch((err: unknown) => {
        // A worker that failed says nothing about the update: the main thread's own check decides.
        this.deps.logger.warn({ err, documentId: this.documentId }, 'off-thread update inspection failed');
        return null;
      })
      .then((refused) => {
        const session = this.session;
        if (!session || session.closed) return;
        if (refused) {
          this.deps.metrics.updateRefused('refuse');
          this.deps.logger.warn(
            {
              event: 'sync_frame_refused',
              documentId: this.documentId,
              userId: session.userId,
              reason: refused.reason,
            },
            'security: sync frame refused',
          );
          session.close(refused.malformed ? CloseCode.BAD_MESSAGE : CloseCode.TOO_COMPLEX, refused.reason);
          this.backlog = undefined;
          return;
        }
        this.dispatch(frame, true);
        const waiting = this.backlog ?? [];
        this.backlog = undefined;
        for (const next of waiting) {
          if (session.closed) break;
          this.deliver(next);
        }
      });
  }

  /** [S7.6] The workspace's frame and byte budget on this instance, shared by all its sockets. */
  private withinWorkspaceBudget(frame: Uint8Array): boolean {
    const session = this.session!;
    const room = this.room!;
    const over =
      this.deps.tenantLimits.frame(room.workspaceId, frame.byteLength) ??
      (carriesUpdate(frame) && this.deps.tenantLimits.crdtOver(room.workspaceId) ? 'workspace_crdt_cpu' : null);
    if (!over) return true;
    this.deps.report.limited(over, {
      documentId: this.documentId,
      workspaceId: room.workspaceId,
      userId: session.userId,
      reason:
        over === 'workspace_frames'
          ? 'workspace frame rate exceeded'
          : over === 'workspace_bytes'
            ? 'workspace byte rate exceeded'
            : 'workspace CRDT CPU budget exceeded',
    });
    this.coolDown();
    session.close(CloseCode.RATE_LIMITED, 'workspace sync rate exceeded: retry later');
    return false;
  }

  /**
   * One frame to the room; `paid`: the workspace budget was charged already (before a precheck);
   * `due`: a held presence frame whose turn has come (S7.10).
   */
  private dispatch(frame: Uint8Array, paid = false, due = false): void {
    if (!due && frame[0] === MessageType.AWARENESS && this.holdPresence(frame)) return;
    const session = this.session!;
    const room = this.room!;
    if (!paid && !this.withinWorkspaceBudget(frame)) return;
    // Each update is its own root span (apply → fan-out as a child); other frames are not traced.
    const span = carriesUpdate(frame)
      ? tracer.startSpan('sync.apply', {
          root: true,
          attributes: { 'document.id': this.documentId, 'sync.bytes': frame.byteLength },
        })
      : undefined;
    // [S11.7] What the update cost this thread is charged to its workspace (CPU, not wall time).
    const cpuBefore = span ? process.threadCpuUsage() : undefined;
    try {
      if (span) context.with(trace.setSpan(context.active(), span), () => room.receive(session, frame));
      else room.receive(session, frame);
      if (cpuBefore) {
        const used = process.threadCpuUsage(cpuBefore);
        this.deps.tenantLimits.chargeCrdt(room.workspaceId, (used.user + used.system) / 1000);
      }
    } catch (err) {
      span?.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      if (err instanceof ProtocolError) {
        if (err.limit) {
          this.deps.report.limited(err.limit as SyncLimitName, {
            documentId: this.documentId,
            workspaceId: room.workspaceId,
            userId: session.userId,
            reason: err.message,
            code: err.code,
          });
        }
        this.deps.logger.warn(
          { event: 'sync_frame_refused', documentId: this.documentId, userId: session.userId, reason: err.message },
          'security: sync frame refused',
        );
        if (err.code === CloseCode.RATE_LIMITED) this.coolDown();
        session.close(err.code, err.message);
        // The sender hears 4400 first; everyone else is sent to a fresh room.
        if (room.poisoned) this.deps.registry.evict(room);
        return;
      }
      this.deps.logger.error({ err, documentId: this.documentId }, 'sync message failed');
      session.close(1011, 'internal error');
    } finally {
      span?.end();
    }
  }

  /**
   * [S7.10] Presence is applied at most once per `presenceMinIntervalMs`: a frame sooner than that
   * waits, replacing any frame already waiting (a presence state replaces the one before it, so
   * only the latest matters), and is applied when the interval is up. A client moving its caret
   * 100 times a second costs the room, the bus and the workspace budget 20 applies, not 100.
   * True when the frame was held.
   */
  private holdPresence(frame: Uint8Array): boolean {
    const interval = this.deps.limits.presenceMinIntervalMs ?? 0;
    if (interval <= 0) return false;
    const now = performance.now();
    if (!this.presenceWaiting && now - this.presenceAt >= interval) {
      this.presenceAt = now;
      return false;
    }
    if (this.presenceWaiting) this.deps.metrics.presenceCoalesced.inc();
    this.presenceWaiting = frame;
    this.presenceTimer ??= setTimeout(
      () => {
        this.presenceTimer = undefined;
        const waiting = this.presenceWaiting;
        this.presenceWaiting = undefined;
        this.presenceAt = performance.now();
        if (waiting && this.session && !this.session.closed) this.dispatch(waiting, false, true);
      },
      Math.max(0, this.presenceAt + interval - now),
    );
    return true;
  }

  /** [S7.11] Closed for sending too fast: the user's next sockets wait out a cool-down. */
  private coolDown(): void {
    if (this.session) this.deps.tenantLimits.coolDown(this.session.userId);
  }

  /** Token bucket: `messagesPerSecond` sustained, `messageBurst` at once. */
  private takeToken(): boolean {
    const now = performance.now();
    const { messagesPerSecond, messageBurst } = this.deps.limits;
    this.tokens = Math.min(messageBurst, this.tokens + ((now - this.lastRefill) / 1000) * messagesPerSecond);
    this.lastRefill = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private onToken(frame: Uint8Array): void {
    let token: string;
    try {
      token = new TextDecoder('utf-8', { fatal: true }).decode(frame.subarray(tokenOffset(frame)));
    } catch {
      this.refuse(CloseCode.BAD_MESSAGE, 'malformed token message');
      return;
    }
    if (!this.session && !this.authenticating) {
      this.authenticate(token);
      return;
    }
    if (this.session) this.refresh(token);
  }

  /** A new token on an open socket: same user, later expiry. */
  private refresh(token: string): void {
    const session = this.session!;
    this.deps.authenticate(token).then(
      (principal) => {
        if (principal.userId !== session.userId) {
          this.refuse(CloseCode.UNAUTHORIZED, 'token belongs to another user');
          return;
        }
        session.expiresAt = principal.expiresAt;
        this.armExpiry();
      },
      () => this.refuse(CloseCode.UNAUTHORIZED, 'invalid token'),
    );
  }

  private authenticate(token: string): void {
    this.authenticating = true;
    if (this.authTimer) clearTimeout(this.authTimer);
    const span = tracer.startSpan('sync.connect', { attributes: { 'document.id': this.documentId } });
    this.join(token)
      .catch((err: unknown) => {
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR });
        this.deps.logger.error({ err, documentId: this.documentId }, 'sync connect failed');
        this.deps.metrics.connections.inc({ result: 'unavailable' });
        this.close(CloseCode.UNAVAILABLE, 'document unavailable, retry later');
      })
      .finally(() => span.end());
  }

  private async join(token: string): Promise<void> {
    const { metrics } = this.deps;
    let principal: { userId: string; expiresAt: number; name?: string };
    try {
      principal = await this.deps.authenticate(token);
    } catch {
      metrics.connections.inc({ result: 'unauthorized' });
      this.deps.logger.warn(
        { event: 'sync_socket_refused', documentId: this.documentId, code: CloseCode.UNAUTHORIZED },
        'security: sync socket refused: invalid or expired token',
      );
      this.ws.send(encodePermissionDenied('invalid or expired token'));
      this.ws.close(CloseCode.UNAUTHORIZED, 'invalid or expired token');
      return;
    }
    if (this.ws.readyState !== WebSocket.OPEN) return;
    // [S7.11] A user just closed for flooding waits before any lookup, however many sockets they open.
    const coolingMs = this.deps.tenantLimits.coolingDown(principal.userId);
    if (coolingMs > 0) {
      metrics.connections.inc({ result: 'rate_limited' });
      const reason = `sending too fast: retry in ${Math.ceil(coolingMs / 1000)} s`;
      this.deps.report.limited('user_cooldown', { documentId: this.documentId, userId: principal.userId, reason });
      this.ws.close(CloseCode.RATE_LIMITED, reason);
      return;
    }
    // [S7.4] Before any lookup: a user over their socket caps costs no permission check or document load.
    const slot = this.deps.tenantLimits.admitUser(principal.userId, this.documentId);
    if (typeof slot === 'string') {
      metrics.connections.inc({ result: 'rate_limited' });
      const reason =
        slot === 'user_document_sockets'
          ? 'too many sockets for this user on this document'
          : 'too many sockets for this user';
      this.deps.report.limited(slot, { documentId: this.documentId, userId: principal.userId, reason });
      this.ws.close(CloseCode.RATE_LIMITED, reason);
      return;
    }
    this.deps.report.allowed('user_document_sockets');
    this.userSlot = slot;
    const joining = this.deps.tenantLimits.admitJoin(principal.userId);
    if (!joining) {
      metrics.connections.inc({ result: 'rate_limited' });
      const reason = 'too many sockets of this user connecting at once';
      this.deps.report.limited('user_joins', { documentId: this.documentId, userId: principal.userId, reason });
      this.ws.close(CloseCode.RATE_LIMITED, reason);
      return;
    }
    try {
      await this.joinAs(principal);
    } finally {
      joining.release();
    }
  }

  /** Authorized and admitted: the access check, the room load, then the session joins. */
  private async joinAs(principal: { userId: string; expiresAt: number; name?: string }): Promise<void> {
    const { metrics } = this.deps;
    const access = await this.deps.documentAccess(principal.userId, this.documentId);
    if (access === null || access === 'none') {
      // Outsiders cannot tell a missing document from a forbidden one (as in the API).
      metrics.connections.inc({ result: 'not_found' });
      this.deps.logger.warn(
        {
          event: 'sync_socket_refused',
          documentId: this.documentId,
          userId: principal.userId,
          code: CloseCode.NOT_FOUND,
        },
        'security: sync socket refused: no access to the document',
      );
      this.ws.send(encodePermissionDenied('document not found'));
      this.ws.close(CloseCode.NOT_FOUND, 'document not found');
      return;
    }
    if (access === 'trashed') {
      // Someone who could read it may know it is in the trash [T1]; the client offers a restore.
      metrics.connections.inc({ result: 'in_trash' });
      this.ws.send(encodePermissionDenied('document moved to the trash'));
      this.ws.close(CloseCode.IN_TRASH, 'document moved to the trash');
      return;
    }
    const name = principal.name ?? (await this.deps.displayName(principal.userId)) ?? principal.userId;
    const started = performance.now();
    let room: Awaited<ReturnType<RoomRegistry['acquire']>>;
    try {
      room = await this.deps.registry.acquire(this.documentId);
    } catch (err) {
      if (err instanceof WorkspaceOverBudget) {
        // [S11.8] Loading it would spend CPU its workspace no longer has on this instance.
        metrics.connections.inc({ result: 'rate_limited' });
        const reason = 'workspace CRDT CPU budget exceeded';
        this.deps.report.limited('workspace_crdt_cpu', {
          documentId: this.documentId,
          userId: principal.userId,
          reason,
        });
        this.ws.close(CloseCode.RATE_LIMITED, 'workspace sync rate exceeded: retry later');
        return;
      }
      if (!(err instanceof DocumentQuarantined)) throw err;
      // [S11.4] Until an operator repairs or releases it, nobody can hold a room on it open.
      metrics.connections.inc({ result: 'quarantined' });
      this.ws.close(CloseCode.QUARANTINED, 'document quarantined: an operator must repair it');
      return;
    }
    metrics.loadDuration.observe((performance.now() - started) / 1000);
    if (!room) {
      metrics.connections.inc({ result: 'not_found' });
      this.ws.close(CloseCode.NOT_FOUND, 'document not found');
      return;
    }
    // [S5.6] Edit rights take an editing seat of the document across the fleet, or a place in line.
    const rights = atLeast(access, 'editor') ? 'edit' : 'read';
    const admitted = await room.admit(rights);
    if (this.ws.readyState !== WebSocket.OPEN) {
      room.cancelAdmit(admitted);
      this.deps.registry.release(room);
      return;
    }
    // [S7.7] Authenticated and admitted: frames up to the full limit from now on.
    setMaxPayload(this.ws, this.deps.limits.maxMessageBytes);
    const socket = {
      // [S7.9] A broadcast's frame is framed once for all its sockets.
      send: (frame: Uint8Array, shared?: boolean) => (shared ? sendShared(this.ws, frame) : this.ws.send(frame)),
      sendTogether: (frames: readonly Uint8Array[]) => sendSharedTogether(this.ws, frames),
      get bufferedAmount() {
        return socket.ws.bufferedAmount;
      },
      ws: this.ws,
      close: (code: number, reason: string) => {
        this.ws.close(code, reason);
        if (code === CloseCode.TOO_SLOW) setTimeout(() => this.ws.terminate(), TOO_SLOW_TERMINATE_MS).unref();
      },
    };
    const session = new Session(socket, principal.userId, admitted, principal.expiresAt, name);
    this.session = session;
    this.room = room;
    room.join(session, rights);
    this.deps.topTalkers?.socketOpened(this.documentId);
    metrics.connections.inc({ result: 'accepted' });
    this.deps.onOpened?.(principal.userId, this.documentId);
    this.armExpiry();
    const early = this.early;
    this.early = [];
    for (const frame of early) {
      if (session.closed) break;
      this.deliver(frame);
    }
  }

  private armExpiry(): void {
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    const session = this.session!;
    // setTimeout caps at ~24.8 days; tokens live minutes.
    const ms = Math.min(2 ** 31 - 1, Math.max(0, session.expiresAt * 1000 - Date.now()));
    // Not unref'd: Node keeps a timer list per distinct unref'd deadline until it passes (a leak
    // of ~90 bytes per connection found by the soak test); the listening server keeps us alive anyway.
    this.expiryTimer = setTimeout(() => this.close(CloseCode.UNAUTHORIZED, 'session expired: refresh the token'), ms);
  }

  private onClose(code: number): void {
    if (this.authTimer) clearTimeout(this.authTimer);
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    if (this.presenceTimer) clearTimeout(this.presenceTimer);
    this.presenceWaiting = undefined;
    this.early = [];
    this.userSlot?.release();
    this.userSlot = undefined;
    this.deps.metrics.closes.inc({ reason: closeReasonLabel(code) });
    const { session, room } = this;
    if (session && room) {
      session.closed = true;
      this.deps.topTalkers?.socketClosed(this.documentId);
      room.leave(session);
      this.deps.registry.release(room);
    }
    this.session = undefined;
    this.room = undefined;
    this.onGone();
  }
}

/** Where the token string starts in a TOKEN frame: after the type and the string's length. */
function tokenOffset(frame: Uint8Array): number {
  let i = 1;
  while (i < frame.length && (frame[i]! & 0x80) !== 0) i++;
  return i + 1;
}
