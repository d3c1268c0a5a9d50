/**
 * Tenant limits of the sync tier on this instance (docs/spec/sync.md S7.4–S7.6): how many sockets
 * one client address, one user, and one user on one document may hold open, and how many frames
 * and bytes all sockets of one workspace may send per second (GCRA from domain/rate-limits.ts,
 * weighted by bytes for the byte budget).
 *
 * Per instance, not fleet-wide, on purpose: socket counts are about this process's memory and
 * file descriptors, and the frame budget about its event loop; HAProxy hashes a document's
 * sockets onto one instance, so a document's traffic meets one budget. Counting in Redis would
 * put a round trip on every frame. Knows nothing of ws; time arrives as a function.
 */
import { decide, type RatePolicy } from '../domain/rate-limits.ts';

export type SyncTenantLimits = {
  maxSocketsPerIp: number;
  /**
   * [S7.12] New sockets one address may open per second, and how many at once: every upgrade
   * costs the event loop ~2 ms of handshake and kernel writes before any token is seen, so a
   * connect storm is cut at the cheapest point, the HTTP upgrade (absent: unlimited).
   */
  connectsPerSecondPerIp?: number;
  connectBurstPerIp?: number;
  maxSocketsPerUser: number;
  maxSocketsPerUserPerDoc: number;
  /** Sockets of one user between a verified token and a joined room (access check, room load). */
  maxJoiningPerUser: number;
  workspaceFramesPerSecond: number;
  workspaceBytesPerSecond: number;
  workspaceBurstSeconds: number;
  /**
   * [S11.7] Event-loop CPU (ms per second) one workspace's updates may cost on an instance, with
   * one second of it as burst: each update is cheap, but a stream of them at a pile-up is not.
   */
  workspaceCrdtMsPerSecond?: number;
  /** The largest frame accepted: the byte bucket always holds at least one. */
  maxMessageBytes: number;
  /**
   * [S7.11] After a user's socket is closed for sending too fast, their new sockets are refused
   * this long (0: off), so a flooder cannot buy a fresh budget by reconnecting at once.
   */
  limitedCooldownMs?: number;
};

/** Metric label of each limit (`sync_limit_decisions_total{limit}`). */
export type SyncLimitName =
  | 'ip_sockets'
  | 'ip_connects'
  | 'user_sockets'
  | 'user_document_sockets'
  | 'user_joins'
  | 'user_cooldown'
  | 'workspace_frames'
  | 'workspace_bytes'
  | 'workspace_crdt_cpu'
  | 'socket_frames'
  | 'preauth_frames'
  | 'auth_timeout'
  | 'presence_size';

/** Idle workspace buckets are forgotten this often (a full bucket equals a fresh one). */
const SWEEP_EVERY_MS = 10_000;

/** A socket slot taken by `admit*`; release it exactly once when the socket closes. */
export type Slot = { release(): void };

export class SyncTenantLimiter {
  private readonly limits: SyncTenantLimits;
  private readonly now: () => number;
  private readonly ips = new Map<string, number>();
  private readonly users = new Map<string, number>();
  private readonly userDocs = new Map<string, number>();
  private readonly joining = new Map<string, number>();
  private readonly frameTat = new Map<string, number>();
  private readonly byteTat = new Map<string, number>();
  /** Per workspace: when its CRDT CPU spent so far is paid off (ms on the `now` clock). */
  private readonly cpuTat = new Map<string, number>();
  /** Per user: until when (ms on the `now` clock) their new sockets are refused [S7.11]. */
  private readonly cooldowns = new Map<string, number>();
  /** Per address: GCRA state of its connect rate [S7.12]. */
  private readonly connectTat = new Map<string, number>();
  private readonly connectPolicy: RatePolicy | undefined;
  private readonly framePolicy: RatePolicy;
  private readonly bytePolicy: RatePolicy;
  private lastSweep: number;

  constructor(limits: SyncTenantLimits, now: () => number = () => performance.now()) {
    this.limits = limits;
    this.now = now;
    this.lastSweep = now();
    const seconds = limits.workspaceBurstSeconds;
    this.connectPolicy = limits.connectsPerSecondPerIp
      ? {
          name: 'ip_connects',
          ratePerSecond: limits.connectsPerSecondPerIp,
          burst: Math.max(1, limits.connectBurstPerIp ?? limits.connectsPerSecondPerIp),
        }
      : undefined;
    this.framePolicy = {
      name: 'workspace_frames',
      ratePerSecond: limits.workspaceFramesPerSecond,
      burst: Math.max(1, limits.workspaceFramesPerSecond * seconds),
    };
    this.bytePolicy = {
      name: 'workspace_bytes',
      ratePerSecond: limits.workspaceBytesPerSecond,
      burst: Math.max(limits.maxMessageBytes, limits.workspaceBytesPerSecond * seconds),
    };
  }

