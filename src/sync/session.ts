/** One authenticated connection inside a room: who it is, what it may do, and what it has been told. */
import type { PersistQueue } from './persist-queue.ts';
import type { SyncSocket } from './ports.ts';
import { type Access, encodeSaved } from './protocol.ts';

export class Session {
  readonly socket: SyncSocket;
  readonly userId: string;
  /** The display name the server stamps into this connection's presence [S2.7]. */
  readonly name: string;
  access: Access;
  /** Token expiry (epoch seconds); the transport closes the socket when it passes. */
  expiresAt: number;
  /** Update-carrying frames received on this connection (what SAVED counts refer to). */
  received = 0;
  private savedCount = 0;
  /** Awareness client ids this connection introduced; removed for everyone when it leaves. */
  readonly awarenessClients = new Set<number>();
  closed = false;
  /** Set when joined, so a closing session can tell its room's queue to forget it. */
  queue: PersistQueue | undefined;

  constructor(socket: SyncSocket, userId: string, access: Access, expiresAt: number, name: string = userId) {
    this.socket = socket;
    this.userId = userId;
    this.name = name;
    this.access = access;
    this.expiresAt = expiresAt;
  }

  get canEdit(): boolean {
    return this.access === 'edit';
  }

  acknowledge(count: number): void {
    if (this.closed || count <= this.savedCount) return;
    this.savedCount = count;
    this.socket.send(encodeSaved(count));
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.queue?.forget(this);
    this.socket.close(code, reason);
  }
}
