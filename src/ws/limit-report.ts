/**
 * The transport's side of the sync tier's tenant limits: counts every decision
 * (`sync_limit_decisions_total{limit,outcome}`), logs a refusal at warn at most once per limit and
 * tenant per 10 s (with how many were held back), and raises ws's payload cap once a socket has
 * authenticated.
 */
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { SyncMetrics } from '../observability/sync-metrics.ts';
import type { SyncLimitName } from '../sync/tenant-limits.ts';

const LOG_EVERY_MS = 10_000;
/** Bounds the throttle's memory under a flood of distinct keys (addresses). */
const MAX_THROTTLED_KEYS = 10_000;

export type LimitEvent = {
  reason: string;
  documentId?: string;
  userId?: string;
  workspaceId?: string;
  ip?: string;
  code?: number;
};

export class LimitReport {
  private readonly metrics: SyncMetrics;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly lastLogged = new Map<string, { at: number; held: number }>();

  constructor(metrics: SyncMetrics, logger: Logger, now: () => number = () => performance.now()) {
    this.metrics = metrics;
    this.logger = logger;
    this.now = now;
  }

  allowed(limit: SyncLimitName): void {
    this.metrics.limitDecision(limit, 'allowed');
  }

  /** A tenant was limited: counted always, logged at warn at most once per limit and tenant per 10 s. */
  limited(limit: SyncLimitName, event: LimitEvent): void {
    this.metrics.limitDecision(limit, 'limited');
    const key = `${limit}|${event.workspaceId ?? event.userId ?? event.ip ?? ''}`;
    const now = this.now();
    const seen = this.lastLogged.get(key);
    if (seen && now - seen.at < LOG_EVERY_MS) {
      seen.held++;
      return;
    }
    if (this.lastLogged.size >= MAX_THROTTLED_KEYS) this.lastLogged.clear();
    this.lastLogged.set(key, { at: now, held: 0 });
    this.logger.warn(
      { event: 'sync_tenant_limited', limit, ...event, heldBack: seen?.held ?? 0 },
      'tenant sync limit: socket refused',
    );
  }
}

/**
 * Sets the largest frame ws accepts on this socket from now on (it closes 1009 above it). ws
 * takes the limit once, at the upgrade; the pre-authentication limit is small, so the
 * authenticated one is set on its receiver. Throws if ws's internals ever change shape, which the
 * transport tests would catch ([S7.7]).
 */
export function setMaxPayload(ws: WebSocket, bytes: number): void {
  const receiver = (ws as unknown as { _receiver?: { _maxPayload?: unknown } })._receiver;
  if (!receiver || typeof receiver._maxPayload !== 'number') {
    throw new Error('ws internals changed: cannot raise the payload limit after authentication');
  }
  receiver._maxPayload = bytes;
}