  /** [S7.4] A socket from `ip` (at upgrade, before authentication); null when the address is at its cap. */
  admitAddress(ip: string): Slot | null {
    return take(this.ips, ip, this.limits.maxSocketsPerIp);
  }

  /**
   * [S7.12] One more connect from `ip`: 0 when it may go on, otherwise the milliseconds until it
   * may (the upgrade is answered HTTP 429 with that Retry-After).
   */
  connectRate(ip: string): number {
    if (!this.connectPolicy) return 0;
    const now = this.now();
    if (now - this.lastSweep > SWEEP_EVERY_MS) this.sweep(now);
    const d = decide(this.connectTat.get(ip), now, this.connectPolicy);
    if (!d.allowed) return Math.max(1, d.retryAfterMs);
    this.connectTat.set(ip, d.tatMs);
    return 0;
  }

  /**
   * [S7.4] An authenticated socket of `userId` on `documentId`: the limit it would exceed, or a
   * slot holding both counts.
   */
  admitUser(userId: string, documentId: string): Slot | 'user_sockets' | 'user_document_sockets' {
    const doc = take(this.userDocs, `${userId}/${documentId}`, this.limits.maxSocketsPerUserPerDoc);
    if (!doc) return 'user_document_sockets';
    const user = take(this.users, userId, this.limits.maxSocketsPerUser);
    if (!user) {
      doc.release();
      return 'user_sockets';
    }
    return {
      release() {
        doc.release();
        user.release();
      },
    };
  }

  /**
   * [S7.4] One more socket of `userId` starting its access check and room load; null when the
   * user already has the most in flight (a connect storm would hold the sync pool for everyone).
   */
  admitJoin(userId: string): Slot | null {
    return take(this.joining, userId, this.limits.maxJoiningPerUser);
  }

  /** [S7.11] `userId`'s socket was closed for sending too fast: hold their new sockets back a while. */
  coolDown(userId: string): void {
    const ms = this.limits.limitedCooldownMs ?? 0;
    if (ms <= 0) return;
    const until = this.now() + ms;
    if ((this.cooldowns.get(userId) ?? 0) < until) this.cooldowns.set(userId, until);
  }

  /** [S7.11] How long (ms) `userId` must still wait before a new socket is admitted; 0 when free. */
  coolingDown(userId: string): number {
    const until = this.cooldowns.get(userId);
    if (until === undefined) return 0;
    const left = until - this.now();
    if (left > 0) return left;
    this.cooldowns.delete(userId);
    return 0;
  }

  /** [S7.6] One frame of `bytes` from a socket of `workspaceId`: the budget it exceeds, or null. */
  frame(workspaceId: string, bytes: number): 'workspace_frames' | 'workspace_bytes' | null {
    const now = this.now();
    if (now - this.lastSweep > SWEEP_EVERY_MS) this.sweep(now);
    const frames = decide(this.frameTat.get(workspaceId), now, this.framePolicy);
    if (!frames.allowed) return 'workspace_frames';
    const data = decide(this.byteTat.get(workspaceId), now, this.bytePolicy, bytes);
    if (!data.allowed) return 'workspace_bytes';
    this.frameTat.set(workspaceId, frames.tatMs);
    this.byteTat.set(workspaceId, data.tatMs);
    return null;
  }

  /**
   * [S11.7] Whether the workspace may have another update applied now: its CPU bucket is not past
   * its one-second burst. Checked before a frame, charged after it (`chargeCrdt`).
   */
  crdtOver(workspaceId: string): boolean {
    const rate = this.limits.workspaceCrdtMsPerSecond;
    if (!rate) return false;
    const tat = this.cpuTat.get(workspaceId);
    return tat !== undefined && tat - this.now() > 1000;
  }

  /** Charges `cpuMs` of event-loop CPU an update cost to its workspace. */
  chargeCrdt(workspaceId: string, cpuMs: number): void {
    const rate = this.limits.workspaceCrdtMsPerSecond;
    if (!rate || cpuMs <= 0) return;
    const now = this.now();
    const tat = Math.max(this.cpuTat.get(workspaceId) ?? now, now);
    this.cpuTat.set(workspaceId, tat + (cpuMs * 1000) / rate);
  }

  /** Open sockets counted per address, user and user-document (for tests and the dashboard). */
  get counts(): { ips: number; users: number; userDocuments: number } {
    return { ips: this.ips.size, users: this.users.size, userDocuments: this.userDocs.size };
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const tats of [this.frameTat, this.byteTat, this.cpuTat, this.cooldowns, this.connectTat]) {
      for (const [key, tat] of tats) if (tat <= now) tats.delete(key);
    }
  }
}

/** Counts one more under `key` unless it is at `max`; the slot gives it back (once). */
function take(counts: Map<string, number>, key: string, max: number): Slot | null {
  const n = counts.get(key) ?? 0;
  if (n >= max) return null;
  counts.set(key, n + 1);
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      const left = (counts.get(key) ?? 1) - 1;
      if (left <= 0) counts.delete(key);
      else counts.set(key, left);
    },
  };
}
