/**
 * The WebSocket transport: upgrades `/sync/:documentId` on the HTTP server, authenticates (token
 * in the URL or as the first frame), authorizes with the same policy as the API, then binds the
 * socket to its room (one Connection per socket, connection.ts). Enforces frame size (small until
 * authenticated), message rate, sockets per address (here, before the upgrade), heartbeat and
 * token expiry; turns protocol errors into close codes. Everything document-related happens in the room.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import type { SyncMetrics } from '../observability/sync-metrics.ts';
import type { TopTalkers } from '../observability/top-talkers.ts';
import { CloseCode } from '../sync/close-codes.ts';
import type { DocumentAccessNow } from '../sync/ports.ts';
import type { RoomRegistry } from '../sync/rooms.ts';
import type { SyncTenantLimiter } from '../sync/tenant-limits.ts';
import { Connection } from './connection.ts';
import { LimitReport } from './limit-report.ts';

export type SyncEndpointLimits = {
  maxMessageBytes: number;
  /** Largest frame before the token is verified [S7.7]. */
  preauthMaxMessageBytes: number;
  messagesPerSecond: number;
  messageBurst: number;
  heartbeatMs: number;
  authTimeoutMs: number;
  /** [S7.10] A socket's presence is applied at most once per this many ms (0: every frame). */
  presenceMinIntervalMs?: number;
};

export type SyncEndpointDeps = {
  registry: RoomRegistry;
  /** Verifies an access token; throws when it is not valid. */
  authenticate: (token: string) => Promise<{ userId: string; expiresAt: number; name?: string }>;
  /** The user's display name, for tokens without a `name` claim (stamped into presence [S2.7]). */
  displayName: (userId: string) => Promise<string | null>;
  /** Effective access now (DocumentAccessNow: 'trashed', null when it does not exist). */
  documentAccess: (userId: string, documentId: string) => Promise<DocumentAccessNow>;
  /** A user joined a document's room ("Recent"); best effort, never delays the socket. */
  onOpened?: (userId: string, documentId: string) => void;
  metrics: SyncMetrics;
  /** Busiest documents by open sockets and bytes received (bounded). */
  topTalkers?: TopTalkers;
  logger: Logger;
  limits: SyncEndpointLimits;
  /** Sockets per address, user and user-document; frames and bytes per workspace [S7.4–S7.6]. */
  tenantLimits: SyncTenantLimiter;
  /** The client's address (X-Forwarded-For from trusted proxies only). */
  clientAddress: (req: IncomingMessage) => string;
};

/** What each Connection gets: the endpoint's deps plus the shared limit report. */
export type ConnectionDeps = SyncEndpointDeps & { report: LimitReport };

const PATH = /^\/sync\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/?$/i;

export class SyncEndpoint {
  private readonly deps: ConnectionDeps;
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<Connection>();
  private readonly heartbeat: NodeJS.Timeout;
  private draining = false;

  constructor(server: Server, deps: SyncEndpointDeps) {
    this.deps = { ...deps, report: new LimitReport(deps.metrics, deps.logger) };
    this.wss = new WebSocketServer({
      noServer: true,
      // [S7.7] Until a socket has authenticated; its Connection raises it to maxMessageBytes after.
      maxPayload: Math.min(deps.limits.preauthMaxMessageBytes, deps.limits.maxMessageBytes),
      perMessageDeflate: false,
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    this.heartbeat = setInterval(() => {
      for (const c of this.connections) c.beat();
    }, deps.limits.heartbeatMs);
    this.heartbeat.unref();
  }

  get openSockets(): number {
    return this.connections.size;
  }

  sendBuffers(): number[] {
    return [...this.connections].map((c) => c.ws.bufferedAmount);
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!url.pathname.startsWith('/sync/')) {
      reject(socket, 404, 'Not Found');
      return;
    }
    if (this.draining) {
      reject(socket, 503, 'Service Unavailable', { 'Retry-After': '1' });
      return;
    }
    const match = PATH.exec(url.pathname);
    // [S7.4] Counted from the upgrade, before any token: refused with a plain HTTP 429, so a
    // flood from one address never gets as far as a WebSocket.
    const ip = this.deps.clientAddress(req);
    // [S7.12] A connect storm from one address is answered here, at a fraction of a handshake's cost.
    const waitMs = this.deps.tenantLimits.connectRate(ip);
    if (waitMs > 0) {
      this.deps.metrics.connections.inc({ result: 'rate_limited' });
      this.deps.report.limited('ip_connects', { ip, reason: 'too many new sockets from this address' });
      reject(socket, 429, 'Too Many Requests', { 'Retry-After': String(Math.ceil(waitMs / 1000)) });
      return;
    }
    this.deps.report.allowed('ip_connects');
    const slot = this.deps.tenantLimits.admitAddress(ip);
    if (!slot) {
      this.deps.metrics.connections.inc({ result: 'rate_limited' });
      this.deps.report.limited('ip_sockets', { ip, reason: 'too many sockets from this address' });
      reject(socket, 429, 'Too Many Requests', { 'Retry-After': '30' });
      return;
    }
    this.deps.report.allowed('ip_sockets');
    socket.once('close', () => slot.release());
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      if (!match) {
        ws.close(CloseCode.NOT_FOUND, 'document not found');
        this.deps.metrics.connections.inc({ result: 'not_found' });
        return;
      }
      const connection = new Connection(ws, match[1]!.toLowerCase(), this.deps, () =>
        this.connections.delete(connection),
      );
      this.connections.add(connection);
      connection.start(url.searchParams.get('token'));
    });
  }

  /** Shutdown: refuse new sockets, let the rooms flush and close theirs (1012), then cut the rest. */
  async close(): Promise<void> {
    this.draining = true;
    clearInterval(this.heartbeat);
    await this.deps.registry.close();
    for (const c of this.connections) c.ws.close(CloseCode.SERVICE_RESTART, 'server restarting');
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

function reject(socket: Duplex, status: number, text: string, headers: Record<string, string> = {}): void {
  const lines = [`HTTP/1.1 ${status} ${text}`, 'Connection: close', 'Content-Length: 0'];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  socket.end(`${lines.join('\r\n')}\r\n\r\n`);
}
